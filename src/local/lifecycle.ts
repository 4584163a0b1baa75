/**
 * How dynos live and die in a Private Space, as pure functions the local supervisor follows:
 *
 * - a dyno that exits on its own has crashed: it is restarted at once the first time, then after
 *   growing cool-downs (Heroku: up to 20 minutes; locally compressed and configurable), and the
 *   count starts over once it has stayed up for a while;
 * - every start of a dyno is a new dyno: it gets a new private address under the same DNS name
 *   (that is what the daily cycle does on Heroku, and what `local restart`/`cycle` do here);
 * - stopping is SIGTERM, then SIGKILL after 30 s;
 * - scaling adds the next numbers of a type, or removes the highest ones.
 *
 * The supervisor (supervisor.ts) turns events into these decisions and the runner executes them.
 */

export type Phase = 'starting' | 'up' | 'crashed' | 'stopping' | 'down';

export interface DynoRecord {
  /** `worker.2` */
  name: string;
  type: string;
  index: number;
  command: string;
  /** private address of the current incarnation */
  ip: string;
  /** `2.worker.<app>.app.localspace`: stays across restarts */
  dns: string;
  phase: Phase;
  /** process group of the current incarnation (the dyno's main process leads it) */
  pid?: number;
  /** restarts of any kind since `local up` */
  restarts: number;
  /** crashes in a row (reset once the dyno stays up for `stableMs`) */
  crashes: number;
  startedAt?: number;
  upAt?: number;
  exitedAt?: number;
  lastExit?: string;
  /** when a crashed dyno will be started again */
  restartAt?: number;
}

export interface CrashPolicy {
  /** the cool-down after the second crash in a row; it doubles with each further crash */
  cooldownMs: number;
  /** the longest cool-down */
  maxCooldownMs: number;
  /** a dyno up this long has its crash count reset */
  stableMs: number;
}

/** Heroku: first restart at once, then cool-downs of up to 20 minutes. Locally: 2 s doubling to 60 s. */
export const LOCAL_CRASH_POLICY: CrashPolicy = { cooldownMs: 2_000, maxCooldownMs: 60_000, stableMs: 60_000 };

/** Pure: how long a dyno that just crashed for the `crashes`-th time in a row waits before it starts again. */
export function cooldownMs(crashes: number, p: CrashPolicy): number {
  if (crashes <= 1) return 0;
  return Math.min(p.maxCooldownMs, p.cooldownMs * 2 ** (crashes - 2));
}

export type Decision = { action: 'none' } | { action: 'restart'; delayMs: number; crashes: number };

/**
 * Pure: what to do when a dyno's process exits. `expected` exits (down, restart, cycle, scale) are
 * not crashes; anything else is, even exit code 0: a dyno's process is meant to run forever.
 */
export function onExit(d: Pick<DynoRecord, 'crashes' | 'upAt' | 'startedAt'>, now: number, expected: boolean, p: CrashPolicy): Decision {
  if (expected) return { action: 'none' };
  const since = d.upAt ?? d.startedAt ?? now;
  const crashes = now - since >= p.stableMs ? 1 : d.crashes + 1;
  return { action: 'restart', delayMs: cooldownMs(crashes, p), crashes };
}

/** Pure: `worker.2` and `worker` both name dynos; the answer lists the dynos a target selects. */
export function select<T extends { name: string; type: string }>(dynos: T[], target: string | undefined): T[] {
  if (!target) return dynos;
  return dynos.filter((d) => d.name === target || d.type === target);
}

/** Pure: the syntax of `worker=3 web=0` (also `worker:3`, `worker+1`, `worker-1`): each change, not yet applied. */
export function scaleChanges(args: string[]): { type: string; op: string; n: number }[] {
  return args.map((arg) => {
    const m = /^([a-z][a-z0-9_-]*)(=|:|\+|-)(\d+)$/.exec(arg.trim());
    if (!m) throw new Error(`"${arg}" is not TYPE=N (e.g. worker=3), TYPE+N or TYPE-N`);
    return { type: m[1]!, op: m[2]!, n: Number(m[3]) };
  });
}

