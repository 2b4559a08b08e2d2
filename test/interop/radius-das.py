"""A minimal RFC 5176 Dynamic Authorization Server (DAS) built on python3-pyrad, for interop tests.

Binds UDP on 127.0.0.1 (port from argv[2], 0 = any), prints {"port": N}, then one JSON line per
Disconnect-/CoA-Request received: code, attributes, whether pyrad verified the Request
Authenticator (VerifyCoARequest) and whether Message-Authenticator is first and correct
(RFC 5176 s3.4: HMAC-MD5 over the packet with authenticator and the attribute zeroed). It answers
Disconnect-ACK / CoA-ACK built by pyrad (ReplyPacket). Usage: radius-das.py SECRET PORT
"""
import hashlib
import hmac
import json
import socket
import sys
import time

from pyrad import packet
from pyrad.dictionary import Dictionary

DICT = """ATTRIBUTE User-Name 1 string
ATTRIBUTE NAS-IP-Address 4 ipaddr
ATTRIBUTE Calling-Station-Id 31 string
ATTRIBUTE NAS-Identifier 32 string
ATTRIBUTE Acct-Session-Id 44 string
ATTRIBUTE Event-Timestamp 55 integer
ATTRIBUTE Message-Authenticator 80 octets
ATTRIBUTE Error-Cause 101 integer
VENDOR Cisco 9
BEGIN-VENDOR Cisco
ATTRIBUTE Cisco-AVPair 1 string
END-VENDOR Cisco
"""


def ma_ok(raw, secret):
    if len(raw) < 38 or raw[20] != 80 or raw[21] != 18:
        return False
    zeroed = raw[:4] + b"\0" * 16 + raw[20:22] + b"\0" * 16 + raw[38:]
    return hmac.compare_digest(hmac.new(secret, zeroed, hashlib.md5).digest(), raw[22:38])


def main():
    secret = sys.argv[1].encode()
    import io
    dictionary = Dictionary(io.StringIO(DICT))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", int(sys.argv[2])))
    print(json.dumps({"port": s.getsockname()[1]}), flush=True)
    while True:
        raw, src = s.recvfrom(4096)
        pkt = packet.CoAPacket(secret=secret, packet=raw, dict=dictionary)
        attrs = {}
        for k in pkt.keys():
            name = k if isinstance(k, str) else str(k)
            attrs[name] = [v if isinstance(v, (str, int)) else str(v) for v in pkt[k]]
        print(json.dumps({"t": time.time(), "code": pkt.code, "verified": pkt.VerifyCoARequest(),
                          "messageAuthenticator": ma_ok(raw, secret), "attributes": attrs}), flush=True)
        reply = pkt.CreateReply()
        reply.code = packet.DisconnectACK if pkt.code == packet.DisconnectRequest else packet.CoAACK
        s.sendto(reply.ReplyPacket(), src)


if __name__ == "__main__":
    main()
