/**
 * The `web` dyno (bin/space-proxy): renders nginx.conf and htpasswd (0600) from config vars, serves
 * the landing page on loopback, and runs nginx in the foreground on $PORT. SIGTERM/SIGINT become
 * SIGQUIT, nginx's graceful shutdown; the dyno exits with nginx's exit code.
 */
import { writeAtomicSync } from '../fs/atomic.js';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, createReadStream, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, unwatchFile, watchFile, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { handleError } from '../handle-error.js';
import { parseConfig, type Settings } from '../config/schema.js';
import { fail } from '../errors.js';
import { writeConf } from '../render/index.js';
import { renderTemplate } from '../render/templates.js';
import { masterHosts } from '../space/index.js';
import { findNginx } from './nginx.js';
import { allowedDomains, htpasswd, isAllowedBackend, proxyConf, resolversFrom, spaceAddresses, upstreamsFor, COOKIE } from './index.js';
import { emptyLockout, expire, lockoutMap, LOCKOUT, recordFailure } from './lockout.js';
import { dynosFromTopology, startLanding } from './landing.js';
import { dynoLog } from '../log/index.js';

const say = dynoLog('spark-in-space.space-proxy', 'space-proxy');

/**
 * Where nginx.conf, htpasswd and nginx's temp files go: SPACE_PROXY_DIR, else $HOME/.space-proxy
 * (refused if someone else owns it), else a fresh private dir in the temp dir: never a predictable
 * shared path another user could have prepared.
 */
function privateDir(env: NodeJS.ProcessEnv): string {
  if (env.SPACE_PROXY_DIR) {
    mkdirSync(env.SPACE_PROXY_DIR, { recursive: true, mode: 0o700 });
    return env.SPACE_PROXY_DIR;
  }
  if (env.HOME && existsSync(env.HOME)) {
    const dir = path.join(env.HOME, '.space-proxy');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = lstatSync(dir);
    if (!st.isDirectory() || st.uid !== process.getuid?.())
      fail({
        code: 'dir-unusable',
        role: "proxy's configuration directory",
        dir,
        cause: "it is not a directory of this user's: refusing to write the proxy's configuration there (set SPACE_PROXY_DIR)",
      });
    return dir;
  }
  return mkdtempSync(path.join(os.tmpdir(), 'space-proxy-'));
}

/** A fresh FIFO at `file` (0600), replacing whatever is there. */
function makeFifo(file: string): string {
  rmSync(file, { force: true });
  if (spawnSync('mkfifo', ['-m', '600', file]).status !== 0) fail({ code: 'host-unfit', message: `could not create ${file} (mkfifo)` });
  return file;
}

/** Can a user who is neither owner nor in the group walk down to `dir` (o+x on it and every parent)? */
function othersCanTraverse(dir: string): boolean {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    if (!(statSync(d).mode & 0o001)) return false;
    if (d === path.dirname(d)) return true;
  }
}

/** A temp dir nginx's unprivileged workers can reach: $TMPDIR may be private (a test run's own). */
function reachableTmp(): string {
  const base = [os.tmpdir(), '/tmp', '/var/tmp'].find((d) => existsSync(d) && othersCanTraverse(d));
  if (!base)
    fail({ code: 'host-unfit', message: `Started as root, but no temp dir (${os.tmpdir()}, /tmp, /var/tmp) lets nginx's workers (user nobody) in: make one of them world-traversable (chmod o+x).` });
  return base;
}

/** Started as root (a local machine), nginx's workers drop to nobody and its group. */
function workerIdentity(): { conf: string; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => spawnSync('id', [flag, 'nobody'], { encoding: 'utf8' }).stdout.trim();
  const group = id('-gn');
  const gid = Number(id('-g'));
  if (!group || !Number.isInteger(gid)) fail({ code: 'host-unfit', message: 'Started as root, but there is no user "nobody" for nginx\'s workers to run as.' });
  return { conf: `nobody ${group}`, gid };
}

/** Reads failed logins from nginx and keeps lockout.map current; `reload` makes nginx read it again. */
function watchFailedLogins(fifo: string, mapFile: string, reload: () => void): void {
  const l = emptyLockout();
  const write = () => {
    writeAtomicSync(mapFile, lockoutMap(l, Date.now()));
    reload();
  };
  const open = (): void => {
    const input = createReadStream(fifo).on('error', () => {});
    readline.createInterface({ input }).on('line', (client) => {
      if (recordFailure(l, client.trim(), Date.now())) {
        say(`WARNING: too many failed logins from ${client.trim()}: locked out for ${LOCKOUT.lockMs / 60_000} min`);
        write();
      }
    });
    // nginx may close and reopen its end (a reload): read on
    input.once('end', () => setTimeout(open, 100).unref());
  };
  open();
  setInterval(() => expire(l, Date.now()) && write(), 15_000).unref();
}

