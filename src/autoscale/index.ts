/**
 * Autoscaling the worker formation, as pure functions: what the leading master says (its /json and
 * each running application's page) becomes a view of the cluster; `decide` turns the view, the
 * policy (SPARK_AUTOSCALE_*) and what happened before into one decision with its reason. The loop
 * that asks and acts (Platform API or the local space's control socket) is ./run.ts.
 */
import { dynoOfHost, type JobsJson } from '../jobs/index.js';

export interface Policy {
  min: number;
  max: number;
  /** a worker with no executor and no driver this long may go */
  idleMs: number;
  /** no decision acts within this long of the last one that did */
  cooldownMs: number;
}

export interface WorkerView {
  dyno: string;
  index: number;
  cores: number;
  coresUsed: number;
  /** runs a cluster-mode driver: never scaled down */
  hasDriver: boolean;
}

export interface ClusterView {
  /** the formation's worker quantity */
  quantity: number;
  /** the workers ALIVE on the leading master */
  workers: WorkerView[];
  /** applications with no executor yet (the master's WAITING) */
  waiting: string[];
  /** cores the running applications still ask for (up to spark.cores.max, else spark.deploy.defaultCores) and submitted drivers need */
  coresWanted: number;
  coresFree: number;
  /** a worker's cores: the largest ALIVE worker's (1 when none is) */
  coresPerWorker: number;
}

export interface History {
  /** when a decision last acted (up or down) */
  lastActionAt?: number;
  /** since when each worker dyno has had no executor and no driver */
  idleSince: Record<string, number>;
}

export type Decision = { action: 'up' | 'down' | 'none'; from: number; to: number; why: string; stop?: string[] };

/** Pure: the cores an application still asks for, from its page on the master ("4 (1 granted, 3 left)", "Unlimited (2 granted)"). */
export function coresLeft(appPage: string, defaultCores: number): number | undefined {
  const text = appPage.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ');
  const capped = /Cores: (\d+) \((\d+) granted, (\d+) left\)/.exec(text);
  // no spark.cores.max: the master gives it spark.deploy.defaultCores at most
  const unlimited = /Cores: Unlimited \((\d+) granted\)/.exec(text);
  const byCores = capped ? Number(capped[3]) : unlimited ? Math.max(0, defaultCores - Number(unlimited[1])) : undefined;
  // dynamic allocation (the thrift and connect servers): it asks for only as many executors as its
  // tasks need ("Executor Limit: 2 (1 granted)"); an idle server asks for none
  const limit = /Executor Limit: (\d+) \((\d+) granted\)/.exec(text);
  if (byCores === undefined || !limit) return byCores;
  const [executors, granted] = [Number(limit[1]), Number(limit[2])];
  const coresGranted = Number(capped ? capped[2] : unlimited![1]);
  const perExecutor = granted > 0 ? Math.max(1, Math.round(coresGranted / granted)) : 1;
  return Math.min(byCores, Math.max(0, executors - granted) * perExecutor);
}

/**
 * Pure: the view of the cluster. `left`: each running application's cores still asked for (from
 * its page; an app whose page could not be read counts as asking for none unless it is WAITING).
 */
export function observe(json: JobsJson, quantity: number, left: Record<string, number | undefined>, defaultCores: number): ClusterView {
  const alive = (json.workers ?? []).filter((w) => w.state === 'ALIVE');
  const drivers = (json.activedrivers ?? []).filter((d) => d.state === 'RUNNING' || d.state === 'RELAUNCHING');
  const workers = alive
    .map((w) => {
      const dyno = dynoOfHost(w.host);
      return { dyno, index: Number(/\.(\d+)$/.exec(dyno)?.[1] ?? 0), cores: w.cores, coresUsed: w.coresused ?? 0, hasDriver: drivers.some((d) => d.worker === w.id) };
    })
    .sort((a, b) => a.index - b.index);
  const apps = json.activeapps ?? [];
  // WAITING: no executor yet; one that asks for none (an idle server under dynamic allocation) waits for nothing
  const waiting = apps.filter((a) => a.state === 'WAITING' && left[a.id] !== 0).map((a) => a.id);
  const submitted = (json.activedrivers ?? []).filter((d) => d.state === 'SUBMITTED').reduce((n, d) => n + (d.cores ?? 1), 0);
  const asked = apps.reduce((n, a) => n + (left[a.id] ?? (a.state === 'WAITING' ? defaultCores : 0)), 0);
  return {
    quantity,
    workers,
    waiting,
    coresWanted: asked + submitted,
    coresFree: workers.reduce((n, w) => n + Math.max(0, w.cores - w.coresUsed), 0),
    coresPerWorker: Math.max(1, ...workers.map((w) => w.cores)),
  };
}

