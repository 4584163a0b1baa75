/**
 * `local up --postgres`, with real Spark and the machine's PostgreSQL: the space starts its own
 * PostgreSQL (data under .spark-in-space/local/<app>/postgres) and a metastore dyno on it; a table
 * one driver makes is read by others after every dyno is cycled and after `down` and `up` again;
 * `down` stops the database and keeps its data; its password is in no log, plan or argv. As root,
 * a folder the `postgres` user cannot pass is refused first, naming it.
 */
import { chmodSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { blockingFolder, postgresDir, postgresUrl } from '../../src/local/postgres.js';
import { bin } from '../helpers/buildpack.js';
import { appWithSpark, cli, localStatus } from '../helpers/cluster.js';
import { startMirror } from '../helpers/mirror.js';
import { DEFAULT_VERSION, testMavenMirror } from '../helpers/spark.js';

const APP = 'e2e-pg';

describe(`local up --postgres with real Spark ${DEFAULT_VERSION}`, () => {
  let app: string;
  let state: string;
  const up = () => cli(['local', 'up', '--detach', '--dir', app, '--app', APP, '--workers', '1', '--postgres'], { timeout: 300_000 });
  const sql = (q: string) => cli(['local', 'run', '--dir', app, 'spark-sql', '-e', q], { timeout: 300_000, input: '' });
  const portOpen = (host: string, port: number) =>
    new Promise<boolean>((resolve) => {
      const s = net.connect(port, host, () => (s.destroy(), resolve(true)));
      s.on('error', () => resolve(false));
    });

  beforeAll(async () => {
    const mirror = await startMirror(testMavenMirror('metastore-jdbc'));
    try {
      // no database URL at build: SPARK_METASTORE_JDBC asks for the driver the metastore dyno will need
      ({ app } = await appWithSpark(
        DEFAULT_VERSION,
        { SPARK_WORKER_CORES: '2', SPARK_DAEMON_MEMORY: '256m', LOG_LEVEL: 'WARN' },
        false,
        { metastore: bin('metastore') },
        { SPARK_METASTORE_JDBC: 'true', MAVEN_MIRROR_URL: mirror.url },
      ));
    } finally {
      await mirror.close();
    }
    state = path.join(app, '.spark-in-space', 'local', APP);
  }, 600_000);
  afterAll(async () => {
    if (app) await cli(['local', 'down', '--dir', app, '--app', APP]);
  });

  it.runIf(process.getuid?.() === 0)('as root: PostgreSQL runs as the postgres user, and a folder it cannot pass is refused by name (exit 16), before any dyno starts', async () => {
    const uid = Number(readFileSync('/etc/passwd', 'utf8').match(/^postgres:[^:]*:(\d+):/m)![1]);
    const blocked = blockingFolder(postgresDir(state), (p) => statSync(p), uid);
    expect(blocked, 'the test app lies under a private temp dir').toBeDefined();
    const r = await up();
    expect(r.exitCode, r.all).toBe(16);
    expect(r.all).toContain(`${blocked} lets no other user through`);
    expect(r.all).toContain(`chmod o+x ${blocked}`);
    expect(existsSync(path.join(state, 'state.json'))).toBe(false);
    // the fix the message gives
    for (let b = blocked; b; b = blockingFolder(postgresDir(state), (p) => statSync(p), uid)) chmodSync(b, statSync(b).mode | 0o001);
  });

  it('one catalog: a table made by one driver is read by others after every dyno is cycled, and after down and up; down stops the database, keeps the data', async () => {
    const first = await up();
    expect(first.exitCode, first.all).toBe(0);
    expect(first.all).toMatch(/PostgreSQL for the catalog: 127\.\d+\.0\.54:\d+, database metastore/);
    const s = await localStatus<{ healthy: boolean; dynos: { name: string }[] }>(app);
    expect(s.dynos.map((d) => d.name)).toContain('metastore.1');
    const made = await sql('CREATE TABLE sums USING parquet PARTITIONED BY (p) AS SELECT id, id % 3 AS p FROM range(1, 1000001)');
    expect(made.exitCode, made.all).toBe(0);
    // every dyno cycled (a dyno's disk wiped, the metastore's too): the catalog is in PostgreSQL
    const cycled = await cli(['local', 'cycle', '--dir', app], { timeout: 300_000 });
    expect(cycled.exitCode, cycled.all).toBe(0);
    const read = await sql('SELECT count(*), sum(id), count(DISTINCT p) FROM sums');
    expect(read.exitCode, read.all).toBe(0);
    expect(read.stdout).toMatch(/^1000000\t500000500000\t3$/m);
    const port = Number(readFileSync(path.join(postgresDir(state), 'port'), 'utf8'));
    const host = /PostgreSQL for the catalog: (127\.\d+\.0\.54):/.exec(first.all)![1]!;
    expect(await portOpen(host, port)).toBe(true);
    // the password: in the 0600 file and the dynos' environment only
    const password = readFileSync(path.join(postgresDir(state), 'password'), 'utf8').trim();
    // the table is Hive's, in that PostgreSQL (not a driver's own Derby)
    const c = new pg.Client({ connectionString: postgresUrl(host, port, password) });
    await c.connect();
    try {
      expect((await c.query<{ t: string }>('SELECT "TBL_NAME" AS t FROM "TBLS"')).rows.map((r) => r.t)).toEqual(['sums']);
      expect((await c.query<{ v: string }>('SELECT "SCHEMA_VERSION" AS v FROM "VERSION"')).rows).toEqual([{ v: '2.3.0' }]);
    } finally {
      await c.end();
    }
    expect(statSync(path.join(postgresDir(state), 'password')).mode & 0o077).toBe(0);
    for (const f of readdirSync(path.join(state, 'logs'))) expect(readFileSync(path.join(state, 'logs', f), 'utf8'), f).not.toContain(password);
    expect(readFileSync(path.join(state, 'plan.json'), 'utf8')).not.toContain(password);
    for (const out of [first.all, made.all, read.all, cycled.all]) expect(out).not.toContain(password);
    const down = await cli(['local', 'down', '--dir', app, '--app', APP]);
    expect(down.exitCode, down.all).toBe(0);
    expect(await portOpen(host, port)).toBe(false);
    expect(existsSync(path.join(postgresDir(state), 'data', 'postmaster.pid'))).toBe(false);
    expect(existsSync(path.join(postgresDir(state), 'data', 'PG_VERSION'))).toBe(true);
    // up again: the same database, the same table
    const again = await up();
    expect(again.exitCode, again.all).toBe(0);
    const reread = await sql('SELECT count(*), sum(id) FROM sums WHERE p IN (0, 1, 2)');
    expect(reread.exitCode, reread.all).toBe(0);
    expect(reread.stdout).toMatch(/^1000000\t500000500000$/m);
  }, 900_000);

  it('--postgres beside a database URL in .env, or without a metastore type, is refused with what to do', async () => {
    const both = await cli(['local', 'up', '--dir', app, '--app', 'e2e-pg2', '--postgres'], { env: { DATABASE_URL: 'postgres://u:p@127.0.0.1:1/db' } });
    expect(both.exitCode, both.all).toBe(2);
    expect(both.all).toMatch(/already names one \(DATABASE_URL\): drop one of them/);
    expect(both.all).not.toContain('u:p@');
    const none = await cli(['local', 'up', '--dir', app, '--app', 'e2e-pg2', '--postgres', '--metastore', '0']);
    expect(none.exitCode, none.all).toBe(2);
    expect(none.all).toMatch(/--metastore 0 leaves it out/);
  });
});
