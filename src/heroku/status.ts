/**
 * `spark-in-space status` as pure functions: the formation and dyno states from the Platform API
 * and the master's /json (read through the space proxy) become one report with a health verdict,
 * a table for people and JSON for scripts. Fetching is in the command (cli/commands/status.ts).
 */
import type { Dyno, Formation } from './api.js';

import type { MasterJson } from '../space/index.js';
import { autoscaleLine, waitingForCores, waitingLine, waitingProblems, type AutoscaleReport, type WaitingApp } from '../autoscale/index.js';
export type { MasterJson };

export interface StatusReport {
  app: string;
  healthy: boolean;
  problems: string[];
  /** what is not a health problem but wants the operator's eye (a token that reaches other apps) */
  warnings?: string[];
  proxy?: string;
  formation: { type: string; quantity: number; size: string; up: number; dynos: { name: string; state: string }[] }[];
  /** the leading master's autoscaler (SPARK_AUTOSCALE_MAX): its policy and last decision */
  autoscale?: AutoscaleReport;
  /** with several masters: what each said (the leader is ALIVE, the others STANDBY) */
  masters?: { dyno: string; status: string }[];
  master?: {
    /** with several masters: the leader's dyno */
    dyno?: string;
    status: string;
    url?: string;
    workers: { alive: number; dead: number; list: { id: string; host: string; state: string; cores: string; memory: string }[] };
    cores: { used: number; total: number };
    memoryMb: { used: number; total: number };
    apps: { id: string; name: string; cores?: number; state?: string }[];
    /** applications holding no core that ask for some */
    waiting: WaitingApp[];
  };
}

const sizeOf = (f: Formation) => f.dyno_size?.name ?? f.size ?? '?';

/** What one master dyno's /json said through the proxy, or why it could not be read. */
export type MasterAnswer = { dyno: string } & (MasterJson | { error: string });

/**
 * Pure: with several masters (ZooKeeper HA), the one whose answer the report is about: the ALIVE
 * one (the leader), else master.1's. A standby says STANDBY: after a failover the leader is master.2.
 */
export function leadingMaster(answers: MasterAnswer[]): MasterAnswer | undefined {
  return answers.find((a) => !('error' in a) && a.status === 'ALIVE') ?? answers[0];
}

const answerState = (a: MasterAnswer) => ('error' in a ? `unreadable (${a.error})` : (a.status ?? 'UNKNOWN'));

/**
 * Pure: the report and its verdict. `master` is the /json answer, or the reason it could not be read;
 * with several masters, every master's answer (master.1 first): the report is about the leader's.
 */
export function statusReport(
  app: string,
  formation: Formation[],
  dynos: Dyno[],
  master: MasterJson | { error: string } | MasterAnswer[],
  proxy?: string,
  left: Record<string, number | undefined> = {},
): StatusReport {
  if (Array.isArray(master)) {
    const lead = leadingMaster(master);
    const report = statusReport(app, formation, dynos, lead ?? { error: 'no master dyno in the formation' }, proxy, left);
    if (master.length < 2) return report;
    report.masters = master.map((a) => ({ dyno: a.dyno, status: answerState(a) }));
    if (report.master && lead && !('error' in lead) && lead.status === 'ALIVE') report.master.dyno = lead.dyno;
    const i = report.problems.findIndex((p) => p.startsWith('the master answering the proxy is') || p.startsWith("the master's /json could not be read"));
    if (i >= 0) report.problems[i] = `no master is ALIVE: ${report.masters.map((m) => `${m.dyno} ${m.status}`).join(', ')}`;
    return report;
  }
  const problems: string[] = [];
  const rows = [...formation]
    .sort((a, b) => a.type.localeCompare(b.type))
    .map((f) => {
      const mine = dynos.filter((d) => d.type === f.type).sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
      const up = mine.filter((d) => d.state === 'up').length;
      if (up < f.quantity) {
        const bad = mine.filter((d) => d.state !== 'up').map((d) => `${d.name} ${d.state}`);
        problems.push(`${f.type}: ${up} of ${f.quantity} dynos up${bad.length ? ` (${bad.join(', ')})` : ''}`);
      }
      return { type: f.type, quantity: f.quantity, size: sizeOf(f), up, dynos: mine.map((d) => ({ name: d.name, state: d.state })) };
    });
  const workersWanted = formation.find((f) => f.type === 'worker')?.quantity ?? 0;
  let masterOut: StatusReport['master'];
  if ('error' in master) {
    problems.push(`the master's /json could not be read through the proxy: ${master.error}`);
  } else {
    const list = (master.workers ?? []).map((w) => ({
      id: w.id,
      host: w.host,
      state: w.state,
      cores: `${w.coresused}/${w.cores}`,
      memory: `${w.memoryused}/${w.memory} MB`,
    }));
    const alive = list.filter((w) => w.state === 'ALIVE').length;
    masterOut = {
      status: master.status ?? 'UNKNOWN',
      url: master.url,
      workers: { alive, dead: list.length - alive, list },
      cores: { used: master.coresused ?? 0, total: master.cores ?? 0 },
      memoryMb: { used: master.memoryused ?? 0, total: master.memory ?? 0 },
      apps: (master.activeapps ?? []).map((a) => ({ id: a.id, name: a.name, cores: a.cores, state: a.state })),
      waiting: waitingForCores(master, left),
    };
    problems.push(...waitingProblems(master, masterOut.waiting));
    if (masterOut.status !== 'ALIVE') problems.push(`the master answering the proxy is ${masterOut.status}, not ALIVE`);
    if (alive < workersWanted) problems.push(`${alive} of ${workersWanted} workers registered ALIVE with the master`);
  }
  return { app, healthy: problems.length === 0, problems, proxy, formation: rows, master: masterOut };
}

