/**
 * A fake Heroku Platform API on 127.0.0.1 for tests. Every request it receives is matched to a
 * link of ../shared/heroku/platform-api-schema.json (method and href template) and validated:
 * the v3 Accept header, path parameters against their identity schemas, the body against the
 * link's `schema`. Every response it sends is validated against the link's `targetSchema` (errors
 * against Heroku's error shape); a response that does not validate fails the test through
 * `problems`. Calls are recorded; tests queue 401/404/429/5xx answers with `failNext`.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvDraft04 from 'ajv-draft-04';
import { addApp, answer, newWorld, raw as rawAnswer, type World } from './fake-heroku-world.js';
import ajvFormats from 'ajv-formats';

// CommonJS packages: their classes are the `default` export
const Ajv = AjvDraft04.default;
const addFormats = ajvFormats.default;

/** Heroku's published schema, as ../shared/heroku/platform-api-schema.json holds it (copied here so a clean clone has it) */
export const SCHEMA_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/heroku/platform-api-schema.json');

type Json = Record<string, unknown>;
interface Link {
  href: string;
  method: string;
  title: string;
  schema?: Json;
  targetSchema?: Json;
}

export interface Call {
  method: string;
  path: string;
  /** `definition:title`, e.g. `dyno:Restart formation`; undefined when no link matches */
  route?: string;
  authorization?: string;
  accept?: string;
  body?: unknown;
  status: number;
}

export interface FakeHeroku {
  url: string;
  calls: Call[];
  /** requests and responses that broke the schema: a test expects this to stay empty */
  problems: string[];
  /** the next answers to `route` (or '*'), before the normal one: e.g. failNext('dyno:Restart formation', 429, 429) */
  failNext(route: string, ...statuses: number[]): void;
  /** answer `route` with this body (validated against the link's targetSchema) */
  respond(route: string, body: unknown, status?: number): void;
  /** the next `route` request gets its connection closed without an answer (a network error) */
  dropNext(route: string, times?: number): void;
  /** the next `route` request is carried out, then its connection closed before the answer (Heroku acted; the client cannot know) */
  dropAnswerNext(route: string, times?: number): void;
  /** the stateful answers of the CLI's commands, when started with one */
  world?: World;
  close(): Promise<void>;
}

const ERROR_SCHEMA = { type: 'object', required: ['id', 'message'], properties: { id: { type: 'string' }, message: { type: 'string' }, url: { type: 'string' } } };
const ERROR_IDS: Record<number, [string, string]> = {
  401: ['unauthorized', 'Invalid credentials provided.'],
  403: ['forbidden', 'You do not have access to the app.'],
  404: ['not_found', 'Couldn’t find that app.'],
  429: ['rate_limit', 'Your account reached the API rate limit. Please wait a few minutes before making new requests.'],
  500: ['internal_server_error', 'Internal server error.'],
  503: ['service_unavailable', 'The API is temporarily unavailable.'],
};

