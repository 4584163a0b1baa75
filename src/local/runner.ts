/**
 * The thin layer under the local space: spawns a process in its own process group (a dyno), pipes
 * its lines to log sinks with `heroku local`'s prefix, signals groups, and waits for them to end.
 * Every decision (what to start, when, with which env) is made elsewhere.
 */
import { tcpProbe } from '../net/tcp.js';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import type { Env } from '../config/schema.js';
import { fail } from '../errors.js';
import { parseDotenv, subnetFor } from './formation.js';
import { spacePostgresUrl } from './postgres.js';

/** Where Spark comes from: --spark-home, SPARK_HOME, the local build, or a pip-installed pyspark. */
export function findSparkHome(appDir: string, explicit?: string, env: Env = process.env): string {
  const candidates = [
    explicit,
    env.SPARK_HOME,
    path.join(appDir, '.spark-in-space', 'slug', 'spark-home'),
    () => spawnSync('python3', ['-c', 'import pyspark, os; print(os.path.dirname(pyspark.__file__))'], { encoding: 'utf8' }).stdout?.trim(),
  ];
  for (const c of candidates) {
    const dir = typeof c === 'function' ? c() : c;
    if (dir && existsSync(path.join(dir, 'bin', 'spark-class'))) return path.resolve(dir);
  }
  return fail({
    code: 'spark-unfit',
    message: 'No Spark found: run `spark-in-space build` in the app (or set SPARK_HOME, or pip install pyspark).',
  });
}

/** The Java of the slug Spark was built into (`<slug>/.jdk`, the JVM buildpack's), when it has one. */
export function slugJavaHome(sparkHome: string): string | undefined {
  const jdk = path.join(path.dirname(sparkHome), '.jdk');
  return existsSync(path.join(jdk, 'bin', 'java')) ? jdk : undefined;
}

/**
 * pip's pyspark as the space's Spark: the Python of the environment it is installed in (a venv's
 * bin/python3), which Spark's `pyspark` and the executors' Python workers must run under — the
 * system's python3 cannot import it. None for Apache's layout or a user site (python3 imports those).
 */
export function pipPython(sparkHome: string): string | undefined {
  const m = /^(.*)\/lib\/python\d+(?:\.\d+)*\/(?:site|dist)-packages\/pyspark\/?$/.exec(sparkHome);
  const python = m ? path.join(m[1]!, 'bin', 'python3') : undefined;
  return python && existsSync(python) ? python : undefined;
}

/** What runs beside a Spark home: the slug's .jdk; for pip's pyspark, its Python. */
export const runtimesOf = (sparkHome: string) => ({ javaHome: slugJavaHome(sparkHome), python: pipPython(sparkHome) });

/** Config vars as `heroku local` sees them: .env in the app dir, overridden by the environment. */
export function configEnv(appDir: string, env: Env = process.env): Env {
  const file = path.join(appDir, '.env');
  const dotenv = existsSync(file) ? parseDotenv(readFileSync(file, 'utf8')) : {};
  return { ...dotenv, ...env };
}

/**
 * The config every dyno of a running space starts from, one-off dynos included: .env and the
 * environment, what `local up` set (its options, the catalog's port and folder), and the URL of the
 * space's own PostgreSQL (`--postgres`), which only the dynos' environment holds.
 */
export function spaceConfigEnv(appDir: string, dir: string, s: { app: string; vars?: Env; postgres?: boolean }): Env {
  const url = s.postgres ? spacePostgresUrl(dir, subnetFor(s.app)) : undefined;
  return { ...configEnv(appDir), ...s.vars, ...(url ? { SPARK_METASTORE_DATABASE_URL: url } : {}) };
}

export type Sink = (line: string) => void;

/** `HH:MM:SS.mmm`: the space's log tells a restart after a 400 ms cool-down from an immediate one. */
const stamp = () => {
  const d = new Date();
  return `${d.toTimeString().slice(0, 8)}.${String(d.getMilliseconds()).padStart(3, '0')}`;
};

/** A sink appending `HH:MM:SS name | line` to a file (synchronous: lines stay in order across processes). */
export const fileSink =
  (file: string): ((name: string, line: string) => void) =>
  (name, line) => {
    try {
      appendFileSync(file, `${stamp()} ${name} | ${line}\n`);
    } catch {
      /* a log that cannot be written must not stop a dyno */
    }
  };

/** Starts `bash -c command` as the leader of a new process group; each output line goes to `onLine`. */
export function spawnGroup(command: string, o: { cwd: string; env: Env; onLine: Sink }): ChildProcess {
  const child = spawn('bash', ['-c', command], { cwd: o.cwd, env: o.env as NodeJS.ProcessEnv, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [child.stdout, child.stderr]) if (stream) readline.createInterface({ input: stream }).on('line', o.onLine);
  return child;
}

/** Is any process of the group led by `pid` still running? */
export function groupAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function signalGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, sig);
  } catch {
    /* gone */
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * SIGTERM to each process group, then SIGKILL whatever is left after `graceMs`; resolves when all
 * are gone, with the groups that needed SIGKILL.
 */
export async function stopGroups(pids: (number | undefined)[], graceMs: number): Promise<number[]> {
  pids.forEach((p) => signalGroup(p, 'SIGTERM'));
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && pids.some(groupAlive)) await sleep(100);
  const killed = pids.filter(groupAlive) as number[];
  killed.forEach((p) => signalGroup(p, 'SIGKILL'));
  const hard = Date.now() + 5_000;
  while (Date.now() < hard && pids.some(groupAlive)) await sleep(50);
  return killed;
}

/** Can we listen on host:port (nothing else there)? */
export function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

/** Does host:port accept a TCP connection within `timeoutMs`? */
export const portOpen = async (host: string, port: number, timeoutMs = 1000): Promise<boolean> => (await tcpProbe(host, port, { timeoutMs })).ok;

/** GET a JSON document with a short timeout; undefined when it does not answer. */
export async function getJson<T>(url: string, timeoutMs = 3000): Promise<T | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok ? ((await res.json()) as T) : undefined;
  } catch {
    return undefined;
  }
}

export async function getText(url: string, timeoutMs = 3000): Promise<string | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok ? await res.text() : undefined;
  } catch {
    return undefined;
  }
}

/** Polls a master's /json until `workers` workers are ALIVE (or `timeoutMs` passes). */
export async function waitForWorkers(masterUi: string, workers: number, timeoutMs: number): Promise<{ alive: number }> {
  const deadline = Date.now() + timeoutMs;
  let last = 0;
  while (Date.now() < deadline) {
    const j = await getJson<{ workers?: { state: string }[] }>(`${masterUi}/json`);
    last = (j?.workers ?? []).filter((w) => w.state === 'ALIVE').length;
    if (last >= workers) break;
    await sleep(500);
  }
  return { alive: last };
}
