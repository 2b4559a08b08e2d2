/**
 * The processes of the broker benchmark, all on 127.0.0.1 and all tracked by PID (lib/proc.ts):
 * - the upstream (upstream.ts): plain HTTP/1.1, 1 KiB answers, WebSocket echo;
 * - Gatehouse: `gatehouse serve --role broker` with the fixture's environment overrides
 *   (setup.ts), one process or N worker processes sharing the listener through the product's
 *   own `broker.workers` setting (GATEHOUSE_BROKER__WORKERS; the serve process forks them and
 *   prints one "serving" line once all listen);
 *   BENCH_CPU_PROF=<dir> adds `--cpu-prof` to the serve process, which its workers inherit
 *   (profiles in <dir>/broker-<N>p/, one file per process and tsx loader thread;
 *   lib/cpuprofile-top.ts);
 * - nginx (Debian package) as the mTLS reverse proxy, OUR configuration in the scratch dir, run
 *   with `-c <conf> -p <dir> -g 'daemon off;'` (never the system service): worker_processes auto
 *   (one per core, NGINX_WORKERS overrides), ssl_verify_client on against the same CA chain,
 *   keepalive 64 to the upstream with HTTP/1.1, keepalive_requests raised so autocannon never
 *   sees a server-side close (peers README), access log off, /ws proxied with Upgrade;
 * - the bare Node mTLS proxy (ceiling-proxy.ts): what Node's HTTPS + undici cost by themselves.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GATEHOUSE } from '../../test/helpers/cli.ts';
import { freePort, log, run, sleep, start, TSX_NODE, waitListening, type Started } from '../lib/proc.ts';
import { brokerEnv, type BrokerFixture } from './setup.ts';

export function startUpstream(port: number, logDir: string): Promise<Started> {
  const [node, ...args] = TSX_NODE;
  const s = start('upstream', node!, [...args, join(import.meta.dirname, 'upstream.ts'), String(port)], { logDir });
  return waitListening(port).then(() => s);
}

export interface BrokerServer extends Started {
  url: string;
  port: number;
}

export async function startBroker(f: BrokerFixture, logDir: string, workers: number, extraEnv: Record<string, string> = {}): Promise<BrokerServer> {
  const port = freePort();
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${join(process.env.BENCH_CPU_PROF, `broker-${workers}p`)}`] : [];
  const serveArgs = ['--json', ...f.pki.g, 'serve', '--role', 'broker'];
  const env = brokerEnv(f, port, { GATEHOUSE_BROKER__WORKERS: String(workers), ...extraEnv });
  const name = `gatehouse-broker-${workers}p`;
  const s = start(name, process.execPath, [...prof, GATEHOUSE, ...serveArgs], { logDir, env });
  const end = Date.now() + 60_000;
  while (Date.now() < end) {
    if (/"addresses"[\s\S]*?"broker"/.test(s.output())) {
      await waitListening(port);
      log(`gatehouse broker up on 127.0.0.1:${port} (pid ${s.proc.pid}${workers > 1 ? `, broker.workers ${workers}` : ''})`);
      return { ...s, url: `https://127.0.0.1:${port}`, port };
    }
    if (s.proc.exitCode !== null) break;
    await sleep(100);
  }
  await s.stop();
  throw new Error(`gatehouse serve --role broker did not start (see ${logDir}/${name}.log)`);
}

export function nginxConf(dir: string, f: BrokerFixture, port: number, upstreamPort: number, workers: string): string {
  return `worker_processes ${workers};
pid ${dir}/nginx.pid;
error_log ${dir}/logs/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  upstream console { server 127.0.0.1:${upstreamPort}; keepalive 64; }
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate        ${f.nginx.certFile};
    ssl_certificate_key    ${f.nginx.keyFile};
    ssl_client_certificate ${f.caFile};
    ssl_verify_client      on;
    ssl_verify_depth       2;
    ssl_protocols          TLSv1.2 TLSv1.3;
    location / {
      proxy_pass http://console;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Client-Subject $ssl_client_s_dn;
    }
    location /ws {
      proxy_pass http://console;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header X-Client-Subject $ssl_client_s_dn;
    }
  }
}
`;
}

export async function startNginx(bin: string, dir: string, f: BrokerFixture, upstreamPort: number, logDir: string): Promise<Started & { url: string; port: number }> {
  const port = freePort();
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  mkdirSync(join(dir, 'logs'), { recursive: true });
  // nginx workers run as an unprivileged user when the master is root: let them reach tmp/.
  chmodSync(dir, 0o711);
  chmodSync(join(dir, 'tmp'), 0o777);
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConf(dir, f, port, upstreamPort, process.env.NGINX_WORKERS ?? 'auto'));
  await run(bin, ['-t', '-q', '-c', conf, '-p', dir], { stderr: true });
  const s = start('nginx', bin, ['-c', conf, '-p', dir, '-g', 'daemon off;'], { logDir });
  await waitListening(port);
  log(`nginx up on 127.0.0.1:${port} (master pid ${s.proc.pid}, worker_processes ${process.env.NGINX_WORKERS ?? 'auto'})`);
  return { ...s, url: `https://127.0.0.1:${port}`, port };
}

/** The bare Node mTLS proxy (ceiling-proxy.ts) with nginx's server certificate and anchors. */
export async function startCeiling(f: BrokerFixture, upstreamPort: number, logDir: string): Promise<Started & { url: string; port: number }> {
  const port = freePort();
  const [node, ...args] = TSX_NODE;
  const s = start('ceiling-proxy', node!, [...args, join(import.meta.dirname, 'ceiling-proxy.ts'), String(port), `http://127.0.0.1:${upstreamPort}`, f.nginx.certFile, f.nginx.keyFile, f.caFile], { logDir });
  await waitListening(port);
  return { ...s, url: `https://127.0.0.1:${port}`, port };
}
