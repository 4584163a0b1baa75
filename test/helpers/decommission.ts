/**
 * The decommission workload, shared by test/e2e/decommission.test.ts and bench/decommission.ts: a
 * spark-shell job (a one-off dyno) that caches an RDD, shuffles it, and has a worker taken away
 * in the middle of its shuffle-map stage; and what its event log says was run again.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bin } from './buildpack.js';
import { cli } from './cluster.js';
import { until } from './wait.js';

/** A small space for the workload: workers of 1 core, small heaps, event logs as plain JSON lines in `eventsDir`. */
export function spaceConfig(eventsDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    SPARK_WORKER_CORES: '1',
    SPARK_WORKER_MEMORY: '1g',
    SPARK_EXECUTOR_MEMORY: '512m',
    SPARK_DRIVER_MEMORY: '512m',
    SPARK_DAEMON_MEMORY: '256m',
    SPARK_EVENTLOG_DIR: `file://${eventsDir}`,
    // Spark 4 compresses event logs (zstd) by default: plain JSON lines to count tasks from
    SPARK_DEFAULTS_EXTRA: 'spark.eventLog.compress false',
    ...extra,
  };
}

/** Writes an app's `.env` (what `local up` reads) from `config`. */
export const writeDotenv = (app: string, config: Record<string, string>) =>
  writeFileSync(
    path.join(app, '.env'),
    `${Object.entries(config)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n')}\n`,
  );

/**
 * 90 partitions cached (each computation counted), then a shuffle over them: 90 × 20000 pairs
 * summed → 1800000. MIDSTAGE is printed when 20 tasks of the shuffle-map stage are done.
 */
export const CYCLED_JOB = `
val computed = sc.longAccumulator("computed")
val done = new java.util.concurrent.atomic.AtomicInteger
sc.addSparkListener(new org.apache.spark.scheduler.SparkListener {
  override def onTaskEnd(e: org.apache.spark.scheduler.SparkListenerTaskEnd): Unit = if (done.incrementAndGet() == 110) println("MIDSTAGE")
})
println("APP=" + sc.applicationId)
val t0 = System.nanoTime
val base = sc.parallelize(1 to 90, 90).map { i => computed.add(1); Thread.sleep(100); i }.cache()
base.count()
val r = base.flatMap { i => Thread.sleep(250); (1 to 20000).map(j => (j % 1000, 1L)) }.reduceByKey(_ + _, 6).map(_._2).reduce(_ + _)
println("RESULT=" + r + " COMPUTED=" + computed.value + " WALL_MS=" + (System.nanoTime - t0) / 1000000)
`;
export const CYCLED_JOB_RESULT = 1_800_000;
/** partitions of the cached RDD: COMPUTED above this means cached blocks were lost and recomputed */
export const CYCLED_JOB_PARTITIONS = 90;

export interface EventLogCounts {
  /** task ends that were not Success (lost with an executor, fetch failures, resubmissions) */
  failed: number;
  /** tasks run by stage attempts after the first (stages run again) */
  retried: number;
  /** stage attempts after the first */
  stageRetries: number;
  tasks: number;
}

/** Pure: counts from an (uncompressed) event log's JSON lines. */
export function countEventLog(text: string): EventLogCounts {
  const c: EventLogCounts = { failed: 0, retried: 0, stageRetries: 0, tasks: 0 };
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    const e = JSON.parse(line) as { Event: string; 'Stage Attempt ID'?: number; 'Task End Reason'?: { Reason?: string }; 'Stage Info'?: { 'Stage Attempt ID'?: number } };
    if (e.Event === 'SparkListenerTaskEnd') {
      c.tasks++;
      if (e['Task End Reason']?.Reason !== 'Success') c.failed++;
      if ((e['Stage Attempt ID'] ?? 0) > 0) c.retried++;
    }
    if (e.Event === 'SparkListenerStageSubmitted' && (e['Stage Info']?.['Stage Attempt ID'] ?? 0) > 0) c.stageRetries++;
  }
  return c;
}

/** An application's event log: Spark 4 rolls it (eventlog_v2_<app>/events_<n>_<app>), 3.x writes one file. */
export function readEventLog(eventsDir: string, appId: string): string {
  const rolled = path.join(eventsDir, `eventlog_v2_${appId}`);
  if (!existsSync(rolled)) return readFileSync(path.join(eventsDir, appId), 'utf8');
  const n = (f: string) => Number(/^events_(\d+)_/.exec(f)?.[1] ?? 0);
  const parts = readdirSync(rolled)
    .filter((f) => f.startsWith('events_'))
    .sort((a, b) => n(a) - n(b));
  return parts.map((f) => readFileSync(path.join(rolled, f), 'utf8')).join('\n');
}

/**
 * Runs CYCLED_JOB as a one-off dyno of the running space in `app`; when 20 tasks of its
 * shuffle-map stage are done, runs `local <action>` (e.g. ['cycle', 'worker.2']). Returns the
 * job's answer, its wall time and the event log counts (SPARK_EVENTLOG_DIR=file://<eventsDir>, spark.eventLog.compress false).
 */
export async function runCycledJob(app: string, eventsDir: string, action: string[]) {
  const shell = cli(['local', 'run', '--dir', app, bin('spark-shell')], { input: `${CYCLED_JOB}\n:quit\n`, timeout: 400_000, env: { LOG_LEVEL: 'WARN' } });
  let out = '';
  shell.all!.on('data', (d: Buffer) => (out += d.toString()));
  await until('the shuffle-map stage to be under way', () => out.includes('MIDSTAGE') || out.includes('RESULT='), 240_000, 100);
  const midJob = !out.includes('RESULT=');
  const t0 = performance.now();
  const acted = await cli(['local', ...action, '--dir', app], { timeout: 120_000 });
  const actedS = (performance.now() - t0) / 1000;
  const r = await shell;
  const m = /RESULT=(\d+) COMPUTED=(\d+) WALL_MS=(\d+)/.exec(r.all ?? '');
  const appId = /APP=(app-[\w-]+)/.exec(r.all ?? '')?.[1];
  if (!m || !appId) throw new Error(`the job did not finish:\n${r.all}`);
  const counts = countEventLog(readEventLog(eventsDir, appId));
  return { result: Number(m[1]), computed: Number(m[2]), wallS: Number(m[3]) / 1000, appId, counts, acted, actedS, midJob, all: r.all ?? '' };
}