/** What the proxy runs with, worked out once at start. */
interface ProxySetup {
  env: NodeJS.ProcessEnv;
  settings: Settings;
  /** htpasswd lines */
  users: string[];
  nginx: string;
  /** the proxy's private dir (nginx.conf, pid, FIFOs) */
  dir: string;
  /** where nginx's workers read htpasswd and write temp files */
  workerDir: string;
  worker: ReturnType<typeof workerIdentity>;
  resolvers: string[];
  topologyFile: string;
  allowed: (v: string) => boolean;
}

/**
 * The web dyno: check the config, prepare the dirs, start the landing page, render nginx.conf
 * (nginx -t checks it), then run nginx in the foreground with its access log on stdout, the
 * failed-login lockout, and a re-render whenever the space topology changes.
 */
async function main(): Promise<void> {
  const setup = await prepareProxy(process.env);
  const landing = await startLanding({
    app: (setup.settings.HEROKU_DNS_APP_NAME ?? 'space').split('.')[0]!,
    topologyFile: setup.topologyFile,
    masterHosts: masterHosts(setup.settings),
    resolvers: setup.resolvers,
    cookie: COOKIE,
    allowed: setup.allowed,
  });
  const render = renderer(setup, (landing.address() as { port: number }).port);
  // FIFOs left by a previous start (a restarted dyno keeps its dir) would block `nginx -t`, which
  // opens every log for writing: it gets plain files now, and the FIFOs are made right after.
  for (const f of ['access.fifo', 'denied.fifo']) rmSync(path.join(setup.dir, f), { force: true });
  const conf = await render();
  say(`listening on ${conf.listen}, default backend ${conf.defaultBackend}, ${setup.users.length} user(s)`);
  runNginx(setup, render, () => landing.close());
}

/** The config checked, nginx found, the dirs made with their modes, the resolvers and allowed backends known. */
async function prepareProxy(env: NodeJS.ProcessEnv): Promise<ProxySetup> {
  const settings = parseConfig(env, 'run');
  const users = htpasswd(settings);
  if (!settings.PORT) fail({ code: 'config-invalid', issues: [{ name: 'PORT', problem: 'is not set: the web dyno listens on $PORT', example: 'PORT=5000' }] });
  const nginx = findNginx(env);
  const dir = privateDir(env);
  const worker = workerIdentity();
  // nginx's workers (an unprivileged user when started as root) read htpasswd and write temp files:
  // in `dir` when they can reach it, else in a fresh dir of their own under the temp dir
  const workerDir = worker && !othersCanTraverse(path.dirname(path.resolve(dir))) ? mkdtempSync(path.join(reachableTmp(), 'space-proxy-')) : dir;
  for (const sub of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) await mkdir(path.join(workerDir, sub), { recursive: true });
  chmodSync(dir, worker && workerDir === dir ? 0o711 : 0o700);
  if (workerDir !== dir) chmodSync(workerDir, 0o711);
  writeFileSync(path.join(dir, 'lockout.map'), '');
  const resolvers = env.SPACE_PROXY_RESOLVER ? env.SPACE_PROXY_RESOLVER.split(',').map((s) => s.trim()) : resolversFrom(existsSync('/etc/resolv.conf') ? readFileSync('/etc/resolv.conf', 'utf8') : '');
  if (!resolvers.length) fail({ code: 'host-unfit', message: 'No DNS resolver: /etc/resolv.conf lists no nameserver and SPACE_PROXY_RESOLVER is not set.' });
  const domains = allowedDomains(settings);
  const ports = settings.SPACE_PROXY_ALLOWED_PORTS;
  return {
    env,
    settings,
    users,
    nginx,
    dir,
    workerDir,
    worker,
    resolvers,
    topologyFile: env.SPACE_TOPOLOGY_FILE ?? '/etc/heroku/space-topology.json',
    allowed: (v: string) => isAllowedBackend(v, domains, ports),
  };
}

