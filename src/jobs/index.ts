/**
 * The cluster's work as pure functions: a master's /json and pages become the rows `apps`,
 * `drivers`, `kill` and `logs` show; a worker's log chunk is read; a driver's end state becomes an
 * exit code. Reading and acting (locally or through the space proxy) is in ./link.ts and ./act.ts.
 */
import { DRIVER_END_EXIT, fail, type DriverEnd } from '../errors.js';
import { SPACE_SUFFIX, type MasterJson } from '../space/index.js';

/** An application as the master's /json describes it (activeapps, completedapps). */
export interface MasterApp {
  id: string;
  name: string;
  user?: string;
  cores?: number;
  memoryperexecutor?: number;
  memoryperslave?: number;
  starttime?: number;
  state?: string;
  duration?: number;
}

/** A cluster-mode driver as the master's /json describes it (activedrivers, completeddrivers). */
export interface MasterDriver {
  id: string;
  starttime?: string | number;
  state?: string;
  cores?: number;
  memory?: number;
  worker?: string;
  mainclass?: string;
}

/** The parts of a master's /json the jobs commands read, on top of what `status` reads. */
export type JobsJson = Omit<MasterJson, 'activeapps' | 'activedrivers'> & {
  activeapps?: MasterApp[];
  completedapps?: MasterApp[];
  activedrivers?: MasterDriver[];
  completeddrivers?: MasterDriver[];
};

export interface AppRow {
  id: string;
  name: string;
  user: string;
  /** cores granted now (0 once it ended) */
  cores: number;
  memoryPerExecutorMb: number;
  state: string;
  durationMs: number;
  started: string;
  /** the dyno its driver runs in (run.1, thrift.1; worker.2 for a cluster-mode driver), when the master says */
  driver?: string;
  /** the driver's web UI (from the master's application page), while it runs */
  ui?: string;
  active: boolean;
}

export interface DriverRow {
  id: string;
  mainClass: string;
  state: string;
  /** the worker dyno it runs on (worker.2), else Spark's worker id */
  worker: string;
  workerId: string;
  started: string;
  cores: number;
  memoryMb: number;
  /** --supervise (read from the driver's launch command on its worker; undefined when the worker cannot be asked) */
  supervise?: boolean;
  active: boolean;
}

export type JobId = { kind: 'app'; id: string } | { kind: 'driver'; id: string };

/** Pure: what an id names. Spark's ids: app-YYYYMMDDhhmmss-NNNN, driver-YYYYMMDDhhmmss-NNNN. */
export function jobId(id: string): JobId {
  if (/^app-\d{14}-\d{4,}$/.test(id)) return { kind: 'app', id };
  if (/^driver-\d{14}-\d{4,}$/.test(id)) return { kind: 'driver', id };
  return fail({ code: 'bad-input', message: `"${id}" is not an application or driver id: Spark's look like app-20261204213455-0000 or driver-20261204213538-0000 (see \`apps\` and \`drivers\`)` });
}

const iso = (ms: number | string | undefined) => {
  const n = Number(ms);
  return Number.isFinite(n) && n > 0 ? new Date(n).toISOString() : '';
};

/** Pure: `3.worker.demo.app.localspace` → `worker.3`; another name stays as it is. */
export function dynoOfHost(host: string): string {
  const m = new RegExp(`^(\\d+)\\.([a-z][a-z0-9_-]*)\\.[a-z0-9-]+\\.${SPACE_SUFFIX.replace('.', '\\.')}$`).exec(host);
  return m ? `${m[2]}.${m[1]}` : host;
}

/** Pure: a worker id (worker-20261204213446-2.worker.demo.app.localspace-40045) → its host. */
export const hostOfWorkerId = (id: string) => /^worker-\d+-(.+)-\d+$/.exec(id)?.[1] ?? id;

/** Pure: running ones first, then the `completed` newest completed ones, each list in `newest` order (the master's JSON left as it is). */
function listing<T, R>(active: T[] | undefined, done: T[] | undefined, completed: number, newest: (x: T, y: T) => number, row: (x: T, active: boolean) => R): R[] {
  return [
    ...[...(active ?? [])].sort(newest).map((x) => row(x, true)),
    ...[...(done ?? [])]
      .sort(newest)
      .slice(0, completed)
      .map((x) => row(x, false)),
  ];
}

