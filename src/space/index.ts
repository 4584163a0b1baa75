/**
 * Discovery in a Private Space: dyno `worker.3` of app `demo` is `3.worker.demo.app.localspace`,
 * and the master URL lists masters 1..SPARK_MASTERS. Pure functions of config vars.
 */
import { fail } from '../errors.js';
import type { Env, Settings } from '../config/schema.js';
import { MASTER_PORT } from '../ports.js';

export const SPACE_SUFFIX = 'app.localspace';
export { MASTER_PORT, MASTER_UI_PORT, WORKER_UI_PORT, HISTORY_UI_PORT, THRIFT_HTTP_PORT, CONNECT_PORT, CONNECT_BACKEND_PORT, AUTOSCALE_PORT, DRIVER_UI_PORT } from '../ports.js';

/** `<app>.app.localspace` of the cluster: SPARK_CLUSTER_APP wins (a job app), else HEROKU_DNS_APP_NAME. */
export function clusterDomain(settings: Pick<Settings, 'SPARK_CLUSTER_APP' | 'HEROKU_DNS_APP_NAME'>): string {
  if (settings.SPARK_CLUSTER_APP) return `${settings.SPARK_CLUSTER_APP}.${SPACE_SUFFIX}`;
  if (settings.HEROKU_DNS_APP_NAME) return settings.HEROKU_DNS_APP_NAME;
  return fail({
    code: 'config-invalid',
    issues: [
      {
        name: 'HEROKU_DNS_APP_NAME',
        problem: 'is not set, so the masters cannot be found: run the app in a Private Space with DNS service discovery, or set SPARK_CLUSTER_APP',
        example: 'HEROKU_DNS_APP_NAME=my-app.app.localspace',
      },
    ],
  });
}

/** `1.master.<cluster domain>` … `N.master.<cluster domain>` (N = SPARK_MASTERS). */
export function masterHosts(settings: Pick<Settings, 'SPARK_CLUSTER_APP' | 'HEROKU_DNS_APP_NAME' | 'SPARK_MASTERS'>): string[] {
  const domain = clusterDomain(settings);
  return Array.from({ length: settings.SPARK_MASTERS }, (_, i) => `${i + 1}.master.${domain}`);
}

export function masterUrl(settings: Pick<Settings, 'SPARK_CLUSTER_APP' | 'HEROKU_DNS_APP_NAME' | 'SPARK_MASTERS'>): string {
  return `spark://${masterHosts(settings)
    .map((h) => `${h}:${MASTER_PORT}`)
    .join(',')}`;
}

/** `worker.3` → { type: 'worker', index: 3 }. */
export function parseDyno(dyno: string | undefined): { type: string; index: number } | undefined {
  const m = /^([a-z][a-z0-9_-]*)\.(\d+)$/.exec(dyno ?? '');
  return m ? { type: m[1]!, index: Number(m[2]) } : undefined;
}

/** The dyno's own DNS name, required by daemons (they advertise it). */
export function dynoName(settings: Settings, env: Env): string {
  if (settings.HEROKU_DNS_DYNO_NAME) return settings.HEROKU_DNS_DYNO_NAME;
  const d = parseDyno(env.DYNO);
  if (d && settings.HEROKU_DNS_APP_NAME) return `${d.index}.${d.type}.${settings.HEROKU_DNS_APP_NAME}`;
  return fail({
    code: 'config-invalid',
    issues: [
      {
        name: 'HEROKU_DNS_DYNO_NAME',
        problem: 'is not set: Spark daemons advertise the dyno’s DNS name; run them in a Private Space with DNS service discovery',
        example: 'HEROKU_DNS_DYNO_NAME=1.master.my-app.app.localspace',
      },
    ],
  });
}

/**
 * Pure: how the masters see the worker dyno named `host`. A master keeps the entries of the name's
 * earlier incarnations (DEAD), so the liveliest entry wins. Spark's DECOMMISSIONED is shown as
 * DECOMMISSIONING: the dyno is still draining (bin/support/drain-worker) until it is gone (DEAD).
 */
export function workerState(workers: { host?: string; state?: string }[] | undefined, host: string): string | undefined {
  const rank = (s: string | undefined) => (s === 'ALIVE' ? 3 : s === 'DECOMMISSIONED' ? 2 : s ? 1 : 0);
  return shownState((workers ?? []).filter((w) => w.host === host).sort((a, b) => rank(b.state) - rank(a.state))[0]?.state);
}

/** Pure: a master's word for a worker as we show it: DECOMMISSIONED while the dyno drains is DECOMMISSIONING. */
export const shownState = (state: string | undefined) => (state === 'DECOMMISSIONED' ? 'DECOMMISSIONING' : state);

/** A standalone master's /json (its web UI's JSON view), the parts we read: `local`, `status`, the proxy. */
export interface MasterJson {
  url?: string;
  /** ALIVE (the leader), STANDBY, RECOVERING, COMPLETING_RECOVERY */
  status?: string;
  workers?: { id: string; host: string; state: string; cores: number; memory: number; coresused?: number; memoryused?: number; webuiaddress?: string }[];
  aliveworkers?: number;
  cores?: number;
  coresused?: number;
  memory?: number;
  memoryused?: number;
  activeapps?: { id: string; name: string; cores?: number; state?: string; duration?: number }[];
  activedrivers?: { id: string; state?: string; worker?: string }[];
}
