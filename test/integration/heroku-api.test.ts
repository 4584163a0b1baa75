/**
 * The Platform API client (src/heroku/api.ts) and graceful cycling's watcher (src/heroku/cycling.ts)
 * against the fake Platform API (test/helpers/fake-heroku.ts), which validates every request and
 * response against Heroku's schema. The master here is a stand-in /json server; the same watcher
 * beside a real Spark master is in test/e2e/graceful-cycling.test.ts.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call, restartFormation } from '../../src/heroku/api.js';
import { runCycling } from '../../src/heroku/cycling.js';
import { startFakeHeroku, type FakeHeroku } from '../helpers/fake-heroku.js';

const TOKEN = 'HRKU-fake-token-0123456789abcdef';

describe('the fake Platform API', () => {
  let fake: FakeHeroku;
  beforeEach(async () => (fake = await startFakeHeroku({ token: TOKEN, apps: ['demo'] })));
  afterEach(() => fake.close());

  it('accepts a schema-valid restart of a formation and answers what the schema says (202, {})', async () => {
    const r = await call(restartFormation('demo', 'worker'), { baseUrl: fake.url, token: TOKEN });
    expect(r).toEqual({ ok: true, status: 202, body: {} });
    expect(fake.calls.map((c) => [c.method, c.path, c.route, c.accept])).toEqual([['DELETE', '/apps/demo/formations/worker', 'dyno:Restart formation', 'application/vnd.heroku+json; version=3']]);
    expect(fake.calls[0]!.authorization).toBe(`Bearer ${TOKEN}`);
    expect(fake.problems).toEqual([]);
  });

  it('catches requests that break the schema: a bad app name, an unknown route, a body where none belongs, a wrong Accept', async () => {
    await call(restartFormation('Not_An_App!', 'worker'), { baseUrl: fake.url, token: TOKEN, attempts: 1 });
    await call({ method: 'GET', path: '/apps/demo/no-such-thing' }, { baseUrl: fake.url, token: TOKEN, attempts: 1 });
    await call({ method: 'DELETE', path: '/apps/demo/formations/worker', body: { force: true } }, { baseUrl: fake.url, token: TOKEN, attempts: 1 });
    await fetch(`${fake.url}/apps/demo/formations/worker`, { method: 'DELETE', headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(fake.problems.join('\n')).toMatch(/path parameter "Not_An_App!"/);
    expect(fake.problems.join('\n')).toMatch(/no link of the Platform API schema matches/);
    expect(fake.problems.join('\n')).toMatch(/takes no body/);
    expect(fake.problems.join('\n')).toMatch(/Accept is "\*\/\*", not application\/vnd.heroku\+json; version=3/);
  });

  it('catches a response that breaks the targetSchema', async () => {
    fake.respond('dyno:Restart formation', { restarted: true });
    await call(restartFormation('demo', 'worker'), { baseUrl: fake.url, token: TOKEN });
    expect(fake.problems).toEqual([expect.stringMatching(/response breaks dyno:Restart formation's targetSchema/)]);
  });

  it('retries 429 and 5xx with backoff, not 401 or 404; errors keep Heroku’s id and never hold the token', async () => {
    fake.failNext('dyno:Restart formation', 429, 503);
    const retries: number[] = [];
    const ok = await call(restartFormation('demo', 'worker'), { baseUrl: fake.url, token: TOKEN, baseDelayMs: 50, onRetry: (r) => retries.push(r.status) });
    expect(ok.ok).toBe(true);
    expect(retries).toEqual([429, 503]);
    expect(fake.calls.map((c) => c.status)).toEqual([429, 503, 202]);

    const denied = await call(restartFormation('demo', 'worker'), { baseUrl: fake.url, token: 'HRKU-wrong-token-zzzzzzzz', baseDelayMs: 50 });
    expect(denied).toMatchObject({ ok: false, status: 401, id: 'unauthorized' });
    const missing = await call(restartFormation('other-app', 'worker'), { baseUrl: fake.url, token: TOKEN, baseDelayMs: 50 });
    expect(missing).toMatchObject({ ok: false, status: 404, id: 'not_found' });
    expect(fake.calls.map((c) => c.status)).toEqual([429, 503, 202, 401, 404]);
    expect(JSON.stringify([denied, missing])).not.toContain('HRKU');
    expect(fake.problems).toEqual([]);
  });
});

describe('graceful cycling’s watcher (stand-in master)', () => {
  let fake: FakeHeroku;
  let master: http.Server;
  let status = 'STANDBY';
  let masterPort = 0;
  const env = (extra: Record<string, string> = {}) => ({
    DYNO: 'master.1',
    HEROKU_DNS_APP_NAME: 'demo.app.localspace',
    HEROKU_DNS_DYNO_NAME: '1.master.demo.app.localspace',
    HEROKU_PRIVATE_IP: '127.0.0.1',
    HEROKU_API_URL: fake.url,
    SPARK_HEROKU_ACCESS_TOKEN: TOKEN,
    ...extra,
  });
  beforeEach(async () => {
    fake = await startFakeHeroku({ token: TOKEN, apps: ['demo'] });
    status = 'STANDBY';
    master = http.createServer((_, res) => res.end(JSON.stringify({ status })));
    await new Promise<void>((r) => master.listen(0, '127.0.0.1', () => r()));
    masterPort = (master.address() as AddressInfo).port;
  });
  afterEach(async () => {
    await fake.close();
    await new Promise((r) => master.close(r));
  });

  /** runCycling against the stand-in on its own port (the real one asks the dyno's IP on 8080) */
  const cycle = async (e: Record<string, string>, lines: string[]) => {
    const real = globalThis.fetch;
    globalThis.fetch = ((u: string | URL, init?: RequestInit) => real(String(u).replace(/^http:\/\/127\.0\.0\.1:8080\//, `http://127.0.0.1:${masterPort}/`), init)) as typeof fetch;
    try {
      return await runCycling(e, (l) => lines.push(l), { pollMs: 50, baseDelayMs: 50 });
    } finally {
      globalThis.fetch = real;
    }
  };

  it('makes no call while the master is not ALIVE, then exactly one restart of the worker formation', async () => {
    const lines: string[] = [];
    const done = cycle(env(), lines);
    await new Promise((r) => setTimeout(r, 400));
    expect(fake.calls).toEqual([]);
    status = 'ALIVE';
    const r = await done;
    expect(r?.ok).toBe(true);
    expect(fake.calls.map((c) => `${c.method} ${c.path}`)).toEqual(['DELETE /apps/demo/formations/worker']);
    expect(lines.join('\n')).toMatch(/restarted the worker dynos of demo \(HTTP 202\)/);
    expect(lines.join('\n')).not.toContain(TOKEN);
    expect(fake.problems).toEqual([]);
  });

  it('a refused token is one warning naming the var, never the token; a missing one does nothing but warn', async () => {
    status = 'ALIVE';
    const lines: string[] = [];
    await cycle(env({ SPARK_HEROKU_ACCESS_TOKEN: 'HRKU-revoked-token-987654321' }), lines);
    expect(lines.filter((l) => l.startsWith('WARNING'))).toEqual([expect.stringMatching(/refused SPARK_HEROKU_ACCESS_TOKEN \(HTTP 401 unauthorized\)/)]);
    expect(lines.join('\n')).not.toContain('revoked-token');
    const none: string[] = [];
    await cycle(env({ SPARK_HEROKU_ACCESS_TOKEN: '' }), none);
    expect(none).toEqual([expect.stringMatching(/^WARNING: graceful cycling is off: SPARK_HEROKU_ACCESS_TOKEN is not set/)]);
    expect(fake.calls).toHaveLength(1);
  });

  it('does nothing with ZooKeeper: the masters recover the workers themselves', async () => {
    const lines: string[] = [];
    await cycle(env({ SPARK_MASTERS: '2', SPARK_ZOOKEEPERS: '3' }), lines);
    expect(lines).toEqual([expect.stringMatching(/not needed/)]);
    expect(fake.calls).toEqual([]);
  });
});