/** Pure: the apps the master knows, running first (newest first), then the `completed` newest completed ones. */
export function appRows(json: JobsJson, completed = 10, driverOf: Record<string, string | undefined> = {}): AppRow[] {
  const row = (a: MasterApp, active: boolean): AppRow => ({
    id: a.id,
    name: a.name,
    user: a.user ?? '',
    cores: a.cores ?? 0,
    memoryPerExecutorMb: a.memoryperexecutor ?? a.memoryperslave ?? 0,
    state: a.state ?? (active ? 'RUNNING' : 'FINISHED'),
    durationMs: a.duration ?? 0,
    started: iso(a.starttime),
    driver: driverOf[a.id] && dynoOfHost(new URL(driverOf[a.id]!).hostname),
    ui: active ? driverOf[a.id] : undefined,
    active,
  });
  const newest = (x: MasterApp, y: MasterApp) => (y.starttime ?? 0) - (x.starttime ?? 0);
  return listing(json.activeapps, json.completedapps, completed, newest, row);
}

/** Pure: the cluster-mode drivers the master knows, running first, then the `completed` newest completed ones. */
export function driverRows(json: JobsJson, completed = 10, supervised: Record<string, boolean | undefined> = {}): DriverRow[] {
  const row = (d: MasterDriver, active: boolean): DriverRow => ({
    id: d.id,
    mainClass: d.mainclass ?? '',
    state: d.state ?? 'UNKNOWN',
    worker: d.worker ? dynoOfHost(hostOfWorkerId(d.worker)) : '',
    workerId: d.worker ?? '',
    started: iso(d.starttime),
    cores: d.cores ?? 0,
    memoryMb: d.memory ?? 0,
    supervise: supervised[d.id],
    active,
  });
  const newest = (x: MasterDriver, y: MasterDriver) => y.id.localeCompare(x.id);
  return listing(json.activedrivers, json.completeddrivers, completed, newest, row);
}

/** Pure: an app or driver on the master, and whether it still runs. */
export function findJob(json: JobsJson, id: JobId): { state: string; active: boolean; worker?: string } | undefined {
  if (id.kind === 'app') {
    const a = (json.activeapps ?? []).find((x) => x.id === id.id);
    if (a) return { state: a.state ?? 'RUNNING', active: true };
    const c = (json.completedapps ?? []).find((x) => x.id === id.id);
    return c && { state: c.state ?? 'FINISHED', active: false };
  }
  const d = (json.activedrivers ?? []).find((x) => x.id === id.id);
  if (d) return { state: d.state ?? 'UNKNOWN', active: true, worker: d.worker };
  const c = (json.completeddrivers ?? []).find((x) => x.id === id.id);
  return c && { state: c.state ?? 'UNKNOWN', active: false, worker: c.worker };
}

/** Pure: a driver's state as `submit --wait` ends on it; undefined while it has not ended (SUBMITTED, RUNNING, RELAUNCHING). */
export function driverEnd(found: { state: string } | undefined): DriverEnd | undefined {
  if (!found) return 'LOST';
  if (found.state === 'UNKNOWN') return 'LOST';
  return Object.hasOwn(DRIVER_END_EXIT, found.state) ? (found.state as DriverEnd) : undefined;
}

/** Pure: the driver id spark-submit's standalone client prints (`Driver successfully submitted as driver-…`). */
export const submittedDriver = (text: string) => /Driver successfully submitted as (driver-\d{14}-\d{4,})/.exec(text)?.[1];

const decode = (s: string) =>
  s
    .replace(/<[^>]*>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/\s+/g, ' ')
    .trim();

export interface ExecutorRow {
  id: string;
  /** the worker's UI address, http://2.worker.demo.app.localspace:8081 */
  workerUi: string;
  worker: string;
  cores: string;
  memory: string;
  state: string;
}

/**
 * Pure: the master's application page (/app/?appId=…): the driver's UI (while it runs) and the
 * executors with their workers (each row links the worker's log page). Spark 3.x and 4.x lay it out alike.
 */
