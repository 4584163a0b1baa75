/**
 * `local up --postgres`: a real PostgreSQL (the machine's, e.g. Debian's `postgresql`) for the
 * space's catalog, as Heroku Postgres would hold it: its data under the space's dir
 * (`.spark-in-space/local/<app>/postgres`, kept across `up`/`down` and `local cycle`), listening
 * only on an address of the space (127.<subnet>.0.54) with password (scram) authentication, no
 * Unix socket. PostgreSQL refuses to run as root: as root it runs as the `postgres` user, which must
 * be able to reach the dir. The password is generated once into a 0600 file; the URL goes to the
 * dynos' environment only (never into plan.json or a log).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { bindable } from '../net/tcp.js';
import path from 'node:path';
import { execa } from 'execa';
import { fail } from '../errors.js';

/** The space's PostgreSQL listens here: beside its DNS server (127.<subnet>.0.53), on no dyno's address. */
export const postgresHost = (subnet: number) => `127.${subnet}.0.54`;
export const METASTORE_DB = 'metastore';
const USER = 'spark';

export const postgresDir = (stateDir: string) => path.join(stateDir, 'postgres');

/** Pure: the URL the metastore dyno gets (SPARK_METASTORE_DATABASE_URL). */
export const postgresUrl = (host: string, port: number, password: string) => `postgres://${USER}:${encodeURIComponent(password)}@${host}:${port}/${METASTORE_DB}?sslmode=disable`;

/** PostgreSQL's server programs: Debian's /usr/lib/postgresql/<newest>/bin, else initdb on PATH. */
export function postgresBin(tool: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const root = '/usr/lib/postgresql';
  const v = existsSync(root)
    ? readdirSync(root)
        .filter((d) => /^\d+$/.test(d) && existsSync(path.join(root, d, 'bin', tool)))
        .sort((a, b) => Number(b) - Number(a))[0]
    : undefined;
  if (v) return path.join(root, v, 'bin', tool);
  return (env.PATH ?? '')
    .split(':')
    .map((d) => path.join(d, tool))
    .find((f) => existsSync(f));
}

/**
 * Pure: the first folder on the way to `dir` a user other than its owner cannot pass (no o+x),
 * given each folder's mode and owner; undefined when `uid` gets through.
 */
export function blockingFolder(dir: string, statOf: (p: string) => { mode: number; uid: number }, uid: number): string | undefined {
  const parts = path.resolve(dir).split(path.sep).filter(Boolean);
  for (let i = 0; i < parts.length; i++) {
    const p = `/${parts.slice(0, i).join('/')}`;
    const st = statOf(p);
    if (st.uid !== uid && !(st.mode & 0o001)) return p;
  }
  return undefined;
}

async function idOf(user: string): Promise<{ uid: number; gid: number } | undefined> {
  const u = await execa('id', ['-u', user], { reject: false });
  const g = await execa('id', ['-g', user], { reject: false });
  return u.exitCode === 0 && g.exitCode === 0 ? { uid: Number(u.stdout), gid: Number(g.stdout) } : undefined;
}

/** `preferred` on `host` when free, else any free port there. */
const freePortOn = async (host: string, preferred?: number): Promise<number> => (preferred ? await bindable(preferred, host) : undefined) ?? (await bindable(0, host))!;

interface Runner {
  run(cmd: string, args: string[]): Promise<{ exitCode?: number; all?: string }>;
}

/** Runs PostgreSQL's programs as the user that may run them (the `postgres` user when we are root), after checking it can. */
async function runnerFor(dir: string): Promise<Runner & { owner?: { uid: number; gid: number } }> {
  if (process.getuid?.() !== 0) return { run: (cmd, args) => execa(cmd, args, { reject: false, all: true, cwd: dir }) };
  const owner = await idOf('postgres');
  if (!owner)
    fail({
      code: 'host-unfit',
      message:
        'local up --postgres: PostgreSQL will not run as root, and this machine has no `postgres` user to run it as. Run `local up` as a regular user, or set DATABASE_URL in .env to a PostgreSQL you run.',
    });
  const blocked = blockingFolder(dir, (p) => statSync(p), owner.uid);
  if (blocked)
    fail({
      code: 'host-unfit',
      message:
        `local up --postgres: PostgreSQL will not run as root, so it runs as the \`postgres\` user, which cannot reach ${dir}: ${blocked} lets no other user through. ` +
        `Run \`local up\` as a regular user, or let others pass that folder (chmod o+x ${blocked}), or set DATABASE_URL in .env to a PostgreSQL you run.`,
    });
  return { owner, run: (cmd, args) => execa('runuser', ['-u', 'postgres', '--', cmd, ...args], { reject: false, all: true, cwd: dir }) };
}

