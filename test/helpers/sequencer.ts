/**
 * The order vitest hands test files to its two workers. A clean clone (CI) has no record of earlier
 * runs, so vitest would order the files by size; and two files that run a thrift dyno (Spark's Thrift
 * server listens on port 10001 of every address: `thriftLock`, test/helpers/cluster.ts) would start
 * together, one worker waiting minutes for the other's lock. So: longest first, by the seconds a file
 * took in a cold run of Dec 8, 04:18 (below; a file not listed weighs by its size), simulated on two lanes,
 * and a file that takes the thrift lock is moved back until the previous one has ended in that simulation.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** seconds per file (the Dec 8 04:18 cold run from a fresh clone, this machine: 2 cores) */
const SECONDS: Record<string, number> = {
  'test/e2e/metastore.test.ts': 403,
  'test/e2e/endpoints.test.ts': 316,
  'test/e2e/local-cluster.test.ts': 310,
  'test/e2e/button-slug.test.ts': 292,
  'test/e2e/decommission.test.ts': 278,
  'test/e2e/ha.test.ts': 262,
  'test/e2e/local-lifecycle.test.ts': 228,
  'test/e2e/s3a.test.ts': 214,
  'test/e2e/newest-spark.test.ts': 172,
  'test/e2e/jobs.test.ts': 129,
  'test/e2e/local-postgres.test.ts': 116,
  'test/e2e/graceful-cycling.test.ts': 110,
  'test/integration/s3a-build.test.ts': 68,
  'test/integration/heroku-cli.test.ts': 67,
  'test/e2e/autoscale.test.ts': 66,
  'test/e2e/compile-real-spark.test.ts': 59,
  'test/integration/slug.test.ts': 41,
  'test/integration/compile.test.ts': 36,
  'test/integration/metastore-build.test.ts': 33,
  'test/e2e/space-proxy.test.ts': 29,
  'test/integration/local-lifecycle.test.ts': 24,
  'test/integration/readme-examples.test.ts': 24,
  'test/integration/handover.test.ts': 15,
};
const usesThrift = (file: string) => /\bthriftLock\(\)/.test(readFileSync(file, 'utf8'));

/** Pure: the order, given each file's weight (s) and whether it takes the thrift lock. */
export function scheduleFiles<T extends { weight: number; thrift: boolean }>(files: T[], lanes = 2): T[] {
  const queue = [...files].sort((a, b) => b.weight - a.weight);
  const out: T[] = [];
  const free = Array.from({ length: lanes }, () => 0);
  let thriftEnds = 0;
  while (queue.length) {
    const start = Math.min(...free);
    // the first file that can start now without waiting for the lock (else the first one: it waits)
    const i = Math.max(
      0,
      queue.findIndex((f) => !f.thrift || start >= thriftEnds),
    );
    const [f] = queue.splice(i, 1);
    const lane = free.indexOf(start);
    const begins = f!.thrift ? Math.max(start, thriftEnds) : start;
    free[lane] = begins + f!.weight;
    if (f!.thrift) thriftEnds = free[lane]!;
    out.push(f!);
  }
  return out;
}

export default class SpreadSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const weighed = files.map((spec) => {
      const rel = path.relative(root, spec.moduleId).split(path.sep).join('/');
      return { spec, weight: SECONDS[rel] ?? statSync(spec.moduleId).size / 1000, thrift: usesThrift(spec.moduleId) };
    });
    return scheduleFiles(weighed).map((w) => w.spec);
  }
}