export function parseAppPage(html: string): { ui?: string; executors: ExecutorRow[] } {
  const ui = /<a href="([^"]+)">Application Detail UI<\/a>/.exec(html)?.[1];
  const executors: ExecutorRow[] = [];
  for (const tr of html.match(/<tr>[\s\S]*?<\/tr>/g) ?? []) {
    const log = /href="(https?:\/\/[^"/]+)\/logPage\/?\?appId=[^"&]+&amp;executorId=([^"&]+)&amp;logType=stdout"/.exec(tr);
    if (!log) continue;
    const cells = [...tr.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((m) => decode(m[1]!));
    // ExecutorID, Worker, Cores, Memory, [Resources,] State, Logs
    const state = cells.find((c, i) => i >= 4 && /^(LAUNCHING|RUNNING|KILLED|FAILED|LOST|EXITED|DECOMMISSIONED)$/.test(c)) ?? '';
    const memory = cells[3] ?? '';
    executors.push({ id: log[2]!, workerUi: log[1]!, worker: dynoOfHost(new URL(log[1]!).hostname), cores: cells[2] ?? '', memory: /^\d+$/.test(memory) ? `${memory} MB` : memory, state });
  }
  return { ui: ui && /^https?:\/\//.test(ui) ? ui : undefined, executors };
}

/** Pure: a worker's raw log answer (/log/?…): `==== Bytes A-B of N of <path> ====` then the bytes. The path is not kept. */
export function parseLogChunk(text: string): { start: number; end: number; total: number; body: string } | undefined {
  const m = /^==== Bytes (\d+)-(\d+) of (\d+) of .* ====\n/.exec(text);
  if (!m) return undefined;
  return { start: Number(m[1]), end: Number(m[2]), total: Number(m[3]), body: text.slice(m[0].length) };
}

/** A log a worker keeps: a cluster-mode driver's, or an executor's. */
export type LogSource = { kind: 'driver'; id: string; workerUi: string; label: string } | { kind: 'executor'; app: string; executor: string; workerUi: string; label: string };

/** Pure: the worker's raw-log path for `source` from `offset` (a chunk of `length` bytes at most). */
export function logPath(source: LogSource, type: 'stdout' | 'stderr', offset: number, length: number): string {
  const q = new URLSearchParams(source.kind === 'driver' ? { driverId: source.id } : { appId: source.app, executorId: source.executor });
  q.set('logType', type);
  q.set('offset', String(offset));
  q.set('byteLength', String(length));
  return `/log/?${q.toString()}`;
}

/** Pure: whether a driver's launch command (the first line of its stderr on the worker) asked for --supervise. Nothing else of it is kept. */
export const superviseOf = (stderrHead: string): boolean => /(^|\s)"?-Dspark\.driver\.supervise=true"?(\s|$)/m.test(stderrHead.split('\n').find((l) => l.startsWith('Launch Command:')) ?? '');

/** Pure: 5234567 ms → `1h 27m`, 65000 → `1m 5s`, 4000 → `4s`. */
export function durationText(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

const table = (rows: string[][]) => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
};

/** Pure: `apps` for people. */
export function renderApps(rows: AppRow[], master: string): string {
  if (!rows.length) return `No application on ${master}.\n`;
  return `${table([
    ['APP', 'NAME', 'USER', 'CORES', 'MEM/EXECUTOR', 'STATE', 'DURATION', 'DRIVER'],
    ...rows.map((r) => [r.id, r.name, r.user, String(r.cores), `${r.memoryPerExecutorMb} MB`, r.state, durationText(r.durationMs), r.driver ?? '-']),
  ])}\n`;
}

/** Pure: `drivers` for people. */
export function renderDrivers(rows: DriverRow[], master: string): string {
  if (!rows.length) return `No cluster-mode driver on ${master} (spark-submit --deploy-mode cluster starts one).\n`;
  return `${table([
    ['DRIVER', 'MAIN CLASS', 'STATE', 'WORKER', 'STARTED', 'SUPERVISE'],
    ...rows.map((r) => [r.id, r.mainClass, r.state, r.worker || '-', r.started.replace('T', ' ').replace(/\.\d+Z$/, 'Z'), r.supervise === undefined ? '?' : r.supervise ? 'yes' : 'no']),
  ])}\n`;
}

