/**
 * What `local status` (and `local up` on a running space) reports: the dynos from state.json, the
 * master's own view from its /json, and whether the space is healthy. `report` gathers; `render`
 * is pure.
 */
import { AUTOSCALE_PORT, MASTER_UI_PORT, workerState } from '../space/index.js';
import { formatAge, health, type Health } from './lifecycle.js';
import { getJson, getText } from './runner.js';
import { zkMode } from '../zookeeper/index.js';
import { zkSrvr } from '../zookeeper/srvr.js';
import type { State } from './state.js';
import type { MasterJson } from '../space/index.js';
import { autoscaleLine, coresLeft, waitingForCores, waitingLine, waitingProblems, type AutoscaleReport, type WaitingApp } from '../autoscale/index.js';
import { VARS } from '../config/schema.js';

export interface Report extends Health {
  app: string;
  masterUrl: string;
  masterUi?: string;
  web?: string;
  master?: MasterJson & { aliveWorkers: number };
  /** each master dyno's own status (ALIVE, STANDBY, RECOVERING), by DNS name */
  masters?: Record<string, string | undefined>;
  /** each zookeeper dyno's mode (leader, follower, standalone), by DNS name */
  zookeepers?: Record<string, string | undefined>;
  state: State;
  /** the leading master's autoscaler, when SPARK_AUTOSCALE_MAX is set */
  autoscale?: AutoscaleReport;
  /** applications holding no core that ask for some */
  waiting: WaitingApp[];
}

/** Asks every master for /json: the ALIVE one speaks for the cluster (else the first that answers). */
export async function report(s: State, now = Date.now()): Promise<Report> {
  const masters = s.dynos.filter((d) => d.type === 'master');
  const answers = await Promise.all(masters.map(async (m) => ({ ui: `http://${m.ip}:${MASTER_UI_PORT}`, json: await getJson<MasterJson>(`http://${m.ip}:${MASTER_UI_PORT}/json`, 3000) })));
  const pick = answers.find((a) => a.json?.status === 'ALIVE') ?? answers.find((a) => a.json);
  const leadIp = pick && masters[answers.indexOf(pick)]?.ip;
  const autoscale = leadIp ? await getJson<AutoscaleReport>(`http://${leadIp}:${AUTOSCALE_PORT}/`, 1000) : undefined;
  const master = pick?.json ? { ...pick.json, aliveWorkers: (pick.json.workers ?? []).filter((w) => w.state === 'ALIVE').length } : undefined;
  // applications holding no core: their pages on the leader say whether they ask for any
  const held = (master?.activeapps ?? []).filter((a) => (a.cores ?? 0) === 0);
  const pages = await Promise.all(held.map(async (a) => [a.id, await getText(`${pick!.ui}/app/?appId=${encodeURIComponent(a.id)}`, 3000)] as const));
  const left = Object.fromEntries(pages.map(([id, page]) => [id, page === undefined ? undefined : coresLeft(page, Number(VARS.SPARK_DEFAULT_CORES.default))]));
  const waiting = master ? waitingForCores(master, left) : [];
  const h = health(s.dynos, master ? { status: master.status, aliveWorkers: master.aliveWorkers } : undefined, now);
  if (master) h.problems.push(...waitingProblems(master, waiting));
  h.healthy = h.problems.length === 0;
  const zks = s.dynos.filter((d) => d.type === 'zookeeper');
  const modes = await Promise.all(zks.map(async (z) => zkMode(await zkSrvr(z.ip))));
  return {
    ...h,
    app: s.app,
    masterUrl: s.masterUrl,
    masterUi: pick?.ui ?? answers[0]?.ui,
    web: s.web,
    master,
    masters: Object.fromEntries(masters.map((m, i) => [m.dns, answers[i]?.json?.status])),
    zookeepers: Object.fromEntries(zks.map((z, i) => [z.dns, modes[i]])),
    state: s,
    autoscale,
    waiting,
  };
}

/**
 * Pure: what the cluster says of a dyno: a master's own status (ALIVE, STANDBY), a worker's state
 * on the leading master (DECOMMISSIONING while it drains), a zookeeper's mode (leader, follower).
 */
export function sparkState(r: Pick<Report, 'master' | 'masters' | 'zookeepers'>, d: { type: string; dns: string; phase: string }): string | undefined {
  if (d.phase === 'down') return undefined;
  if (d.type === 'zookeeper') return r.zookeepers?.[d.dns];
  if (d.type === 'master') return r.masters?.[d.dns] ?? (r.master?.url?.includes(d.dns) ? r.master.status : undefined);
  if (!r.master) return undefined;
  if (d.type === 'worker') return workerState(r.master.workers, d.dns) ?? 'not registered';
  return undefined;
}

const gb = (mb: number | undefined) => `${((mb ?? 0) / 1024).toFixed(1)} GB`;

/** Pure: the lines `local status` prints. */
export function render(r: Report, now = Date.now()): string[] {
  const s = r.state;
  const lines = [`-----> Local space ${r.app}: ${r.healthy ? 'healthy' : 'DEGRADED'} (up ${formatAge(now - Date.parse(s.started))})`];
  const m = r.master;
  lines.push(`       master URL  ${r.masterUrl}`);
  lines.push(
    `       master UI   ${r.masterUi ?? '-'}: ${m ? `${m.status}, ${m.aliveWorkers} workers ALIVE, ${m.coresused ?? 0}/${m.cores ?? 0} cores and ${gb(m.memoryused)}/${gb(m.memory)} used, ${(m.activeapps ?? []).length} apps running` : 'not answering'}`,
  );
  if (r.web) lines.push(`       web         ${r.web}`);
  if (r.autoscale) lines.push(`       autoscale   ${autoscaleLine(r.autoscale)}`);
  for (const w of r.waiting) lines.push(`       waiting     ${waitingLine(w)}`);
  if (s.cycle) lines.push(`       cycling     ${s.cycle.target ?? 'every dyno'} every ${formatAge(s.cycle.everyMs)}, next in ${formatAge(s.cycle.nextAt - now)}`);
  lines.push('');
  const rows = s.dynos.map((d) => [
    d.name,
    d.phase + (d.phase === 'crashed' && d.restartAt ? ` (restart in ${formatAge(d.restartAt - now)})` : ''),
    sparkState(r, d) ?? '-',
    String(d.restarts),
    d.ip,
    d.phase === 'up' && d.upAt ? formatAge(now - d.upAt) : '-',
    d.dns,
  ]);
  const head = ['dyno', 'state', 'spark', 'restarts', 'address', 'uptime', 'name'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  for (const row of [head, ...rows]) lines.push(`       ${row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')}`);
  if (!r.healthy) lines.push('', ...r.problems.map((p) => ` !     ${p}`));
  return lines;
}

/** Pure: the `--json` document. */
export function toJson(r: Report): unknown {
  const s = r.state;
  return {
    running: true,
    app: r.app,
    healthy: r.healthy,
    problems: r.problems,
    masterUrl: r.masterUrl,
    masterUi: r.masterUi,
    web: r.web,
    started: s.started,
    formation: s.formation,
    cycle: s.cycle,
    autoscale: r.autoscale ?? null,
    waiting: r.waiting,
    master: r.master ?? null,
    dynos: s.dynos.map((d) => ({ ...d, up: d.phase === 'up', spark: sparkState(r, d) ?? null })),
  };
}
