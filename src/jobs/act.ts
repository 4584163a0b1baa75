/**
 * The jobs commands' reads and actions on a cluster through a `SparkLink` (local, proxy or in the
 * space): find the leading master, list, show, kill, read and follow logs, wait for a driver. The
 * decisions are the pure functions of ./index.ts; this layer only asks and sends.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { fail, type DriverEnd } from '../errors.js';
import {
  appRows,
  driverEnd,
  dynoOfHost,
  driverRows,
  findJob,
  hostOfWorkerId,
  killFormOf,
  killRefusal,
  logPath,
  parseAppPage,
  parseLogChunk,
  superviseOf,
  type AppDetail,
  type AppRow,
  type DriverRow,
  type JobId,
  type JobsJson,
  type LogSource,
  type StageRow,
} from './index.js';
import type { SparkLink } from './link.js';

export interface Leader {
  dyno: string;
  backend: string;
  json: JobsJson;
}

async function json<T>(link: SparkLink, backend: string, path: string, timeoutMs?: number): Promise<T | { error: string }> {
  const res = await link.request(backend, path, { timeoutMs });
  if ('error' in res) return res;
  if (!res.ok) return { error: `HTTP ${res.status} for ${path}` };
  try {
    return (await res.json()) as T;
  } catch {
    return { error: `${path} is not JSON` };
  }
}

async function text(link: SparkLink, backend: string, path: string): Promise<string | { error: string }> {
  const res = await link.request(backend, path);
  if ('error' in res) return res;
  if (!res.ok) return { error: `HTTP ${res.status} for ${path}` };
  return res.text();
}

/**
 * The leading master (ALIVE) and its /json. A STANDBY master does not run the cluster's work, so
 * with several masters (ZooKeeper HA) every one is asked and the ALIVE one answers; none ALIVE is
 * cluster-unhealthy, naming what each said.
 */
export async function leader(link: SparkLink): Promise<Leader> {
  if (!link.masters.length) fail({ code: 'app-incomplete', message: `${link.where} has no master dyno: this is not a Spark cluster of spark-in-space (its Procfile needs master: bin/spark-master)` });
  const answers = await Promise.all(link.masters.map(async (m) => ({ ...m, json: await json<JobsJson>(link, m.backend, '/json/') })));
  const alive = answers.find((a) => !('error' in a.json) && a.json.status === 'ALIVE');
  if (alive) return alive as Leader;
  const said = answers.map((a) => `${a.dyno} ${'error' in a.json ? `unreadable (${a.json.error})` : !('workers' in a.json) ? 'answered with what is not a Spark master’s /json' : a.json.status}`);
  return fail({ code: 'cluster-unhealthy', app: link.where, problems: [`no master is ALIVE (a STANDBY master runs no work): ${said.join(', ')}`] });
}

const unknown = (l: Leader, id: JobId): never =>
  fail({
    code: 'job-unknown',
    id: id.id,
    where: `the leading master ${l.dyno}`,
    hint: `It knows ${(l.json.activeapps ?? []).length} running and ${(l.json.completedapps ?? []).length} completed applications, ${(l.json.activedrivers ?? []).length + (l.json.completeddrivers ?? []).length} drivers: see \`${id.kind === 'app' ? 'apps' : 'drivers'}\`. A master forgets the oldest (spark.deploy.retainedApplications/retainedDrivers) and, without ZooKeeper recovery, all of them when it restarts.`,
  });

/** The driver UIs of the running apps, from the master's application pages (in parallel). */
async function driverUis(link: SparkLink, l: Leader): Promise<Record<string, string | undefined>> {
  const active = l.json.activeapps ?? [];
  const pages = await Promise.all(active.map((a) => text(link, l.backend, `/app/?appId=${encodeURIComponent(a.id)}`)));
  return Object.fromEntries(active.map((a, i) => [a.id, typeof pages[i] === 'string' ? parseAppPage(pages[i]).ui : undefined]));
}

