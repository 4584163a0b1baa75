/**
 * `bin/spark-submit --wait [--follow-logs] --deploy-mode cluster …`: Spark's standalone client
 * returns once the driver is accepted (and exits 0 whatever the driver does later, even with
 * spark.standalone.submit.waitAppCompletion). With --wait the launcher runs the client, learns the
 * driver's id, follows it on the leading master (directly: it is a dyno of the space) to its end,
 * streams its log with --follow-logs, and exits 0 only if it FINISHED: usable from CI and from
 * Heroku Scheduler (`bin/spark-submit --wait …` as the job's command).
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import { DRIVER_END_EXIT, fail } from '../errors.js';
import { parseConfig, type Env } from '../config/schema.js';
import { masterHosts } from '../space/index.js';
import { submittedDriver } from '../jobs/index.js';
import { leader, waitForDriver } from '../jobs/act.js';
import { spaceHostsFile, spaceLink, type SparkLink } from '../jobs/link.js';
import { mainClassOf } from './submit-wait-options.js';
import { dynoLog } from '../log/index.js';

const say = dynoLog('spark-in-space.submit-wait', 'spark-in-space');

/** Runs spark-submit's client, passing its output through; its exit code and what it printed on stderr (the last 64 KB). */
function runClient(argv: string[]): Promise<{ code: number; stderr: string }> {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['inherit', 'inherit', 'pipe'] });
  let tail = '';
  child.stderr.on('data', (d: Buffer) => {
    process.stderr.write(d);
    tail = (tail + d.toString()).slice(-65_536);
  });
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((resolve) => {
    child.on('error', (err) => {
      say(`${argv[0]}: ${err.message}`);
      resolve({ code: 127, stderr: tail });
    });
    child.on('close', (c, s) => resolve({ code: c ?? (s ? 128 + (os.constants.signals[s] ?? 0) : 1), stderr: tail }));
  }).finally(() => {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
  }) as Promise<{ code: number; stderr: string }>;
}

/** When the client's INFO line was not printed (LOG_LEVEL=WARN): the newest driver of that main class submitted since `since`. */
async function newestDriver(link: SparkLink, mainClass: string | undefined, since: number): Promise<string | undefined> {
  const l = await leader(link);
  return [...(l.json.activedrivers ?? []), ...(l.json.completeddrivers ?? [])]
    .filter((d) => (!mainClass || d.mainclass === mainClass) && Number(d.starttime ?? 0) >= since - 5000)
    .sort((a, b) => b.id.localeCompare(a.id))[0]?.id;
}

/** The `submit-wait` entry: `argv` is the spark-submit command line the launcher prepared. Exits with the driver's end. */
export async function submitAndWait(env: Env, followLogs: boolean, argv: string[]): Promise<never> {
  const settings = parseConfig(env, 'run');
  // a local space's dyno: its names are in the space's hosts file (src/local/formation.ts dynoEnv)
  const link = spaceLink(masterHosts(settings), spaceHostsFile(env));
  const t0 = Date.now();
  const client = await runClient(argv);
  if (client.code !== 0) process.exit(client.code);
  const id = submittedDriver(client.stderr) ?? (await newestDriver(link, mainClassOf(argv), t0));
  if (!id)
    fail({
      code: 'spark-unfit',
      message: 'spark-submit exited 0 but named no driver (no "Driver successfully submitted as driver-…" line), and the master lists none of this main class since: nothing to wait for.',
    });
  say(`waiting for ${id} to end${followLogs ? ', its log follows' : ''} (Ctrl-C stops waiting, not the driver)`);
  let stopped = false;
  const stop = () => {
    if (stopped) process.exit(130);
    stopped = true;
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const end = await waitForDriver(link, id, {
    followLogs,
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
    say,
    stopped: () => stopped,
  });
  if (end.state === 'STOPPED') {
    say(`stopped waiting; ${end.id} still runs (spark-in-space kill ${end.id} ends it)`);
    process.exit(130);
  }
  if (end.state !== 'FINISHED') fail({ code: 'driver-ended', id: end.id, state: end.state, logs: `spark-in-space logs ${end.id} --stderr (from your machine, while its worker runs)` });
  say(`${end.id} FINISHED`);
  process.exit(DRIVER_END_EXIT.FINISHED);
}