function need(tool: string): string {
  const bin = postgresBin(tool);
  if (!bin)
    fail({
      code: 'host-unfit',
      message: `local up --postgres needs PostgreSQL's server (${tool} not found in /usr/lib/postgresql/*/bin or on PATH): install it (Debian: apt install postgresql), or set DATABASE_URL in .env to a PostgreSQL you run.`,
    });
  return bin;
}

/**
 * Starts the space's PostgreSQL (initialising it on first use) and makes sure the metastore's
 * database exists; returns the URL for the metastore dyno. Already running (a supervisor that died
 * left it): used as it is.
 */
export async function startSpacePostgres(stateDir: string, subnet: number, say: (line: string) => void): Promise<{ url: string; host: string; port: number }> {
  const dir = postgresDir(stateDir);
  const data = path.join(dir, 'data');
  mkdirSync(dir, { recursive: true });
  const initdb = need('initdb');
  const pgCtl = need('pg_ctl');
  const as = await runnerFor(dir);
  const pwFile = path.join(dir, 'password');
  if (!existsSync(pwFile)) writeFileSync(pwFile, `${randomBytes(18).toString('base64url')}\n`, { mode: 0o600 });
  if (as.owner) {
    chownSync(dir, as.owner.uid, as.owner.gid);
    chownSync(pwFile, as.owner.uid, as.owner.gid);
  }
  chmodSync(dir, 0o700);
  const password = readFileSync(pwFile, 'utf8').trim();
  if (!existsSync(path.join(data, 'PG_VERSION'))) {
    say(`Initialising the space's PostgreSQL in ${data}`);
    const r = await as.run(initdb, ['-D', data, '-U', USER, '--auth=scram-sha-256', `--pwfile=${pwFile}`, '-E', 'UTF8', '--no-instructions']);
    if (r.exitCode !== 0) fail({ code: 'host-unfit', message: `local up --postgres: initdb failed:\n${(r.all ?? '').trim()}` });
  }
  const host = postgresHost(subnet);
  const portFile = path.join(dir, 'port');
  const status = await as.run(pgCtl, ['-D', data, 'status']);
  let port = existsSync(portFile) ? Number(readFileSync(portFile, 'utf8')) : undefined;
  if (status.exitCode !== 0 || !port) {
    port = await freePortOn(host, port);
    writeFileSync(portFile, `${port}\n`);
    const opts = `-c listen_addresses=${host} -c port=${port} -c unix_socket_directories= -c max_connections=50`;
    const r = await as.run(pgCtl, ['-D', data, '-l', path.join(dir, 'postgres.log'), '-w', '-t', '60', '-o', opts, 'start']);
    if (r.exitCode !== 0) fail({ code: 'host-unfit', message: `local up --postgres: PostgreSQL did not start (its log: ${path.join(dir, 'postgres.log')}):\n${(r.all ?? '').trim()}` });
  }
  await ensureDatabase(host, port, password);
  say(`PostgreSQL for the catalog: ${host}:${port}, database ${METASTORE_DB}, data in ${data} (kept by local down; delete the folder to start afresh)`);
  return { url: postgresUrl(host, port, password), host, port };
}

async function ensureDatabase(host: string, port: number, password: string): Promise<void> {
  const { default: pg } = await import('pg');
  const c = new pg.Client({ host, port, user: USER, password, database: 'postgres', connectionTimeoutMillis: 20_000 });
  await c.connect();
  try {
    if (!(await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [METASTORE_DB])).rowCount) await c.query(`CREATE DATABASE ${METASTORE_DB}`);
  } finally {
    await c.end();
  }
}

/** The URL of the space's running PostgreSQL, from its files (one-off dynos of a space started with --postgres). */
export function spacePostgresUrl(stateDir: string, subnet: number): string | undefined {
  const dir = postgresDir(stateDir);
  try {
    return postgresUrl(postgresHost(subnet), Number(readFileSync(path.join(dir, 'port'), 'utf8')), readFileSync(path.join(dir, 'password'), 'utf8').trim());
  } catch {
    return undefined;
  }
}

/** Stops the space's PostgreSQL if it runs (`local down`, the supervisor's end); its data stays. */
export async function stopSpacePostgres(stateDir: string): Promise<boolean> {
  const data = path.join(postgresDir(stateDir), 'data');
  if (!existsSync(path.join(data, 'postmaster.pid'))) return false;
  const pgCtl = postgresBin('pg_ctl');
  if (!pgCtl) return false;
  const run = process.getuid?.() === 0 ? (args: string[]) => execa('runuser', ['-u', 'postgres', '--', pgCtl, ...args], { reject: false }) : (args: string[]) => execa(pgCtl, args, { reject: false });
  const r = await run(['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop']);
  return r.exitCode === 0;
}
