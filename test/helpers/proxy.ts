/** bin/space-proxy (real nginx) in front of fake Spark UIs on their own loopback addresses, names served by the local DNS server. */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { startDns } from '../../src/local/dns.js';
import { dnsAddress, dnsTable, formation, parseProcfile, topology } from '../../src/local/formation.js';
import { bin, tmpdir } from './buildpack.js';
import { freePort } from './cluster.js';
import { until } from './wait.js';

/** The htpasswd file the proxy in `dir` uses: in `dir`, or (as root, when nginx's workers cannot reach `dir`) in a temp dir of its own that nginx.conf names. */
export function htpasswdOf(dir: string): string {
  const m = /auth_basic_user_file\s+([^;]+);/.exec(readFileSync(path.join(dir, 'nginx.conf'), 'utf8'));
  if (!m) throw new Error(`no auth_basic_user_file in ${dir}/nginx.conf`);
  return m[1]!.trim();
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

/** A fake Spark UI: answers `${label} path=… auth=…`, or what `handler` says. */
export function fakeUi(host: string, port: number, label: string, handler?: Handler): Promise<http.Server> {
  const s = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (handler) return handler(req, res, body);
      if (req.url === '/redirect') return void res.writeHead(302, { location: `http://${host}:${port}/elsewhere` }).end();
      res.writeHead(200, { 'content-type': 'text/html' }).end(`${label} path=${req.url} auth=${req.headers.authorization ?? 'none'}`);
    });
  });
  return new Promise((r) => s.listen(port, host, () => r(s)));
}

export interface ProxyUnderTest {
  url: string;
  env: Record<string, string>;
  proxy: ResultPromise;
  master: { ip: string; dns: string };
  worker: { ip: string; dns: string };
  /** the proxy's state dir (nginx.conf, htpasswd) */
  dir: string;
  close(): Promise<void>;
}

/**
 * Starts the proxy for app `app` with a master and a worker whose UIs are fake (`ui` overrides
 * either), the space's DNS server and topology. `env` adds or overrides config vars.
 */
export async function startProxy(
  app: string,
  env: Record<string, string>,
  o: { master?: Handler; worker?: Handler; topology?: (t: unknown) => unknown; extraNames?: Record<string, string> } = {},
): Promise<ProxyUnderTest> {
  const f = formation(app, parseProcfile('master: x\nworker: x\nweb: x\n'), { master: 1, worker: 1, web: 1 });
  const [master, worker] = f.dynos as [(typeof f.dynos)[0], (typeof f.dynos)[0]];
  const dir = tmpdir('sis-proxy-');
  // nginx's workers (nobody, when the tests run as root) may walk into it, as into an app's dir
  chmodSync(dir, 0o711);
  const dns = dnsAddress(f);
  const table = dnsTable(f);
  for (const [k, v] of Object.entries(o.extraNames ?? {})) table.set(k, v);
  const servers: { close: () => void }[] = [await startDns(dns.host, dns.port, table)];
  servers.push(await fakeUi(master.ip, 8080, `MASTER spark://1.master.${app}.app.localspace:7077`, o.master));
  servers.push(await fakeUi(worker.ip, 8081, 'WORKER UI', o.worker));
  writeFileSync(path.join(dir, 'topology.json'), JSON.stringify(o.topology ? o.topology(topology(f)) : topology(f)));
  const port = await freePort();
  const full: Record<string, string> = {
    PORT: String(port),
    HEROKU_DNS_APP_NAME: `${app}.app.localspace`,
    SPACE_PROXY_LISTEN: '127.0.0.1',
    SPACE_PROXY_RESOLVER: `${dns.host}:${dns.port}`,
    SPACE_PROXY_DIR: path.join(dir, 'run'),
    SPACE_TOPOLOGY_FILE: path.join(dir, 'topology.json'),
    ...env,
  };
  const proxy = execa(bin('space-proxy'), [], { env: full, reject: false, all: true });
  const url = `http://127.0.0.1:${port}`;
  await until(
    'the proxy to answer',
    async () => {
      if (proxy.exitCode !== null) throw new Error(`proxy exited: ${(await proxy).all}`);
      return fetch(url).then(
        () => true,
        () => false,
      );
    },
    30_000,
    100,
  );
  return {
    url,
    env: full,
    proxy,
    master,
    worker,
    dir: full.SPACE_PROXY_DIR!,
    close: async () => {
      proxy.kill('SIGTERM');
      await proxy;
      for (const s of servers) s.close();
    },
  };
}
