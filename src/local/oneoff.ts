/**
 * Processes that use a running local space without being part of its formation:
 * - `local run CMD`: a one-off dyno (`run.N`) inside the space, like `heroku run`;
 * - `local exec -- CMD` / `local env`: a process on the host (a pip-installed pyspark driver, a
 *   JDBC client, curl) that reaches the space by its names: JVMs through the space's hosts file,
 *   other tools through a private mount of it over /etc/hosts (Linux mount namespaces), and the
 *   space's DNS server for anything that asks DNS directly.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Env } from '../config/schema.js';
import { fail } from '../errors.js';
import { buildpackFile } from '../paths.js';
import { prepare, renderOneOffConf } from '../launch/index.js';
import { MASTER_PORT } from '../space/index.js';
import { dnsAddress, dynoEnv, dynoFor, subnetFor } from './formation.js';
import { connectTrust } from './tls.js';
import { formatAge } from './lifecycle.js';
import { fileSink, portOpen, runtimesOf, spaceConfigEnv } from './runner.js';
import { readState, spaceLog, type State } from './state.js';

/** The running space, or a clear failure within a second or two: not running, or no master accepting connections. */
export async function requireSpace(dir: string, app: string, appDir: string): Promise<State> {
  const s = readState(dir);
  if (!s) fail({ code: 'space-not-running', message: `No local space is running for ${app} in ${appDir}. Start one: spark-in-space local up --detach` });
  const masters = s.dynos.filter((d) => d.type === 'master');
  const open = await Promise.all(masters.map((m) => portOpen(m.ip, MASTER_PORT, 1500)));
  if (masters.length && !open.some(Boolean)) {
    const why = masters.map((m) => `${m.name} is ${m.phase}${m.restartAt ? `, restarting in ${formatAge(m.restartAt - Date.now())}` : ''}`).join('; ');
    fail({ code: 'cluster-unhealthy', app, problems: [`the local space runs, but no master accepts connections (${why}): wait until \`spark-in-space local status\` shows it up`] });
  }
  return s;
}

const exitCodeOf = (c: number | null, s: NodeJS.Signals | null) => c ?? (s ? 128 + (os.constants.signals[s] ?? 0) : 1);

/** Runs a child with stdin/stdout/stderr passed through and signals forwarded; resolves with its exit code. */
function passThrough(cmd: string, args: string[], o: { cwd: string; env: Env }): Promise<number> {
  const child = spawn(cmd, args, { cwd: o.cwd, env: o.env as NodeJS.ProcessEnv, stdio: 'inherit' });
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise<number>((resolve) => {
    child.on('error', (err) => {
      process.stderr.write(` !     ${cmd}: ${err.message}\n`);
      resolve(127);
    });
    child.on('exit', (c, s) => resolve(exitCodeOf(c, s)));
  }).finally(() => {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
  });
}

const hasExamplesJar = (sparkHome: string) => {
  const dir = path.join(sparkHome, 'examples', 'jars');
  return existsSync(dir) && readdirSync(dir).some((f) => /^spark-examples.*\.jar$/.test(f));
};

/**
 * Pure: the command a one-off dyno runs. `bin/spark-shell` and `bin/spark-submit` the app lacks are
 * this buildpack's launchers (they render the conf, and keep a cluster-mode driver clean); any other
 * `bin/<tool>` the app lacks but Spark has (spark-sql, pyspark, beeline, run-example...) is Spark's;
 * a bare tool name is found on PATH, as `.profile.d` makes it on Heroku: `bin/support/path/` first (a
 * bare `spark-submit` is the launcher too), Spark's bin/ last.
 */
export function oneOffCommand(command: string[], has: { app: (rel: string) => boolean; spark: (name: string) => boolean }, sparkHome: string, launchers: string): string[] {
  const [first, ...rest] = command;
  const m = first && /^(?:\.\/)?bin\/([A-Za-z0-9._-]+)$/.exec(first);
  if (!m || has.app(first!)) return command;
  if (LAUNCHERS.includes(m[1]!)) return [path.join(launchers, m[1]!), ...rest];
  if (has.spark(m[1]!)) return [path.join(sparkHome, 'bin', m[1]!), ...rest];
  return command;
}

const LAUNCHERS = ['spark-shell', 'spark-submit'];
/** this buildpack's bin/ (the launchers) */
const LAUNCHER_DIR = path.dirname(buildpackFile(import.meta.url, 'bin/spark-submit'));