/** Pure: the idle clocks after this look at the cluster. */
export function track(h: History, v: ClusterView, now: number): History {
  const idleSince: Record<string, number> = {};
  for (const w of v.workers) if (w.coresUsed === 0 && !w.hasDriver) idleSince[w.dyno] = h.idleSince[w.dyno] ?? now;
  return { ...h, idleSince };
}

const s = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/**
 * Pure: the decision. Up when applications wait or ask for more cores than are free (as many
 * workers as the missing cores need, at most `max`); down by the highest-numbered workers (the
 * ones Heroku stops when the quantity goes down) while each has had no executor and no driver for
 * `idleMs`, never below `min`; nothing within `cooldownMs` of the last action, nor while workers
 * asked for are still registering.
 */
export function decide(v: ClusterView, p: Policy, h: History, now: number): Decision {
  const n = v.quantity;
  const none = (why: string): Decision => ({ action: 'none', from: n, to: n, why });
  if (n < p.min) return { action: 'up', from: n, to: p.min, why: `below SPARK_AUTOSCALE_MIN (${p.min})` };
  const cooling = h.lastActionAt !== undefined && now - h.lastActionAt < p.cooldownMs;
  const deficit = v.coresWanted - v.coresFree;
  const demand = v.waiting.length > 0 || deficit > 0;
  const need = `${v.waiting.length ? `${s(v.waiting.length, 'application')} WAITING, ` : ''}${v.coresWanted} cores asked for, ${v.coresFree} free`;
  if (demand) {
    if (n >= p.max) return none(`${need}; at SPARK_AUTOSCALE_MAX (${p.max})`);
    const registering = n - v.workers.length;
    if (registering > 0) return none(`${need}; waiting for ${s(registering, 'worker')} to register`);
    if (cooling) return none(`${need}; cooling down until ${Math.ceil((h.lastActionAt! + p.cooldownMs - now) / 1000)} s from now`);
    const add = Math.max(1, Math.ceil(Math.max(deficit, 1) / v.coresPerWorker));
    return { action: 'up', from: n, to: Math.min(p.max, n + add), why: need };
  }
  // down: the highest-numbered first, each idle long enough (a worker still starting stops the scan)
  const stop: string[] = [];
  let top = n;
  const tooMany = n > p.max;
  while (top > p.min) {
    const w = v.workers.find((x) => x.index === top);
    // above the maximum (scaled by hand): any worker without a driver goes (it drains: graceful decommission)
    const idle = w && !w.hasDriver && (top > p.max || (h.idleSince[w.dyno] !== undefined && now - h.idleSince[w.dyno]! >= p.idleMs));
    if (!w || !idle) break;
    stop.push(w.dyno);
    top--;
  }
  if (!stop.length) {
    const idleLower = v.workers.filter((w) => h.idleSince[w.dyno] !== undefined && now - h.idleSince[w.dyno]! >= p.idleMs && w.index < n);
    if (n > p.min && idleLower.length)
      return none(`${idleLower.map((w) => w.dyno).join(', ')} idle, but worker.${n} is not: a scale-down stops the highest-numbered workers first, and only idle ones`);
    return none(n <= p.min ? `at SPARK_AUTOSCALE_MIN (${p.min}); ${need}` : `no idle worker for ${Math.round(p.idleMs / 1000)} s; ${need}`);
  }
  if (cooling) return none(`${stop.join(', ')} idle; cooling down until ${Math.ceil((h.lastActionAt! + p.cooldownMs - now) / 1000)} s from now`);
  return {
    action: 'down',
    from: n,
    to: n - stop.length,
    stop,
    why: `${stop.join(', ')} had no executor for ${Math.round(p.idleMs / 1000)} s${tooMany ? ` (above SPARK_AUTOSCALE_MAX ${p.max})` : ''}`,
  };
}