/** Pure: parses `worker=3 web=0` (also `worker:3`, `worker+1`, `worker-1`) against the current counts. */
export function parseScale(args: string[], current: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const { type, op, n } of scaleChanges(args)) {
    const base = current[type] ?? 0;
    const value = op === '+' ? base + n : op === '-' ? base - n : n;
    if (value < 0) throw new Error(`${type} cannot go below 0 (it has ${base})`);
    out[type] = value;
  }
  return out;
}

/** Pure: which dynos to start and which to stop to go from `have` (indexes per type) to `want` counts. */
export function scalePlan(have: { type: string; index: number }[], want: Record<string, number>): { start: { type: string; index: number }[]; stop: { type: string; index: number }[] } {
  const start: { type: string; index: number }[] = [];
  const stop: { type: string; index: number }[] = [];
  for (const [type, n] of Object.entries(want)) {
    const mine = have.filter((d) => d.type === type).sort((a, b) => a.index - b.index);
    // Heroku removes the highest-numbered dynos and adds the next numbers
    for (const d of mine.filter((x) => x.index > n)) stop.push(d);
    const kept = new Set(mine.filter((x) => x.index <= n).map((x) => x.index));
    for (let i = 1; i <= n; i++) if (!kept.has(i)) start.push({ type, index: i });
  }
  return { start, stop };
}

/**
 * Pure: a new private address for a dyno of a type whose addresses live in `prefix` (`127.x.y`):
 * the first octet after `cursor` that no other dyno holds, so a restarted dyno never comes back on
 * its old address while addresses are left. Returns the address and the next cursor.
 */
export function nextAddress(prefix: string, inUse: Set<string>, cursor: number): { ip: string; cursor: number } {
  for (let step = 1; step <= 254; step++) {
    const octet = ((cursor + step - 1) % 254) + 1;
    const ip = `${prefix}.${octet}`;
    if (!inUse.has(ip)) return { ip, cursor: octet };
  }
  throw new Error(`no free address left in ${prefix}.0/24: more than 254 dynos of one type`);
}

/** Pure: `90s`, `10m`, `2h`, `1d`, `500ms` or plain seconds → milliseconds. */
export function parseDuration(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(v.trim());
  if (!m) throw new Error(`"${v}" is not a duration such as 30s, 10m, 24h`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 's') as 'ms'];
  return Math.round(Number(m[1]) * unit);
}

/** Pure: `3m12s`-style age for status tables. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d${String(Math.floor((s % 86400) / 3600)).padStart(2, '0')}h`;
}

export interface Health {
  healthy: boolean;
  problems: string[];
}

/**
 * Pure: is the space healthy? Every dyno up, an ALIVE master answering, and at least as many ALIVE
 * workers as the formation has worker dynos.
 */
export function health(dynos: Pick<DynoRecord, 'name' | 'type' | 'phase' | 'restartAt'>[], master: { status?: string; aliveWorkers: number } | undefined, now: number): Health {
  const problems: string[] = [];
  for (const d of dynos) {
    if (d.phase === 'up') continue;
    const when = d.phase === 'crashed' && d.restartAt ? ` (restarting in ${formatAge(d.restartAt - now)})` : '';
    problems.push(`${d.name} is ${d.phase}${when}`);
  }
  const workers = dynos.filter((d) => d.type === 'worker').length;
  if (dynos.some((d) => d.type === 'master')) {
    if (!master) problems.push('no master answers on its web UI (/json)');
    else if (master.status !== 'ALIVE') problems.push(`the master is ${master.status ?? 'in an unknown state'}, not ALIVE`);
    if (master && master.aliveWorkers < workers) problems.push(`${master.aliveWorkers} of ${workers} workers are ALIVE on the master`);
  }
  return { healthy: problems.length === 0, problems };
}
