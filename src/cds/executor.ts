/**
 * Class-data archives for executors, on the worker dyno that runs them: a worker starts many
 * executors over its day, each a JVM that loads and verifies Spark's classes again. The worker
 * starts them with `$JAVA_HOME/bin/java` of its own environment (Spark's launcher library), so the
 * worker's launcher points JAVA_HOME at bin/support/executor-jdk, whose `java` hands every other JVM
 * (the worker's own, cluster-mode drivers) to the real one untouched and asks `executorJvm` about an
 * executor: the first executor on the dyno records an archive at its exit, later ones map it, with
 * the daemons' rules (src/cds: one recording at a time, adopted only once a JVM has mapped it, one
 * folder per JDK and jars). Works the same on Heroku (an archive per worker dyno, on its own disk)
 * as under `local` (one for the machine's workers).
 *
 * Spark's launcher puts the worker's conf dir before the jars, which JDK 17 refuses for an archive:
 * the jars go first, the conf dir after them (no jar of a distribution carries a conf file's name).
 * Any other class path (an app's spark.executor.extraClassPath, whose jars go before Spark's) is left
 * as it is, without an archive: reordering it could change which class wins.
 */
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { Env } from '../config/schema.js';
import { cdsFor } from './archive.js';

/** The executor's main class: what the worker's `java` looks for among its arguments. */
export const EXECUTOR_MAIN = 'org.apache.spark.executor.CoarseGrainedExecutorBackend';

/**
 * Pure: the archives' key of executors whose class path starts with `jars` (a folder per JDK and
 * Spark build holds it, as every key: src/cds/index.ts): an archive maps only with the class path it
 * was recorded with, so another order of the jars is another archive.
 */
export const executorCdsKey = (jars: string) => `executor-${createHash('sha256').update(jars).digest('hex').slice(0, 8)}`;

/** The worker's environment for its executors (set by its launcher, read by bin/support/executor-jdk/bin/java). */
export const EXECUTOR_ENV = {
  /** the real JDK, which every JVM of the worker runs */
  javaHome: 'SPARK_IN_SPACE_JAVA_HOME',
  /** the archives' root (SPARK_CDS_DIR, else the dyno's temp dir); unset: no archive for executors */
  root: 'SPARK_IN_SPACE_EXECUTOR_CDS',
} as const;

/** bin/support/executor-jdk: what the worker's JAVA_HOME points at. */
export const EXECUTOR_JDK_DIR = 'bin/support/executor-jdk';

/** Pure: where executors' archives live: SPARK_CDS_DIR, else the dyno's own temp dir (a worker dyno starts many executors). */
export const executorCdsRoot = (cdsDir: string | undefined, tmp = os.tmpdir()) => cdsDir ?? path.join(tmp, 'spark-in-space-cds');

/** `classPath`: the executor's, reordered; `jars`: its Spark jars part (the archive's class path, which a recording is checked with). */
export type ExecutorClassPath = { kind: 'ok'; sparkHome: string; classPath: string; jars: string } | { kind: 'keep'; why: string };

/**
 * Pure: the class path an executor can map an archive with. Spark's is `<conf dir>:<spark>/jars/…`
 * (the conf dir, then Spark's jars: some named first, as slf4j-api, then `jars/*`): the jars go
 * first, the conf dir right after them. One that starts with Spark's jars already is kept.
 */
export function executorClassPath(cp: string): ExecutorClassPath {
  const parts = cp.split(':').filter(Boolean);
  const jarsAt = parts.findIndex((p) => /\/jars\/\*$/.test(p));
  if (jarsAt < 0) return { kind: 'keep', why: 'its class path has no Spark jars/*' };
  const jarsDir = path.dirname(parts[jarsAt]!);
  const sparkHome = path.dirname(jarsDir);
  const spark = (p: string) => path.dirname(p) === jarsDir;
  const before = parts.slice(0, jarsAt);
  const jars = [...before.filter(spark), parts[jarsAt]!].join(':');
  if (before.every(spark)) return { kind: 'ok', sparkHome, classPath: parts.join(':'), jars };
  // only the conf dir, first, may come before Spark's jars: anything else is the app's, and goes first on purpose
  if (!spark(before[0]!) && before.slice(1).every(spark)) return { kind: 'ok', sparkHome, classPath: [jars, before[0]!, ...parts.slice(jarsAt + 1)].join(':'), jars };
  return { kind: 'keep', why: `its class path puts ${before.filter((p) => !spark(p)).join(':')} before Spark's jars (spark.executor.extraClassPath)` };
}

/** Pure: the JVM's arguments with the class path replaced and the archive's options first. */
export function withArchive(args: string[], classPath: string, options: string[]): string[] {
  const at = args.findIndex((a) => a === '-cp' || a === '-classpath' || a === '--class-path');
  const out = [...args];
  if (at >= 0) out[at + 1] = classPath;
  return [...options, ...out];
}

/** Pure: whether a `java` command line starts an executor (the worker's other JVMs pass through). */
export const isExecutor = (args: string[]) => args.includes(EXECUTOR_MAIN);

/**
 * The argv the worker's `java` execs for an executor: `java` (the real one) and the arguments,
 * with the archive's options when there can be one. `pid`: the JVM's (the script execs it).
 */
export function executorJvm(java: string, args: string[], env: Env, pid: number): { argv: string[]; note: string } {
  const root = env[EXECUTOR_ENV.root];
  const at = args.findIndex((a) => a === '-cp' || a === '-classpath' || a === '--class-path');
  if (!root || !isExecutor(args) || at < 0) return { argv: [java, ...args], note: 'no class-data archive for this JVM' };
  const cp = executorClassPath(args[at + 1] ?? '');
  if (cp.kind === 'keep') return { argv: [java, ...args], note: `no class-data archive for this executor: ${cp.why}` };
  const cds = cdsFor(executorCdsKey(cp.jars), cp.sparkHome, { ...env, JAVA_HOME: path.dirname(path.dirname(java)) }, { root, record: true, pid, classPath: cp.jars });
  if (!cds) return { argv: [java, ...args], note: 'no class-data archive for this executor' };
  return { argv: [java, ...withArchive(args, cds.options.length ? cp.classPath : args[at + 1]!, cds.options)], note: cds.note };
}
