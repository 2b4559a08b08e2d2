"""Independent RADIUS computations for the codec tests (reads one JSON request on stdin).

RFC formulas are written here from the RFC text with hashlib/hmac only, so they share no code with
radius-bridge/codec. The `pyrad_*` operations use the python3-pyrad library (Debian package) as a
second, third-party implementation. Byte strings travel as hex.
"""
import hashlib
import hmac
import json
import struct
import sys


def md5(*parts):
    h = hashlib.md5()
    for p in parts:
        h.update(p)
    return h.digest()


def xor(a, b):
    return bytes(x ^ y for x, y in zip(a, b))


def chain(plain, secret, seed):
    """RFC 2865 s5.2 / RFC 2548 s2.4.2: c(i) = p(i) xor MD5(S + c(i-1)), c(0) = seed."""
    out, last = b"", seed
    for i in range(0, len(plain), 16):
        c = xor(plain[i:i + 16], md5(secret, last))
        out, last = out + c, c
    return out


def hide_password(r):
    pw = r["password"].encode()
    pw += b"\0" * ((16 - len(pw) % 16) % 16 if pw else 16)
    return chain(pw, r["secret"].encode(), bytes.fromhex(r["authenticator"])).hex()


def mppe_encrypt(r):
    key = bytes.fromhex(r["key"])
    salt = struct.pack("!H", r["salt"])
    p = bytes([len(key)]) + key
    p += b"\0" * ((16 - len(p) % 16) % 16)
    seed = bytes.fromhex(r["authenticator"]) + salt
    return (salt + chain(p, r["secret"].encode(), seed)).hex()


def ma_offsets(pkt):
    out, off = [], 20
    while off < len(pkt):
        if pkt[off] == 80:
            out.append(off + 2)
        off += pkt[off + 1]
    return out


def resign(r):
    """Re-signs a packet from scratch: Message-Authenticator (RFC 3579 s3.2, RFC 5176 s3.4) first,
    then the MD5 authenticator (RFC 2865 s3 response, RFC 2866 s3 / RFC 5176 s2.3 request)."""
    pkt = bytearray(bytes.fromhex(r["packet"]))
    secret = r["secret"].encode()
    header_auth = bytes.fromhex(r["request_authenticator"]) if r["kind"] == "response" else b"\0" * 16
    for off in ma_offsets(pkt):
        pkt[off:off + 16] = b"\0" * 16
        pkt[4:20] = header_auth
        pkt[off:off + 16] = hmac.new(secret, bytes(pkt), hashlib.md5).digest()
    pkt[4:20] = md5(bytes(pkt[0:4]), header_auth, bytes(pkt[20:]), secret)
    return bytes(pkt).hex()


def pyrad_decode(r):
    from pyrad import packet
    p = packet.Packet(secret=r["secret"].encode(), packet=bytes.fromhex(r["packet"]))
    return [[str(k if isinstance(k, int) else list(k)), [v.hex() for v in vs]] for k, vs in p.items()]


def pyrad_verify_reply(r):
    from pyrad import packet
    raw = bytes.fromhex(r["packet"])
    req = packet.AuthPacket(id=raw[1], secret=r["secret"].encode(),
                            authenticator=bytes.fromhex(r["request_authenticator"]))
    reply = packet.Packet(secret=r["secret"].encode(), packet=raw)
    return req.VerifyReply(reply, raw)


def pyrad_verify_hashed(r):
    from pyrad import packet
    raw = bytes.fromhex(r["packet"])
    return packet.CoAPacket(secret=r["secret"].encode(), packet=raw).VerifyCoARequest()


def pyrad_pw_decrypt(r):
    from pyrad import packet
    p = packet.AuthPacket(secret=r["secret"].encode(), authenticator=bytes.fromhex(r["authenticator"]))
    return p.PwDecrypt(bytes.fromhex(r["hidden"]))


def pyrad_build(r):
    """Builds a request with pyrad; attributes are [type, hex] pairs; User-Password (2) is hidden."""
    from pyrad import packet
    secret = r["secret"].encode()
    cls = {1: packet.AuthPacket, 4: packet.AcctPacket, 40: packet.CoAPacket, 43: packet.CoAPacket}[r["code"]]
    p = cls(code=r["code"], id=r["id"], secret=secret)
    for t, v in r["attributes"]:
        value = bytes.fromhex(v)
        p.AddAttribute(t, p.PwCrypt(value.decode()) if t == 2 else value)
    return p.RequestPacket().hex()


OPS = {f.__name__: f for f in [hide_password, mppe_encrypt, resign, pyrad_decode, pyrad_verify_reply,
                               pyrad_verify_hashed, pyrad_pw_decrypt, pyrad_build]}

def batch(r):
    """Runs several requests in one process: {"requests": [{"op": ..., ...}, ...]}."""
    return [OPS[q["op"]](q) for q in r["requests"]]


OPS["batch"] = batch

if __name__ == "__main__":
    req = json.load(sys.stdin)
    json.dump({"result": OPS[req["op"]](req)}, sys.stdout)
