/**
 * The state behind the fake Platform API (fake-heroku.ts) for the CLI's Heroku commands: spaces,
 * dyno sizes, apps with formation, dynos and config vars, source blobs, app setups and builds.
 * An app setup reads app.json from the uploaded tarball, as Heroku does: formation, env (secret
 * generators), so tests check what `deploy` packed. Answers are validated by the fake against the
 * schema like every other; builds stream their output from /_streams/<id>.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { extract } from 'tar';

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
export type Outcome = 'succeeded' | 'failed';

export interface FakeApp {
  id: string;
  name: string;
  space?: string;
  web_url: string | null;
  formation: Record<string, { quantity: number; size: string }>;
  /** dyno name → state; absent dynos of the formation are `up` */
  dynoStates: Record<string, string>;
  config: Record<string, string>;
  dns: boolean;
  /** the app.json of its setup, as uploaded */
  manifest?: Record<string, unknown>;
}

export interface World {
  spaces: Record<string, { generation: 'cedar' | 'fir' }>;
  sizes: string[];
  apps: Map<string, FakeApp>;
  blobs: Map<string, Buffer>;
  /** what the next setup's or build's build ends as; its output lines */
  nextBuild: { outcome: Outcome; lines: string[]; failure?: string; manifestErrors?: string[] };
  /** GETs of a setup or build answered `pending` before the outcome */
  pendingPolls: number;
  /** web_url given to created apps (e.g. a real local proxy) */
  webUrl?: string;
  setups: Map<string, { id: string; app: string; polls: number; buildId: string; outcome: Outcome; failure?: string; manifestErrors?: string[] }>;
  builds: Map<string, { id: string; app: string; polls: number; outcome: Outcome; lines: string[]; version?: string }>;
}

export function newWorld(o: Partial<Pick<World, 'spaces' | 'sizes' | 'webUrl'>> = {}): World {
  return {
    spaces: o.spaces ?? { 'data-space': { generation: 'cedar' } },
    sizes: o.sizes ?? ['private-s', 'private-m', 'private-l', 'private-l-ram', 'private-xl', 'private-2xl'],
    apps: new Map(),
    blobs: new Map(),
    nextBuild: { outcome: 'succeeded', lines: ['-----> Installing Apache Spark 4.2.0 (hadoop3)', '       Verified SHA512', '-----> Launching...'] },
    pendingPolls: 1,
    webUrl: o.webUrl,
    setups: new Map(),
    builds: new Map(),
  };
}

export function addApp(w: World, name: string, o: Partial<FakeApp> = {}): FakeApp {
  const app: FakeApp = {
    id: randomUUID(),
    name,
    space: 'data-space',
    web_url: w.webUrl ?? `https://${name}-0123456789ab.herokuapp.com/`,
    formation: { master: { quantity: 1, size: 'Private-M' }, worker: { quantity: 2, size: 'Private-L' }, web: { quantity: 1, size: 'Private-S' } },
    dynoStates: {},
    config: { SPARK_MASTERS: '1', SPACE_PROXY_PASSWORD: 'proxy-password-0123' },
    dns: true,
    ...o,
  };
  w.apps.set(name, app);
  return app;
}

const ids = { space: '11111111-2222-4333-8444-555555555555', team: '22222222-3333-4444-8555-666666666666', account: '33333333-4444-4555-8666-777777777777' };

const appBody = (w: World, a: FakeApp) => ({
  id: a.id,
  name: a.name,
  web_url: a.web_url,
  space: a.space ? { id: ids.space, name: a.space, shield: false } : null,
  created_at: now(),
  updated_at: now(),
  owner: { id: ids.account, email: 'data@example.com' },
  region: { id: '44444444-5555-4666-8777-888888888888', name: 'virginia' },
  stack: { id: '55555555-6666-4777-8888-999999999999', name: 'heroku-24' },
  maintenance: false,
});
const canonicalSize = (s: string) =>
  s
    .split('-')
    .map((p) => (p === 'ram' ? 'RAM' : /^(s|m|l|xl|2xl)$/.test(p) ? p.toUpperCase() : p[0]!.toUpperCase() + p.slice(1)))
    .join('-');