const table = (rows: string[][]) => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
};

/** Pure: the report as people read it. */
/**
 * Pure: what the app's SPARK_HEROKU_ACCESS_TOKEN reaches beyond this app, from the Platform API's
 * answer to `GET /apps` with that token (its names), or why it could not be asked. The token sits on
 * the master dyno (its sidecars): whoever gets it may do to those apps what it may do to this one.
 */
export function tokenReachWarning(app: string, answer: { names: string[] } | { status: number }): string | undefined {
  if ('status' in answer)
    return answer.status === 401 || answer.status === 403
      ? `the Platform API refused the app's SPARK_HEROKU_ACCESS_TOKEN (HTTP ${answer.status}): autoscaling and graceful cycling cannot act; set a valid token (see docs/security.md)`
      : undefined;
  const others = answer.names.filter((n) => n !== app).sort();
  if (!others.length) return undefined;
  const shown = others.slice(0, 5).join(', ') + (others.length > 5 ? `, and ${others.length - 5} more` : '');
  return `SPARK_HEROKU_ACCESS_TOKEN reaches ${others.length} other app${others.length > 1 ? 's' : ''} (${shown}): whoever gets it from the master dyno could scale, restart or delete them too. Use a token of an account that may access only ${app} (README, Security)`;
}

export function renderStatus(r: StatusReport): string {
  const out: string[] = [`=== ${r.app}: ${r.healthy ? 'healthy' : 'UNHEALTHY'}${r.proxy ? `  (proxy ${r.proxy})` : ''}`, ''];
  out.push(
    table([
      ['TYPE', 'SIZE', 'UP', 'DYNOS'],
      ...r.formation.map((f) => [f.type, f.size, `${f.up}/${f.quantity}`, f.dynos.map((d) => (d.state === 'up' ? d.name : `${d.name}(${d.state})`)).join(' ') || '-']),
    ]),
  );
  if (r.master) {
    const m = r.master;
    if (r.masters) out.push('', `Masters: ${r.masters.map((x) => `${x.dyno} ${x.status}`).join(', ')}`);
    out.push(
      '',
      `Master ${m.status}${m.dyno ? ` (${m.dyno})` : ''}${m.url ? ` ${m.url}` : ''}: ${m.workers.alive} workers alive${m.workers.dead ? `, ${m.workers.dead} dead` : ''}, cores ${m.cores.used}/${m.cores.total}, memory ${m.memoryMb.used}/${m.memoryMb.total} MB`,
    );
    if (r.autoscale) out.push('', `Autoscaling: ${autoscaleLine(r.autoscale)}`);
    if (m.workers.list.length) out.push('', table([['WORKER', 'STATE', 'CORES', 'MEMORY'], ...m.workers.list.map((w) => [w.host, w.state, w.cores, w.memory])]));
    out.push('', m.apps.length ? table([['APP', 'NAME', 'CORES', 'STATE'], ...m.apps.map((a) => [a.id, a.name, String(a.cores ?? ''), a.state ?? ''])]) : 'No application running.');
    if (m.waiting.length) out.push('', 'Waiting for cores:', ...m.waiting.map((w) => `  ${waitingLine(w)}`));
  }
  if (r.problems.length) out.push('', 'Problems:', ...r.problems.map((p) => `  - ${p}`));
  if (r.warnings?.length) out.push('', 'Warnings:', ...r.warnings.map((w) => `  - ${w}`));
  return `${out.join('\n')}\n`;
}
