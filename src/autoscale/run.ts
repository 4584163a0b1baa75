/**
 * The autoscaler beside each master (bin/spark-master starts it when SPARK_AUTOSCALE_MAX is set):
 * every SPARK_AUTOSCALE_INTERVAL it reads its own master; only the leader (ALIVE) decides, so under
 * ZooKeeper HA exactly one acts, and a failover hands the job over with the leadership. It acts on
 * the worker formation through the Platform API (SPARK_HEROKU_ACCESS_TOKEN, as graceful cycling)
 * or, in a local space, through its control socket (`local scale`): the same decisions either way.
 * Every action, and every change of the reason not to act, is one log line; `GET /` on
 * AUTOSCALE_PORT answers the policy and the last decision (`status` reads it through the proxy).
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseConfig, type Env, type Settings } from '../config/schema.js';
import { call, type ApiRequest, type ApiResult } from '../heroku/api.js';
import { ask } from '../local/control.js';
import { AUTOSCALE_PORT, MASTER_UI_PORT } from '../space/index.js';
import { coresLeft, decide, decisionLine, observe, track, type AutoscaleReport, type Decision, type History, type Policy } from './index.js';
import type { JobsJson } from '../jobs/index.js';

/** What `GET /` on AUTOSCALE_PORT answers: starting, acting (this master leads), standby (another does), or off (and why). */
export type AutoscaleStatus = AutoscaleReport;

/** The worker formation, on Heroku or in a local space. */
export interface Formation {
  where: string;
  current(): Promise<number>;
  scaleTo(n: number): Promise<void>;
}

/** A refusal that turns autoscaling off (401/403): the cluster is left as it is. */
export class AutoscaleOff extends Error {}

export const policyOf = (s: Settings): Policy & { intervalMs: number } => ({
  min: s.SPARK_AUTOSCALE_MIN,
  max: s.SPARK_AUTOSCALE_MAX ?? s.SPARK_AUTOSCALE_MIN,
  idleMs: s.SPARK_AUTOSCALE_IDLE,
  cooldownMs: s.SPARK_AUTOSCALE_COOLDOWN,
  intervalMs: s.SPARK_AUTOSCALE_INTERVAL,
});

/** Pure: the Platform API requests the autoscaler sends (validated against the schema by the fake). */
export const workerFormation = (app: string): ApiRequest => ({ method: 'GET', path: `/apps/${encodeURIComponent(app)}/formation/worker` });
export const scaleWorkers = (app: string, quantity: number): ApiRequest => ({ method: 'PATCH', path: `/apps/${encodeURIComponent(app)}/formation`, body: { updates: [{ type: 'worker', quantity }] } });

/** Through the Platform API: 429 and 5xx retried with backoff (`call`), 401/403 turn autoscaling off. */
export function herokuFormation(app: string, token: string, baseUrl: string | undefined, say: (l: string) => void, baseDelayMs?: number): Formation {
  const send = async (req: ApiRequest, what: string): Promise<Extract<ApiResult, { ok: true }>> => {
    const r = await call(req, {
      token,
      baseUrl,
      baseDelayMs,
      onRetry: (x) => say(`the Platform API answered ${x.status ? `HTTP ${x.status}` : 'nothing'} to ${what}; retrying in ${(x.delayMs / 1000).toFixed(0)} s`),
    });
    if (r.ok) return r;
    if (r.status === 401 || r.status === 403) throw new AutoscaleOff(`the Platform API refused SPARK_HEROKU_ACCESS_TOKEN (HTTP ${r.status}) to ${what}`);
    throw new Error(`${what} failed (${r.status ? `HTTP ${r.status}` : 'no answer'}: ${r.message})`);
  };
  return {
    where: `the Platform API (app ${app})`,
    current: async () => ((await send(workerFormation(app), `read the worker formation of ${app}`)).body as { quantity: number }).quantity,
    scaleTo: async (n) => void (await send(scaleWorkers(app, n), `scale the workers of ${app} to ${n}`)),
  };
}

/** Through a local space's control socket: `local scale worker=N` (it stops the highest-numbered, as Heroku does). */
export function localFormation(socket: string): Formation {
  return {
    where: 'the local space',
    current: async () => (await ask(socket, { op: 'state' })).state?.formation.worker ?? 0,
    scaleTo: async (n) => void (await ask(socket, { op: 'scale', want: { worker: n } })),
  };
}

async function get(url: string): Promise<Response | undefined> {
  try {
    return await fetch(url, { signal: AbortSignal.timeout(5000) });
  } catch {
    return undefined;
  }
}

/** One look and, when this master leads, one decision (acted on). Returns the decision, or undefined on standby. */
export async function step(o: {
  masterUi: string;
  formation: Formation;
  policy: Policy;
  defaultCores: number;
  history: History;
  now: number;
}): Promise<{ decision?: Decision; history: History; standby?: string }> {
  const res = await get(`${o.masterUi}/json/`);
  const json = res?.ok ? ((await res.json()) as JobsJson) : undefined;
  if (!json) return { history: o.history, standby: 'its master does not answer' };
  if (json.status !== 'ALIVE') return { history: o.history, standby: `its master is ${json.status ?? 'not ALIVE'}` };
  const pages = await Promise.all(
    (json.activeapps ?? []).map(async (a) => {
      const r = await get(`${o.masterUi}/app/?appId=${encodeURIComponent(a.id)}`);
      return [a.id, r?.ok ? coresLeft(await r.text(), o.defaultCores) : undefined] as const;
    }),
  );
  const view = observe(json, await o.formation.current(), Object.fromEntries(pages), o.defaultCores);
  const history = track(o.history, view, o.now);
  const decision = decide(view, o.policy, history, o.now);
  if (decision.action === 'none') return { decision, history };
  await o.formation.scaleTo(decision.to);
  return { decision, history: { ...history, lastActionAt: o.now } };
}