/** Renders nginx.conf (+ htpasswd) from the config and the current topology; nginx -t checks it. */
function renderer(p: ProxySetup, landingPort: number): () => Promise<ReturnType<typeof proxyConf>> {
  return async () => {
    let known: ReturnType<typeof dynosFromTopology> = [];
    let dynoAddresses: string[] = [];
    try {
      const topology: unknown = JSON.parse(readFileSync(p.topologyFile, 'utf8'));
      known = dynosFromTopology(topology);
      dynoAddresses = spaceAddresses(topology);
    } catch {
      /* no topology: every backend is resolved per request */
    }
    const listen = `${p.env.SPACE_PROXY_LISTEN ? `${p.env.SPACE_PROXY_LISTEN}:` : ''}${p.settings.PORT}`;
    const conf = proxyConf({
      settings: p.settings,
      dir: p.dir,
      listen,
      resolvers: p.resolvers,
      landingPort,
      upstreams: upstreamsFor(known, p.allowed),
      workerUser: p.worker?.conf,
      workerDir: p.workerDir,
      dynoAddresses,
    });
    await writeConf(p.workerDir, [{ name: 'htpasswd', content: `${p.users.join('\n')}\n`, mode: 0o600 }]);
    // the workers check passwords: their group may read the file, nobody else
    if (p.worker) {
      chownSync(path.join(p.workerDir, 'htpasswd'), 0, p.worker.gid);
      chmodSync(path.join(p.workerDir, 'htpasswd'), 0o640);
    }
    await writeConf(p.dir, [{ name: 'nginx.conf', content: renderTemplate('nginx.conf.ejs', conf), mode: conf.api ? 0o600 : 0o644 }]);
    const test = spawnSync(p.nginx, ['-t', '-q', '-p', p.dir, '-c', path.join(p.dir, 'nginx.conf')], { encoding: 'utf8' });
    if (test.status !== 0) fail({ code: 'host-unfit', message: `nginx refused the rendered configuration: ${test.stderr.trim().split('\n')[0]}` });
    return conf;
  };
}

/** nginx in the foreground: its access log on stdout, the lockout fed by failed logins, reloads on topology changes, SIGTERM → a graceful stop. */
function runNginx(p: ProxySetup, render: () => Promise<unknown>, closeLanding: () => void): void {
  const { dir } = p;
  // Access logs reach stdout (Heroku's log stream) through a FIFO: nginx cannot open /dev/stdout
  // when it is a socket, as it is under a supervisor.
  const accessLog = createReadStream(makeFifo(path.join(dir, 'access.fifo'))).on('error', () => {});
  accessLog.pipe(process.stdout);
  const deniedFifo = makeFifo(path.join(dir, 'denied.fifo'));
  // SIGHUP is a reload only once nginx has its signal handlers, which it sets before writing its
  // pid file; before that it would kill nginx. So a reload waits for the pid file (a stale one from
  // the dyno's previous start is removed first).
  const pidFile = path.join(dir, 'nginx.pid');
  rmSync(pidFile, { force: true });
  const child = spawn(p.nginx, ['-p', dir, '-c', path.join(dir, 'nginx.conf')], { stdio: 'inherit' });
  const reload = (tries = 100): void => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (existsSync(pidFile)) child.kill('SIGHUP');
    else if (tries > 0) setTimeout(() => reload(tries - 1), 100).unref();
  };
  watchFailedLogins(deniedFifo, path.join(dir, 'lockout.map'), () => reload());
  // Heroku refreshes the topology within ~10 s of a change: re-render and reload to follow it. Node
  // calls this at once when the file is missing (both stats zeroed): nothing changed then.
  watchFile(p.topologyFile, { interval: 5000 }, (curr, prev) => {
    if (curr.mtimeMs === prev.mtimeMs && curr.size === prev.size && curr.ino === prev.ino) return;
    render().then(
      () => reload(),
      (err) => say(`WARNING: keeping the running configuration: ${(err as Error).message}`),
    );
  });
  const graceful = () => child.kill('SIGQUIT');
  process.on('SIGTERM', graceful);
  process.on('SIGINT', graceful);
  child.on('exit', (code, signal) => {
    unwatchFile(p.topologyFile);
    if (p.workerDir !== dir) rmSync(p.workerDir, { recursive: true, force: true });
    closeLanding();
    // nginx flushed its buffered access log on the way out: pass it all on before exiting
    const exit = () => process.exit(code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1));
    accessLog.once('end', exit);
    setTimeout(exit, 2000).unref();
  });
}

main().catch((err) => handleError(err));
