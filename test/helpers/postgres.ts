/**
 * A real PostgreSQL (Debian's) for the metastore tests, as Heroku Postgres would hold it: its own
 * cluster in a temp dir on 127.0.0.1, a free port, password (scram) authentication; started as an
 * unprivileged user (`postgres` when the tests run as root: PostgreSQL refuses root).
 */
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import pg from 'pg';
import { postgresBin } from '../../src/local/postgres.js';
import { freePort } from './cluster.js';

export interface Postgres {
  port: number;
  user: string;
  password: string;
  /** postgres://user:password@127.0.0.1:port/db?sslmode=disable */
  url(db: string, o?: { password?: string }): string;
  /** runs SQL in `db` as the superuser */
  sql<T extends pg.QueryResultRow = pg.QueryResultRow>(db: string, text: string): Promise<T[]>;
  /** connections to `db` other than this helper's own */
  connections(db: string): Promise<number>;
  close(): Promise<void>;
}

/** The server's programs as `local up --postgres` finds them (src/local/postgres.ts). */
export function pgBin(tool: string): string {
  const bin = postgresBin(tool);
  if (!bin) throw new Error(`PostgreSQL's ${tool} is not installed (/usr/lib/postgresql/<version>/bin, or on PATH): scripts/setup installs it`);
  return bin;
}

export async function startPostgres(): Promise<Postgres> {
  const root = process.getuid?.() === 0;
  // not under the run's TMPDIR (0700, root's): the server's user must reach its dir
  const dir = mkdtempSync(path.join(root ? '/tmp' : os.tmpdir(), 'sis-pg-'));
  chmodSync(dir, 0o755);
  const user = 'spark_admin';
  const password = 'admin-pw-0123456789';
  writeFileSync(path.join(dir, 'pw'), `${password}\n`, { mode: 0o600 });
  let owner: { uid: number; gid: number } | undefined;
  if (root) {
    const id = await execa('id', ['-u', 'postgres']);
    const gid = await execa('id', ['-g', 'postgres']);
    owner = { uid: Number(id.stdout), gid: Number(gid.stdout) };
    chownSync(dir, owner.uid, owner.gid);
    chownSync(path.join(dir, 'pw'), owner.uid, owner.gid);
  }
  const as = (cmd: string, args: string[]) => (root ? execa('runuser', ['-u', 'postgres', '--', cmd, ...args], { cwd: dir }) : execa(cmd, args, { cwd: dir }));
  await as(pgBin('initdb'), ['-D', path.join(dir, 'data'), '-U', user, '--auth=scram-sha-256', `--pwfile=${path.join(dir, 'pw')}`, '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  await as(pgBin('pg_ctl'), [
    '-D',
    path.join(dir, 'data'),
    '-l',
    path.join(dir, 'log'),
    '-w',
    '-t',
    '60',
    '-o',
    `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${dir} -c max_connections=100 -c fsync=off`,
    'start',
  ]);
  const url = (db: string, o: { password?: string } = {}) => `postgres://${user}:${encodeURIComponent(o.password ?? password)}@127.0.0.1:${port}/${db}?sslmode=disable`;
  const sql = async <T extends pg.QueryResultRow>(db: string, text: string) => {
    const c = new pg.Client({ connectionString: url(db) });
    await c.connect();
    try {
      return (await c.query<T>(text)).rows;
    } finally {
      await c.end();
    }
  };
  return {
    port,
    user,
    password,
    url,
    sql,
    connections: async (db) => Number((await sql<{ n: string }>(db, `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = '${db}' AND pid <> pg_backend_pid()`))[0]!.n),
    close: async () => {
      await as(pgBin('pg_ctl'), ['-D', path.join(dir, 'data'), '-m', 'immediate', '-w', 'stop']).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
