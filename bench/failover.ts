/**
 * Benchmark of master failover (not a test): `npm run bench:failover`. A local space of 2 masters,
 * 2 workers (1 core) and the space's own 3 ZooKeeper dynos:
 *   kill   — kill -9 of the leader → the standby ALIVE → both workers ALIVE on it;
 *   cycle  — `local cycle` of the leader (SIGTERM, a new IP) → the same, timed from the command's start
 *            (not its end: it returns once the leader's replacement is up, long after the handover);
 * each BENCH_REPEAT times (default 3), medians. Then, in the same run, the daily restart of every
 * dyno one at a time under a stream of short jobs, with ZooKeeper and without (1 master, no
 * ZooKeeper): jobs that failed, and whether the workers were back on the master afterwards.
 * Writes bench/results/failover.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bin, tmpdir } from '../test/helpers/buildpack.js';
import { appWithSpark, cli } from '../test/helpers/cluster.js';
import { writeDotenv } from '../test/helpers/decommission.js';
import { leaderWithWorkers, type HaStatus } from '../test/helpers/ha.js';
import { DEFAULT_VERSION } from '../test/helpers/spark.js';
import { until } from '../test/helpers/wait.js';
import { RECOVERY_TIMEOUT_S } from '../src/render/index.js';
import { ZK_MAX_SESSION_MS } from '../src/zookeeper/index.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repeat = Number(process.env.BENCH_REPEAT ?? 3);
const config = { SPARK_WORKER_CORES: '1', SPARK_WORKER_MEMORY: '1g', SPARK_EXECUTOR_MEMORY: '512m', SPARK_DRIVER_MEMORY: '512m', SPARK_DAEMON_MEMORY: '256m', LOG_LEVEL: 'WARN' };
const { app } = await appWithSpark(DEFAULT_VERSION, config);
writeDotenv(app, config);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : Number(((s[m - 1]! + s[m]!) / 2).toFixed(1));
};
const status = async (name: string): Promise<HaStatus> => JSON.parse((await cli(['local', 'status', '--json', '--dir', app, '--app', name])).stdout);
const up = async (name: string, args: string[]) => {
  const r = await cli(['local', 'up', '--detach', '--dir', app, '--app', name, ...args], { timeout: 600_000 });
  if (r.exitCode !== 0) throw new Error(r.all);
};

/** Seconds from the start of `act` until a master other than `before` (or a new incarnation of it) leads with both workers. */
async function failover(name: string, act: (leader: HaStatus['dynos'][number]) => Promise<void>): Promise<number> {
  const before = await until('a leader', async () => leaderWithWorkers(await status(name), 2), 180_000);
  const t0 = Date.now();
  // the act runs on while the standby takes over: `local cycle` returns once the new dyno is up, later
  const acting = act(before);
  await until(
    'a new leader with both workers',
    async () => {
      const l = leaderWithWorkers(await status(name), 2);
      return l && (l.name !== before.name || l.pid !== before.pid) && l;
    },
    300_000,
    100,
  );
  const seconds = Number(((Date.now() - t0) / 1000).toFixed(1));
  await acting;
  return seconds;
}

/**
 * The daily restart of every dyno, one at a time, under a stream of short jobs from spark-shell.
 * Each job gets 60 s: a driver whose master forgot it (no ZooKeeper) gets no executors again, and its
 * jobs would wait forever; such a job is counted as hung and cancelled, and the stream goes on.
 */
