/** The real Spark distributions e2e tests use (see scripts/test-spark-dist). */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { builtinCatalog, compareVersions, defaultRelease } from '../../src/catalog/index.js';
import { REPO } from './buildpack.js';

export const DEFAULT_VERSION = defaultRelease(builtinCatalog()).version;
/** the newest 3.5.x in the catalog */
export const NEWEST_35 = builtinCatalog()
  .releases.filter((r) => r.line === '3.5')
  .map((r) => r.version)
  .sort((a, b) => Number(a.split('.')[2]) - Number(b.split('.')[2]))
  .at(-1)!;
/** the newest release the catalog offers (today 4.3.0): test/e2e/newest-spark.test.ts runs the jobs, SQL and logs on it */
export const NEWEST_VERSION = builtinCatalog()
  .releases.map((r) => r.version)
  .sort(compareVersions)
  .at(-1)!;

/** The python of a venv with PyPI's pyspark==version (scripts/test-pyspark; cached). */
export function testPyspark(version: string): string {
  return execFileSync(path.join(REPO, 'scripts/test-pyspark'), [version], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

/** Path of the packed tarball (built by global setup; cached). */
export function testDist(version: string): { tgz: string; mirrorRoot: string; sha512: string } {
  const tgz = execFileSync(path.join(REPO, 'scripts/test-spark-dist'), [version], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  return { tgz, mirrorRoot: path.dirname(path.dirname(tgz)), sha512: readFileSync(`${tgz}.sha512`, 'utf8').split(/\s+/)[0]! };
}

/** The Hadoop a catalog version ships (its S3A connector must match it). */
export function hadoopOf(version: string): string {
  return builtinCatalog().releases.find((r) => r.version === version)!.hadoop;
}

/** The python of a venv with PyPI's pyspark-client==version, the JVM-less Spark Connect client (scripts/test-pyspark-client; cached). */
export function testPysparkClient(version: string): string {
  return execFileSync(path.join(REPO, 'scripts/test-pyspark-client'), [version], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

/** A Maven-layout dir with the S3A connector of that Hadoop (scripts/test-maven-mirror; cached). */
export function testMavenMirror(hadoop: string): string {
  return execFileSync(path.join(REPO, 'scripts/test-maven-mirror'), [hadoop], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}
