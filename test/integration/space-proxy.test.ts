/**
 * The space proxy with real nginx: bin/space-proxy in front of fake Spark UIs on their own loopback
 * addresses, names served by the local space's DNS server. (test/e2e/space-proxy covers real Spark.)
 */
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formation, parseProcfile } from '../../src/local/formation.js';
import { bin, tmpdir } from '../helpers/buildpack.js';
import { HOSTILE } from '../helpers/hostile.js';
import { freePort, thriftLock } from '../helpers/cluster.js';
import { fakeUi, htpasswdOf, startProxy, type ProxyUnderTest } from '../helpers/proxy.js';

const APP = 'proxy-it';
const f = formation(APP, parseProcfile('master: x\nworker: x\nweb: x\n'), { master: 1, worker: 1, web: 1 });
const [master] = f.dynos;
const sha = (s: string | Buffer) => createHash('sha1').update(s).digest();
const salt = randomBytes(4);
const users = {
  plain: 'pw-plain-1',
  sha: 'pw-sha-2',
  ssha: 'pw-ssha-3',
  apr: 'pw-apr-4',
};

describe('space proxy (real nginx)', () => {
  let p: ProxyUnderTest;
  let proxy: ResultPromise;
  let url: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    const apr = (await execa('openssl', ['passwd', '-apr1', users.apr])).stdout.trim();
    p = await startProxy(
      APP,
      {
        SPACE_PROXY_BASIC_AUTH: [
          `plain:{PLAIN}${users.plain}`,
          `sha:{SHA}${sha(users.sha).toString('base64')}`,
          `ssha:{SSHA}${Buffer.concat([sha(Buffer.concat([Buffer.from(users.ssha), salt])), salt]).toString('base64')}`,
          `apr:${apr}`,
        ].join('\n'),
      },
      {
        // The topology knows the master by its right IP and the worker by a stale one (a restarted
        // dyno): the master gets a kept-alive upstream, the worker falls back to DNS.
        topology: (t) => {
          const topo = t as { apps: { formation: { process_type: string; dynos: { private_ip: string }[] }[] }[] };
          topo.apps[0]!.formation.find((x) => x.process_type === 'worker')!.dynos[0]!.private_ip = `127.${f.subnet}.9.9`;
          return topo;
        },
      },
    );
    ({ proxy, url, env } = p);
  });
  afterAll(async () => {
    await p?.close();
  });

  const auth = (user: keyof typeof users = 'plain') => ({ authorization: `Basic ${Buffer.from(`${user}:${users[user]}`).toString('base64')}` });
  const get = (p: string, headers: Record<string, string> = auth()) => fetch(`${url}${p}`, { headers, redirect: 'manual' });

  it('answers 401 without credentials on every path', async () => {
    for (const p of ['/', '/_dynos', `/set-backend/1.worker.${APP}.app.localspace:8081`, '/anything']) {
      const r = await get(p, {});
      expect(r.status, p).toBe(401);
      expect(r.headers.get('www-authenticate')).toBe('Basic realm="Spark in Space"');
      expect(r.headers.get('set-cookie')).toBeNull();
    }
    expect((await get('/', { authorization: `Basic ${Buffer.from('plain:wrong').toString('base64')}` })).status).toBe(401);
  });

  it.each(['plain', 'sha', 'ssha', 'apr'] as const)('answers 200 with a %s password', async (user) => {
    const r = await get('/', auth(user));
    expect(r.status).toBe(200);
    expect(await r.text()).toContain('MASTER');
  });

  it('sends a visitor without a cookie to the default backend (the first master), without the proxy password', async () => {
    const body = await (await get('/some/page')).text();
    expect(body).toContain(`MASTER spark://1.master.${APP}.app.localspace:7077`);
    expect(body).toContain('path=/some/page');
    expect(body).toContain('auth=none');
  });

  it('/set-backend to a worker sets the cookie and redirects to /; the worker UI is then served', async () => {
    const r = await get(`/set-backend/1.worker.${APP}.app.localspace:8081`);
    expect(r.status).toBe(302);
    expect(r.headers.get('location')).toBe('/');
    const cookie = r.headers.get('set-cookie')!;
    expect(cookie).toBe(`space_backend=1.worker.${APP}.app.localspace:8081; Path=/; HttpOnly; SameSite=Lax`);
    const page = await (await get('/', { ...auth(), cookie: cookie.split(';')[0]! })).text();
    expect(page).toContain('WORKER UI');
  });

  it('connects to known dynos through kept-alive upstreams, and falls back to DNS when a topology IP is stale', async () => {
    const { readFileSync } = await import('node:fs');
    const conf = readFileSync(path.join(env.SPACE_PROXY_DIR!, 'nginx.conf'), 'utf8');
    expect(conf).toContain(`upstream dyno_1 { server ${master!.ip}:8080 max_fails=0; keepalive 16; }`);
    expect(conf).toContain(`"1.master.${APP}.app.localspace:8080" dyno_1;`);
    const page = await (await get('/', { ...auth(), cookie: `space_backend=1.worker.${APP}.app.localspace:8081` })).text();
    expect(page).toContain('WORKER UI');
  });

  it('rewrites a backend’s absolute redirects to stay on the proxy', async () => {
    const r = await get('/redirect');
    expect(r.status).toBe(302);
    expect(r.headers.get('location')).toBe('/elsewhere');
  });

  it(`refuses ${HOSTILE.length} hostile backends with a 400 that explains, and sets no cookie`, async () => {
    expect(HOSTILE.length).toBeGreaterThanOrEqual(15);
    for (const h of HOSTILE) {
      const r = await get(`/set-backend/${encodeURIComponent(h)}`);
      expect(r.status, h).toBe(400);
      expect(r.headers.get('set-cookie'), h).toBeNull();
      expect(await r.text()).toContain('accepts only names inside the space');
    }
  });

  it('ignores a forged cookie naming a hostile backend: the default backend answers', async () => {
    for (const h of ['169.254.169.254:80', 'evil.com:8080', '127.0.0.1:22']) {
      const body = await (await get('/', { ...auth(), cookie: `space_backend=${h}` })).text();
      expect(body, h).toContain('MASTER');
    }
  });

  it('/_dynos lists the space’s dynos from the topology, with links that select each UI, no scripts', async () => {
    const r = await get('/_dynos');
    expect(r.status).toBe(200);
    const html = await r.text();
    expect(html).toContain(`<a href="/set-backend/1.master.${APP}.app.localspace:8080">`);
    expect(html).toContain(`<a href="/set-backend/1.worker.${APP}.app.localspace:8081">`);
    expect(html).not.toMatch(/<script|<link|src=/);
  });

  it('refuses to start without credentials: never an open proxy', async () => {
    const { SPACE_PROXY_BASIC_AUTH: _, ...rest } = env;
    const r = await execa(bin('space-proxy'), [], { env: { ...rest, PORT: String(await freePort()), SPACE_PROXY_DIR: tmpdir() }, extendEnv: false, reject: false, all: true });
    expect(r.exitCode).toBe(1);
    expect(r.all).toContain('SPACE_PROXY_BASIC_AUTH: is not set (nor SPACE_PROXY_PASSWORD): the proxy refuses to start without credentials');
  });

  it('keeps the htpasswd file 0600 (0640 for the workers’ group when started as root) and passwords out of its output', async () => {
    const { statSync } = await import('node:fs');
    expect(statSync(htpasswdOf(env.SPACE_PROXY_DIR!)).mode & 0o777).toBe(process.getuid?.() === 0 ? 0o640 : 0o600);
  });

  it('stops gracefully on SIGTERM (nginx gets SIGQUIT)', async () => {
    const t = Date.now();
    proxy.kill('SIGTERM');
    const r = await proxy;
    expect(r.exitCode).toBe(0);
    expect(Date.now() - t).toBeLessThan(10_000);
    for (const pw of Object.values(users)) expect(r.all).not.toContain(pw);
    expect(r.all).toMatch(/"GET \/set-backend\/1\.worker\.proxy-it\.app\.localspace:8081 HTTP\/1\.1" 302/);
  });
});

