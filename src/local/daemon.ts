/**
 * The space's supervisor, in the foreground (`local up`) or detached (`local up --detach`: a
 * background process with the plan, and this one polling the space's health until it is ready or
 * the timeout), and the `Ready` lines both print.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { lookup, type Env } from '../config/schema.js';
import { fail } from '../errors.js';
import { writeAtomicSync } from '../fs/atomic.js';
import { consoleOutput } from '../output.js';
import { subnetFor } from './formation.js';
import { startSpacePostgres, stopSpacePostgres } from './postgres.js';
import { report } from './report.js';
import { configEnv, spaceConfigEnv } from './runner.js';
import { alive, logsDir, readState } from './state.js';
import { Supervisor } from './supervisor.js';
import { webUser } from './passwords.js';
import { CONNECT_PORT, SPACE_SUFFIX, THRIFT_HTTP_PORT } from '../space/index.js';
import { API_PORT } from '../ports.js';
import type { UpPlan } from './plan.js';

const say = (line: string) => consoleOutput().step(line);

/** Pure: where the space's catalog is, for the `Ready` lines (nothing to say without SQL servers or a metastore). */
export function catalogLine(plan: Pick<UpPlan, 'counts' | 'vars' | 'postgres' | 'dir'>, config: Env): string | undefined {
  const port = plan.vars?.SPARK_METASTORE_PORT ?? lookup(config, 'SPARK_METASTORE_PORT')?.value ?? '9083';
  const derby = plan.vars?.SPARK_METASTORE_DERBY_DIR ?? lookup(config, 'SPARK_METASTORE_DERBY_DIR')?.value;
  if (plan.counts.metastore) {
    const where = plan.postgres
      ? `the space's PostgreSQL (${path.join(plan.dir, 'postgres')})`
      : lookup(config, 'SPARK_METASTORE_DATABASE_URL')
        ? `the PostgreSQL of ${lookup(config, 'SPARK_METASTORE_DATABASE_URL')!.from}`
        : `Derby in ${derby} (kept by down and cycle; on Heroku the catalog needs PostgreSQL)`;
    return `catalog: one for every driver, the metastore dyno (port ${port}) on ${where}`;
  }
  if (plan.counts.thrift || plan.counts.connect)
    return `catalog: none shared (no metastore dyno): the thrift and connect servers keep one each, one-off drivers share ${path.join(plan.dir, 'data', 'metastore')} one at a time`;
  return undefined;
}

/** Pure: where the thrift, connect and api dynos answer, for the `Ready` lines. */
export function endpointLines(app: string, thrift: boolean, connect: boolean, web?: string, api = false): string[] {
  const out: string[] = [];
  if (thrift) {
    if (web) out.push(`JDBC: beeline -u 'jdbc:hive2://${web.replace(/^https?:\/\//, '').replace(/\/$/, '')}/default;transportMode=http;httpPath=cliservice' -n spark -p <password>`);
    out.push(`JDBC in the space: jdbc:hive2://1.thrift.${app}.${SPACE_SUFFIX}:${THRIFT_HTTP_PORT}/default;transportMode=http;httpPath=cliservice`);
  }
  if (connect)
    out.push(
      `Spark Connect: spark-in-space local exec -- python … with sc://1.connect.${app}.${SPACE_SUFFIX}:${CONNECT_PORT}/;token=<SPARK_CONNECT_TOKEN> (TLS; local exec trusts the space's certificate)`,
    );
  if (api) {
    if (web) out.push(`HTTP API: curl -u spark:<password> -H 'Content-Type: application/json' -d '{"statement": "SELECT 1"}' ${web.replace(/\/$/, '')}/api/v1/statements`);
    out.push(`HTTP API in the space: http://1.api.${app}.${SPACE_SUFFIX}:${API_PORT}/api/v1/ with Authorization: Bearer <SPARK_API_TOKEN> (docs/api.md)`);
  }
  return out;
}

