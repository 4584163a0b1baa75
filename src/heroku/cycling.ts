/**
 * Graceful cycling for a single-master cluster (`master: bin/spark-master-with-graceful-cycling`):
 * once a newly started master is ALIVE, the app's worker dynos are restarted through the Platform
 * API so that every worker registers with it (Heroku restarts every dyno daily; a master that came
 * back may not see all workers again). The plan is pure; `runCycling` polls and calls.
 * A missing or refused token is one warning: the master runs on, without graceful cycling.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseConfig, type Env } from '../config/schema.js';
import { MASTER_UI_PORT } from '../space/index.js';
import { zookeeperUrl } from '../zookeeper/index.js';
import { call, restartFormation, type ApiRequest, type ApiResult } from './api.js';

export type CyclingPlan = { run: false; why: string; warn: boolean } | { run: true; app: string; masterJson: string; request: ApiRequest; token: string; baseUrl?: string };

/** Pure: whether and how this master dyno cycles the workers. */
export function cyclingPlan(env: Env): CyclingPlan {
  const s = parseConfig(env, 'run');
  if (s.SPARK_MASTERS > 1 || zookeeperUrl(s)) return { run: false, warn: false, why: 'graceful cycling is not needed: with ZooKeeper the masters recover the workers themselves' };
  if (!s.SPARK_HEROKU_ACCESS_TOKEN)
    return { run: false, warn: true, why: 'graceful cycling is off: SPARK_HEROKU_ACCESS_TOKEN is not set (heroku config:set SPARK_HEROKU_ACCESS_TOKEN=<token of an account with operate access>)' };
  const app = env.HEROKU_APP_NAME || s.HEROKU_DNS_APP_NAME?.split('.')[0];
  if (!app) return { run: false, warn: true, why: 'graceful cycling is off: the app name is unknown (no HEROKU_APP_NAME, no HEROKU_DNS_APP_NAME)' };
  const host = s.HEROKU_PRIVATE_IP ?? s.HEROKU_DNS_DYNO_NAME ?? '127.0.0.1';
  return { run: true, app, masterJson: `http://${host}:${MASTER_UI_PORT}/json`, request: restartFormation(app, 'worker'), token: s.SPARK_HEROKU_ACCESS_TOKEN, baseUrl: s.HEROKU_API_URL };
}

/** Pure: the line logged for the API's answer. */
export function outcome(r: ApiResult, app: string): { line: string; warn: boolean } {
  if (r.ok) return { warn: false, line: `restarted the worker dynos of ${app} (HTTP ${r.status}): they register with this master as they come back` };
  if (r.status === 401 || r.status === 403)
    return {
      warn: true,
      line: `the Platform API refused SPARK_HEROKU_ACCESS_TOKEN (HTTP ${r.status}${r.id ? ` ${r.id}` : ''}): graceful cycling is off until this master restarts; set a valid token of an account with operate access to ${app}`,
    };
  if (r.status === 404) return { warn: true, line: `the Platform API knows no app ${app} with a worker process type (HTTP 404): graceful cycling did nothing` };
  return { warn: true, line: `restarting the worker dynos failed (${r.status ? `HTTP ${r.status}` : 'no answer'}: ${r.message}); the workers were not cycled` };
}

/** Waits for this master to be ALIVE, then restarts the worker formation once. */
export async function runCycling(env: Env, say: (line: string) => void, o: { pollMs?: number; baseDelayMs?: number } = {}): Promise<ApiResult | undefined> {
  const plan = cyclingPlan(env);
  if (!plan.run) {
    say(`${plan.warn ? 'WARNING: ' : ''}${plan.why}`);
    return undefined;
  }
  for (;;) {
    try {
      const res = await fetch(plan.masterJson, { signal: AbortSignal.timeout(2000) });
      if (res.ok && ((await res.json()) as { status?: string }).status === 'ALIVE') break;
    } catch {
      /* not up yet */
    }
    await sleep(o.pollMs ?? 1000);
  }
  say(`the master is ALIVE: restarting the worker dynos of ${plan.app} through the Platform API`);
  const r = await call(plan.request, {
    baseUrl: plan.baseUrl,
    token: plan.token,
    baseDelayMs: o.baseDelayMs,
    onRetry: (x) => say(`the Platform API answered ${x.status ? `HTTP ${x.status}` : 'nothing'}; retrying in ${(x.delayMs / 1000).toFixed(0)} s (try ${x.attempt + 1})`),
  });
  const out = outcome(r, plan.app);
  say(`${out.warn ? 'WARNING: ' : ''}${out.line}`);
  return r;
}
