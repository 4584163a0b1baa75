/**
 * The HTTP API's edges with real parts: the space proxy (real nginx) in front of a stand-in api
 * dyno (who is sent what, which failures the proxy's lockout counts, Spark's own /api/v1 left to the
 * UIs), and the API server itself with a real PostgreSQL keeping Idempotency-Keys across a restart,
 * a stand-in master and a stand-in spark-submit (the real cluster is test/e2e/endpoints.test.ts's).
 */
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formation, parseProcfile } from '../../src/local/formation.js';
import { proxyProof } from '../../src/api/auth.js';
import { MemoryStore, PostgresStore } from '../../src/api/idempotency.js';
import { createApiServer, listening } from '../../src/api/server.js';
import { Statements } from '../../src/api/statements.js';
import { HiveClient } from '../../src/api/hive.js';
import { freePort } from '../helpers/cluster.js';
import { spaceLink } from '../../src/jobs/link.js';
import { parseDatabaseUrl, type Database } from '../../src/metastore/parse.js';
import { tmpdir } from '../helpers/buildpack.js';
import { startPostgres, type Postgres } from '../helpers/postgres.js';
import { fakeUi, startProxy, type ProxyUnderTest } from '../helpers/proxy.js';
import { until } from '../helpers/wait.js';

const basic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;

describe('space proxy: /api/v1/ (real nginx, a stand-in api dyno)', () => {
  const app = 'proxy-api';
  const api = formation(app, parseProcfile('api: x\n'), { api: 1 }).dynos[0]!;
  const password = 'api-proxy-password-1';
  const token = 'the-api-token-0123456789';
  let p: ProxyUnderTest;
  let server: http.Server;
  const seen: { path: string; auth?: string; proof?: string }[] = [];
  beforeAll(async () => {
    server = await fakeUi(api.ip, 8998, 'API', (req, res) => {
      seen.push({ path: req.url ?? '', auth: req.headers.authorization, proof: req.headers['x-spark-api-proxy'] as string | undefined });
      const ok = req.headers.authorization === `Bearer ${token}`;
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(JSON.stringify(ok ? { ok: true } : { error: { code: 'unauthorized' } }));
    });
    p = await startProxy(app, { SPACE_PROXY_PASSWORD: password, SPARK_API_TOKEN: token }, { extraNames: { [api.dns]: api.ip } });
  });
  afterAll(async () => {
    await p?.close();
    server?.close();
  });

  it("the proxy's users: checked by nginx, then sent to the api dyno with the API's token and the proxy's proof; nginx.conf, which holds the token, is 0600", async () => {
    expect((await fetch(`${p.url}/api/v1/statements`)).status).toBe(401);
    expect((await fetch(`${p.url}/api/v1/statements`, { headers: { authorization: basic('spark', 'wrong') } })).status).toBe(401);
    const r = await fetch(`${p.url}/api/v1/statements/abc?page=1`, { headers: { authorization: basic('spark', password) } });
    expect(r.status).toBe(200);
    expect(seen.at(-1)).toEqual({ path: '/api/v1/statements/abc?page=1', auth: `Bearer ${token}`, proof: proxyProof(token) });
    expect(statSync(path.join(p.dir, 'nginx.conf')).mode & 0o777).toBe(0o600);
    expect(p.proxy.all ?? '').not.toContain(token);
  });

  it("a bearer token is the API's to check, sent as it came; a cross-site POST is refused with basic auth, not with a bearer token", async () => {
    const r = await fetch(`${p.url}/api/v1/batches`, { method: 'POST', headers: { authorization: `Bearer ${token}`, origin: 'https://elsewhere.example', 'sec-fetch-site': 'cross-site' } });
    expect(r.status).toBe(200);
    expect(seen.at(-1)?.auth).toBe(`Bearer ${token}`);
    const wrong = await fetch(`${p.url}/api/v1/openapi.json`, { headers: { authorization: 'Bearer not-the-token-000000' } });
    expect(wrong.status).toBe(401);
    const csrf = await fetch(`${p.url}/api/v1/batches`, { method: 'POST', headers: { authorization: basic('spark', password), origin: 'https://elsewhere.example', 'sec-fetch-site': 'cross-site' } });
    expect(csrf.status).toBe(403);
  });

  it("Spark's own REST API (/api/v1/applications…) still goes to the UI backend, not the api dyno", async () => {
    const before = seen.length;
    const r = await fetch(`${p.url}/api/v1/applications`, { headers: { authorization: basic('spark', password) } });
    expect(await r.text()).toMatch(/^MASTER .* path=\/api\/v1\/applications/);
    expect(seen.length).toBe(before);
  });

  it('wrong bearer tokens through the proxy count as failed logins: past the limit the client is locked out (429)', async () => {
    const guess = (i: number) => fetch(`${p.url}/api/v1/openapi.json`, { headers: { authorization: `Bearer guess-${i}-0000000000` } });
    for (let i = 0; i < 31; i++) expect((await guess(i)).status).toBe(401);
    // the proxy renders its lockout map and reloads nginx: a moment later every request of the client is 429, the right password too
    await until('the lockout', async () => (await guess(99)).status === 429, 15_000, 200);
    expect((await fetch(`${p.url}/api/v1/statements`, { headers: { authorization: basic('spark', password) } })).status).toBe(429);
  });
});

