/**
 * Benchmark of autoscaling (not a test): `npm run bench:autoscale`. A local space of 1 worker
 * (1 core) with `--autoscale 1:3`, SPARK_AUTOSCALE_INTERVAL=2s, IDLE=20s, COOLDOWN=5s: a spark-shell
 * job asks for 3 cores (spark.cores.max) and holds them; timed from its submission to all 3 of its
 * executors running (the autoscaler sees it waiting, the space starts 2 workers, they register, the
 * master gives it executors), and from the job's end to the space back at 1 worker (idle 20 s,
 * then decommission). Against a fixed baseline in the same run: the same job on a space already at
 * 3 workers. BENCH_REPEAT=N runs each N times (default 3). Writes bench/results/autoscale.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bin } from '../test/helpers/buildpack.js';
import { appWithSpark, cli, localStatus } from '../test/helpers/cluster.js';
import { until } from '../test/helpers/wait.js';
import { DEFAULT_VERSION } from '../test/helpers/spark.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repeat = Number(process.env.BENCH_REPEAT ?? 3);
const IDLE_S = 20;
const { app } = await appWithSpark(DEFAULT_VERSION, {
  SPARK_WORKER_CORES: '1',
  SPARK_WORKER_MEMORY: '1g',
  SPARK_EXECUTOR_MEMORY: '512m',
  SPARK_DRIVER_MEMORY: '512m',
  SPARK_DAEMON_MEMORY: '256m',
  LOG_LEVEL: 'WARN',
  SPARK_AUTOSCALE_IDLE: `${IDLE_S}s`,
  SPARK_AUTOSCALE_COOLDOWN: '5s',
  SPARK_AUTOSCALE_INTERVAL: '2s',
});
type S = { formation: Record<string, number>; dynos: { name: string }[]; master: { activeapps: { id: string; cores?: number }[] } | null };
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : Number(((s[m - 1]! + s[m]!) / 2).toFixed(1));
};

/** Runs the job; resolves with the seconds from its start to 3 cores granted, then ends it and waits for the end. */
async function job(name: string): Promise<{ toExecutorsS: number; end: number }> {
  const t0 = Date.now();
  const shell = cli(['local', 'run', '--dir', app, '--app', name, bin('spark-shell'), '--conf', 'spark.cores.max=3'], {
    input: 'sc.parallelize(1 to 3, 3).map { x => Thread.sleep(15000); x }.count\n:quit\n',
    timeout: 600_000,
  });
  await until('3 cores granted', async () => ((await localStatus<S>(app, name)).master?.activeapps.find((a) => (a.cores ?? 0) >= 3) ? true : undefined), 300_000, 250);
  const toExecutorsS = (Date.now() - t0) / 1000;
  const r = await shell;
  if (r.exitCode !== 0) throw new Error(r.all);
  return { toExecutorsS, end: Date.now() };
}

const result: Record<string, unknown> = {};
for (const mode of ['fixed-3', 'autoscale-1-3'] as const) {
  const name = `bench-as-${mode === 'fixed-3' ? 'fixed' : 'auto'}`;
  const up = await cli(['local', 'up', '--detach', '--dir', app, '--app', name, '--workers', mode === 'fixed-3' ? '3' : '1', ...(mode === 'fixed-3' ? [] : ['--autoscale', '1:3'])], {
    timeout: 600_000,
  });
  if (up.exitCode !== 0) throw new Error(up.all);
  const runs: { toExecutorsS: number; backToMinS?: number }[] = [];
  for (let i = 0; i < repeat; i++) {
    const j = await job(name);
    let backToMinS: number | undefined;
    if (mode !== 'fixed-3') {
      await until('back to 1 worker', async () => ((await localStatus<S>(app, name)).dynos.filter((d) => d.name.startsWith('worker.')).length === 1 ? true : undefined), 300_000, 250);
      backToMinS = (Date.now() - j.end) / 1000;
    }
    runs.push({ toExecutorsS: Number(j.toExecutorsS.toFixed(1)), backToMinS: backToMinS && Number(backToMinS.toFixed(1)) });
    console.log(
      `${mode} #${i + 1}: executors running after ${j.toExecutorsS.toFixed(1)} s${backToMinS ? `; back to 1 worker ${backToMinS.toFixed(1)} s after the job (idle ${IDLE_S} s + decommission)` : ''}`,
    );
  }
  await cli(['local', 'down', '--dir', app, '--app', name]);
  result[mode] = { toExecutorsS: median(runs.map((r) => r.toExecutorsS)), backToMinS: mode === 'fixed-3' ? undefined : median(runs.map((r) => r.backToMinS!)), runs };
}
const fixed = result['fixed-3'] as { toExecutorsS: number };
const auto = result['autoscale-1-3'] as { toExecutorsS: number; backToMinS: number };
const out = {
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
  spark: DEFAULT_VERSION,
  policy: { min: 1, max: 3, idleS: IDLE_S, cooldownS: 5, intervalS: 2, workerCores: 1 },
  job: 'spark-shell, spark.cores.max=3, 3 tasks of 15 s',
  ...result,
  scaleUpCostS: Number((auto.toExecutorsS - fixed.toExecutorsS).toFixed(1)),
  idleToMinimumS: auto.backToMinS,
};
mkdirSync(path.join(repo, 'bench/results'), { recursive: true });
writeFileSync(path.join(repo, 'bench/results/autoscale.json'), `${JSON.stringify(out, null, 2)}\n`);
console.log(JSON.stringify(out, null, 2));