export async function listApps(link: SparkLink, completed: number): Promise<{ leader: Leader; apps: AppRow[] }> {
  const l = await leader(link);
  return { leader: l, apps: appRows(l.json, completed, await driverUis(link, l)) };
}

/** A worker's UI as a backend (host:port), by Spark's worker id, from the master's worker list. */
function workerBackend(l: Leader, workerId: string | undefined): string | undefined {
  const w = (l.json.workers ?? []).find((x) => x.id === workerId);
  const ui = w?.webuiaddress ? new URL(w.webuiaddress) : undefined;
  return ui ? `${ui.hostname}:${ui.port || 80}` : undefined;
}

export async function listDrivers(link: SparkLink, completed: number): Promise<{ leader: Leader; drivers: DriverRow[] }> {
  const l = await leader(link);
  const shown = driverRows(l.json, completed);
  // --supervise is in no JSON: the driver's launch command (its stderr's first line, on its worker) says it
  const supervised = await Promise.all(
    shown.map(async (d) => {
      const w = workerBackend(l, d.workerId);
      if (!w) return undefined;
      const t = await text(link, w, logPath({ kind: 'driver', id: d.id, workerUi: w, label: d.id }, 'stderr', 0, 16_384));
      const chunk = typeof t === 'string' ? parseLogChunk(t) : undefined;
      return chunk ? superviseOf(chunk.body) : undefined;
    }),
  );
  return { leader: l, drivers: driverRows(l.json, completed, Object.fromEntries(shown.map((d, i) => [d.id, supervised[i]]))) };
}

export async function showApp(link: SparkLink, id: JobId): Promise<AppDetail> {
  const l = await leader(link);
  if (!findJob(l.json, id)) unknown(l, id);
  // its page once: its executors, and its driver's UI while it runs
  const page = await text(link, l.backend, `/app/?appId=${encodeURIComponent(id.id)}`);
  const parsed = typeof page === 'string' ? parseAppPage(page) : { executors: [] };
  const app = appRows(l.json, Number.MAX_SAFE_INTEGER, { [id.id]: parsed.ui }).find((a) => a.id === id.id)!;
  const detail: AppDetail = { app, executors: parsed.executors, links: { master: link.show(l.backend, `/app/?appId=${app.id}`) } };
  const ui = app.ui;
  if (ui) {
    const u = new URL(ui);
    const backend = `${u.hostname}:${u.port || 80}`;
    detail.links.driver = link.show(backend, '/');
    const base = `/api/v1/applications/${encodeURIComponent(app.id)}/stages`;
    const [active, failed] = await Promise.all([json<StageRow[]>(link, backend, `${base}?status=active`), json<StageRow[]>(link, backend, `${base}?status=failed`)]);
    if (Array.isArray(active) && Array.isArray(failed)) detail.stages = { active, failed };
    else detail.stagesError = 'error' in active ? active.error : (failed as { error: string }).error;
  }
  return detail;
}

/**
 * Kills through the leading master's own kill endpoints (the UI's kill links: a form POST, behind
 * the proxy's basic auth and its cross-site checks), then watches the master until it says KILLED.
 */