/** `local run CMD`: a one-off dyno `run.N` on its own address; stdin, output and the exit code pass through. */
export async function runOneOff(a: { appDir: string; app: string; dir: string }, command: string[]): Promise<number> {
  const s = await requireSpace(a.dir, a.app, a.appDir);
  if (/(^|\/)run-example$/.test(command[0] ?? '') && !hasExamplesJar(s.sparkHome))
    fail({
      code: 'spark-unfit',
      message: `${s.sparkHome} has no examples jar (examples/jars/spark-examples_*.jar): run-example needs an Apache binary distribution that ships one; this one (e.g. PyPI's layout) does not.`,
    });
  const dynos = path.join(a.dir, 'dynos');
  const used = new Set(existsSync(dynos) ? readdirSync(dynos) : []);
  let n = 1;
  while (used.has(`run.${n}`) && n < 250) n++;
  const d = dynoFor(s.app, 'run', n, command.join(' '), []);
  const env = dynoEnv(d, { app: s.app, config: spaceConfigEnv(a.appDir, a.dir, s), stateDir: a.dir, sparkHome: s.sparkHome, port: 5000, masters: s.formation.master, ...runtimesOf(s.sparkHome) });
  for (const sub of ['conf', 'work', 'tmp']) mkdirSync(path.join(dynos, d.name, sub), { recursive: true });
  const log = fileSink(spaceLog(a.dir));
  log(`heroku[${d.name}]`, `Starting process with command \`${d.command}\` on ${d.ip} as ${d.dns}`);
  await renderOneOffConf(env, (l) => process.stderr.write(`${l}\n`));
  Object.assign(env, connectTrust(a.dir, env));
  // as .profile.d on Heroku: a bare `spark-submit` is the launcher, Spark's other tools come after the user's
  env.PATH = [path.join(LAUNCHER_DIR, 'support', 'path'), env.PATH, path.join(s.sparkHome, 'bin')].filter(Boolean).join(':');
  const argv = oneOffCommand(command, { app: (rel) => existsSync(path.join(a.appDir, rel)), spark: (n) => existsSync(path.join(s.sparkHome, 'bin', n)) }, s.sparkHome, LAUNCHER_DIR);
  const code = await passThrough('bash', ['-c', 'exec "$@"', 'run', ...argv], { cwd: a.appDir, env });
  log(`heroku[${d.name}]`, `Process exited with status ${code}`);
  rmSync(path.join(dynos, d.name), { recursive: true, force: true });
  return code;
}

/**
 * Pure-ish: what a host process needs to use the space, and the driver conf rendered for it.
 * The host driver gets an address of its own in the space (127.x.101.1): executors connect back to it.
 */
export async function hostEnv(a: { appDir: string; dir: string }, s: State, base: Env): Promise<Env> {
  const d = dynoFor(s.app, 'exec', 1, '', []);
  const conf = path.join(a.dir, 'exec', 'conf');
  const inSpace = dynoEnv(d, { app: s.app, config: spaceConfigEnv(a.appDir, a.dir, s), stateDir: a.dir, sparkHome: s.sparkHome, port: 5000, masters: s.formation.master, ...runtimesOf(s.sparkHome) });
  await prepare('spark-submit', { ...inSpace, SPARK_CONF_DIR: conf }, []);
  const dns = dnsAddress({ app: s.app, subnet: subnetFor(s.app), dynos: [] });
  return {
    ...base,
    SPARK_CONF_DIR: conf,
    SPARK_LOCAL_IP: d.ip,
    JAVA_TOOL_OPTIONS: inSpace.JAVA_TOOL_OPTIONS,
    SPARK_SUBMIT_OPTS: inSpace.SPARK_SUBMIT_OPTS,
    // the space's Spark tools (spark-submit, spark-sql, beeline) after the user's own
    PATH: [base.PATH, path.join(s.sparkHome, 'bin')].filter(Boolean).join(':'),
    SPARK_IN_SPACE_APP: s.app,
    SPARK_IN_SPACE_MASTER_URL: s.masterUrl,
    SPARK_IN_SPACE_DNS: `${dns.host}:${dns.port}`,
    ...connectTrust(a.dir, base),
  };
}

/** How to give a command the space's names in /etc/hosts: a private mount namespace, when this machine allows one. */
export function hostsWrapper(etcHosts: string): string[] | undefined {
  if (process.platform !== 'linux' || !existsSync(etcHosts)) return undefined;
  const userns = process.getuid?.() === 0 ? [] : ['--user', '--map-root-user'];
  const probe = spawnSync('unshare', [...userns, '--mount', '--propagation', 'private', 'true'], { stdio: 'ignore' });
  if (probe.status !== 0) return undefined;
  return ['unshare', ...userns, '--mount', '--propagation', 'private', 'bash', '-c', 'mount --bind "$0" /etc/hosts && exec "$@"', etcHosts];
}

/** `local exec -- CMD`: CMD on the host, in the current directory, able to use the space by its names. */
export async function execOnHost(a: { appDir: string; app: string; dir: string; hosts: boolean }, command: string[]): Promise<number> {
  const s = await requireSpace(a.dir, a.app, a.appDir);
  const env = await hostEnv(a, s, process.env);
  const wrap = a.hosts ? hostsWrapper(path.join(a.dir, 'etc-hosts')) : undefined;
  if (a.hosts && !wrap) process.stderr.write(` !     This machine allows no private mount of /etc/hosts: only JVMs resolve the space's names here (others: DNS at ${env.SPARK_IN_SPACE_DNS}).\n`);
  const argv = [...(wrap ?? []), ...command];
  return passThrough(argv[0]!, argv.slice(1), { cwd: process.cwd(), env });
}
