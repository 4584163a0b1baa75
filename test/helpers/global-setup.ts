/**
 * Once per test run:
 * - builds dist/ (bin/compile runs the compiled TypeScript, as on Heroku);
 * - copies the buildpack (bin, dist, templates) to a temp dir, as Heroku checks a buildpack out:
 *   tests run bin/compile and the launchers from there, so nothing they write lands in the checkout;
 * - prepares the real Spark distributions and the host pyspark venv the e2e tests use, once, before
 *   any test file starts (SPARK_TEST_DISTS=0 skips it, for unit-only runs);
 * - at the end, fails the run if the checkout changed (tests never write into it).
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { execa } from 'execa';
import { copyBuildpack, REPO, tmpdir } from './buildpack.js';
import { DEFAULT_VERSION, E2E_VERSIONS, testDist, testPyspark } from './spark.js';

declare module 'vitest' {
  export interface ProvidedContext {
    buildpackDir: string;
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

export default async function setup(project: TestProject) {
  const before = checkoutChanges();
  await execa('npm', ['run', '--silent', 'build'], { cwd: REPO, stdio: 'inherit' });
  const bp = copyBuildpack(tmpdir('sis-buildpack-'));
  project.provide('buildpackDir', bp);
  if (process.env.SPARK_TEST_DISTS !== '0') {
    for (const v of E2E_VERSIONS) testDist(v);
    testPyspark(DEFAULT_VERSION);
  }
  return () => {
    rmSync(bp, { recursive: true, force: true });
    const after = checkoutChanges();
    if (before !== undefined && after !== before)
      throw new Error(`Tests wrote into the checkout (${REPO}); they must write only to temp dirs:\n${after}\n(before the run:\n${before})`);
  };
}