export async function kill(link: SparkLink, id: JobId, o: { timeoutMs?: number; everyMs?: number } = {}): Promise<{ leader: Leader; state: string; ms: number }> {
  const l = await leader(link);
  const found = findJob(l.json, id) ?? unknown(l, id);
  if (!found.active) fail({ code: 'kill-failed', id: id.id, state: found.state, why: 'it had already ended' });
  const t0 = Date.now();
  // Spark 4.3 and later take a kill only with the CSRF token of the master's own kill forms: read it from its page (older ones ignore it)
  const page = await link.request(l.backend, '/');
  const form = 'error' in page || !page.ok ? {} : killFormOf(await page.text());
  const res = await link.request(l.backend, id.kind === 'app' ? '/app/kill/' : '/driver/kill/', { form: { id: id.id, terminate: 'true', ...(form.csrfToken ? { csrfToken: form.csrfToken } : {}) } });
  if ('error' in res) fail({ code: 'kill-failed', id: id.id, state: found.state, why: `the master did not take the request (${res.error})` });
  if (res.status >= 400) fail({ code: 'kill-failed', id: id.id, state: found.state, why: killRefusal(res.status, form) });
  let state = found.state;
  const deadline = t0 + (o.timeoutMs ?? 15_000);
  while (Date.now() < deadline) {
    const now = await json<JobsJson>(link, l.backend, '/json/', 5000);
    const f = 'error' in now ? undefined : findJob(now, id);
    if (f) state = f.state;
    if (f && !f.active) {
      if (f.state === 'KILLED') return { leader: l, state, ms: Date.now() - t0 };
      fail({ code: 'kill-failed', id: id.id, state: f.state, why: `it ended ${f.state} before the kill took effect` });
    }
    await sleep(o.everyMs ?? 300);
  }
  return fail({ code: 'kill-failed', id: id.id, state, why: `the master still ran it ${Math.round((o.timeoutMs ?? 15_000) / 1000)} s after the request` });
}

/** Where an app's or a driver's logs are: the driver's worker, or each executor's (or one's) worker. */
export async function logSources(link: SparkLink, id: JobId, executor?: string): Promise<{ leader: Leader; sources: LogSource[] }> {
  const l = await leader(link);
  const found = findJob(l.json, id) ?? unknown(l, id);
  if (id.kind === 'driver') {
    const w = workerBackend(l, found.worker);
    if (!w)
      fail({
        code: 'job-unknown',
        id: id.id,
        where: `a live worker`,
        hint: `It ran on ${found.worker ? hostOfWorkerId(found.worker) : 'no worker yet'}, which the master no longer lists: a worker dyno's logs go with it (a restart is a new dyno).`,
      });
    return { leader: l, sources: [{ kind: 'driver', id: id.id, workerUi: w, label: id.id }] };
  }
  const page = await text(link, l.backend, `/app/?appId=${encodeURIComponent(id.id)}`);
  const execs = typeof page === 'string' ? parseAppPage(page).executors : [];
  const chosen = executor === undefined ? execs : execs.filter((e) => e.id === executor);
  if (!chosen.length)
    fail({
      code: 'job-unknown',
      id: `${id.id}${executor === undefined ? '' : ` executor ${executor}`}`,
      where: `the leading master ${l.dyno}`,
      hint: execs.length ? `Its executors: ${execs.map((e) => e.id).join(', ')}.` : 'It has no executor on a live worker.',
    });
  return {
    leader: l,
    sources: chosen.map((e) => {
      const u = new URL(e.workerUi);
      return { kind: 'executor', app: id.id, executor: e.id, workerUi: `${u.hostname}:${u.port || 80}`, label: `executor ${e.id}` };
    }),
  };
}

/** Reading a log from where it was left: each call returns what was added since. */
export function logReader(link: SparkLink, source: LogSource, type: 'stdout' | 'stderr', chunk = 1 << 20) {
  let offset = 0;
  return async function read(): Promise<string | { error: string }> {
    let out = '';
    for (;;) {
      const t = await text(link, source.workerUi, logPath(source, type, offset, chunk));
      if (typeof t !== 'string') return out || t;
      const c = parseLogChunk(t);
      if (!c) return out || { error: `${source.workerUi} answered what is not a log` };
      // a log that shrank was replaced (rolled): read it again from its start
      if (c.total < offset) {
        offset = 0;
        continue;
      }
      out += c.body;
      offset = c.end;
      if (c.end >= c.total || c.body.length === 0) return out;
    }
  };
}

/** Writes text a line prefix at a time (several sources followed at once), or as it is (one). */
export const prefixed = (prefix: string | undefined, body: string) => (prefix ? body.replace(/^(?=.)/gm, `[${prefix}] `) : body);

/**
 * Prints the logs, and with `follow` keeps printing what is added until the job ends (or `stop()`
 * says so: Ctrl-C). Returns how it ended.
 */
