/**
 * What an attacker found in the space proxy and the rendered confs, each attack with its refusal,
 * against the real proxy (nginx) in front of fake Spark UIs. (Spark's /proxy/<id>/ with a rogue
 * worker, item 1, is in test/e2e/space-proxy.test.ts with real Spark.)
 */
import { execFileSync } from 'node:child_process';
import { chownSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, REPO, tmpdir } from '../helpers/buildpack.js';
import { freePort } from '../helpers/cluster.js';
import { htpasswdOf, startProxy, type ProxyUnderTest } from '../helpers/proxy.js';
import { until } from '../helpers/wait.js';

const APP = 'harden-it';
const PASSWORD = 'harden-password-1';
const auth = { authorization: `Basic ${Buffer.from(`spark:${PASSWORD}`).toString('base64')}` };

describe('space proxy hardening (real nginx)', () => {
  let p: ProxyUnderTest;
  const seen: { method: string; url: string; proto?: string }[] = [];
  /** what the fake master answers for special paths */
  const master = (req: IncomingMessage, res: ServerResponse) => {
    seen.push({ method: req.method!, url: req.url!, proto: req.headers['x-forwarded-proto'] as string | undefined });
    const redirects: Record<string, string> = {
      '/r1': 'http://b//evil.example/x',
      '/r2': 'http://b/\\evil.example/y',
      '/r3': '//evil.example/z',
      '/r4': '/\\evil.example/w',
      '/r5': 'http://1.master.harden-it.app.localspace:8080/jobs/',
    };
    if (redirects[req.url!]) return void res.writeHead(302, { location: redirects[req.url!] }).end();
    // a backend that dies mid-request: the proxy must not send a POST twice
    if (req.url === '/drop') return void req.socket.destroy();
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`MASTER ${req.method} ${req.url} proto=${req.headers['x-forwarded-proto']}`);
  };

  beforeAll(async () => {
    p = await startProxy(APP, { SPACE_PROXY_BASIC_AUTH: `spark:{PLAIN}${PASSWORD}` }, { master, extraNames: { [`1.web.other-app.app.localspace`]: '127.0.0.1' } });
  });
  afterAll(async () => {
    await p?.close();
  });

  /**
   * A request as a browser makes it: a kept-alive connection that nginx closed on a reload (the
   * lockout reloads it) is retried once on a new one.
   */
  const send = async (url: string, init: RequestInit): Promise<Response> => {
    try {
      return await fetch(url, init);
    } catch (err) {
      if ((err as { cause?: { code?: string } }).cause?.code !== 'UND_ERR_SOCKET') throw err;
      return fetch(url, init);
    }
  };
  const get = (path_: string, headers: Record<string, string> = {}, init: RequestInit = {}) => send(`${p.url}${path_}`, { redirect: 'manual', ...init, headers: { ...auth, ...headers } });

  it('2. the allow-list is this app, not the whole space: another app’s dyno is refused', async () => {
    const other = await get('/set-backend/1.web.other-app.app.localspace:8080');
    expect(other.status).toBe(400);
    expect(other.headers.get('set-cookie')).toBeNull();
    const own = await get(`/set-backend/1.worker.${APP}.app.localspace:8081`);
    expect(own.status).toBe(302);
    // a forged cookie naming the other app falls back to this app's master
    expect(await (await get('/', { cookie: 'space_backend=1.web.other-app.app.localspace:8080' })).text()).toContain('MASTER GET /');
  });

  it('3. behind the router, plain HTTP is redirected to HTTPS before any password is asked; HTTPS answers carry HSTS and the router’s scheme reaches the backend', async () => {
    // as the router sends it: the app's host name, the visitor's scheme (fetch cannot set Host)
    const plain = await new Promise<IncomingMessage>((resolve, reject) =>
      http.get(`${p.url}/jobs/?x=1`, { headers: { host: 'my-spark.herokuapp.com', 'x-forwarded-proto': 'http' } }, resolve).on('error', reject),
    );
    plain.resume();
    expect(plain.statusCode).toBe(301);
    expect(plain.headers.location).toBe('https://my-spark.herokuapp.com/jobs/?x=1');
    expect(plain.headers['www-authenticate']).toBeUndefined();
    const secure = await get('/page', { 'x-forwarded-proto': 'https' });
    expect(secure.status).toBe(200);
    expect(secure.headers.get('strict-transport-security')).toBe('max-age=31536000');
    expect(await secure.text()).toContain('proto=https');
    const challenge = await fetch(`${p.url}/`, { headers: { 'x-forwarded-proto': 'https' } });
    expect(challenge.status).toBe(401);
    expect(challenge.headers.get('strict-transport-security')).toBe('max-age=31536000');
    // local runs (no router) stay on http, without HSTS
    const local = await get('/page');
    expect(local.status).toBe(200);
    expect(local.headers.get('strict-transport-security')).toBeNull();
  });

  it('4. a cross-origin POST (Spark’s kill buttons) never reaches the backend; a same-origin one does; /set-backend refuses cross-site navigation', async () => {
    const before = seen.filter((s) => s.method === 'POST').length;
    const foreign = await get('/app/kill/', { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' }, { method: 'POST', body: 'id=app-1&terminate=true' });
    expect(foreign.status).toBe(403);
    const fetchMeta = await get('/app/kill/', { 'sec-fetch-site': 'cross-site' }, { method: 'POST', body: 'id=app-1' });
    expect(fetchMeta.status).toBe(403);
    const nullOrigin = await get('/app/kill/', { origin: 'null' }, { method: 'POST', body: 'id=app-1' });
    expect(nullOrigin.status).toBe(403);
    expect(seen.filter((s) => s.method === 'POST').length).toBe(before);
    const own = await get('/app/kill/', { origin: p.url, 'sec-fetch-site': 'same-origin' }, { method: 'POST', body: 'id=app-1' });
    expect(own.status).toBe(200);
    expect(seen.filter((s) => s.method === 'POST').length).toBe(before + 1);
    const nav = await get(`/set-backend/1.worker.${APP}.app.localspace:8081`, { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' });
    expect(nav.status).toBe(403);
    expect(nav.headers.get('set-cookie')).toBeNull();
  });

  it('6. a backend’s redirect never becomes an open redirect to another host', async () => {
    const locations: Record<string, string> = { '/r1': '/evil.example/x', '/r2': '/evil.example/y', '/r3': '/evil.example/z', '/r4': '/evil.example/w', '/r5': '/jobs/' };
    for (const [from, to] of Object.entries(locations)) {
      const r = await get(from);
      expect(r.status, from).toBe(302);
      expect(r.headers.get('location'), from).toBe(to);
    }
  });

  it('7. a failed POST is sent once; a failed GET is tried again on a freshly resolved backend', async () => {
    const count = (m: string) => seen.filter((s) => s.method === m && s.url === '/drop').length;
    const post = await get('/drop', {}, { method: 'POST', body: 'x=1' });
    expect(post.status).toBe(502);
    expect(count('POST')).toBe(1);
    const getR = await get('/drop');
    expect(getR.status).toBe(502);
    expect(count('GET')).toBeGreaterThanOrEqual(2);
  });

  it('5. password guessing: throttled after a few failures, then the client is locked out even with the right password; others are not', async () => {
    const attacker = { 'x-forwarded-for': '198.51.100.66, 203.0.113.7' };
    const wrong = { authorization: `Basic ${Buffer.from('spark:guess').toString('base64')}`, ...attacker };
    const statuses: number[] = [];
    for (let i = 0; i < 60; i++) statuses.push((await send(`${p.url}/`, { headers: wrong })).status);
    const n401 = statuses.filter((s) => s === 401).length;
    expect(n401).toBeGreaterThanOrEqual(5);
    expect(n401).toBeLessThanOrEqual(15);
    expect(statuses.filter((s) => s === 429).length).toBe(60 - n401);
    await until('the attacker locked out', async () => (await get('/_dynos', attacker)).status === 429, 10_000);
    expect((await get('/_dynos', { 'x-forwarded-for': '198.51.100.1' })).status).toBe(200);
    expect(readFileSync(path.join(p.dir, 'lockout.map'), 'utf8')).toBe('"203.0.113.7" 1;\n');
  });

  it('round 2, 1. every path × every query form × no, wrong and right credentials: without valid ones 401 with the challenge, never a page or a backend, each a failed login', async () => {
    const paths = ['/', '/_dynos', `/set-backend/1.worker.${APP}.app.localspace:8081`, '/proxy/worker-1/', '/cliservice', '/metrics/master/prometheus/', '/index.html', '/no/such/path'];
    const queries = ['', '?', '?x=1', '?_space_denied', '%3Fx=1', `?${'q'.repeat(3000)}`];
    const wrong = `Basic ${Buffer.from('spark:not-the-password').toString('base64')}`;
    let client = 0;
    // each request from a client of its own (the router's X-Forwarded-For): its first failure is a 401, not the throttle's 429
    const as = (authorization?: string) => ({ 'x-forwarded-for': `198.18.${Math.floor(++client / 250)}.${client % 250}`, ...(authorization ? { authorization } : {}) });
    const backendBefore = seen.length;
    for (const p_ of paths)
      for (const q of queries)
        for (const authorization of [undefined, wrong]) {
          const url = `${p_}${q}`;
          const r = await send(`${p.url}${url}`, { redirect: 'manual', headers: as(authorization) });
          const body = await r.text();
          const label = `${url.slice(0, 80)} ${authorization ? 'wrong' : 'none'}`;
          expect(r.status, label).toBe(401);
          expect(r.headers.get('www-authenticate'), label).toMatch(/^Basic /);
          expect(r.headers.get('set-cookie'), label).toBeNull();
          expect(body, label).not.toMatch(/dyno|worker|127\.\d+\.\d+\.\d+|MASTER|WORKER/i);
        }
    // no unauthenticated request reached a backend
    expect(seen.length).toBe(backendBefore);
    // with the right password the same URLs are served (the dynos page only at /_dynos, whatever the query)
    for (const q of queries) {
      const page = await send(`${p.url}/_dynos${q}`, { redirect: 'manual', headers: { ...auth, ...as() } });
      expect(page.status, q.slice(0, 20)).toBe(200);
      const html = await page.text();
      // an encoded ? is part of the path (/_dynos?x=1 as a name): that is the master's UI, not the dynos page
      if (q.startsWith('%3F')) expect(html).toContain('MASTER GET /_dynos%3Fx=1');
      else expect(html, q.slice(0, 20)).toContain('<!doctype html>');
      const root = await send(`${p.url}/${q}`, { redirect: 'manual', headers: { ...auth, ...as() } });
      expect(root.status, `/${q.slice(0, 20)}`).not.toBe(401);
    }
    // each failure counted: one client failing again and again is throttled
    const one = { 'x-forwarded-for': '198.51.100.91' };
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) statuses.push((await send(`${p.url}/_dynos?x=${i}`, { headers: one })).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses).toContain(429);
  });

  it('round 2, 2. a dyno of the space that forges X-Forwarded-For is throttled and locked out by its own address', async () => {
    // the master dyno's address (it is in the topology) reaching the web dyno directly
    const fromDyno = (i: number) =>
      new Promise<number>((resolve, reject) => {
        const req = http.get(
          `${p.url}/_dynos`,
          { localAddress: p.master.ip, headers: { 'x-forwarded-for': `192.0.2.${i % 250}`, authorization: `Basic ${Buffer.from('spark:guess').toString('base64')}` } },
          (res) => {
            res.resume();
            resolve(res.statusCode!);
          },
        );
        req.on('error', reject);
      });
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push(await fromDyno(i));
    // a new X-Forwarded-For per guess does not buy new guesses
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(15);
    expect(statuses).toContain(429);
    await until('the dyno locked out by its address', async () => readFileSync(path.join(p.dir, 'lockout.map'), 'utf8').includes(`"${p.master.ip}" 1;`), 10_000);
    // nobody named in its forged headers was locked out
    expect(readFileSync(path.join(p.dir, 'lockout.map'), 'utf8')).not.toContain('192.0.2.');
    // from outside the topology (the router's side) the last X-Forwarded-For entry is still the client
    expect((await get('/_dynos', { 'x-forwarded-for': '198.51.100.2' })).status).toBe(200);
  });

  it('8. nginx’s workers do not run as root; htpasswd is readable by their group only', async () => {
    const nginxMaster = execFileSync('pgrep', ['-P', String(p.proxy.pid), 'nginx'], { encoding: 'utf8' }).trim();
    const workers = execFileSync('ps', ['-o', 'user=', '--ppid', nginxMaster], { encoding: 'utf8' }).trim().split('\n');
    expect(workers.length).toBeGreaterThan(0);
    if (process.getuid?.() === 0) {
      expect(new Set(workers)).toEqual(new Set(['nobody']));
      const st = statSync(htpasswdOf(p.dir));
      expect(st.mode & 0o777).toBe(0o640);
      expect(st.uid).toBe(0);
    } else {
      expect(workers.every((u) => u !== 'root')).toBe(true);
      expect(statSync(htpasswdOf(p.dir)).mode & 0o777).toBe(0o600);
    }
    expect((await get('/_dynos')).status).toBe(200);
  });
});

describe('space proxy files and config', () => {
  const base = (port: number) => ({
    PATH: process.env.PATH!,
    PORT: String(port),
    HEROKU_DNS_APP_NAME: `${APP}.app.localspace`,
    SPACE_PROXY_LISTEN: '127.0.0.1',
    SPACE_PROXY_RESOLVER: '127.0.0.1:1',
    SPACE_TOPOLOGY_FILE: '/nonexistent',
    SPACE_PROXY_PASSWORD: PASSWORD,
  });

  it('8. with HOME unset it writes into a fresh private dir, never a predictable shared one', async () => {
    const tmp = tmpdir('sis-tmpdir-');
    // someone else prepared the old predictable path
    mkdirSync(path.join(tmp, '.space-proxy'));
    if (process.getuid?.() === 0) chownSync(path.join(tmp, '.space-proxy'), 65534, 65534);
    const port = await freePort();
    const proxy = execa(bin('space-proxy'), [], { env: { ...base(port), TMPDIR: tmp }, extendEnv: false, reject: false, all: true });
    await until(
      'the proxy to answer',
      async () => {
        // a proxy that gave up says why, instead of a silent 30 s wait
        if (proxy.exitCode !== null) throw new Error(`the proxy exited ${proxy.exitCode}: ${(await proxy).all}`);
        return fetch(`http://127.0.0.1:${port}/`).then(
          () => true,
          () => false,
        );
      },
      30_000,
      100,
    );
    // its own dir (and, as root, one its unprivileged workers can reach): ours, nobody else may read or write
    const mine = readdirSync(tmp).filter((d) => d.startsWith('space-proxy-'));
    expect(mine.length).toBeGreaterThanOrEqual(1);
    expect(mine.length).toBeLessThanOrEqual(process.getuid?.() === 0 ? 2 : 1);
    for (const d of mine) {
      const st = statSync(path.join(tmp, d));
      expect(st.uid).toBe(process.getuid?.());
      expect(st.mode & 0o066).toBe(0);
    }
    expect(readdirSync(path.join(tmp, '.space-proxy'))).toEqual([]);
    proxy.kill('SIGTERM');
    expect((await proxy).exitCode).toBe(0);
    expect(readdirSync(tmp).filter((d) => d.startsWith('space-proxy-'))).toHaveLength(1);
  });

  it('8. refuses a $HOME/.space-proxy that someone else owns', async () => {
    if (process.getuid?.() !== 0) return expect(process.getuid?.()).not.toBe(0);
    const home = tmpdir('sis-home-');
    mkdirSync(path.join(home, '.space-proxy'));
    chownSync(path.join(home, '.space-proxy'), 65534, 65534);
    const r = await execa(bin('space-proxy'), [], { env: { ...base(await freePort()), HOME: home }, extendEnv: false, reject: false, all: true });
    expect(r.exitCode).toBe(1);
    expect(r.all).toContain('is not a directory of this user');
  });

  it('5. refuses to start with a {PLAIN} password that is too short', async () => {
    const r = await execa(bin('space-proxy'), [], {
      env: { ...base(await freePort()), SPACE_PROXY_PASSWORD: '', SPACE_PROXY_BASIC_AUTH: 'spark:{PLAIN}space', SPACE_PROXY_DIR: tmpdir() },
      extendEnv: false,
      reject: false,
      all: true,
    });
    expect(r.exitCode).toBe(1);
    expect(r.all).toContain('SPACE_PROXY_BASIC_AUTH: a {PLAIN} password must be at least 8 characters');
    expect(r.all).not.toContain('{PLAIN}space');
  });

  it('9. a newline in a URL var never reaches a rendered file: the launcher refuses and writes nothing', async () => {
    const out = tmpdir();
    const r = await execa(process.execPath, [path.join(REPO, 'dist/cli/index.js'), 'config', 'render', '--out', out, '--type', 'spark-submit', '--spark-version', '4.2.0'], {
      env: {
        PATH: process.env.PATH!,
        DYNO: 'run.1',
        HEROKU_DNS_APP_NAME: `${APP}.app.localspace`,
        SPARK_AUTH_SECRET: 'x'.repeat(32),
        SPARK_REVERSE_PROXY_URL: 'https://spark.example.com\nspark.ui.filters evil.Filter',
      },
      extendEnv: false,
      reject: false,
      all: true,
    });
    expect(r.exitCode).toBe(1);
    expect(r.all).toContain('SPARK_REVERSE_PROXY_URL: must not contain control characters');
    expect(readdirSync(out)).toEqual([]);
    const proxy = await execa(bin('space-proxy'), [], {
      env: { ...base(await freePort()), SPACE_PROXY_DEFAULT_BACKEND: `1.master.${APP}.app.localspace:8080\nx`, SPACE_PROXY_DIR: tmpdir() },
      extendEnv: false,
      reject: false,
      all: true,
    });
    expect(proxy.exitCode).toBe(1);
    expect(proxy.all).toContain('SPACE_PROXY_DEFAULT_BACKEND: must not contain control characters');
  });

  it('8. every rendered Spark conf is 0600, even when a credential hides under a name no pattern knows', async () => {
    const out = tmpdir();
    const r = await execa(process.execPath, [path.join(REPO, 'dist/cli/index.js'), 'config', 'render', '--out', out, '--type', 'spark-submit', '--spark-version', '4.2.0'], {
      env: { PATH: process.env.PATH!, DYNO: 'run.1', HEROKU_DNS_APP_NAME: `${APP}.app.localspace`, SPARK_DEFAULTS_EXTRA: 'spark.hadoop.fs.azure.account.key.acct.blob.core.windows.net c2VjcmV0a2V5' },
      extendEnv: false,
      reject: false,
      all: true,
    });
    expect(r.exitCode, r.all).toBe(0);
    for (const f of readdirSync(out)) expect(statSync(path.join(out, f)).mode & 0o777, f).toBe(0o600);
  });

  it('1. reverse-proxy mode refuses to start a master without SPARK_AUTH_SECRET', async () => {
    const r = await execa(bin('spark-master'), [], {
      env: { PATH: process.env.PATH!, SPARK_HOME: '/nonexistent', DYNO: 'master.1', HEROKU_DNS_APP_NAME: `${APP}.app.localspace`, SPARK_REVERSE_PROXY_URL: 'https://my-spark.herokuapp.com' },
      extendEnv: false,
      reject: false,
      all: true,
    });
    expect(r.exitCode).toBe(1);
    expect(r.all).toContain('SPARK_REVERSE_PROXY_URL: needs SPARK_AUTH_SECRET');
  });
});