/** The plan of this master dyno's autoscaler: off (and why), or what it needs. */
export function autoscalePlan(env: Env): { run: false; why: string; warn: boolean } | { run: true; settings: Settings; masterUi: string; formation: (say: (l: string) => void) => Formation } {
  const s = parseConfig(env, 'run');
  if (s.SPARK_AUTOSCALE_MAX === undefined) return { run: false, warn: false, why: 'autoscaling is off (SPARK_AUTOSCALE_MAX is not set)' };
  const host = s.HEROKU_PRIVATE_IP ?? s.HEROKU_DNS_DYNO_NAME ?? '127.0.0.1';
  const masterUi = `http://${host}:${MASTER_UI_PORT}`;
  if (env.SPARK_IN_SPACE_LOCAL === '1' && env.SPARK_IN_SPACE_SHARED_DIR) {
    const socket = path.join(env.SPARK_IN_SPACE_SHARED_DIR, 'control.sock');
    return { run: true, settings: s, masterUi, formation: () => localFormation(socket) };
  }
  if (!s.SPARK_HEROKU_ACCESS_TOKEN)
    return {
      run: false,
      warn: true,
      why: 'autoscaling is off: SPARK_AUTOSCALE_MAX is set but SPARK_HEROKU_ACCESS_TOKEN is not (heroku config:set SPARK_HEROKU_ACCESS_TOKEN=<token of an account with operate access>)',
    };
  const app = env.HEROKU_APP_NAME || s.HEROKU_DNS_APP_NAME?.split('.')[0];
  if (!app) return { run: false, warn: true, why: 'autoscaling is off: the app name is unknown (no HEROKU_APP_NAME, no HEROKU_DNS_APP_NAME)' };
  const token = s.SPARK_HEROKU_ACCESS_TOKEN;
  return { run: true, settings: s, masterUi, formation: (say) => herokuFormation(app, token, s.HEROKU_API_URL, say, Number(env.SPARK_IN_SPACE_BACKOFF_MS) || undefined) };
}

/** The loop (never throws, never stops the master): logs each action and each new reason not to act. */
export async function runAutoscale(env: Env, say: (line: string) => void, o: { listen?: string; port?: number; rounds?: number } = {}): Promise<void> {
  const plan = autoscalePlan(env);
  if (!plan.run) {
    if (plan.warn) say(`WARNING: ${plan.why}`);
    return;
  }
  const policy = policyOf(plan.settings);
  const formation = plan.formation(say);
  const status: AutoscaleStatus = { policy, mode: 'starting', where: formation.where };
  const server = process.getBuiltinModule('node:http').createServer((_, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(status)));
  await new Promise<void>((resolve) => {
    server.once('error', (err) => {
      say(`WARNING: cannot answer on port ${o.port ?? AUTOSCALE_PORT} (${err.message}): status will not show autoscaling`);
      resolve();
    });
    server.listen(o.port ?? AUTOSCALE_PORT, o.listen ?? plan.settings.HEROKU_PRIVATE_IP ?? '0.0.0.0', resolve);
  });
  server.unref();
  say(`on: ${policy.min}..${policy.max} workers through ${formation.where}; idle after ${policy.idleMs / 1000} s, cool-down ${policy.cooldownMs / 1000} s; only the leading master acts`);
  let history: History = { idleSince: {} };
  let lastLine = '';
  for (let round = 0; o.rounds === undefined || round < o.rounds; round++) {
    if (round) await sleep(policy.intervalMs);
    try {
      const r = await step({ masterUi: plan.masterUi, formation, policy, defaultCores: plan.settings.SPARK_DEFAULT_CORES, history, now: Date.now() });
      history = r.history;
      status.mode = r.standby ? 'standby' : 'acting';
      const line = r.standby ? `standing by: ${r.standby}` : decisionLine(r.decision!);
      if (r.decision) {
        const at = new Date().toISOString();
        status.last = { ...r.decision, at };
        if (r.decision.action !== 'none') status.lastAction = status.last;
      }
      // every action is logged; a reason not to act only when it changes (not every interval)
      const key = r.decision?.action === 'none' ? line.replace(/\d+ s from now/, '').replace(/\d+ cores asked for, \d+ free/, '') : `${line}${round}`;
      if (key !== lastLine) say(line);
      lastLine = key;
    } catch (err) {
      if (err instanceof AutoscaleOff) {
        status.mode = 'off';
        status.off = err.message;
        say(`WARNING: ${err.message}: autoscaling is off until this master restarts; the cluster is left as it is`);
        // still answering `status` (mode off, and why) for as long as the master runs
        if (o.rounds === undefined) {
          server.ref();
          await new Promise(() => undefined);
        }
        return;
      }
      say(`WARNING: ${(err as Error).message.split('\n')[0]}; trying again in ${policy.intervalMs / 1000} s`);
    }
  }
}
