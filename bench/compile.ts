/**
 * Benchmark of the build step (not a test): run with `npm run bench:compile`.
 * Same run, same file, same loopback mirror:
 *   baseline = `curl -s URL | tar xz` + `sha512sum` of the same file
 *   cold     = bin/compile with an empty cache        (target: cold / baseline <= 0.7)
 *   warm     = bin/compile again with that cache      (target: warm / cold <= 0.1)
 *   restored = bin/compile with a copy of that cache (other inodes and ctimes, mtimes kept: how
 *              Heroku restores the cache for each build): the first such build reads every file
 *              against its SHA-256 (`restoredFirst`), the next ones against the CRC-32 recorded then
 *              (`restored`, every later build on Heroku)
 * plus the installed footprint against the unpruned distribution. Writes bench/results/compile.json.
 */
import { execFileSync } from 'node:child_process';
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMirror } from '../test/helpers/mirror.js';
import { builtinCatalog, defaultRelease } from '../src/catalog/index.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.env.BENCH_RUNS ?? 3);
const version = process.env.BENCH_SPARK_VERSION ?? defaultRelease(builtinCatalog()).version;

const tgz = execFileSync(path.join(repo, 'scripts/test-spark-dist'), [version], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
const mirrorRoot = path.dirname(path.dirname(tgz));
const file = path.basename(tgz);
const sha512 = readFileSync(`${tgz}.sha512`, 'utf8').split(/\s+/)[0]!;
const mirror = await startMirror(mirrorRoot);
const url = `${mirror.url}/spark-${version}/${file}`;
const work = mkdtempSync(path.join(os.tmpdir(), 'sis-bench-'));

// The test tarball is pyspark repacked, not Apache's bytes: pin its own checksum in a test catalog.
const catalogFile = path.join(work, 'catalog.json');
writeFileSync(catalogFile, JSON.stringify({ releases: [{ version, pinned: { hadoop3: { sha512 } } }] }));
const envDir = path.join(work, 'env');
mkdirSync(envDir);
writeFileSync(path.join(envDir, 'SPARK_MIRROR_URL'), mirror.url);
writeFileSync(path.join(envDir, 'SPARK_CATALOG'), catalogFile);

// The mirror runs in this process: everything timed runs asynchronously so it can serve.
const seconds = async (f: () => Promise<unknown>) => {
  const t = process.hrtime.bigint();
  await f();
  return Number(process.hrtime.bigint() - t) / 1e9;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function baseline(i: number): Promise<number> {
  const dir = path.join(work, `base-${i}`);
  mkdirSync(dir);
  const t = await seconds(async () => {
    await execa('bash', ['-o', 'pipefail', '-c', `curl -sf "${url}" | tar xz -C "${dir}"`]);
    await execa('sha512sum', [tgz]);
  });
  rmSync(dir, { recursive: true, force: true });
  return t;
}

async function compile(buildDir: string, cacheDir: string): Promise<number> {
  mkdirSync(buildDir, { recursive: true });
  writeFileSync(path.join(buildDir, '.spark.version'), `${version}\n`);
  return seconds(() => execa(path.join(repo, 'bin/compile'), [buildDir, cacheDir, envDir], { env: { CI: 'true' } }));
}

const base: number[] = [];
const cold: number[] = [];
const warm: number[] = [];
const restoredFirst: number[] = [];
const restored: number[] = [];
/** the cache as Heroku restores it: copied, links as they are, mtimes kept */
const restore = async (from: string, to: string) => execa('cp', ['-a', from, to]);
let manifest: { installedBytes: number; pruned: { bytes: number; files: number; rules: unknown[] }; files: unknown[] } | undefined;
for (let i = 0; i < runs; i++) {
  base.push(await baseline(i));
  const cache = path.join(work, `cache-${i}`);
  cold.push(await compile(path.join(work, `cold-${i}`), cache));
  warm.push(await compile(path.join(work, `warm-${i}`), cache));
  await restore(cache, `${cache}-r1`);
  restoredFirst.push(await compile(path.join(work, `r1-${i}`), `${cache}-r1`));
  await restore(`${cache}-r1`, `${cache}-r2`);
  restored.push(await compile(path.join(work, `r2-${i}`), `${cache}-r2`));
  const info = JSON.parse(readFileSync(path.join(work, `cold-${i}`, 'spark-home', '.spark-in-space.json'), 'utf8'));
  manifest = { installedBytes: info.installedBytes, pruned: info.pruned, files: [] };
  for (const d of [`cold-${i}`, `warm-${i}`, `r1-${i}`, `r2-${i}`, `cache-${i}`, `cache-${i}-r1`, `cache-${i}-r2`]) rmSync(path.join(work, d), { recursive: true, force: true });
  console.log(
    `run ${i + 1}/${runs}: baseline ${base[i]!.toFixed(2)} s, cold ${cold[i]!.toFixed(2)} s, warm ${warm[i]!.toFixed(2)} s, ` +
      `restored ${restoredFirst[i]!.toFixed(2)} s (first: SHA-256) then ${restored[i]!.toFixed(2)} s (CRC-32)`,
  );
}
await mirror.close();
rmSync(work, { recursive: true, force: true });

const unpruned = manifest!.installedBytes + manifest!.pruned.bytes;
const result = {
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30) },
  spark: version,
  tarballBytes: Number(execFileSync('stat', ['-c', '%s', tgz], { encoding: 'utf8' })),
  runs,
  seconds: {
    baseline: median(base),
    cold: median(cold),
    warm: median(warm),
    restoredFirst: median(restoredFirst),
    restored: median(restored),
    all: { baseline: base, cold, warm, restoredFirst, restored },
  },
  ratios: {
    coldVsBaseline: median(cold) / median(base),
    warmVsCold: median(warm) / median(cold),
    restoredVsCold: median(restored) / median(cold),
    restoredFirstVsCold: median(restoredFirst) / median(cold),
  },
  targets: { coldVsBaseline: 0.7, warmVsCold: 0.1 },
  footprint: {
    unprunedBytes: unpruned,
    installedBytes: manifest!.installedBytes,
    prunedBytes: manifest!.pruned.bytes,
    prunedPercent: (100 * manifest!.pruned.bytes) / unpruned,
    rules: manifest!.pruned.rules,
  },
};
mkdirSync(path.join(repo, 'bench/results'), { recursive: true });
writeFileSync(path.join(repo, 'bench/results/compile.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log(
  `\ncold/baseline ${result.ratios.coldVsBaseline.toFixed(2)} (target <= 0.70), warm/cold ${result.ratios.warmVsCold.toFixed(2)} (target <= 0.10), ` +
    `restored/cold ${result.ratios.restoredVsCold.toFixed(2)} (the first restore ${result.ratios.restoredFirstVsCold.toFixed(2)})` +
    `\nfootprint ${(manifest!.installedBytes / 1e6).toFixed(1)} MB installed of ${(unpruned / 1e6).toFixed(1)} MB (pruned ${result.footprint.prunedPercent.toFixed(1)}%)`,
);
