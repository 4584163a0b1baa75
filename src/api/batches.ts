/**
 * Batches: jobs the API submits to the cluster in cluster mode, so they run on a worker, not in the
 * api dyno. A jar runs its class; a Python file runs under Spark's PythonRunner as the main class of
 * a cluster-mode driver (standalone refuses `spark-submit --deploy-mode cluster job.py`): the
 * primary resource is dist/python-batch.jar (bin/support/python-batch as a zip's __main__.py: the
 * client takes only a jar), which the worker copies into the driver's dir and which fetches the job (http(s), s3a through the driver's Hadoop conf, or a path in the slug) and
 * runs it as __main__. A batch is the driver the master runs: its id is the driver's, and `apps`,
 * `drivers`, `kill` and `logs` show it as any other. Pure decisions here; ./server.ts executes.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ApiError, type BatchRequest } from './shapes.js';
import type { JobsJson, MasterApp, MasterDriver } from '../jobs/index.js';

export const PYTHON_RUNNER = 'org.apache.spark.deploy.PythonRunner';

export type FileKind = { scheme: 'http' | 'https' | 's3a'; url: string } | { scheme: 'slug'; url: string; path: string };

/** Pure: where the job's file is, or the 400 saying what is supported. */
export function fileOf(file: string, o: { appDir: string; s3a: boolean; exists: (p: string) => boolean }): FileKind {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(file)?.[1]?.toLowerCase();
  const supported = 's3a://bucket/key, https:// (or http:// inside the space), or a path in the slug (relative to the app, or absolute)';
  if (scheme === 'http' || scheme === 'https') {
    try {
      new URL(file);
    } catch {
      throw new ApiError('unsupported-file', `"${file}" is not a URL`, { field: 'file', supported });
    }
    return { scheme, url: file };
  }
  if (scheme === 's3a') {
    if (!/^s3a:\/\/[a-z0-9][a-z0-9.-]{1,62}\/.+/.test(file)) throw new ApiError('unsupported-file', `"${file}" is not an s3a://bucket/key URL`, { field: 'file', supported });
    if (!o.s3a) throw new ApiError('unsupported-file', "s3a:// needs the S3A connector in the slug: set the S3 config vars (SPARK_S3_* or bucketeer's) and build again", { field: 'file', supported });
    return { scheme: 's3a', url: file };
  }
  if (scheme && scheme !== 'file') throw new ApiError('unsupported-file', `the cluster cannot read ${scheme}:// files`, { field: 'file', supported });
  const p = scheme === 'file' ? new URL(file).pathname : path.resolve(o.appDir, file);
  const rel = path.relative(o.appDir, p);
  if (rel.startsWith('..') || path.isAbsolute(rel))
    throw new ApiError('unsupported-file', `${file} is outside the slug (${o.appDir}): every worker has the slug, nothing else of this dyno`, { field: 'file', supported });
  if (!o.exists(p)) throw new ApiError('unsupported-file', `${file} is not in the slug`, { field: 'file', supported });
  return { scheme: 'slug', url: `file://${p}`, path: p };
}

export const isPython = (file: string) => /\.py([?#].*)?$/i.test(file);

/** Pure: a batch's name: the one asked for, else the file's. */
export const batchName = (r: BatchRequest) => r.name ?? (path.posix.basename(r.file.split(/[?#]/)[0]!) || 'batch');

/** Pure: the spark-submit command line of a batch (the launcher `bin/spark-submit` renders the cluster's conf). */
export function submitArgv(r: BatchRequest, f: FileKind, o: { submit: string; pythonBatch: string }): string[] {
  const conf = Object.entries(r.conf ?? {}).flatMap(([k, v]) => ['--conf', `${k}=${v}`]);
  const head = [o.submit, '--deploy-mode', 'cluster', '--name', batchName(r), ...conf, '--conf', 'spark.standalone.submit.waitAppCompletion=false'];
  if (isPython(r.file)) {
    if (r.className) throw new ApiError('invalid-request', 'className is for a jar: a Python batch runs its file', { field: 'className' });
    // PythonRunner's arguments: the Python file ({{USER_JAR}}: the worker's copy of the bootstrap), its py-files (none), then the bootstrap's
    return [...head, '--class', PYTHON_RUNNER, `file://${o.pythonBatch}`, '{{USER_JAR}}', '', f.url, ...(r.args ?? [])];
  }
  if (!r.className) throw new ApiError('invalid-request', 'className is required for a jar batch (the class with its main method, such as com.example.Job)', { field: 'className' });
  return [...head, '--class', r.className, f.url, ...(r.args ?? [])];
}

/** Whether the slug's Spark has the S3A connector (hadoop-aws). */
export function hasS3A(sparkHome: string): boolean {
  try {
    return readdirSync(path.join(sparkHome, 'jars')).some((j) => j.startsWith('hadoop-aws-'));
  } catch {
    return false;
  }
}

export const fileExists = (p: string) => existsSync(p);

/** What the API remembers of a batch it submitted. */
export interface BatchRecord {
  id: string;
  name: string;
  file: string;
  className?: string;
  submittedAt: string;
}

const ENDED = new Set(['FINISHED', 'FAILED', 'KILLED', 'ERROR']);

/** Pure: a batch as the API answers it, from the master's /json (the driver, and the application it started). */
export function batchView(id: string, json: JobsJson | undefined, rec?: BatchRecord): Record<string, unknown> {
  const drivers: (MasterDriver & { active: boolean })[] = [
    ...(json?.activedrivers ?? []).map((d) => ({ ...d, active: true })),
    ...(json?.completeddrivers ?? []).map((d) => ({ ...d, active: false })),
  ];
  const d = drivers.find((x) => x.id === id);
  const state = d?.state ?? (rec ? 'UNKNOWN' : undefined);
  const app = d && rec ? applicationOf(json!, rec.name, Number(d.starttime ?? 0)) : undefined;
  return {
    id,
    ...(rec ? { name: rec.name, file: rec.file, ...(rec.className ? { className: rec.className } : {}), submittedAt: rec.submittedAt, submittedBy: 'api' } : {}),
    state,
    ended: state ? ENDED.has(state) : undefined,
    ...(d?.mainclass ? { mainClass: d.mainclass } : {}),
    ...(d?.worker ? { worker: d.worker } : {}),
    ...(app ? { applicationId: app.id, applicationState: app.state ?? (app.active ? 'RUNNING' : 'FINISHED') } : {}),
    links: {
      self: `/api/v1/batches/${id}`,
      log: `/api/v1/batches/${id}/log?stream=stdout`,
      master: '/',
      ...(app ? { application: `/app/?appId=${app.id}` } : {}),
    },
  };
}

/**
 * Pure: the application a batch's driver started (the master's /json does not link them): one that
 * started after the driver, by the batch's name if one has it (a job may set its own), else the
 * first to start within a minute of the driver.
 */
export function applicationOf(json: JobsJson, name: string, driverStart: number): (MasterApp & { active: boolean }) | undefined {
  const apps = [...(json.activeapps ?? []).map((a) => ({ ...a, active: true })), ...(json.completedapps ?? []).map((a) => ({ ...a, active: false }))]
    .filter((a) => Number(a.starttime ?? 0) >= driverStart - 1000 && Number(a.starttime ?? 0) <= driverStart + 60_000)
    .sort((a, b) => Number(a.starttime ?? 0) - Number(b.starttime ?? 0));
  return apps.find((a) => a.name === name) ?? apps[0];
}