/** A running application that holds no core and asks for some. */
export interface WaitingApp {
  id: string;
  name: string;
  /** cores it still asks for (from its page on the master), when that could be read */
  asks?: number;
  /** how long it has waited: the master's WAITING (no executor since it registered) */
  forMs?: number;
}

/** Waiting this long for a first executor makes `status` unhealthy (a job being scaled for waits less). */
export const WAITING_PROBLEM_MS = 60_000;

/**
 * Pure: the applications holding no core that ask for some (`left` as for `observe`: an idle server
 * under dynamic allocation asks for none; an unreadable page counts when the master says WAITING).
 */
export function waitingForCores(json: JobsJson, left: Record<string, number | undefined>): WaitingApp[] {
  return (json.activeapps ?? [])
    .filter((a) => (a.cores ?? 0) === 0 && (left[a.id] ?? (a.state === 'WAITING' ? 1 : 0)) > 0)
    .map((a) => ({ id: a.id, name: a.name, asks: left[a.id], forMs: a.state === 'WAITING' ? a.duration : undefined }));
}

const age = (ms: number) => (ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`);

/** Pure: a waiting application as `status` lists it. */
export const waitingLine = (w: WaitingApp) => `${w.id} (${w.name}) holds no core${w.asks ? `, asks for ${w.asks}` : ''}${w.forMs !== undefined ? `, waiting for ${age(w.forMs)}` : ''}`;

/** Pure: the problems of `status`: applications waiting longer than WAITING_PROBLEM_MS, and what frees cores. */
export function waitingProblems(json: JobsJson, waiting: WaitingApp[]): string[] {
  const alive = (json.workers ?? []).filter((w) => w.state === 'ALIVE');
  const cores = alive.reduce((n, w) => n + w.cores - (w.coresused ?? 0), 0);
  const memory = Math.max(0, ...alive.map((w) => w.memory - (w.memoryused ?? 0)));
  return waiting
    .filter((w) => (w.forMs ?? 0) >= WAITING_PROBLEM_MS)
    .map(
      (w) =>
        `${waitingLine(w)}: the workers have ${cores} cores free (at most ${memory} MB free on one): add workers (or SPARK_AUTOSCALE_MAX), end what holds them (\`apps\`), or cap the SQL servers (SPARK_SERVER_MAX_CORES)`,
    );
}

/** Pure: the line a decision is logged as. */
export const decisionLine = (d: Decision) =>
  d.action === 'none' ? `no change at ${s(d.from, 'worker')}: ${d.why}` : `${d.action} ${d.from} → ${d.to} workers: ${d.why}${d.stop ? ` (stopping ${d.stop.join(', ')})` : ''}`;

/** What an autoscaler says of itself (`GET /` on its port, src/autoscale/run.ts), as `status` shows it. */
export interface AutoscaleReport {
  policy: Policy & { intervalMs: number };
  /** starting (no look yet), acting (this master leads), standby (another does), off (and why) */
  mode: 'starting' | 'acting' | 'standby' | 'off';
  off?: string;
  where: string;
  last?: Decision & { at: string };
  lastAction?: Decision & { at: string };
}

/** Pure: the `status` line of autoscaling (the leading master's autoscaler). */
export function autoscaleLine(a: AutoscaleReport): string {
  const head = `${a.policy.min}..${a.policy.max} workers, idle after ${Math.round(a.policy.idleMs / 1000)} s`;
  if (a.mode === 'off') return `off (${a.off ?? 'refused'}); policy ${head}`;
  const act = a.lastAction ? `; last change ${a.lastAction.at.slice(11, 19)}: ${decisionLine(a.lastAction)}` : '; no change yet';
  if (a.mode === 'starting') return `${head} (starting: its first look at the cluster is pending)`;
  if (a.mode === 'standby') return `${head} (standby: another master leads)`;
  return `${head} (acting); now: ${a.last ? decisionLine(a.last) : '-'}${act}`;
}
