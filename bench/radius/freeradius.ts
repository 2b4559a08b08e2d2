/**
 * The FreeRADIUS 3.2 side of the RADIUS benchmark (Debian freeradius), configured by us.
 *
 * How: a copy of the packaged raddb (found through `dpkg -L freeradius-config`) in the scratch dir
 * with radiusd.conf pointed at it (no user/group switch), and our own clients.conf, site, eap
 * module and users file written below:
 * - one NAS 127.0.0.1 with the same secret as Gatehouse and require_message_authenticator = yes
 *   (Gatehouse's default, BlastRADIUS); every request of both load generators carries it anyway;
 * - MAB: a users-file entry per MAC, Cleartext-Password = the MAC (PAP), replying the same RFC 3580
 *   VLAN attributes Gatehouse sends (Tunnel-Type VLAN, Tunnel-Medium-Type IEEE-802,
 *   Tunnel-Private-Group-Id 120); an unknown MAC gets Access-Reject;
 * - the same VLAN reply on every EAP-TLS Accept (post-auth; no per-device lookup);
 * - EAP-TLS: the radius-server certificate and client CA from Gatehouse's issuing CA (fixture),
 *   TLS 1.2..1.3 (the supplicant picks), library-default key-exchange groups like node:tls,
 *   session cache off so every authentication is a full handshake; CRL/OCSP checks off (Gatehouse
 *   checks live revocation and inventory at every Accept: more work on its side, not less).
 * `freeradius -C` checks the configuration first; the server runs in the foreground (`-f`).
 * waitUdp() polls the socket table (`ss -Hlun`) until something listens on a UDP port.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { run, sleep, start, type Started } from '../lib/proc.ts';
import { SECRET, VLAN, type RadiusFixture } from './setup.ts';

export async function waitUdp(port: number, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const out = await run('ss', ['-Hlun', `sport = :${port}`]).catch(() => '');
    if (out.trim()) return;
    await sleep(100);
  }
  throw new Error(`nothing listens on UDP port ${port} after ${ms} ms`);
}

function packagedRaddb(): string {
  try {
    const files = execFileSync('dpkg', ['-L', 'freeradius-config'], { encoding: 'utf8' }).split('\n');
    const conf = files.find((f) => f.endsWith('/radiusd.conf'));
    if (conf) return dirname(conf);
  } catch {
    /* not a Debian system: try the usual place */
  }
  if (existsSync('/etc/freeradius/3.0/radiusd.conf')) return '/etc/freeradius/3.0';
  throw new Error('packaged FreeRADIUS configuration not found (Debian package freeradius-config)');
}

const site = (port: number) => `server bench {
	listen {
		type = auth
		ipaddr = 127.0.0.1
		port = ${port}
	}
	authorize {
		eap {
			ok = return
		}
		files
		pap
	}
	authenticate {
		Auth-Type PAP {
			pap
		}
		eap
	}
	post-auth {
		if (&EAP-Message) {
			update reply {
				&Tunnel-Type := VLAN
				&Tunnel-Medium-Type := IEEE-802
				&Tunnel-Private-Group-Id := "${VLAN}"
			}
		}
		Post-Auth-Type REJECT {
			attr_filter.access_reject
		}
	}
}
`;

const eapModule = (f: RadiusFixture) => `eap {
	default_eap_type = tls
	timer_expire = 60
	ignore_unknown_eap_types = no
	max_sessions = \${max_requests}
	tls-config tls-common {
		private_key_file = ${f.serverKeyFile}
		certificate_file = ${f.serverCertFile}
		ca_file = ${f.caFile}
		cipher_list = "DEFAULT"
		cipher_server_preference = no
		ecdh_curve = ""
		tls_min_version = "1.2"
		tls_max_version = "1.3"
		check_crl = no
		cache {
			enable = no
		}
		verify {
		}
		ocsp {
			enable = no
		}
	}
	tls {
		tls = tls-common
	}
}
`;

const usersEntry = (mac: string) =>
	`"${mac}"\tCleartext-Password := "${mac}"\n\tTunnel-Type = VLAN,\n\tTunnel-Medium-Type = IEEE-802,\n\tTunnel-Private-Group-Id = "${VLAN}"\n\n`;

/** Writes the raddb under `dir` and checks it with `freeradius -C`; returns its path. */
export async function writeRaddb(bin: string, dir: string, f: RadiusFixture, port: number): Promise<string> {
  const r = join(dir, 'raddb');
  rmSync(r, { recursive: true, force: true });
  cpSync(packagedRaddb(), r, { recursive: true, dereference: false, verbatimSymlinks: true });
  for (const d of ['log', 'run']) mkdirSync(join(dir, d), { recursive: true });
  const conf = readFileSync(join(r, 'radiusd.conf'), 'utf8')
    .replace(/^raddbdir = .*$/m, `raddbdir = ${r}`)
    .replace(/^logdir = .*$/m, `logdir = ${join(dir, 'log')}`)
    .replace(/^run_dir = .*$/m, `run_dir = ${join(dir, 'run')}`)
    .replace(/^(\s*)(user|group) = freerad$/gm, '$1#$2 = freerad');
  writeFileSync(join(r, 'radiusd.conf'), conf);
  rmSync(join(r, 'sites-enabled'), { recursive: true, force: true });
  mkdirSync(join(r, 'sites-enabled'));
  writeFileSync(join(r, 'sites-enabled', 'bench'), site(port));
  rmSync(join(r, 'mods-enabled', 'eap'), { force: true });
  writeFileSync(join(r, 'mods-enabled', 'eap'), eapModule(f));
  writeFileSync(
    join(r, 'clients.conf'),
    `client bench_nas {\n\tipaddr = 127.0.0.1\n\tsecret = ${SECRET}\n\trequire_message_authenticator = yes\n\tnas_type = other\n}\n`,
  );
  const authorize = join(r, 'mods-config', 'files', 'authorize');
  rmSync(authorize, { force: true });
  writeFileSync(authorize, f.macs.map(usersEntry).join(''));
  await run(bin, ['-C', '-d', r]).catch((e: Error) => {
    throw new Error(`freeradius -C: ${e.message.slice(-2000)}`);
  });
  return r;
}

export interface FreeRadius extends Started {
  port: number;
}

export async function startFreeRadius(bin: string, raddb: string, port: number, logDir: string): Promise<FreeRadius> {
  const s = start('freeradius', bin, ['-f', '-d', raddb, '-l', join(logDir, 'freeradius-server.log')], { logDir });
  try {
    await waitUdp(port);
  } catch (e) {
    await s.stop();
    throw e;
  }
  return { ...s, port };
}
