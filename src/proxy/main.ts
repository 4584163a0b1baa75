/**
 * The `web` dyno (bin/space-proxy): renders nginx.conf and htpasswd (0600) from config vars, serves
 * the landing page on loopback, and runs nginx in the foreground on $PORT. SIGTERM/SIGINT become
 * SIGQUIT, nginx's graceful shutdown; the dyno exits with nginx's exit code.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, existsSync, readFileSync, rmSync, unwatchFile, watchFile } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import ejs from 'ejs';
import { handleError } from '../handle-error.js';
import { parseConfig } from '../config/schema.js';
import { fail } from '../errors.js';
import { TEMPLATES, writeConf } from '../render/index.js';
import { masterHosts } from '../space/index.js';
import { htpasswd, isAllowedBackend, proxyConf, resolversFrom, upstreamsFor, DEFAULT_DOMAINS, DEFAULT_PORTS, COOKIE } from './index.js';
import { dynosFromTopology, startLanding } from './landing.js';


export function findNginx(env: NodeJS.ProcessEnv): string {
  const candidates = [env.SPACE_PROXY_NGINX, env.HOME && path.join(env.HOME, 'bin', 'nginx'), ...(env.PATH ?? '').split(':').map((p) => path.join(p, 'nginx')), '/usr/sbin/nginx'];
  for (const c of candidates) if (c && existsSync(c)) return c;
  return fail({
    code: 'usage',
    message: 'nginx is not installed: on Heroku add the heroku-community/nginx buildpack (app.json lists it); locally install it (Debian: apt-get install nginx-light).',
  });
}

async function main(): Promise<void> {
  const env = process.env;
  const settings = parseConfig(env, 'run');
  const users = htpasswd(settings);
  if (!settings.PORT) fail({ code: 'config-invalid', issues: [{ name: 'PORT', problem: 'is not set: the web dyno listens on $PORT', example: 'PORT=5000' }] });
  const nginx = findNginx(env);
  const dir = env.SPACE_PROXY_DIR ?? path.join(env.HOME && existsSync(env.HOME) ? env.HOME : os.tmpdir(), '.space-proxy');
  for (const sub of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) await mkdir(path.join(dir, sub), { recursive: true });
  const resolvers = env.SPACE_PROXY_RESOLVER
    ? env.SPACE_PROXY_RESOLVER.split(',').map((s) => s.trim())
    : resolversFrom(existsSync('/etc/resolv.conf') ? readFileSync('/etc/resolv.conf', 'utf8') : '');
  if (!resolvers.length) fail({ code: 'usage', message: 'No DNS resolver: /etc/resolv.conf lists no nameserver and SPACE_PROXY_RESOLVER is not set.' });
  const domains = settings.SPACE_PROXY_ALLOWED_DOMAINS ?? DEFAULT_DOMAINS;
  const ports = (settings.SPACE_PROXY_ALLOWED_PORTS as [number, number?][] | undefined) ?? DEFAULT_PORTS;
  const landing = await startLanding({
    app: (settings.HEROKU_DNS_APP_NAME ?? 'space').split('.')[0]!,
    topologyFile: env.SPACE_TOPOLOGY_FILE ?? '/etc/heroku/space-topology.json',
    masterHosts: masterHosts(settings),
    resolvers,
    cookie: COOKIE,
    allowed: (v) => isAllowedBackend(v, domains, ports),
  });
  const landingPort = (landing.address() as { port: number }).port;
  const topologyFile = env.SPACE_TOPOLOGY_FILE ?? '/etc/heroku/space-topology.json';
  const allowed = (v: string) => isAllowedBackend(v, domains, ports);
  const template = readFileSync(path.join(TEMPLATES, 'nginx.conf.ejs'), 'utf8');
  /** Renders nginx.conf (+ htpasswd) from the config and the current topology; nginx -t checks it. */
  const render = async (): Promise<ReturnType<typeof proxyConf>> => {
    let known: ReturnType<typeof dynosFromTopology> = [];
    try {
      known = dynosFromTopology(JSON.parse(readFileSync(topologyFile, 'utf8')));
    } catch {
      /* no topology: every backend is resolved per request */
    }
    const listen = `${env.SPACE_PROXY_LISTEN ? `${env.SPACE_PROXY_LISTEN}:` : ''}${settings.PORT}`;
    const conf = proxyConf({ settings, dir, listen, resolvers, landingPort, upstreams: upstreamsFor(known, allowed) });
    await writeConf(dir, [
      { name: 'nginx.conf', content: ejs.render(template, { ...conf, runAsRoot: process.getuid?.() === 0 }), mode: 0o644 },
      { name: 'htpasswd', content: `${users.join('\n')}\n`, mode: 0o600 },
    ]);
    const test = spawnSync(nginx, ['-t', '-q', '-p', dir, '-c', path.join(dir, 'nginx.conf')], { encoding: 'utf8' });
    if (test.status !== 0) fail({ code: 'usage', message: `nginx refused the rendered configuration: ${test.stderr.trim().split('\n')[0]}` });
    return conf;
  };
  const conf = await render();
  process.stdout.write(`space-proxy: listening on ${conf.listen}, default backend ${conf.defaultBackend}, ${users.length} user(s)\n`);
  // Access logs reach stdout (Heroku's log stream) through a FIFO: nginx cannot open /dev/stdout
  // when it is a socket, as it is under a supervisor.
  const fifo = path.join(dir, 'access.fifo');
  rmSync(fifo, { force: true });
  if (spawnSync('mkfifo', ['-m', '600', fifo]).status !== 0) fail({ code: 'usage', message: `could not create ${fifo} (mkfifo)` });
  const accessLog = createReadStream(fifo).on('error', () => {});
  accessLog.pipe(process.stdout);
  const child = spawn(nginx, ['-p', dir, '-c', path.join(dir, 'nginx.conf')], { stdio: 'inherit' });
  // Heroku refreshes the topology within ~10 s of a change: re-render and reload (SIGHUP) to follow it.
  watchFile(topologyFile, { interval: 5000 }, () => {
    render().then(
      () => child.kill('SIGHUP'),
      (err) => process.stderr.write(`space-proxy: keeping the running configuration: ${(err as Error).message}\n`),
    );
  });
  const graceful = () => child.kill('SIGQUIT');
  process.on('SIGTERM', graceful);
  process.on('SIGINT', graceful);
  child.on('exit', (code, signal) => {
    unwatchFile(topologyFile);
    landing.close();
    // nginx flushed its buffered access log on the way out: pass it all on before exiting
    const exit = () => process.exit(code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1));
    accessLog.once('end', exit);
    setTimeout(exit, 2000).unref();
  });
}

main().catch((err) => handleError(err));
