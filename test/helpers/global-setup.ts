/**
 * Once per test run:
 * - builds dist/ (bin/compile runs the compiled TypeScript, as on Heroku);
 * - copies the buildpack (bin, dist, templates) to a temp dir, as Heroku checks a buildpack out:
 *   tests run bin/compile and the launchers from there, so nothing they write lands in the checkout;
 * - prepares the real Spark distributions, the host pyspark and pyspark-client venvs, the S3A connectors' Maven mirror and
 *   moto (a real S3 API) the tests use, once, before
 *   any test file starts (SPARK_TEST_DISTS=0 skips it, for unit-only runs);
 * - points TMPDIR (so os.tmpdir() of every test and of what they start) at one temp dir for the
 *   run, removed at the end: a compile test leaves a 450 MB cache behind, and hundreds of them
 *   filled a disk; screenshots go to SPARK_TEST_ARTIFACTS, outside it;
 * - at the end, fails the run if the checkout changed (tests never write into it).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { execa } from 'execa';
import { catalogFile, compile, copyBuildpack, REPO, tmpdir } from './buildpack.js';
import { copyJdk, machineJdk, nodePackage } from './button.js';
import { startMirror } from './mirror.js';
import { motoPython } from './s3.js';
import { DEFAULT_VERSION, NEWEST_35, hadoopOf, testDist, testMavenMirror, testPyspark, testPysparkClient } from './spark.js';

declare module 'vitest' {
  export interface ProvidedContext {
    buildpackDir: string;
    /** one build cache for the run's apps, warmed here (test/helpers/cluster.ts) */
    buildCache: string;
    /** one copy of the machine's full JDK (with jmods), hard-linked into each app's slug as `.jdk` */
    fullJdk: string;
  }
}

/** What git sees in the checkout, less what builds and installs legitimately write. */
function checkoutChanges(): string | undefined {
  try {
    return execFileSync('git', ['status', '--porcelain', '--ignored', '--untracked-files=all'], { cwd: REPO, encoding: 'utf8' })
      .split('\n')
      .filter((l) => l && !/^!! (dist|node_modules)\//.test(l))
      .join('\n');
  } catch {
    return undefined; // not a git checkout (a tarball): nothing to compare
  }
}

async function warmBuild(bp: string, version: string, cache: string, fullJdk: string): Promise<void> {
  const dist = testDist(version);
  const mirror = await startMirror(dist.mirrorRoot);
  const slug = mkdtempSync(path.join(os.tmpdir(), 'sis-warm-'));
  try {
    writeFileSync(path.join(slug, '.spark.version'), `${version}\n`);
    execFileSync('cp', ['-al', fullJdk, path.join(slug, '.jdk')]);
    const r = await compile(slug, cache, { SPARK_MIRROR_URL: mirror.url, SPARK_CATALOG: catalogFile([{ version, pinned: { hadoop3: { sha512: dist.sha512 } } }]) }, { bpDir: bp });
    if (r.exitCode !== 0) throw new Error(`warming the build cache with Spark ${version} failed:\n${r.all}`);
  } finally {
    await mirror.close();
    rmSync(slug, { recursive: true, force: true });
  }
}

export default async function setup(project: TestProject) {
  const before = checkoutChanges();
  const systemTmp = os.tmpdir();
  process.env.SPARK_TEST_ARTIFACTS ??= path.join(systemTmp, 'spark-in-space-artifacts');
  const runTmp = mkdtempSync(path.join(systemTmp, 'sis-run-'));
  process.env.TMPDIR = runTmp;
  await execa('npm', ['run', '--silent', 'build'], { cwd: REPO, stdio: 'inherit' });
  const bp = copyBuildpack(tmpdir('sis-buildpack-'));
  project.provide('buildpackDir', bp);
  if (process.env.SPARK_TEST_DISTS !== '0') {
    // the newest line (test/e2e/newest-spark.test.ts) is prepared by the one file that runs it, while the others run
    const versions = [...new Set([DEFAULT_VERSION, NEWEST_35])];
    for (const v of versions) testDist(v);
    testPyspark(DEFAULT_VERSION);
    testPysparkClient(DEFAULT_VERSION);
    // the S3A connector of each version's Hadoop, as a Maven mirror; moto for a real S3 API
    for (const v of versions) testMavenMirror(hadoopOf(v));
    testMavenMirror('metastore-jdbc');
    motoPython();
    nodePackage();
    // the shared build cache, warmed by one build per version (Spark, its jlinked .jdk): the e2e
    // files then build from it at once without racing to fill it
    const fullJdk = path.join(runTmp, 'jdk-full');
    copyJdk(machineJdk(), fullJdk);
    const buildCache = path.join(runTmp, 'build-cache');
    for (const v of versions) await warmBuild(bp, v, buildCache, fullJdk);
    project.provide('buildCache', buildCache);
    project.provide('fullJdk', fullJdk);
  }
  return () => {
    rmSync(bp, { recursive: true, force: true });
    try {
      rmSync(runTmp, { recursive: true, force: true, maxRetries: 3 });
    } catch (e) {
      console.warn(`could not remove the run's temp dir ${runTmp}: ${(e as Error).message}`);
    }
    const after = checkoutChanges();
    if (before !== undefined && after !== before) {
      // vitest reports an error thrown here but still exits 0: the run must fail
      process.exitCode = 1;
      console.error('\n1 failed: the checkout changed during the run');
      throw new Error(`Tests wrote into the checkout (${REPO}); they must write only to temp dirs:\n${after}\n(before the run:\n${before})`);
    }
  };
}
