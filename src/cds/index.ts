/**
 * Class-data sharing (AppCDS) for Spark's daemons and drivers: what a JVM start costs is mostly
 * loading and verifying Spark's classes; an archive of them, mapped at start, halves it (bench:cluster).
 * JDK 17 has no automatic archive, so a launcher records one: the first start of a process type
 * writes the classes it loaded at its exit (-XX:ArchiveClassesAtExit), and later starts map it
 * (-XX:SharedArchiveFile). An archive is only valid for the same JDK and the same jars at the same
 * paths in the same order: archives live under a fingerprint of all of that, so a new build or JDK
 * starts a new set and never meets an old one. These functions decide; ./archive.ts reads and writes.
 *
 * Spark's class path puts the conf dir first, and JDK 17 refuses a non-empty directory before the
 * jars an archive was made from: the jars go first (SPARK_DAEMON_CLASSPATH, spark.driver.extraClassPath,
 * which Spark's launcher puts before the conf dir), the conf dir after them. No jar of a distribution
 * carries a resource named as a conf file, so what is found on the class path does not change.
 */
import path from 'node:path';

/** What the fingerprint covers: the JDK (its path and its modules file) and the jars as the JVM will list them. */
export interface CdsInputs {
  java: string;
  modules: { size: number; mtimeMs: number };
  /** jars/ in directory order (the order `jars/*` expands to), with sizes and mtimes */
  jars: { name: string; size: number; mtimeMs: number }[];
  sparkHome: string;
}

/** Pure: the archives' folder under SPARK_CDS_DIR for this JDK and these jars. */
export function fingerprint(i: CdsInputs): string {
  const h = process.getBuiltinModule('node:crypto').createHash('sha256');
  h.update(`${i.java}\0${i.modules.size}\0${Math.trunc(i.modules.mtimeMs)}\0${i.sparkHome}\0`);
  for (const j of i.jars) h.update(`${j.name}\0${j.size}\0${Math.trunc(j.mtimeMs)}\0`);
  return h.digest('hex').slice(0, 20);
}

/** The class path every JVM of the archive starts with: the jars, as Spark's scripts name them (the conf dir comes after). */
export const cdsClassPath = (sparkHome: string) => path.join(sparkHome, 'jars', '*');

/** What is in the fingerprint's folder for one process type. */
export interface CdsState {
  archive: boolean;
  /** recordings `<key>.<pid>.jsa.part`: a JVM writes one at its exit */
  parts: { pid: number; file: string }[];
  /** the pid of the process recording now (`<key>.recording`) */
  recorder?: number;
}

export type CdsPlan = { kind: 'use'; archive: string; adopt?: string; drop: string[] } | { kind: 'record'; part: string; drop: string[] } | { kind: 'none'; why: string; drop: string[] };

/**
 * Pure: what a start of process `key` does. The archive if there is one; else a finished recording
 * (its writer gone; the caller validates it before adopting) becomes the archive; else this start
 * records one at its exit, unless another process of the type is recording now (one recording at a
 * time: recording makes a start slower, and fifty workers need one archive, not fifty).
 */
export function planCds(dir: string, key: string, state: CdsState, self: { pid: number; record: boolean }, alive: (pid: number) => boolean): CdsPlan {
  const archive = path.join(dir, `${key}.jsa`);
  const finished = state.parts.filter((p) => p.pid !== self.pid && !alive(p.pid));
  // a recorder gone leaves its claim behind
  const claim = state.recorder !== undefined && state.recorder !== self.pid && !alive(state.recorder) ? [path.join(dir, `${key}.recording`)] : [];
  if (state.archive) return { kind: 'use', archive, drop: [...finished.map((p) => p.file), ...claim] };
  const [first, ...rest] = finished;
  if (first) return { kind: 'use', archive, adopt: first.file, drop: [...rest.map((p) => p.file), ...claim] };
  const drop: string[] = [];
  if (!self.record) return { kind: 'none', why: `no class-data archive for ${key} yet (a launched ${key} records one)`, drop };
  if (state.recorder !== undefined && state.recorder !== self.pid && alive(state.recorder))
    return { kind: 'none', why: `another ${key} (pid ${state.recorder}) is recording the class-data archive`, drop };
  return { kind: 'record', part: path.join(dir, `${key}.${self.pid}.jsa.part`), drop };
}

/** Pure: the JVM options of a plan. */
export function cdsJavaOptions(plan: CdsPlan): string[] {
  if (plan.kind === 'use') return [`-XX:SharedArchiveFile=${plan.archive}`];
  if (plan.kind === 'record') return [`-XX:ArchiveClassesAtExit=${plan.part}`];
  return [];
}

/** Pure: the pid of a recording's file name, `<key>.<pid>.jsa.part`. */
export function partPid(key: string, file: string): number | undefined {
  const m = new RegExp(`^${key.replace(/[-.]/g, '\\$&')}\\.(\\d+)\\.jsa\\.part$`).exec(file);
  return m ? Number(m[1]) : undefined;
}
