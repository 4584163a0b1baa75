/**
 * Benchmark of graceful decommission (not a test): `npm run bench:decommission`. The workload of
 * test/helpers/decommission.ts (90 cached partitions, then a shuffle over them) on a local space of
 * 3 workers (1 core each), run as a one-off dyno:
 *   baseline — nothing happens to the workers;
 *   removed  — `local scale worker=2` when 20 tasks of the shuffle-map stage are done;
 * once with decommission (the default) and once with SPARK_DECOMMISSION=false, in the same run.
 * Wall time, tasks that failed or ran again (event log), cached partitions computed again, and how
 * long the scale-down took. Writes bench/results/decommission.json. BENCH_REPEAT=N runs each N times.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tmpdir } from '../test/helpers/buildpack.js';
import { appWithSpark, cli } from '../test/helpers/cluster.js';
import { CYCLED_JOB_PARTITIONS, CYCLED_JOB_RESULT, runCycledJob, spaceConfig, writeDotenv } from '../test/helpers/decommission.js';
import { DEFAULT_VERSION } from '../test/helpers/spark.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repeat = Number(process.env.BENCH_REPEAT ?? 2);
const events = tmpdir('bench-events-');
const base = spaceConfig(events, { LOG_LEVEL: 'WARN' });
const { app } = await appWithSpark(DEFAULT_VERSION, base);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : Number(((s[m - 1]! + s[m]!) / 2).toFixed(2));
};

const modes: Record<string, unknown> = {};
for (const mode of ['decommission', 'no-decommission'] as const) {
  const name = `bench-${mode === 'decommission' ? 'decom' : 'plain'}`;
  writeDotenv(app, { ...base, ...(mode === 'no-decommission' ? { SPARK_DECOMMISSION: 'false' } : {}) });
  const up = await cli(['local', 'up', '--detach', '--dir', app, '--app', name, '--workers', '3'], { timeout: 600_000 });
  if (up.exitCode !== 0) throw new Error(up.all);
  const runs: { scenario: string; wallS: number; failedOrRerun: number; cachedRecomputed: number; scaleDownS?: number; counts: unknown }[] = [];
  for (let i = 0; i < repeat; i++)
    for (const scenario of ['baseline', 'removed'] as const) {
      const action = scenario === 'baseline' ? ['status', '--app', name] : ['scale', 'worker=2', '--app', name];
      const r = await runCycledJob(app, events, action);
      if (r.result !== CYCLED_JOB_RESULT) throw new Error(`wrong answer ${r.result}:\n${r.all}`);
      // `local scale worker=2` returns once worker.3 has drained and is gone
      const scaleDownS = scenario === 'removed' ? Number(r.actedS.toFixed(1)) : undefined;
      runs.push({ scenario, wallS: r.wallS, failedOrRerun: r.counts.failed + r.counts.retried, cachedRecomputed: r.computed - CYCLED_JOB_PARTITIONS, scaleDownS, counts: r.counts });
      console.log(
        `${mode} ${scenario} #${i + 1}: ${r.wallS.toFixed(1)} s${scaleDownS !== undefined ? ` (scale-down ${scaleDownS} s)` : ''}, failed or re-run tasks ${r.counts.failed + r.counts.retried}, cached partitions recomputed ${r.computed - CYCLED_JOB_PARTITIONS}${scenario === 'removed' ? `, worker removal mid-job (${r.midJob ? 'yes' : 'NO'})` : ''}`,
      );
      if (scenario === 'removed') await cli(['local', 'scale', 'worker=3', '--dir', app, '--app', name], { timeout: 300_000 });
    }
  await cli(['local', 'down', '--dir', app, '--app', name]);
  const of = (s: string) => runs.filter((r) => r.scenario === s);
  modes[mode] = {
    baselineWallS: median(of('baseline').map((r) => r.wallS)),
    removedWallS: median(of('removed').map((r) => r.wallS)),
    removedOverBaseline: Number((median(of('removed').map((r) => r.wallS)) / median(of('baseline').map((r) => r.wallS))).toFixed(2)),
    failedOrRerunTasks: median(of('removed').map((r) => r.failedOrRerun)),
    cachedPartitionsRecomputed: median(of('removed').map((r) => r.cachedRecomputed)),
    scaleDownS: median(of('removed').map((r) => r.scaleDownS!)),
    runs,
  };
}
const result = {
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, memGb: Math.round(os.totalmem() / 2 ** 30) },
  spark: DEFAULT_VERSION,
  repeat,
  workload: '90 cached partitions (100 ms each), then a shuffle (90 map tasks of 250 ms, 6 reducers); 3 workers of 1 core; one worker removed when 20 map tasks are done',
  ...modes,
};
mkdirSync(path.join(repo, 'bench/results'), { recursive: true });
writeFileSync(path.join(repo, 'bench/results/decommission.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log(
  JSON.stringify({ ...result, decommission: { ...(modes['decommission'] as object), runs: undefined }, 'no-decommission': { ...(modes['no-decommission'] as object), runs: undefined } }, null, 2),
);