/** The supervisor in this process (the foreground, or the detached one's own): until the space stops. */
export async function supervise(plan: UpPlan, foreground: boolean): Promise<void> {
  // the space's PostgreSQL (already started by `up`): its URL reaches the dynos' environment only
  if (plan.postgres) await startSpacePostgres(plan.dir, subnetFor(plan.app), foreground ? say : () => {});
  const config = spaceConfigEnv(plan.appDir, plan.dir, plan);
  const sup = new Supervisor({ ...plan, config, echo: foreground });
  // Signals are handled before the first JVM starts, so Ctrl-C at any moment leaves none behind.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => void sup.stop());
  await sup.start();
  if (await sup.ready(plan.timeout)) {
    const s = sup.snapshot();
    say(`Ready: ${s.dynos.length} dynos up, master URL ${s.masterUrl}, master UI ${sup.masterUi()}`);
    if (s.web) say(`web (space proxy): ${s.web} (${webUser(config, plan.dir)})`);
    // the same lines as with --detach: where the servers answer
    for (const line of endpointLines(plan.app, Boolean(plan.counts.thrift), Boolean(plan.counts.connect), s.web, Boolean(plan.counts.api))) say(line);
    const catalog = catalogLine(plan, config);
    if (catalog) say(catalog);
  } else say('Not every dyno is up yet: see `spark-in-space local status` and `local logs`');
  await sup.stopped;
  if (plan.postgres) await stopSpacePostgres(plan.dir);
  process.exit(0);
}

/** Starts the supervisor in the background with the plan, and waits until the space is healthy (or fails saying why). */
export async function detach(plan: UpPlan): Promise<void> {
  const counts = plan.counts;
  mkdirSync(logsDir(plan.dir), { recursive: true });
  const logFile = path.join(logsDir(plan.dir), 'supervisor.log');
  // the plan, whole (no config values: the supervisor reads .env and the environment itself)
  const planFile = path.join(plan.dir, 'plan.json');
  writeAtomicSync(planFile, `${JSON.stringify(plan, null, 2)}\n`);
  const out = openSync(logFile, 'a');
  // this very entry (dist/cli.mjs, the bundle `bin` installs, or dist/cli/index.js)
  const child = spawn(process.execPath, [process.argv[1]!, 'local', 'up', '--dir', plan.appDir, '--app', plan.app, '--supervise', planFile], {
    detached: true,
    stdio: ['ignore', out, out],
    env: process.env,
  });
  child.unref();
  closeSync(out);
  say(
    `Starting ${plan.app} in the background: ${Object.entries(counts)
      .map(([t, n]) => `${t}=${n}`)
      .join(' ')}${plan.postgres ? ' (and its PostgreSQL)' : ''}`,
  );
  const deadline = Date.now() + plan.timeout;
  const failed = (why: string) => {
    process.stderr.write(`${readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n')}\n`);
    fail({ code: 'cluster-unhealthy', app: plan.app, problems: [`${why} The supervisor's log is above (${logFile}); \`spark-in-space local logs\` has every dyno's.`] });
  };
  let s = readState(plan.dir);
  while (!s && alive(child.pid) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    s = readState(plan.dir);
  }
  if (!s) return failed('The local space did not start.');
  let last = await report(s);
  while (!last.healthy && alive(child.pid) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    const now = readState(plan.dir);
    if (now) last = await report(now);
  }
  if (!last.healthy) return failed(`The local space is not healthy after ${Math.round(plan.timeout / 1000)} s: ${last.problems.join('; ')}.`);
  say(`Ready: master UI ${last.masterUi}, ${last.master?.aliveWorkers ?? 0} workers ALIVE, master URL ${last.masterUrl}`);
  if (last.web) process.stdout.write(`       web (space proxy): ${last.web} (${webUser(configEnv(plan.appDir), plan.dir)})\n`);
  for (const line of endpointLines(plan.app, Boolean(counts.thrift), Boolean(counts.connect), last.web, Boolean(counts.api))) process.stdout.write(`       ${line}\n`);
  const catalog = catalogLine(plan, configEnv(plan.appDir));
  if (catalog) process.stdout.write(`       ${catalog}\n`);
  process.stdout.write(
    [
      '       spark-in-space local run bin/spark-shell   # a one-off dyno in the space',
      '       spark-in-space local exec -- python job.py # a driver on this machine',
      '       spark-in-space local status                # dynos, restarts, workers',
      '       spark-in-space local down                  # stop',
      '',
    ].join('\n'),
  );
}
