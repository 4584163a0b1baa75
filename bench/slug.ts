/**
 * Benchmark of the slug (not a test): run with `npm run bench:slug`.
 * The slug as Heroku packs it (tar + gzip of the build dir) for the default version, same run:
 *   without S3A (SPARK_S3A=false), with S3A (SPARK_S3A=true), and the unpruned distribution as the
 *   baseline; the JDK reported apart (the JVM buildpack adds it to the same slug);
 *   the build time S3A adds, cold (empty cache: Ivy resolves from a loopback Maven mirror) and warm
 *   (the build cache). Target: <= 400 MB compressed with S3A (Heroku's limit: 500 MB).
 * Writes bench/results/slug.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { builtinCatalog, defaultRelease } from '../src/catalog/index.js';
import { startMirror } from '../test/helpers/mirror.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const release = defaultRelease(builtinCatalog());
const version = release.version;
const runs = Number(process.env.BENCH_RUNS ?? 3);

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

function envDir(vars: Record<string, string>): string {
  const dir = mkdtempSync(path.join(work, 'env-'));
  for (const [k, v] of Object.entries({ SPARK_MIRROR_URL: spark.url, SPARK_CATALOG: catalog, MAVEN_MIRROR_URL: maven.url, ...vars })) writeFileSync(path.join(dir, k), v);
  return dir;
}

async function build(vars: Record<string, string>, cache: string): Promise<{ dir: string; seconds: number }> {
  const dir = mkdtempSync(path.join(work, 'build-'));
  writeFileSync(path.join(dir, '.spark.version'), `${version}\n`);
  const t = process.hrtime.bigint();
  const r = await execa(path.join(repo, 'bin/compile'), [dir, cache, envDir(vars)], { env: { CI: 'true' }, reject: false, all: true });
  if (r.exitCode !== 0) throw new Error(`build failed:\n${r.all}`);
  return { dir, seconds: Number(process.hrtime.bigint() - t) / 1e9 };
}

/** tar + gzip (level 6, as Heroku packs a slug), counted, not stored. */
async function packed(dir: string, exclude: string[] = []): Promise<number> {
  const ex = exclude.map((e) => `--exclude="${e}"`).join(' ');
  const r = await execa('bash', ['-o', 'pipefail', '-c', `tar -C "${dir}" ${ex} -cf - . | gzip -6 | wc -c`]);
  return Number(r.stdout.trim());
}

// cold: an empty cache each time; warm: the same cache again. Timing S3A = with - without.
const plainCold: number[] = [];
const s3aCold: number[] = [];
const plainWarm: number[] = [];
const s3aWarm: number[] = [];
let plainDir = '';
let s3aDir = '';
for (let i = 0; i < runs; i++) {
  const c1 = mkdtempSync(path.join(work, 'cache-'));
  const p = await build({ SPARK_S3A: 'false' }, c1);
  plainCold.push(p.seconds);
  plainWarm.push((await build({ SPARK_S3A: 'false' }, c1)).seconds);
  const c2 = mkdtempSync(path.join(work, 'cache-'));
  const s = await build({ SPARK_S3A: 'true' }, c2);
  s3aCold.push(s.seconds);
  s3aWarm.push((await build({ SPARK_S3A: 'true' }, c2)).seconds);
  plainDir = p.dir;
  s3aDir = s.dir;
  console.log(`run ${i + 1}: cold ${p.seconds.toFixed(1)} s / ${s.seconds.toFixed(1)} s with S3A`);
}

const without = await packed(plainDir);
const withS3A = await packed(s3aDir);
const unpruned = readFileSync(tgz).length; // the distribution as Apache ships it (tar.gz)
const javaHome = path.dirname(path.dirname(realpathSync(execFileSync('bash', ['-c', 'command -v java'], { encoding: 'utf8' }).trim())));
const jdk = await packed(javaHome);
// what running needs of it: no jmods (jlink's input) and no sources
const jdkRuntime = await packed(javaHome, ['./jmods', './lib/src.zip']);
const info = JSON.parse(readFileSync(path.join(s3aDir, 'spark-home', '.spark-in-space.json'), 'utf8')) as { s3a: { jars: unknown[] }; pruned: { rules: { why: string; bytes: number }[] } };

const result = {
  version,
  hadoop: release.hadoop,
  when: new Date().toISOString(),
  runs,
  slugMB: {
    unprunedDistribution: MB(unpruned),
    withoutS3A: MB(without),
    withS3A: MB(withS3A),
    s3aAdds: MB(withS3A - without),
    jdkApart: MB(jdk),
    jdkRuntimeApart: MB(jdkRuntime),
    withS3AAndJdk: MB(withS3A + jdk),
    withS3AAndJdkRuntime: MB(withS3A + jdkRuntime),
  },
  target: { withS3AMB: 400, met: withS3A <= 400e6, herokuLimitMB: 500 },
  s3aJars: info.s3a.jars.length,
  prunedMB: Object.fromEntries(info.pruned.rules.map((r) => [r.why, MB(r.bytes)])),
  buildSeconds: {
    coldWithoutS3A: median(plainCold),
    coldWithS3A: median(s3aCold),
    s3aAddsCold: median(s3aCold) - median(plainCold),
    warmWithoutS3A: median(plainWarm),
    warmWithS3A: median(s3aWarm),
    s3aAddsWarm: median(s3aWarm) - median(plainWarm),
  },
  notes: [
    'slug = tar | gzip -6 of the build dir (spark-home, .profile.d), as Heroku packs it; the JDK the JVM buildpack adds is measured apart, from this machine\'s JDK 17 (whole, and without jmods and src.zip, which nothing at run time reads)',
    'cold S3A resolves from a Maven mirror on 127.0.0.1: from the real repository, add its latency (one resolution seen here: about 90 s)',
  ],
};
console.log(JSON.stringify(result, null, 2));
mkdirSync(path.join(repo, 'bench/results'), { recursive: true });
writeFileSync(path.join(repo, 'bench/results/slug.json'), `${JSON.stringify(result, null, 2)}\n`);
await spark.close();
await maven.close();
rmSync(work, { recursive: true, force: true });