describe('the API server: Idempotency-Keys in PostgreSQL outlive a restart (real PostgreSQL, stand-in master and spark-submit)', () => {
  let pg: Postgres;
  let db: Database;
  let masterUi: http.Server;
  const master = formation('api-idempotency', parseProcfile('master: x\n'), { master: 1 }).dynos[0]!;
  const dir = tmpdir('sis-api-it-');
  const count = path.join(dir, 'submits');
  const submit = path.join(dir, 'spark-submit');
  const drivers: { id: string; state: string; starttime: number; mainclass: string }[] = [];
  beforeAll(async () => {
    pg = await startPostgres();
    await pg.sql('postgres', 'CREATE DATABASE catalog');
    db = parseDatabaseUrl(pg.url('catalog')) as Database;
    writeFileSync(count, '');
    // a stand-in spark-submit: counts its calls and names a new driver, as Spark's client does
    writeFileSync(submit, `#!/usr/bin/env bash\necho x >> ${count}\nn=$(wc -l < ${count})\necho "INFO Driver successfully submitted as driver-20261207000000-000$n" >&2\n`);
    chmodSync(submit, 0o755);
    masterUi = await fakeUi(master.ip, 8080, 'MASTER', (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ALIVE', workers: [], activeapps: [], completedapps: [], activedrivers: drivers, completeddrivers: [] }));
    });
  });
  afterAll(async () => {
    masterUi?.close();
    await pg?.close();
  });

  const start = async (store: 'pg' | 'memory', corsOrigins?: string[], o: { statements?: Statements; masterIp?: string } = {}) => {
    const idempotency = store === 'pg' ? await PostgresStore.open(db) : new MemoryStore();
    const server = createApiServer({
      token: 'the-api-token-0123456789',
      statements: o.statements ?? ({} as Statements),
      link: spaceLink([o.masterIp ?? master.ip]),
      idempotency,
      corsOrigins,
      appDir: dir,
      s3a: false,
      submit,
      pythonBatch: path.join(dir, 'python-batch.jar'),
      submitEnv: process.env,
      say: () => {},
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${listening(server)}`, close: async () => (server.close(), await idempotency.close()) };
  };
  const post = (url: string, key: string, body: unknown) =>
    fetch(`${url}/api/v1/batches`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { authorization: 'Bearer the-api-token-0123456789', 'content-type': 'application/json', 'idempotency-key': key },
    });

  it('the same key after the api dyno restarts: the first answer, nothing submitted again; another body under it: 422; without a database a restart forgets it', async () => {
    writeFileSync(path.join(dir, 'job.jar'), 'jar');
    const body = { file: 'job.jar', className: 'a.Job' };
    const a = await start('pg');
    const first = await post(a.url, 'key-1', body);
    const answer = await first.text();
    expect(first.status, answer).toBe(201);
    expect(JSON.parse(answer).id).toBe('driver-20261207000000-0001');
    await a.close();
    const b = await start('pg');
    const again = await post(b.url, 'key-1', body);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.text()).toBe(answer);
    expect(readFileSync(count, 'utf8').trim().split('\n')).toHaveLength(1);
    const other = await post(b.url, 'key-1', { ...body, args: ['x'] });
    expect(other.status).toBe(422);
    expect(((await other.json()) as { error: { code: string } }).error.code).toBe('idempotency-key-reused');
    await b.close();
    expect(await pg.sql('catalog', 'SELECT count(*)::int AS n FROM spark_in_space_api_idempotency')).toEqual([{ n: 1 }]);
    const m1 = await start('memory');
    expect((await post(m1.url, 'key-2', body)).status).toBe(201);
    await m1.close();
    const m2 = await start('memory');
    expect(JSON.parse(await (await post(m2.url, 'key-2', body)).text()).id).toBe('driver-20261207000000-0003');
    await m2.close();
  });

  it('CORS: off unless SPARK_API_CORS_ORIGINS lists the origin; a listed origin’s preflight is answered, its requests still need the token', async () => {
    const off = await start('memory');
    const pre = (url: string, origin: string) => fetch(`${url}/api/v1/statements`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
    const r = await pre(off.url, 'https://dash.example.com');
    expect(r.status).toBe(401);
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
    await off.close();
    const on = await start('memory', ['https://dash.example.com']);
    const ok = await pre(on.url, 'https://dash.example.com');
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://dash.example.com');
    expect(ok.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    expect((await pre(on.url, 'https://evil.example.com')).headers.get('access-control-allow-origin')).toBeNull();
    const noToken = await fetch(`${on.url}/api/v1/batches`, { headers: { origin: 'https://dash.example.com' } });
    expect([noToken.status, noToken.headers.get('access-control-allow-origin')]).toEqual([401, 'https://dash.example.com']);
    await on.close();
  });

  it('no thrift dyno answering: 503 sql-server-unavailable at once; no master answering: 503 cluster-unavailable', async () => {
    const closed = await freePort();
    const a = await start('memory', undefined, { statements: new Statements(new HiveClient(`http://127.0.0.1:${closed}/cliservice`)), masterIp: '127.0.0.1' });
    const headers = { authorization: 'Bearer the-api-token-0123456789', 'content-type': 'application/json' };
    const t0 = Date.now();
    const r = await fetch(`${a.url}/api/v1/statements`, { method: 'POST', headers, body: JSON.stringify({ statement: 'SELECT 1' }) });
    const body = (await r.json()) as { error: { code: string; message: string } };
    expect([r.status, body.error.code]).toEqual([503, 'sql-server-unavailable']);
    expect(body.error.message).toMatch(/thrift/);
    expect(Date.now() - t0).toBeLessThan(5000);
    const b = await fetch(`${a.url}/api/v1/batches`, { headers });
    expect([b.status, ((await b.json()) as { error: { code: string } }).error.code]).toEqual([503, 'cluster-unavailable']);
    await a.close();
  });
});
