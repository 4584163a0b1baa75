/**
 * The thin layer that runs a local space: spawns each dyno in its own process group with the env
 * computed in formation.ts, prefixes and colours its output like `heroku local`, keeps state in
 * <app>/.spark-in-space/local/, and stops everything gracefully (SIGTERM, then SIGKILL after 30 s).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { parseConfig, type Env } from '../config/schema.js';
import { fail } from '../errors.js';
import { dnsAddress, dnsTable, dynoEnv, dynoFor, formation, hostsFile, parseDotenv, parseProcfile, topology, type Dyno, type Formation } from './formation.js';
import { startDns } from './dns.js';
import { randomBytes } from 'node:crypto';

export interface LocalOptions {
  appDir: string;
  app: string;
  masters: number;
  workers: number;
  port: number;
  sparkHome?: string;
}

export interface DynoState {
  name: string;
  type: string;
  ip: string;
  dns: string;
  pid: number;
  log: string;
}

export interface State {
  app: string;
  appDir: string;
  supervisor: number;
  started: string;
  masterUi: string;
  /** the web dyno's URL, when the app has one */
  web?: string;
  dynos: DynoState[];
  workers: number;
}

export const stateDir = (appDir: string) => path.join(appDir, '.spark-in-space', 'local');
const statePath = (appDir: string) => path.join(stateDir(appDir), 'state.json');

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readState(appDir: string): State | undefined {
  try {
    const s = JSON.parse(readFileSync(statePath(appDir), 'utf8')) as State;
    return alive(s.supervisor) ? s : undefined;
  } catch {
    return undefined;
  }
}

function writeState(appDir: string, s: State): void {
  const tmp = `${statePath(appDir)}.tmp`;
  writeFileSync(tmp, JSON.stringify(s, null, 2));
  renameSync(tmp, statePath(appDir));
}

/** Where Spark comes from: --spark-home, SPARK_HOME, the local build, or a pip-installed pyspark. */
export function findSparkHome(appDir: string, explicit?: string, env: Env = process.env): string {
  const candidates = [
    explicit,
    env.SPARK_HOME,
    path.join(appDir, '.spark-in-space', 'slug', 'spark-home'),
    spawnSync('python3', ['-c', 'import pyspark, os; print(os.path.dirname(pyspark.__file__))'], { encoding: 'utf8' }).stdout?.trim(),
  ];
  for (const c of candidates) if (c && existsSync(path.join(c, 'bin', 'spark-class'))) return path.resolve(c);
  return fail({
    code: 'usage',
    message: 'No Spark found: run `spark-in-space build` in the app (or set SPARK_HOME, or pip install pyspark).',
  });
}

/** Config vars as `heroku local` sees them: .env in the app dir, overridden by the environment. */
export function configEnv(appDir: string, env: Env = process.env): Env {
  const file = path.join(appDir, '.env');
  const dotenv = existsSync(file) ? parseDotenv(readFileSync(file, 'utf8')) : {};
  return { ...dotenv, ...env };
}

const COLORS = [36, 33, 32, 35, 34, 31, 96, 93, 92, 95];
const colorOf = (i: number) => (process.stdout.isTTY ? (s: string) => `\x1b[${COLORS[i % COLORS.length]}m${s}\x1b[0m` : (s: string) => s);
const stamp = () => new Date().toTimeString().slice(0, 8);

function pipeOutput(child: ChildProcess, name: string, width: number, colour: (s: string) => string, sinks: NodeJS.WritableStream[]) {
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    readline.createInterface({ input: stream }).on('line', (line) => {
      const text = `${stamp()} ${name.padEnd(width)} | ${line}\n`;
      for (const s of sinks) s.write(s === process.stdout ? `${colour(`${stamp()} ${name.padEnd(width)} |`)} ${line}\n` : text);
    });
  }
}

