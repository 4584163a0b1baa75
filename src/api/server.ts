/**
 * The API's HTTP server: routes, authentication, CORS, body limits, Idempotency-Key, and one error
 * handler that turns every failure into a JSON error with a stable code (never a stack trace).
 * Statements go to ./statements.ts, batches to the master (../jobs, ./batches.ts).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isProblem } from '../errors.js';
import { findJob, logPath, parseLogChunk, submittedDriver, type JobsJson } from '../jobs/index.js';
import { kill, leader, logSources } from '../jobs/act.js';
import type { SparkLink } from '../jobs/link.js';
import { ApiAuth, PROXY_PROOF_HEADER } from './auth.js';
import { batchName, batchView, fileOf, submitArgv, type BatchRecord } from './batches.js';
import { fingerprint, validKey, type IdempotencyStore } from './idempotency.js';
import { openApiDocument } from './openapi.js';
import { ApiError, LIMITS, batchRequest, parseBody, statementRequest, waitSchema } from './shapes.js';
import type { Statements } from './statements.js';

export interface ApiDeps {
  token: string;
  statements: Statements;
  link: SparkLink;
  idempotency: IdempotencyStore;
  corsOrigins?: string[];
  /** the app dir (the slug): batch files by path, bin/spark-submit */
  appDir: string;
  s3a: boolean;
  submit: string;
  pythonBatch: string;
  /** the environment spark-submit runs with (the batch's secrets only) */
  submitEnv: NodeJS.ProcessEnv;
  say: (line: string) => void;
}

interface Answer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

const json = (status: number, body: unknown): Answer => ({ status, body: typeof body === 'string' ? body : JSON.stringify(body) });

/** Reads a JSON body of at most LIMITS.bodyBytes. */
async function readBody(req: http.IncomingMessage): Promise<{ raw: string; value: unknown }> {
  const type = String(req.headers['content-type'] ?? '');
  if (!/^application\/(.+\+)?json\b/i.test(type)) throw new ApiError('unsupported-media-type', `send the body as JSON with Content-Type: application/json (got ${type ? `"${type}"` : 'none'})`);
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > LIMITS.bodyBytes) throw new ApiError('body-too-large', `the body is ${declared} bytes; at most ${LIMITS.bodyBytes} are taken`, { limit: LIMITS.bodyBytes });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > LIMITS.bodyBytes) throw new ApiError('body-too-large', `the body is over ${LIMITS.bodyBytes} bytes`, { limit: LIMITS.bodyBytes });
    chunks.push(c);
  }
  const raw = Buffer.concat(chunks).toString('utf8');
  try {
    return { raw, value: JSON.parse(raw) };
  } catch (err) {
    throw new ApiError('malformed-json', `the body is not JSON: ${(err as Error).message}`);
  }
}

const ID = /^[A-Za-z0-9-]{1,64}$/;