describe('space proxy: JDBC at /cliservice (real nginx, a stand-in Thrift server)', () => {
  const app = 'proxy-jdbc';
  const thrift = formation(app, parseProcfile('thrift: x\n'), { thrift: 1 }).dynos[0]!;
  const password = 'jdbc-password-1';
  let p: ProxyUnderTest;
  let server: { close: (cb?: () => void) => void };
  let releaseThrift: (() => void) | undefined;
  beforeAll(async () => {
    // a real Thrift server of another file's space listens on 10001 of every address: one at a time
    releaseThrift = await thriftLock();
    server = await fakeUi(thrift.ip, 10001, 'THRIFT', (req, res, body) =>
      res.writeHead(200, { 'content-type': 'application/x-thrift' }).end(`THRIFT ${req.method} ${req.url} auth=${req.headers.authorization} body=${body}`),
    );
    p = await startProxy(app, { SPACE_PROXY_PASSWORD: password }, { extraNames: { [thrift.dns]: thrift.ip } });
  });
  afterAll(async () => {
    await p?.close();
    releaseThrift?.();
  });
  const post = (headers: Record<string, string>) => fetch(`${p.url}/cliservice`, { method: 'POST', body: 'thrift-call', headers });

  it('401 without credentials; with them, the thrift dyno gets the call as the proxy user, never the proxy password', async () => {
    expect((await post({})).status).toBe(401);
    const r = await post({ authorization: `Basic ${Buffer.from(`spark:${password}`).toString('base64')}` });
    expect(r.status).toBe(200);
    const text = await r.text();
    expect(text).toBe(`THRIFT POST /cliservice auth=Basic ${Buffer.from('spark:space-proxy').toString('base64')} body=thrift-call`);
    expect(text).not.toContain(Buffer.from(`spark:${password}`).toString('base64'));
  });

  it('no thrift dyno answering: 502 saying to scale the thrift process type', async () => {
    await new Promise<void>((r) => server.close(() => r()));
    const r = await post({ authorization: `Basic ${Buffer.from(`spark:${password}`).toString('base64')}` });
    expect(r.status).toBe(502);
    expect(await r.text()).toBe(`No Thrift JDBC server answers at ${thrift.dns}:10001: scale the thrift process type to 1 (heroku ps:scale thrift=1, or local up --thrift 1).\n`);
  });
});

describe('proxy_long_app_name', () => {
  it('an app name of 30 characters, Heroku’s longest: nginx takes the configuration (its backend map’s keys are long) and the proxy serves the master', async () => {
    const app = 'the-longest-app-name-of-heroku';
    expect(app).toHaveLength(30);
    const password = 'long-name-password-1';
    const p = await startProxy(app, { SPACE_PROXY_PASSWORD: password });
    try {
      expect((await fetch(`${p.url}/`)).status).toBe(401);
      const r = await fetch(`${p.url}/`, { headers: { authorization: `Basic ${Buffer.from(`spark:${password}`).toString('base64')}` } });
      expect(r.status).toBe(200);
      expect(await r.text()).toContain(`MASTER spark://1.master.${app}.app.localspace:7077`);
    } finally {
      await p.close();
    }
  });
});