/** Polls the master's /json until `workers` workers are ALIVE. */
export async function waitForWorkers(masterUi: string, workers: number, timeoutMs: number, stillRunning: () => boolean = () => true): Promise<{ alive: number }> {
  const deadline = Date.now() + timeoutMs;
  let last = 0;
  while (Date.now() < deadline && stillRunning()) {
    try {
      const res = await fetch(`${masterUi}/json`, { signal: AbortSignal.timeout(3000) });
      const j = (await res.json()) as { workers?: { state: string }[] };
      last = (j.workers ?? []).filter((w) => w.state === 'ALIVE').length;
      if (last >= workers) return { alive: last };
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return { alive: last };
}

export function planFormation(o: LocalOptions): { f: Formation; procfile: Record<string, string> } {
  const procfilePath = path.join(o.appDir, 'Procfile');
  if (!existsSync(procfilePath)) fail({ code: 'usage', message: `${procfilePath} is missing: the app needs a Procfile (master: bin/spark-master, worker: bin/spark-worker).` });
  const procfile = parseProcfile(readFileSync(procfilePath, 'utf8'));
  for (const t of ['master', 'worker']) if (!procfile[t]) fail({ code: 'usage', message: `The Procfile has no "${t}" process type.` });
  const counts: Record<string, number> = { master: o.masters, worker: o.workers };
  const web = procfile.web?.split(/\s+/)[0];
  if (web && existsSync(path.resolve(o.appDir, web))) counts.web = 1;
  return { f: formation(o.app, procfile, counts), procfile };
}

/** Runs the formation in the foreground until SIGINT/SIGTERM; returns the exit code. */
export async function supervise(o: LocalOptions, log: (line: string) => void, echo: boolean): Promise<number> {
  if (readState(o.appDir)) fail({ code: 'usage', message: `A local space for ${o.app} is already running: \`spark-in-space local down\` first.` });
  const sparkHome = findSparkHome(o.appDir, o.sparkHome);
  const config = configEnv(o.appDir);
  const { f } = planFormation(o);
  const dir = stateDir(o.appDir);
  rmSync(path.join(dir, 'dynos'), { recursive: true, force: true });
  mkdirSync(path.join(dir, 'logs'), { recursive: true });
  writeFileSync(path.join(dir, 'hosts'), hostsFile(f, os.hostname()));
  writeFileSync(path.join(dir, 'space-topology.json'), JSON.stringify(topology(f), null, 2));
  // Validate every dyno's config before any JVM starts: a broken conf never reaches Spark.
  for (const d of f.dynos) parseConfig(dynoEnv(d, { app: o.app, config, stateDir: dir, sparkHome, port: o.port }), 'run');
  const dnsAt = dnsAddress(f);
  const master = f.dynos.find((d) => d.type === 'master')!;
  for (const port of [7077, 8080]) {
    if (!(await portFree(master.ip, port)))
      fail({ code: 'usage', message: `${master.ip}:${port} is already in use: is another local space (an app whose name hashes to 127.${f.subnet}.x.x) running? Stop it, or pick another --app name.` });
  }
  const dns = await startDns(dnsAt.host, dnsAt.port, dnsTable(f));
  const webEnv = (): Env => {
    const env: Env = {
      SPACE_PROXY_LISTEN: '127.0.0.1',
      SPACE_PROXY_RESOLVER: `${dnsAt.host}:${dnsAt.port}`,
      SPACE_TOPOLOGY_FILE: path.join(dir, 'space-topology.json'),
      SPACE_PROXY_DIR: path.join(dir, 'dynos', 'web.1', 'proxy'),
    };
    if (!config.SPACE_PROXY_BASIC_AUTH && !config.SPARK_BASIC_AUTH && !config.SPACE_PROXY_PASSWORD) env.SPACE_PROXY_PASSWORD = localPassword(dir);
    return env;
  };

  const width = Math.max(...f.dynos.map((d) => d.name.length), 6);
  const combined = createWriteStream(path.join(dir, 'logs', 'local.log'), { flags: 'a' });
  const children = new Map<string, ChildProcess>();
  const masterUi = `http://${master.ip}:8080`;
  const state: State = {
    app: o.app,
    appDir: o.appDir,
    supervisor: process.pid,
    started: new Date().toISOString(),
    masterUi,
    web: f.dynos.some((d) => d.type === 'web') ? `http://127.0.0.1:${o.port}/` : undefined,
    dynos: [],
    workers: o.workers,
  };
  let stopping = false;

  const start = (d: Dyno, i: number) => {
    const env = { ...dynoEnv(d, { app: o.app, config, stateDir: dir, sparkHome, port: d.type === 'web' ? o.port : 5000 + i }), ...(d.type === 'web' ? webEnv() : {}) };
    for (const sub of ['conf', 'work', 'tmp']) mkdirSync(path.join(dir, 'dynos', d.name, sub), { recursive: true });
    const logFile = path.join(dir, 'logs', `${d.name}.log`);
    const child = spawn('bash', ['-c', d.command], { cwd: o.appDir, env: env as NodeJS.ProcessEnv, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    children.set(d.name, child);
    const sinks: NodeJS.WritableStream[] = [createWriteStream(logFile, { flags: 'a' }), combined];
    if (echo) sinks.push(process.stdout);
    pipeOutput(child, d.name, width, colorOf(i), sinks);
    child.on('exit', (code, signal) => {
      const how = signal ? `signal ${signal}` : `code ${code}`;
      log(`${d.name} exited with ${how}${stopping ? '' : ' (not restarted: see its log)'}`);
      children.delete(d.name);
    });
    state.dynos.push({ name: d.name, type: d.type, ip: d.ip, dns: d.dns, pid: child.pid!, log: logFile });
    writeState(o.appDir, state);
    log(`${d.name} started on ${d.ip} as ${d.dns}: ${d.command}`);
  };

  // Signals are handled before the first JVM starts, so Ctrl-C at any moment leaves none behind.
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    log('Stopping the local space (SIGTERM; SIGKILL after 30 s)');
    // every group ever started: a dyno whose main process died may have left executors behind
    await stopGroups(state.dynos.map((d) => d.pid), 30_000);
    dns.close();
    combined.end();
    rmSync(statePath(o.appDir), { force: true });
  };
  const done = new Promise<number>((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => void stop().then(() => resolve(0)));
  });

  log(`Local space for ${o.app}: ${f.dynos.length} dynos on 127.${f.subnet}.0.0/16, Spark from ${sparkHome}`);
  f.dynos.filter((d) => d.type === 'master').forEach(start);
  await waitForMaster(masterUi, 120_000, () => children.size > 0 && !stopping);
  if (!stopping) f.dynos.filter((d) => d.type !== 'master').forEach((d, i) => start(d, i + o.masters));

  const ready = await waitForWorkers(masterUi, o.workers, 180_000, () => !stopping);
  if (!stopping) {
    if (ready.alive >= o.workers) log(`Ready: master UI ${masterUi} (${ready.alive} workers ALIVE), master URL spark://1.master.${o.app}.app.localspace:7077`);
    if (f.dynos.some((d) => d.type === 'web')) log(`web: http://127.0.0.1:${o.port}/ (${webUser(config)})`);
    else log(`Only ${ready.alive} of ${o.workers} workers registered after 180 s: see \`spark-in-space local logs\``);
  }
  return done;
}

async function waitForMaster(ui: string, timeoutMs: number, stillRunning: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && stillRunning()) {
    try {
      if ((await fetch(`${ui}/json`, { signal: AbortSignal.timeout(2000) })).ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** The password of the local web dyno when the app sets none: random, kept 0600 in the state dir. */
export function localPassword(dir: string): string {
  const file = path.join(dir, 'web-password');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const pw = randomBytes(12).toString('hex');
  writeFileSync(file, `${pw}\n`, { mode: 0o600 });
  return pw;
}

export function webUser(config: Env): string {
  if (config.SPACE_PROXY_BASIC_AUTH || config.SPARK_BASIC_AUTH) return 'users from SPACE_PROXY_BASIC_AUTH';
  if (config.SPACE_PROXY_PASSWORD) return 'user spark, password SPACE_PROXY_PASSWORD';
  return 'user spark, password in .spark-in-space/local/web-password';
}

/** Can we listen on host:port (nothing else there)? */
export function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

/** Is any process of the group led by `pid` still running? */
export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM to each process group, then SIGKILL whatever is left after `graceMs`. */
export async function stopGroups(pids: number[], graceMs: number): Promise<void> {
  const signal = (pid: number, sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      /* gone */
    }
  };
  pids.forEach((p) => signal(p, 'SIGTERM'));
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && pids.some(groupAlive)) await new Promise((r) => setTimeout(r, 200));
  pids.filter(groupAlive).forEach((p) => signal(p, 'SIGKILL'));
}

/** A one-off dyno (`run.N`): stdin, stdout and the exit code pass through. */
export async function runOneOff(o: LocalOptions, command: string[]): Promise<number> {
  const sparkHome = findSparkHome(o.appDir, o.sparkHome);
  const config = configEnv(o.appDir);
  const dir = stateDir(o.appDir);
  const running = readState(o.appDir);
  const app = running?.app ?? o.app;
  if (!running || !existsSync(path.join(dir, 'hosts'))) {
    const { f } = planFormation(o);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'hosts'), hostsFile(f, os.hostname()));
  }
  const used = new Set(existsSync(path.join(dir, 'dynos')) ? readdirSync(path.join(dir, 'dynos')) : []);
  let n = 1;
  while (used.has(`run.${n}`) && n < 250) n++;
  const d = dynoFor(app, 'run', n, command.join(' '), []);
  const env = dynoEnv(d, { app, config, stateDir: dir, sparkHome, port: 5000 });
  for (const sub of ['conf', 'work', 'tmp']) mkdirSync(path.join(dir, 'dynos', d.name, sub), { recursive: true });
  const child = spawn('bash', ['-c', 'exec "$@"', 'run', ...command], { cwd: o.appDir, env: env as NodeJS.ProcessEnv, stdio: 'inherit' });
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  const code = await new Promise<number>((resolve) => child.on('exit', (c, s) => resolve(c ?? (s ? 128 + (os.constants.signals[s] ?? 0) : 1))));
  rmSync(path.join(dir, 'dynos', d.name), { recursive: true, force: true });
  return code;
}