export function createApiServer(d: ApiDeps): http.Server {
  const auth = new ApiAuth(d.token);
  const batches = new Map<string, BatchRecord>();

  async function route(req: http.IncomingMessage, url: URL, method: string): Promise<Answer> {
    const parts = url.pathname.replace(/\/+$/, '').split('/').slice(3); // after /api/v1
    const [coll, id, sub] = parts;
    if (id !== undefined && !ID.test(id)) throw new ApiError('not-found', `no ${coll?.replace(/s$/, '')} ${id}`);
    const allow = (...m: string[]) => {
      if (!m.includes(method)) throw new ApiError('method-not-allowed', `${method} is not allowed on ${url.pathname} (allowed: ${m.join(', ')})`);
    };
    if (coll === 'openapi.json' && parts.length === 1) {
      allow('GET');
      return json(200, openApiDocument());
    }
    if (coll === 'statements') {
      if (id === undefined) {
        allow('POST');
        return idempotent(req, method, url, async (body) => {
          const r = parseBody(statementRequest, body);
          const s = await d.statements.submit(r);
          if (s.state !== 'SUCCEEDED') return json(s.state === 'RUNNING' || s.state === 'PENDING' ? 202 : 200, d.statements.view(s));
          return json(200, d.statements.view(s, (await d.statements.page(s.id, 0)).rows));
        });
      }
      if (sub === undefined) {
        allow('GET', 'DELETE');
        if (method === 'DELETE') return json(200, d.statements.view(await d.statements.cancel(id)));
        const s = d.statements.get(id);
        const wait = url.searchParams.get('wait');
        if (wait !== null) {
          const w = waitSchema.safeParse(wait);
          if (!w.success) throw new ApiError('invalid-request', `wait ${w.error.issues[0]!.message}`, { field: 'wait' });
          await d.statements.wait(s, w.data);
        }
        if (s.state !== 'SUCCEEDED') return json(200, d.statements.view(s));
        return json(200, d.statements.view(s, (await d.statements.page(id, 0)).rows));
      }
      if (sub === 'result' && parts.length === 3) {
        allow('GET');
        const pageText = url.searchParams.get('page') ?? '0';
        if (!/^\d{1,9}$/.test(pageText)) throw new ApiError('invalid-request', `page must be a page number (0, 1, …), not "${pageText}"`, { field: 'page' });
        const n = Number(pageText);
        const p = await d.statements.page(id, n);
        return json(200, d.statements.pageView(p.s, n, p.rows));
      }
    }
    if (coll === 'batches') {
      if (id === undefined) {
        allow('GET', 'POST');
        if (method === 'GET') {
          const l = await master();
          const drivers = [...(l.activedrivers ?? []), ...(l.completeddrivers ?? [])].sort((a, b) => b.id.localeCompare(a.id)).slice(0, 100);
          return json(200, { batches: drivers.map((x) => batchView(x.id, l, batches.get(x.id))) });
        }
        return idempotent(req, method, url, async (body) => submitBatch(body));
      }
      if (sub === undefined) {
        allow('GET', 'DELETE');
        if (method === 'DELETE') {
          try {
            await kill(d.link, { kind: 'driver', id });
          } catch (err) {
            if (isProblem(err, 'job-unknown')) throw new ApiError('not-found', `no batch ${id} on the cluster's master`);
            if (isProblem(err, 'kill-failed')) throw new ApiError('conflict', err.message.split('\n')[0]!, { state: (err.problem as { state: string }).state });
            throw err;
          }
          return json(200, batchView(id, await master(), batches.get(id)));
        }
        const l = await master();
        if (!findJob(l, { kind: 'driver', id }) && !batches.has(id)) throw new ApiError('not-found', `no batch ${id} on the cluster's master`);
        return json(200, batchView(id, l, batches.get(id)));
      }
      if (sub === 'log' && parts.length === 3) {
        allow('GET');
        return batchLog(id, url);
      }
    }
    throw new ApiError('not-found', `no such endpoint: ${method} ${url.pathname} (GET /api/v1/openapi.json lists them)`);
  }

  async function master(): Promise<JobsJson> {
    try {
      return (await leader(d.link)).json;
    } catch (err) {
      throw new ApiError('cluster-unavailable', `no leading master answered: ${(err as Error).message.split('\n')[0]}`);
    }
  }

  async function submitBatch(body: unknown): Promise<Answer> {
    const r = parseBody(batchRequest, body);
    const f = fileOf(r.file, { appDir: d.appDir, s3a: d.s3a, exists: existsSync });
    const argv = submitArgv(r, f, { submit: d.submit, pythonBatch: d.pythonBatch });
    const t0 = Date.now();
    const out = await run(argv, d.submitEnv);
    const id = submittedDriver(out.stderr);
    if (out.code !== 0 || !id) {
      const tail = out.stderr
        .split('\n')
        .filter((l) => /ERROR|Exception|refus|error:/i.test(l))
        .slice(-3)
        .join(' | ');
      throw new ApiError('submit-failed', `spark-submit exited ${out.code}${id ? '' : ' without a driver id'}: ${tail || 'see the api dyno’s log'}`);
    }
    const rec: BatchRecord = { id, name: batchName(r), file: r.file, className: r.className, submittedAt: new Date(t0).toISOString() };
    batches.set(id, rec);
    d.say(`batch ${id} (${rec.name}) submitted in ${Date.now() - t0} ms`);
    return json(201, batchView(id, await master().catch(() => undefined), rec));
  }

  async function batchLog(id: string, url: URL): Promise<Answer> {
    const stream = url.searchParams.get('stream') ?? 'stdout';
    if (stream !== 'stdout' && stream !== 'stderr') throw new ApiError('invalid-request', `stream must be stdout or stderr, not "${stream}"`, { field: 'stream' });
    const fromText = url.searchParams.get('from') ?? '0';
    if (!/^\d{1,15}$/.test(fromText)) throw new ApiError('invalid-request', `from must be a byte offset (0, 1024, …), not "${fromText}"`, { field: 'from' });
    let sources;
    try {
      sources = (await logSources(d.link, { kind: 'driver', id })).sources;
    } catch (err) {
      if (isProblem(err, 'job-unknown')) throw new ApiError('not-found', err.message.split('\n').slice(0, 2).join(' '));
      throw err;
    }
    const source = sources[0]!;
    const res = await d.link.request(source.workerUi, logPath(source, stream, Number(fromText), 1 << 20));
    if ('error' in res || !res.ok) throw new ApiError('cluster-unavailable', `the driver's worker did not give its log (${'error' in res ? res.error : `HTTP ${res.status}`})`);
    const c = parseLogChunk(await res.text());
    if (!c) throw new ApiError('cluster-unavailable', "the driver's worker answered what is not a log");
    return json(200, { id, stream, from: c.start, next: c.end, size: c.total, more: c.end < c.total, text: c.body });
  }

  /** Runs `work` once per Idempotency-Key (when the request has one). */
  async function idempotent(req: http.IncomingMessage, method: string, url: URL, work: (body: unknown) => Promise<Answer>): Promise<Answer> {
    const body = await readBody(req);
    const key = req.headers['idempotency-key'];
    if (key === undefined) return work(body.value);
    if (typeof key !== 'string' || !validKey(key)) throw new ApiError('invalid-request', 'Idempotency-Key must be 1–255 visible ASCII characters (a UUID is typical)', { field: 'Idempotency-Key' });
    const scoped = `${url.pathname} ${key}`;
    const claim = await d.idempotency.claim(scoped, fingerprint(method, url.pathname, body.raw));
    if (claim.kind === 'done') return { status: claim.status, body: claim.body, headers: { 'idempotent-replayed': 'true' } };
    if (claim.kind === 'pending') throw new ApiError('idempotency-in-progress', 'a request with this Idempotency-Key is still being answered: retry in a moment');
    if (claim.kind === 'mismatch') throw new ApiError('idempotency-key-reused', 'this Idempotency-Key was used for another request (another body) within 24 h: use a new key per request');
    let answer: Answer;
    try {
      answer = await work(body.value);
    } catch (err) {
      const e = toApiError(err, d.say);
      if (e.status >= 500) await d.idempotency.release(scoped).catch(() => {});
      else await d.idempotency.finish(scoped, e.status, JSON.stringify(e)).catch(() => {});
      throw e;
    }
    await d.idempotency.finish(scoped, answer.status, answer.body).catch((err: Error) => d.say(`WARNING: could not keep the Idempotency-Key's answer: ${err.message}`));
    return answer;
  }

  const server = http.createServer((req, res) => {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://api');
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
    const cors: Record<string, string> = origin && d.corsOrigins?.includes(origin) ? { 'access-control-allow-origin': origin, vary: 'Origin' } : {};
    const send = (a: Answer) => {
      if (res.headersSent) return;
      res.writeHead(a.status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...cors, ...a.headers });
      res.end(a.body);
    };
    const handle = async (): Promise<Answer> => {
      if (!url.pathname.startsWith('/api/v1/') && url.pathname !== '/api/v1') throw new ApiError('not-found', `no such endpoint: ${url.pathname} (the API is under /api/v1/)`);
      if (method === 'OPTIONS' && cors['access-control-allow-origin'])
        return {
          status: 204,
          body: '',
          headers: { 'access-control-allow-methods': 'GET, POST, DELETE', 'access-control-allow-headers': 'Authorization, Content-Type, Idempotency-Key', 'access-control-max-age': '600' },
        };
      const client = req.socket.remoteAddress ?? '';
      const proof = req.headers[PROXY_PROOF_HEADER];
      const verdict = auth.check(client, req.headers.authorization, typeof proof === 'string' ? proof : undefined);
      if (verdict === 'locked') throw new ApiError('locked-out', 'too many failed logins from this address: try again in 10 minutes');
      if (verdict === 'denied') throw new ApiError('unauthorized', 'send Authorization: Bearer <SPARK_API_TOKEN> (in the space), or the proxy’s user and password (through the web dyno)');
      return route(req, url, method);
    };
    handle().then(send, (err) => {
      const e = toApiError(err, d.say);
      send({ status: e.status, body: JSON.stringify(e), headers: e.code === 'unauthorized' ? { 'www-authenticate': 'Bearer realm="spark-in-space"' } : {} });
    });
  });
  server.headersTimeout = 30_000;
  server.requestTimeout = LIMITS.waitMs + 30_000;
  return server;
}

/** Every failure as an ApiError: ours as they are, anything else a 500 that says no more than it must. */
export function toApiError(err: unknown, say: (s: string) => void): ApiError {
  if (err instanceof ApiError) return err;
  if (isProblem(err, 'cluster-unhealthy')) return new ApiError('cluster-unavailable', err.message.split('\n')[0]!);
  say(`ERROR: ${(err as Error)?.stack ?? String(err)}`);
  return new ApiError('internal', 'the API failed to answer (its log says why)');
}

/** Runs a command; its exit code and the last 64 KB of its stderr. */
function run(argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-65_536)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('error', (err) => resolve({ code: 127, stderr: err.message }));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stderr });
    });
  });
}

export const listening = (s: http.Server) => (s.address() as AddressInfo).port;
