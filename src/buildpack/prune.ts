/**
 * What a dyno never runs, as data: each rule says what it removes and why. `spark-shell`,
 * `spark-submit`, `spark-class` and `pyspark` keep working (test/integration/compile proves it).
 */
import { readdir, rm, lstat } from 'node:fs/promises';
import path from 'node:path';

export interface PruneRule {
  pattern: RegExp;
  why: string;
}

export const PRUNE_RULES: PruneRule[] = [
  { pattern: /^R$/, why: 'SparkR library (no R runtime on dynos)' },
  { pattern: /^yarn$/, why: 'YARN shuffle service (standalone clusters only)' },
  { pattern: /^kubernetes$/, why: 'Kubernetes Dockerfiles and tests' },
  { pattern: /^data$/, why: 'example data sets' },
  { pattern: /^examples\/src$/, why: 'example sources (examples/jars stays for run-example)' },
  { pattern: /^bin\/[^/]+\.cmd$/, why: 'Windows scripts' },
  { pattern: /^bin\/docker-image-tool\.sh$/, why: 'container image tool' },
  { pattern: /^python\/(docs|test_coverage|test_support)$/, why: 'Python docs and test support' },
  { pattern: /^python\/.+\/tests$/, why: 'Python test suites' },
  {
    pattern: /^jars\/(spark-kubernetes_|kubernetes-|zjsonpatch-|vertx-)[^/]*\.jar$/,
    why: 'Kubernetes cluster manager and its client (standalone clusters only)',
  },
  { pattern: /^jars\/spark-yarn_[^/]*\.jar$/, why: 'YARN cluster manager (standalone clusters only)' },
];

/** Bumped whenever the rules here or in natives.ts change, so cached trees pruned differently miss. */
export const PRUNE_VERSION = 2;

export interface PruneReport {
  removed: { path: string; bytes: number; files: number; why: string }[];
  bytes: number;
  files: number;
}

async function sizeOf(p: string): Promise<{ bytes: number; files: number }> {
  const st = await lstat(p);
  if (!st.isDirectory()) return { bytes: st.size, files: 1 };
  let bytes = 0;
  let files = 0;
  for (const name of await readdir(p)) {
    const s = await sizeOf(path.join(p, name));
    bytes += s.bytes;
    files += s.files;
  }
  return { bytes, files };
}

export function ruleFor(rel: string, rules = PRUNE_RULES): PruneRule | undefined {
  return rules.find((r) => r.pattern.test(rel));
}

/** Removes every path a rule matches below `root`; returns what went and how much it weighed. */
export async function prune(root: string, rules = PRUNE_RULES): Promise<PruneReport> {
  const report: PruneReport = { removed: [], bytes: 0, files: 0 };
  async function walk(rel: string): Promise<void> {
    for (const entry of await readdir(path.join(root, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      const rule = ruleFor(child, rules);
      const abs = path.join(root, child);
      if (rule) {
        const s = await sizeOf(abs);
        await rm(abs, { recursive: true, force: true });
        report.removed.push({ path: child, ...s, why: rule.why });
        report.bytes += s.bytes;
        report.files += s.files;
      } else if (entry.isDirectory()) {
        await walk(child);
      }
    }
  }
  await walk('');
  return report;
}

/** Groups a report by rule for build output and docs. */
export function summarize(report: PruneReport): { why: string; bytes: number; files: number }[] {
  const by = new Map<string, { why: string; bytes: number; files: number }>();
  for (const r of report.removed) {
    const s = by.get(r.why) ?? { why: r.why, bytes: 0, files: 0 };
    s.bytes += r.bytes;
    s.files += r.files;
    by.set(r.why, s);
  }
  return [...by.values()].sort((a, b) => b.bytes - a.bytes);
}
