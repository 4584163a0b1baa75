/**
 * Benchmark of the local space at scale (not a test): `npm run bench:scale`. For 10, 25 and 50
 * workers (small heaps: 192 MB per daemon, 1 core and 512 MB offered per worker):
 *   up     — `local up --detach` until every worker is ALIVE: seconds, the master's /json checked
 *            (every worker ALIVE by its space name), peak memory of the space's JVMs;
 *   cycle  — `local cycle worker`: every worker restarted one at a time on a new address, each
 *            ALIVE again before the next: seconds in all and per worker, /json checked again, peak
 *            memory during the cycle.
 * Then, same run, the baseline of class-data sharing: BENCH_SCALE_BASELINE workers (50) started
 * again with SPARK_CDS=false (`up` only). The sizes above run with the space's archives, recorded by
 * the first run's dynos (as a user's second `local up` has them).
 * Writes bench/results/scale.json. BENCH_SCALE=10,25 picks other sizes; BENCH_SCALE=none runs only
 * the baseline and keeps the file's other results.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { appWithSpark, cli } from '../test/helpers/cluster.js';
import { DEFAULT_VERSION } from '../test/helpers/spark.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sizes = process.env.BENCH_SCALE === 'none' ? [] : (process.env.BENCH_SCALE ?? '10,25,50').split(',').map(Number);
const baselineN = Number(process.env.BENCH_SCALE_BASELINE ?? 50);
const resultFile = path.join(repo, 'bench/results/scale.json');
const APP = 'bench-scale';
const now = () => performance.now() / 1000;

/** RSS (MB) of every process whose command line names a dyno of the app (master and worker JVMs). */
function spaceRssMb(): number {
  const out = execFileSync('ps', ['-eo', 'rss=,args='], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return out
    .split('\n')
    .filter((l) => l.includes(`.${APP}.app.localspace`))
    .reduce((sum, l) => sum + Number(l.trim().split(/\s+/)[0]) / 1024, 0);
}

/** Samples the space's memory every 500 ms while `work` runs; returns its result and the peak. */
async function withPeak<T>(work: () => Promise<T>): Promise<{ value: T; peakMb: number }> {
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, spaceRssMb())), 500);
  try {
    const value = await work();
    peak = Math.max(peak, spaceRssMb());
    return { value, peakMb: Math.round(peak) };
  } finally {
    clearInterval(timer);
  }
}

interface Status {
  healthy: boolean;
  problems: string[];
  master: { workers: { host: string; state: string }[] } | null;
}

const VARS = { SPARK_DAEMON_MEMORY: '192m', SPARK_WORKER_CORES: '1', SPARK_WORKER_MEMORY: '512m', LOG_LEVEL: 'WARN' };
const { app } = await appWithSpark(DEFAULT_VERSION, VARS);
const status = async (dir = app): Promise<Status> => JSON.parse((await cli(['local', 'status', '--json', '--dir', dir])).stdout);
const aliveNames = (s: Status) => new Set((s.master?.workers ?? []).filter((w) => w.state === 'ALIVE').map((w) => w.host));
const expected = (n: number) => Array.from({ length: n }, (_, i) => `${i + 1}.worker.${APP}.app.localspace`);

const results = [];
for (const n of sizes) {
  const t0 = now();
  const up = await withPeak(() => cli(['local', 'up', '--detach', '--dir', app, '--app', APP, '--workers', String(n), '--timeout', '1200s'], { timeout: 1_300_000 }));
  const upSeconds = now() - t0;
  if (up.value.exitCode !== 0) {
    console.log(`${n} workers: local up failed after ${upSeconds.toFixed(0)} s:\n${up.value.all?.slice(-3000)}`);
    results.push({ workers: n, up: { ok: false, seconds: upSeconds, peakMb: up.peakMb } });
    await cli(['local', 'down', '--dir', app]);
    break;
  }
  const s1 = await status();
  const upOk = expected(n).every((h) => aliveNames(s1).has(h)) && s1.healthy;
  console.log(`${n} workers: all ALIVE after ${upSeconds.toFixed(1)} s, /json ${upOk ? 'correct' : 'WRONG'}, peak ${up.peakMb} MB`);

  const t1 = now();
  const cycle = await withPeak(() => cli(['local', 'cycle', '--dir', app, 'worker'], { timeout: 3_600_000 }));
  const cycleSeconds = now() - t1;
  let s2 = await status();
  const deadline = Date.now() + 120_000;
  while (!s2.healthy && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1000));
    s2 = await status();
  }
  const cycleOk = cycle.value.exitCode === 0 && expected(n).every((h) => aliveNames(s2).has(h)) && s2.healthy;
  console.log(`${n} workers: cycled one at a time in ${cycleSeconds.toFixed(1)} s (${(cycleSeconds / n).toFixed(1)} s each), /json ${cycleOk ? 'correct' : 'WRONG'}, peak ${cycle.peakMb} MB`);
  results.push({
    workers: n,
    up: { ok: upOk, seconds: Number(upSeconds.toFixed(1)), peakMb: up.peakMb, mbPerWorker: Math.round(up.peakMb / (n + 1)) },
    cycle: { ok: cycleOk, seconds: Number(cycleSeconds.toFixed(1)), secondsPerWorker: Number((cycleSeconds / n).toFixed(2)), peakMb: cycle.peakMb, problems: s2.problems },
  });
  await cli(['local', 'down', '--dir', app]);
}

// the baseline: the same start without class-data archives
let withoutCds: { workers: number; up: { ok: boolean; seconds: number; peakMb: number } } | undefined;
if (baselineN > 0) {
  const { app: plain } = await appWithSpark(DEFAULT_VERSION, { ...VARS, SPARK_CDS: 'false' });
  const t0 = now();
  const up = await withPeak(() => cli(['local', 'up', '--detach', '--dir', plain, '--app', APP, '--workers', String(baselineN), '--timeout', '1200s'], { timeout: 1_300_000 }));
  const seconds = now() - t0;
  const s = up.value.exitCode === 0 ? await status(plain) : undefined;
  const ok = Boolean(s && expected(baselineN).every((h) => aliveNames(s).has(h)) && s.healthy);
  console.log(`${baselineN} workers without class-data archives (SPARK_CDS=false): all ALIVE after ${seconds.toFixed(1)} s, /json ${ok ? 'correct' : 'WRONG'}, peak ${up.peakMb} MB`);
  withoutCds = { workers: baselineN, up: { ok, seconds: Number(seconds.toFixed(1)), peakMb: up.peakMb } };
  await cli(['local', 'down', '--dir', plain]);
}

const previous = existsSync(resultFile) ? (JSON.parse(readFileSync(resultFile, 'utf8')) as { results?: unknown[] }) : {};
const out = {
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30) },
  spark: DEFAULT_VERSION,
  heaps: { daemonMb: 192, workerOfferMb: 512, workerCores: 1 },
  cds: 'the sizes run with the class-data archives their first start recorded (SPARK_CDS_DIR, as local sets it)',
  results: sizes.length ? results : (previous.results ?? []),
  withoutCds,
};
mkdirSync(path.join(repo, 'bench/results'), { recursive: true });
writeFileSync(resultFile, `${JSON.stringify(out, null, 2)}\n`);
console.log('\nwrote bench/results/scale.json');