export async function startFakeHeroku(o: { token: string; apps?: string[]; world?: World }): Promise<FakeHeroku> {
  // `example` values are documentation; some hold objects with an `id`, which a draft-04 validator would take for schema ids
  const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8'), (k, v) => (k === 'example' ? undefined : v)) as Json & { id: string; definitions: Record<string, Json & { links?: Link[] }> };
  const base = schema.id.replace(/#$/, '');
  // the interagent hyper-schema is JSON Schema draft-04 plus links: validated with draft-04's rules
  delete schema.$schema;
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true, validateSchema: false });
  addFormats(ajv);
  ajv.addSchema(schema, base);
  const ref = (pointer: string) => ajv.compile({ $ref: `${base}#${pointer}` });
  const errorOf = ajv.compile(ERROR_SCHEMA);

  // href template → regex; each {(%23…)} is a path parameter whose schema is the decoded pointer
  const routes = Object.entries(schema.definitions).flatMap(([def, d]) =>
    (d.links ?? []).map((l, i) => {
      const params: string[] = [];
      const rx = l.href.replace(/\{\(([^)]+)\)\}/g, (_, p: string) => {
        params.push(decodeURIComponent(p).replace(/^#/, ''));
        return '([^/]+)';
      });
      return { route: `${def}:${l.title}`, def, index: i, link: l, rx: new RegExp(`^${rx}$`), params };
    }),
  );

  const calls: Call[] = [];
  const problems: string[] = [];
  const failures = new Map<string, number[]>();
  const bodies = new Map<string, { body: unknown; status: number }>();
  const apps = new Set(o.apps ?? []);
  const drops = new Map<string, number>();
  const answerDrops = new Map<string, number>();
  let selfUrl = '';

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const data = Buffer.concat(chunks);
      const raw = url.pathname.startsWith('/_') ? '' : data.toString('utf8');
      // source blobs and build output streams live outside the API, as on S3 and Heroku's build streams
      const direct = o.world && rawAnswer(o.world, req.method ?? '', url.pathname, data);
      if (direct) {
        res.writeHead(direct.status, { 'Content-Type': 'application/octet-stream' });
        res.end(direct.body);
        return;
      }
      const match = routes.find((r) => r.link.method === req.method && r.rx.test(url.pathname));
      const call: Call = { method: req.method ?? '', path: url.pathname, route: match?.route, authorization: req.headers.authorization, accept: req.headers.accept, status: 0 };
      calls.push(call);
      const send = (status: number, body: unknown) => {
        const dropAnswer = match ? (answerDrops.get(match.route) ?? 0) : 0;
        if (dropAnswer > 0 && status < 400) {
          answerDrops.set(match!.route, dropAnswer - 1);
          call.status = -2;
          req.socket.destroy();
          return;
        }
        call.status = status;
        if (status >= 400) {
          if (!errorOf(body)) problems.push(`${call.method} ${call.path}: error body breaks Heroku's error shape: ${ajv.errorsText(errorOf.errors)}`);
        } else if (match) {
          const pointer = match.link.targetSchema ? `/definitions/${match.def}/links/${match.index}/targetSchema` : `/definitions/${match.def}`;
          const v = ref(pointer);
          if (!v(body)) problems.push(`${call.method} ${call.path}: response breaks ${match.route}'s targetSchema: ${ajv.errorsText(v.errors)}`);
        }
        res.writeHead(status, { 'Content-Type': 'application/json', 'RateLimit-Remaining': '4500', 'Request-Id': `fake-${calls.length}` });
        res.end(JSON.stringify(body));
      };
      const error = (status: number) => send(status, { id: ERROR_IDS[status]?.[0] ?? 'error', message: ERROR_IDS[status]?.[1] ?? `HTTP ${status}` });

      if (!match) {
        problems.push(`${call.method} ${call.path}: no link of the Platform API schema matches`);
        return error(404);
      }
      if (req.headers.accept !== 'application/vnd.heroku+json; version=3')
        problems.push(`${call.method} ${call.path}: Accept is "${req.headers.accept ?? ''}", not application/vnd.heroku+json; version=3`);
      const values = match.rx.exec(url.pathname)!.slice(1).map(decodeURIComponent);
      match.params.forEach((p, i) => {
        const v = ref(p);
        if (!v(values[i])) problems.push(`${call.method} ${call.path}: path parameter "${values[i]}" breaks ${p}: ${ajv.errorsText(v.errors)}`);
      });
      if (raw) {
        try {
          call.body = JSON.parse(raw);
        } catch {
          problems.push(`${call.method} ${call.path}: the body is not JSON`);
        }
      }
      if (match.link.schema) {
        const v = ref(`/definitions/${match.def}/links/${match.index}/schema`);
        if (!v(call.body ?? {})) problems.push(`${call.method} ${call.path}: request body breaks ${match.route}'s schema: ${ajv.errorsText(v.errors)}`);
      } else if (raw) problems.push(`${call.method} ${call.path}: ${match.route} takes no body`);

      const dropping = drops.get(match.route) ?? 0;
      if (dropping > 0) {
        drops.set(match.route, dropping - 1);
        call.status = -1;
        req.socket.destroy();
        return;
      }
      const queued = failures.get(match.route)?.shift() ?? failures.get('*')?.shift();
      if (queued) return error(queued);
      if (req.headers.authorization !== `Bearer ${o.token}`) return error(401);
      const app = url.pathname.split('/')[1] === 'apps' ? values[0] : undefined;
      if (app && apps.size && !apps.has(app) && !o.world) return error(404);
      const canned = bodies.get(match.route);
      if (canned) return send(canned.status, canned.body);
      const a = o.world && answer(o.world, selfUrl, match.route, values, call.body as Record<string, unknown> | undefined);
      if (a) return 'error' in a ? send(a.error, { id: a.id ?? ERROR_IDS[a.error]?.[0] ?? 'error', message: a.message ?? ERROR_IDS[a.error]?.[1] ?? `HTTP ${a.error}` }) : send(a.status, a.body);
      // what Heroku answers to the calls the product makes; anything else needs `respond`
      if (match.link.targetSchema && JSON.stringify(match.link.targetSchema) === JSON.stringify({ additionalProperties: false, type: ['object'] })) return send(202, {});
      problems.push(`${call.method} ${call.path}: the fake has no answer for ${match.route} (use respond())`);
      return error(500);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  selfUrl = `http://127.0.0.1:${port}`;
  return {
    url: selfUrl,
    world: o.world,
    dropNext: (route, times = 1) => drops.set(route, (drops.get(route) ?? 0) + times),
    dropAnswerNext: (route, times = 1) => answerDrops.set(route, (answerDrops.get(route) ?? 0) + times),
    calls,
    problems,
    failNext: (route, ...statuses) => failures.set(route, [...(failures.get(route) ?? []), ...statuses]),
    respond: (route, body, status = 200) => bodies.set(route, { body, status }),
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** The fake Platform API with one cluster app whose config has the proxy's password, as `deploy` leaves it (the jobs commands' "on Heroku" side). */
export async function fakeHerokuWithApp(token: string, app: string, password: string): Promise<FakeHeroku> {
  const fake = await startFakeHeroku({ token, world: newWorld() });
  addApp(fake.world!, app, { config: { SPARK_MASTERS: '1', SPACE_PROXY_PASSWORD: password } });
  return fake;
}

/** Closes the fake after a file, failing it when any request or answer broke Heroku's schema. */
export async function closeFakeHeroku(fake: FakeHeroku | undefined): Promise<void> {
  if (!fake) return;
  const problems = [...fake.problems];
  await fake.close();
  if (problems.length) throw new Error(`requests or answers that break Heroku's schema:\n${problems.join('\n')}`);
}