export interface AppDetail {
  app: AppRow;
  executors: ExecutorRow[];
  /** from the driver's REST API, when its UI answers */
  stages?: { active: StageRow[]; failed: StageRow[] };
  stagesError?: string;
  links: { master: string; driver?: string };
}

export interface StageRow {
  stageId: number;
  attemptId?: number;
  name: string;
  status: string;
  numTasks?: number;
  numActiveTasks?: number;
  numCompleteTasks?: number;
  numFailedTasks?: number;
  failureReason?: string;
}

/** Pure: `apps show` for people. */
export function renderAppDetail(d: AppDetail): string {
  const a = d.app;
  const out = [
    `=== ${a.id} ${a.name}: ${a.state}`,
    `User ${a.user || '-'}, ${a.cores} cores, ${a.memoryPerExecutorMb} MB per executor, started ${a.started || '?'}, ${durationText(a.durationMs)}${a.driver ? `, driver on ${a.driver}` : ''}`,
    '',
  ];
  out.push(d.executors.length ? table([['EXECUTOR', 'WORKER', 'CORES', 'MEMORY', 'STATE'], ...d.executors.map((e) => [e.id, e.worker, e.cores, e.memory, e.state])]) : 'No executor.');
  out.push('');
  if (d.stages) {
    const line = (s: StageRow) =>
      `  ${s.stageId}.${s.attemptId ?? 0} ${s.name}: ${s.numCompleteTasks ?? 0}/${s.numTasks ?? '?'} tasks done, ${s.numActiveTasks ?? 0} running, ${s.numFailedTasks ?? 0} failed${s.failureReason ? ` (${s.failureReason.split('\n')[0]})` : ''}`;
    out.push(d.stages.active.length ? `Stages running:\n${d.stages.active.map(line).join('\n')}` : 'No stage running.');
    out.push(d.stages.failed.length ? `Stages failed:\n${d.stages.failed.map(line).join('\n')}` : 'No stage failed.');
  } else if (a.active) out.push(`Stages: the driver's UI did not answer (${d.stagesError ?? 'no UI'}).`);
  out.push('', `Master UI: ${d.links.master}`);
  if (d.links.driver) out.push(`Driver UI: ${d.links.driver}`);
  return `${out.join('\n')}\n`;
}

/**
 * Pure: what the master's front page says for a kill: the CSRF token its kill forms carry (Spark 4.3
 * and later refuse a kill POST without it: `<input name="csrfToken" value="…" type="hidden">`,
 * attributes in any order) and the version in its header, for messages. No token on the page: an
 * older Spark (it takes the form without one) or no kill form at all (spark.ui.killEnabled=false).
 */
export function killFormOf(html: string): { csrfToken?: string; version?: string } {
  const input = [...html.matchAll(/<input\b[^>]*>/gi)].map((m) => m[0]).find((tag) => /\bname\s*=\s*["']csrfToken["']/i.test(tag));
  const csrfToken = input ? /\bvalue\s*=\s*["']([^"']*)["']/i.exec(input)?.[1] : undefined;
  const version = /<span class="version[^"]*"[^>]*>\s*(\d[\w.-]*)\s*<\/span>/.exec(html)?.[1];
  return { ...(csrfToken ? { csrfToken } : {}), ...(version ? { version } : {}) };
}

/** Pure: why a master refused a kill request, from its answer and what its front page carried. */
export function killRefusal(status: number, form: { csrfToken?: string; version?: string }): string {
  const spark = form.version ? `Spark ${form.version}` : 'this Spark';
  if (status === 403 && form.csrfToken)
    return `the master refused the request with its page's CSRF token (HTTP 403): ${spark}'s UI took neither the form with the token (4.3 and later) nor without it`;
  if (status === 403 || status === 405)
    return `the master refused the request (HTTP ${status}): ${spark}'s page carries no kill form to take a CSRF token from, so kills are off there (spark.ui.killEnabled=false?)`;
  return `the master refused the request (HTTP ${status})`;
}