export async function printLogs(
  link: SparkLink,
  id: JobId,
  sources: LogSource[],
  o: { type: 'stdout' | 'stderr'; follow: boolean; write: (s: string) => void; warn: (s: string) => void; stopped: () => boolean; everyMs?: number },
): Promise<'ended' | 'stopped' | 'printed'> {
  const readers = sources.map((s) => ({ s, read: logReader(link, s, o.type) }));
  const many = sources.length > 1;
  const drain = async () => {
    for (const r of readers) {
      const got = await r.read();
      if (typeof got === 'string') o.write(prefixed(many ? r.s.label : undefined, got));
      else o.warn(`${r.s.label}: its worker ${dynoOfHost(r.s.workerUi.replace(/:\d+$/, ''))} does not answer (${got.error}): a worker dyno's logs go with it`);
    }
  };
  await drain();
  if (!o.follow) return 'printed';
  for (;;) {
    if (o.stopped()) return 'stopped';
    const l = await leader(link).catch(() => undefined);
    const f = l && findJob(l.json, id);
    const ended = f !== undefined && !f.active;
    await drain();
    if (ended) return 'ended';
    await sleep(o.everyMs ?? 1000);
  }
}

/**
 * `submit --wait`: follows a driver until it ends, through failovers (a master that does not answer
 * for a while is waited for) and --supervise relaunches (a new driver id for the same main class).
 */
export async function waitForDriver(
  link: SparkLink,
  id: string,
  o: { followLogs: boolean; out: (s: string) => void; err: (s: string) => void; say: (s: string) => void; stopped: () => boolean; everyMs?: number; lostAfterMs?: number },
): Promise<{ id: string; state: DriverEnd | 'STOPPED' }> {
  let current = id;
  let lastSeen = Date.now();
  let quiet = false;
  let logs: { worker: string; out: () => Promise<string | { error: string }>; err: () => Promise<string | { error: string }> } | undefined;
  const drain = async () => {
    if (!logs) return;
    const [a, b] = await Promise.all([logs.out(), logs.err()]);
    if (typeof a === 'string') o.out(a);
    if (typeof b === 'string') o.err(b);
  };
  for (;;) {
    if (o.stopped()) return { id: current, state: 'STOPPED' };
    const l = await leader(link).catch((err: Error) => {
      if (!quiet) o.say(`no leading master answers (${err.message.split('\n').slice(-1)[0]!.replace(/^- /, '')}): waiting for one (a failover?)`);
      quiet = true;
      return undefined;
    });
    if (!l) {
      // a failover in progress: the standby takes over within a minute or two
      if (Date.now() - lastSeen > (o.lostAfterMs ?? 300_000)) return { id: current, state: 'LOST' };
      await sleep(o.everyMs ?? 1000);
      continue;
    }
    lastSeen = Date.now();
    quiet = false;
    const found = findJob(l.json, { kind: 'driver', id: current });
    if (found?.state === 'RELAUNCHING' && !found.active) {
      const main = [...(l.json.completeddrivers ?? []), ...(l.json.activedrivers ?? [])].find((d) => d.id === current)?.mainclass;
      const next = [...(l.json.activedrivers ?? []), ...(l.json.completeddrivers ?? [])].filter((d) => d.id > current && d.mainclass === main).sort((a, b) => a.id.localeCompare(b.id))[0];
      if (next) {
        await drain();
        o.say(`${current} is relaunched (--supervise) as ${next.id}`);
        current = next.id;
        logs = undefined;
        continue;
      }
    }
    if (o.followLogs && !logs && found?.worker) {
      const w = workerBackend(l, found.worker);
      if (w) {
        const source: LogSource = { kind: 'driver', id: current, workerUi: w, label: current };
        logs = { worker: w, out: logReader(link, source, 'stdout'), err: logReader(link, source, 'stderr') };
      }
    }
    await drain();
    const end = driverEnd(found);
    if (end) {
      await drain();
      return { id: current, state: end };
    }
    await sleep(o.everyMs ?? 1000);
  }
}