async function cycleUnderJobs(name: string): Promise<{ cycleS: number; ok: number; failed: number; hung: number; okAfterCycle: number; longestGapS: number; errors: string; workersBack: number }> {
  const stop = path.join(tmpdir('bench-stop-'), 'stop');
  const sh = cli(['local', 'run', '--dir', app, '--app', name, bin('spark-shell')], {
    timeout: 1_800_000,
    input: `import scala.concurrent._, scala.concurrent.duration._, ExecutionContext.Implicits.global
var ok = 0; var failed = 0; var hung = 0; val errors = scala.collection.mutable.ArrayBuffer[String]()
println("STREAM_START")
while (!new java.io.File("${stop}").exists) {
  val job = Future { sc.setJobGroup("stream", "stream", true); sc.parallelize(1L to 100000L, 4).reduce(_ + _) }
  try { val s = Await.result(job, 60.seconds); if (s == 5000050000L) { ok += 1; println("OKAT " + System.currentTimeMillis) } else { failed += 1; errors += ("wrong " + s) } }
  catch {
    case _: TimeoutException => hung += 1; sc.cancelJobGroup("stream"); errors += "no executors for 60 s"
    case e: Throwable => failed += 1; errors += e.toString.take(160)
  }
  Thread.sleep(250)
}
println("STREAM ok=" + ok + " failed=" + failed + " hung=" + hung + " errors=" + errors.distinct.take(3).mkString(" | "))
:quit
`,
  });
  let out = '';
  sh.all!.on('data', (d: Buffer) => (out += d.toString()));
  await until('the stream', () => out.includes('STREAM_START'), 300_000);
  const t0 = Date.now();
  await cli(['local', 'cycle', '--dir', app, '--app', name], { timeout: 1_200_000 });
  const cycleS = Math.round((Date.now() - t0) / 1000);
  const t1 = Date.now();
  // the cluster settles (a leader with both workers), then 30 s more of jobs, then the stream stops
  await until('settled', async () => leaderWithWorkers(await status(name), 2), 120_000, 1000);
  const s = await status(name);
  await new Promise((r) => setTimeout(r, 30_000));
  const tStop = Date.now();
  writeFileSync(stop, '');
  const r = await sh;
  const m = /STREAM ok=(\d+) failed=(\d+) hung=(\d+) errors=(.*)/.exec(r.all ?? '');
  if (!m) throw new Error(`the job stream did not report:\n${(r.all ?? '').slice(-2000)}`);
  const okAt = [...(r.all ?? '').matchAll(/OKAT (\d+)/g)].map((x) => Number(x[1]));
  const gaps = okAt
    .slice(1)
    .map((t, i) => t - okAt[i]!)
    .concat(okAt.length ? [tStop - okAt[okAt.length - 1]!] : []);
  return {
    cycleS,
    ok: Number(m[1]),
    failed: Number(m[2]),
    hung: Number(m[3]),
    errors: m[4]!,
    okAfterCycle: okAt.filter((t) => t > t1).length,
    longestGapS: Math.round(Math.max(0, ...gaps) / 1000),
    workersBack: (s.master?.workers ?? []).filter((w) => w.state === 'ALIVE').length,
  };
}

const kills: number[] = [];
const cycles: number[] = [];
await up('bench-ha', ['--masters', '2', '--workers', '2', '--zookeepers', '3']);
for (let i = 0; i < repeat; i++) {
  const k = await failover('bench-ha', async (l) => void process.kill(l.pid, 'SIGKILL'));
  kills.push(k);
  const c = await failover('bench-ha', async (l) => void (await cli(['local', 'cycle', l.name, '--dir', app, '--app', 'bench-ha'], { timeout: 300_000 })));
  cycles.push(c);
  console.log(`#${i + 1}: kill -9 of the leader → standby ALIVE with both workers in ${k} s; cycle of the leader → ${c} s`);
}
const withZk = await cycleUnderJobs('bench-ha');
console.log(
  `every dyno cycled under a job stream, with ZooKeeper: ${withZk.ok} jobs ok, ${withZk.failed} failed, ${withZk.hung} hung (${withZk.cycleS} s of cycling); ${withZk.okAfterCycle} ok after it, longest stretch without a finished job ${withZk.longestGapS} s, ${withZk.workersBack}/2 workers ALIVE after`,
);
await cli(['local', 'down', '--dir', app, '--app', 'bench-ha']);

await up('bench-nozk', ['--masters', '1', '--workers', '2']);
const withoutZk = await cycleUnderJobs('bench-nozk');
console.log(
  `every dyno cycled under a job stream, without ZooKeeper: ${withoutZk.ok} jobs ok, ${withoutZk.failed} failed, ${withoutZk.hung} hung (${withoutZk.cycleS} s of cycling); ${withoutZk.okAfterCycle} ok after it, longest stretch without a finished job ${withoutZk.longestGapS} s, ${withoutZk.workersBack}/2 workers ALIVE after; ${withoutZk.errors}`,
);
await cli(['local', 'down', '--dir', app, '--app', 'bench-nozk']);

const result = {
  spark: DEFAULT_VERSION,
  machine: { cores: os.cpus().length, memoryGb: Math.round(os.totalmem() / 2 ** 30) },
  settings: { zookeeperMaxSessionMs: ZK_MAX_SESSION_MS, recoveryTimeoutS: RECOVERY_TIMEOUT_S, daemonDnsTtlS: 5 },
  killLeaderS: { median: median(kills), runs: kills },
  cycleLeaderS: { median: median(cycles), runs: cycles },
  cycleEveryDynoUnderJobs: { withZooKeeper: withZk, withoutZooKeeper: withoutZk },
};
mkdirSync(path.join(repo, 'bench', 'results'), { recursive: true });
writeFileSync(path.join(repo, 'bench', 'results', 'failover.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