const formationBody = (a: FakeApp) =>
  Object.entries(a.formation).map(([type, f]) => ({
    id: randomUUID(),
    app: { id: a.id, name: a.name },
    type,
    quantity: f.quantity,
    size: f.size,
    dyno_size: { id: randomUUID(), name: f.size },
    command: `bin/${type}`,
    created_at: now(),
    updated_at: now(),
  }));
const dynosBody = (a: FakeApp) =>
  Object.entries(a.formation).flatMap(([type, f]) =>
    Array.from({ length: f.quantity }, (_, i) => {
      const name = `${type}.${i + 1}`;
      return { id: randomUUID(), name, type, state: a.dynoStates[name] ?? 'up', size: f.size, app: { id: a.id, name: a.name }, command: `bin/${type}`, created_at: now(), updated_at: now() };
    }),
  );

type Answer = { status: number; body: unknown } | { error: number; message?: string; id?: string };

/** Reads app.json out of a source tarball the way the app setup does. */
function manifestOf(blob: Buffer): Record<string, unknown> | string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fake-heroku-src-'));
  try {
    const file = path.join(dir, 'src.tgz');
    writeFileSync(file, blob);
    extract({ file, cwd: dir, sync: true, filter: (p) => p === 'app.json' || p === './app.json' });
    try {
      return JSON.parse(readFileSync(path.join(dir, 'app.json'), 'utf8')) as Record<string, unknown>;
    } catch {
      return 'app.json is missing or is not JSON';
    }
  } catch (err) {
    return `the source is not a gzipped tarball: ${(err as Error).message}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const blobOf = (w: World, url: string) => w.blobs.get(url.split('/_blobs/')[1] ?? '');

/** The world's answer to a schema-matched request, or undefined when it has none. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- request bodies of every route, validated against the schema before they get here
export function answer(w: World, base: string, route: string, params: string[], body: Record<string, any> | undefined): Answer | undefined {
  const app = params[0] !== undefined ? w.apps.get(params[0]) : undefined;
  const needApp = (f: (a: FakeApp) => Answer): Answer => (app ? f(app) : { error: 404, id: 'not_found', message: 'Couldn’t find that app.' });
  switch (route) {
    case 'space:Info': {
      const s = w.spaces[params[0]!];
      if (!s) return { error: 404, id: 'not_found', message: 'Couldn’t find that space.' };
      return {
        status: 200,
        body: {
          id: ids.space,
          name: params[0],
          state: 'allocated',
          shield: false,
          region: { id: '44444444-5555-4666-8777-888888888888', name: 'virginia' },
          team: { id: ids.team, name: 'data-team' },
          organization: { name: 'data-team' },
          created_at: now(),
          updated_at: now(),
          cidr: '10.0.0.0/16',
          data_cidr: '10.2.0.0/16',
          generation: { id: randomUUID(), name: s.generation },
        },
      };
    }
    case 'dyno-size:Info': {
      const n = params[0]!.toLowerCase();
      if (!w.sizes.includes(n)) return { error: 404, id: 'not_found', message: 'Couldn’t find that dyno size.' };
      return { status: 200, body: { id: randomUUID(), name: canonicalSize(n), compute: 4, memory: 14, dedicated: true, private_space_only: true, precise_dyno_units: 0, architecture: 'amd64' } };
    }
    case 'app:Info':
      return needApp((a) => ({ status: 200, body: appBody(w, a) }));
    case 'app:Delete':
      return needApp((a) => {
        w.apps.delete(a.name);
        return { status: 200, body: appBody(w, a) };
      });
    case 'source:Create': {
      const id = randomBytes(8).toString('hex');
      return { status: 201, body: { source_blob: { get_url: `${base}/_blobs/${id}`, put_url: `${base}/_blobs/${id}` } } };
    }
    case 'app-setup:Create': {
      const blob = blobOf(w, body?.source_blob?.url ?? '');
      if (!blob) return { error: 422, id: 'invalid_params', message: 'source_blob.url could not be fetched.' };
      const manifest = manifestOf(blob);
      if (typeof manifest === 'string') return { error: 422, id: 'invalid_params', message: manifest };
      const spaceName: string | undefined = body?.app?.space;
      if (spaceName && !w.spaces[spaceName]) return { error: 422, id: 'invalid_params', message: `Couldn’t find that space: ${spaceName}.` };
      const name: string = body?.app?.name ?? `shrouded-${randomBytes(3).toString('hex')}-12345`;
      if (w.apps.has(name)) return { error: 422, id: 'invalid_params', message: 'Name is already taken' };
      const formation = Object.fromEntries(
        Object.entries((manifest.formation ?? {}) as Record<string, { quantity?: number; size?: string }>).map(([t, f]) => [
          t,
          { quantity: f.quantity ?? 1, size: canonicalSize(f.size ?? 'private-s') },
        ]),
      );
      const env = (manifest.env ?? {}) as Record<string, { value?: string; generator?: string }>;
      const config: Record<string, string> = Object.fromEntries(
        Object.entries(env).flatMap(([k, v]) => (v.generator === 'secret' ? [[k, randomBytes(32).toString('hex')]] : v.value !== undefined ? [[k, v.value]] : [])),
      );
      Object.assign(config, body?.overrides?.env ?? {});
      const a = addApp(w, name, { space: spaceName, formation, config, manifest });
      const id = randomUUID();
      const buildId = randomUUID();
      const nb = w.nextBuild;
      w.setups.set(id, { id, app: a.name, polls: 0, buildId, outcome: nb.outcome, failure: nb.failure, manifestErrors: nb.manifestErrors });
      w.builds.set(buildId, { id: buildId, app: a.name, polls: 0, outcome: nb.outcome, lines: nb.lines, version: body?.source_blob?.version });
      return { status: 202, body: setupBody(w, base, w.setups.get(id)!) };
    }
    case 'app-setup:Info': {
      const s = w.setups.get(params[0]!);
      if (!s) return { error: 404, id: 'not_found', message: 'Couldn’t find that app setup.' };
      s.polls++;
      return { status: 200, body: setupBody(w, base, s) };
    }
    case 'build:Create':
      return needApp((a) => {
        if (!blobOf(w, body?.source_blob?.url ?? '')) return { error: 422, id: 'invalid_params', message: 'source_blob.url could not be fetched.' };
        const id = randomUUID();
        w.builds.set(id, { id, app: a.name, polls: 0, outcome: w.nextBuild.outcome, lines: w.nextBuild.lines, version: body?.source_blob?.version });
        return { status: 201, body: buildBody(w, base, a, w.builds.get(id)!) };
      });
    case 'build:List':
      return needApp((a) => ({ status: 200, body: [...w.builds.values()].filter((b) => b.app === a.name).map((b) => buildBody(w, base, a, b)) }));
    case 'build:Info':
      return needApp((a) => {
        const b = w.builds.get(params[1]!);
        if (!b || b.app !== a.name) return { error: 404, id: 'not_found', message: 'Couldn’t find that build.' };
        b.polls++;
        return { status: 200, body: buildBody(w, base, a, b) };
      });
    case 'formation:List':
      return needApp((a) => ({ status: 200, body: formationBody(a) }));
    case 'formation:Info':
      return needApp((a) => {
        const f = formationBody(a).find((x) => x.type === params[1]);
        return f ? { status: 200, body: f } : { error: 404, id: 'not_found', message: `Couldn’t find that process type (${params[1]}).` };
      });
    case 'formation:Batch Update':
      return needApp((a) => {
        for (const u of body?.updates ?? []) {
          if (!a.formation[u.type]) return { error: 404, id: 'not_found', message: `Couldn’t find that process type (${u.type}).` };
          if (u.dyno_size?.name && !w.sizes.includes(String(u.dyno_size.name).toLowerCase()))
            return { error: 422, id: 'invalid_params', message: `Size ${u.dyno_size.name} is not a valid dyno size.` };
        }
        for (const u of body?.updates ?? []) {
          const f = a.formation[u.type]!;
          if (u.quantity !== undefined) f.quantity = u.quantity;
          if (u.dyno_size?.name) f.size = canonicalSize(u.dyno_size.name);
        }
        return { status: 200, body: formationBody(a) };
      });
    case 'dyno:List':
      return needApp((a) => ({ status: 200, body: dynosBody(a) }));
    case 'app:List':
      // the fake has one account: its token may access every app of the world
      return { status: 200, body: [...w.apps.values()].map((a) => appBody(w, a)) };
    case 'config-var:Info for App':
      return needApp((a) => ({ status: 200, body: a.config }));
    case 'app-feature:Info':
      return needApp((a) =>
        params[1] === 'spaces-dns-discovery'
          ? {
              status: 200,
              body: {
                id: randomUUID(),
                name: 'spaces-dns-discovery',
                enabled: a.dns,
                state: 'general',
                description: 'DNS service discovery',
                doc_url: 'https://devcenter.heroku.com/articles/dyno-dns-service-discovery',
                display_name: 'DNS Service Discovery',
                feedback_email: '',
                created_at: now(),
                updated_at: now(),
              },
            }
          : { error: 404, id: 'not_found', message: 'Couldn’t find that feature.' },
      );
    default:
      return undefined;
  }
}

function setupBody(w: World, base: string, s: World['setups'] extends Map<string, infer V> ? V : never) {
  const done = s.polls > w.pendingPolls;
  const b = w.builds.get(s.buildId)!;
  const status = done ? s.outcome : 'pending';
  const a = w.apps.get(s.app);
  return {
    id: s.id,
    created_at: now(),
    updated_at: now(),
    status,
    failure_message: done && s.outcome === 'failed' ? (s.failure ?? 'app setup build failed') : null,
    app: { id: a?.id ?? randomUUID(), name: s.app },
    build: { id: b.id, status: done ? b.outcome : 'pending', output_stream_url: `${base}/_streams/${b.id}` },
    manifest_errors: done ? (s.manifestErrors ?? []) : [],
    postdeploy: null,
    resolved_success_url: null,
  };
}

function buildBody(w: World, base: string, a: FakeApp, b: World['builds'] extends Map<string, infer V> ? V : never) {
  return {
    id: b.id,
    app: { id: a.id },
    status: b.polls > w.pendingPolls ? b.outcome : 'pending',
    output_stream_url: `${base}/_streams/${b.id}`,
    source_blob: { checksum: null, url: `${base}/_blobs/x`, version: b.version ?? null, version_description: null },
    user: { id: ids.account, email: 'data@example.com' },
    created_at: now(),
    updated_at: now(),
  };
}

/** The non-API URLs: PUT/GET of source blobs, build output streams. */
export function raw(w: World, method: string, pathname: string, data: Buffer): { status: number; body: string | Buffer } | undefined {
  const blob = /^\/_blobs\/([0-9a-f]+)$/.exec(pathname);
  if (blob && method === 'PUT') {
    w.blobs.set(blob[1]!, data);
    return { status: 200, body: '' };
  }
  if (blob && method === 'GET') return w.blobs.has(blob[1]!) ? { status: 200, body: w.blobs.get(blob[1]!)! } : { status: 404, body: 'no such blob' };
  const stream = /^\/_streams\/(.+)$/.exec(pathname);
  if (stream && method === 'GET') {
    const b = w.builds.get(stream[1]!);
    return b ? { status: 200, body: `${b.lines.join('\n')}\n${b.outcome === 'failed' ? ' !     Push rejected, failed to compile Spark app.\n' : ''}` } : { status: 404, body: '' };
  }
  return undefined;
}
