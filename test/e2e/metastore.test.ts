/**
 * One catalog for the whole cluster, for real: a real PostgreSQL (Debian's, as Heroku Postgres would
 * hold it), the metastore dyno (Hive's service from Spark's jars) and every kind of driver of a
 * local space — the thrift server through the proxy, a piped pyspark one-off, pyspark-client through
 * the connect dyno, `spark-sql -e`, a cluster-mode job — seeing the same table; the table, its
 * partitions and data (in moto's S3: the warehouse defaults to the bucket) after the catalog's
 * dynos are cycled; two drivers on an empty database; three more at once beside both servers
 * within the connection cap; bad database URLs refused, naming the var, never the password.
 * The same space holds every secret (the Platform API token for its autoscaler, a second attachment
 * name of the database, S3 keys, the proxy password, the Connect token, the cluster secret): each
 * process holds only what src/secrets.ts allows its type, and SQL, Connect and executor code reach
 * none of what leads beyond the cluster.
 */
import { randomBytes } from 'node:crypto';
import { cpSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, tmpdir } from '../helpers/buildpack.js';
import { appWithEndpoints, buildJobJar, cli, freePort, thriftLock } from '../helpers/cluster.js';
import { startMirror, type Mirror } from '../helpers/mirror.js';
import { startPostgres, type Postgres } from '../helpers/postgres.js';
import { startS3, type S3Server } from '../helpers/s3.js';
import { DEFAULT_VERSION, hadoopOf, testMavenMirror, testPysparkClient } from '../helpers/spark.js';
import { until } from '../helpers/wait.js';
import { beelineRows, beelineViaProxy } from '../helpers/sql.js';
import { kindOf, SECRETS_OF, type SecretHolder } from '../../src/secrets.js';
import { parseDotenv } from '../../src/local/formation.js';

const APP = 'e2e-hive';
const DOMAIN = `${APP}.app.localspace`;
const PASSWORD = randomBytes(12).toString('hex');
const TOKEN = randomBytes(24).toString('hex');
/** the owner's Platform API token, for the autoscaler beside the master (locally it scales through the space's control socket) */
const HEROKU_TOKEN = `HRKU-${randomBytes(18).toString('hex')}`;
const SUM = '500000500000';
const rows = beelineRows;

describe(`one Hive metastore on PostgreSQL for every driver, real Spark ${DEFAULT_VERSION}`, () => {
  let pg: Postgres;
  let s3: S3Server;
  let mirror: Mirror;
  let app: string;
  let sparkHome: string;
  let jar: string;
  let port: number;
  let clientPython: string;
  let state: string;
  let releaseThrift: (() => void) | undefined;
  const run = (args: string[], env: Record<string, string> = {}) => cli(['local', 'run', '--dir', app, ...args], { timeout: 300_000, input: '', env });
  const sqlOneOff = (q: string) => run(['spark-sql', '-e', q]);

  beforeAll(async () => {
    clientPython = testPysparkClient(DEFAULT_VERSION);
    pg = await startPostgres();
    await pg.sql('postgres', 'CREATE DATABASE metastore');
    s3 = await startS3('spark-hive');
    // one Maven mirror with both: the S3A connector and the JDBC driver
    const maven = tmpdir('sis-maven-');
    for (const m of [testMavenMirror(hadoopOf(DEFAULT_VERSION)), testMavenMirror('metastore-jdbc')]) cpSync(m, maven, { recursive: true });
    mirror = await startMirror(maven);
    const url = pg.url('metastore');
    const s3vars = { SPARK_S3_BUCKET_NAME: s3.bucket, SPARK_S3_AWS_ACCESS_KEY_ID: s3.accessKey, SPARK_S3_AWS_SECRET_ACCESS_KEY: s3.secret, SPARK_S3_REGION: s3.region };
    // as app.json makes it (SPARK_AUTH_SECRET too), with the database and S3 the build and the dynos see
    ({ app, sparkHome } = await appWithEndpoints(DEFAULT_VERSION, {
      password: PASSWORD,
      token: TOKEN,
      dotenv: {
        SPARK_METASTORE_DATABASE_URL: url,
        // the same database under Heroku Postgres's second name
        HEROKU_POSTGRESQL_PINK_URL: url,
        ...s3vars,
        SPARK_S3_ENDPOINT: s3.endpoint,
        // an autoscaler that holds the token and keeps the two workers (min = max)
        SPARK_HEROKU_ACCESS_TOKEN: HEROKU_TOKEN,
        SPARK_AUTOSCALE_MIN: '2',
        SPARK_AUTOSCALE_MAX: '2',
        // the history dyno (on by default with an event log dir) reads S3
        SPARK_EVENTLOG_DIR: `s3a://${s3.bucket}/spark-events`,
      },
      types: { metastore: bin('metastore'), history: bin('history') },
      buildVars: { MAVEN_MIRROR_URL: mirror.url, SPARK_METASTORE_DATABASE_URL: url, ...s3vars },
    }));
    jar = await buildJobJar(sparkHome);
    port = await freePort();
    releaseThrift = await thriftLock();
    // the metastore dyno by default: .env names a database
    const up = await cli(['local', 'up', '--detach', '--dir', app, '--app', APP, '--workers', '2', '--thrift', '1', '--connect', '1', '--port', String(port)], { timeout: 400_000 });
    expect(up.exitCode, up.all).toBe(0);
    state = path.join(app, '.spark-in-space', 'local', APP);
  }, 1_200_000);
  afterAll(async () => {
    if (app) await cli(['local', 'down', '--dir', app]);
    releaseThrift?.();
    await mirror?.close();
    await pg?.close();
    await s3?.stop();
  });

  it('the build installed the JDBC driver from the Maven mirror; the metastore dyno is up and its hive-site.xml (the password) is 0600', async () => {
    expect(readdirSync(path.join(sparkHome, 'jars'))).toEqual(expect.arrayContaining(['postgresql-42.7.14.jar', expect.stringMatching(/^hadoop-aws-/)]));
    const s = JSON.parse((await cli(['local', 'status', '--json', '--dir', app])).stdout) as { healthy: boolean; dynos: { name: string; phase: string }[] };
    expect(s.dynos.find((d) => d.name === 'metastore.1')?.phase).toBe('up');
    const site = path.join(state, 'dynos', 'metastore.1', 'conf', 'hive-site.xml');
    expect(statSync(site).mode & 0o777).toBe(0o600);
    expect(readFileSync(site, 'utf8')).toContain(`jdbc:postgresql://127.0.0.1:${pg.port}/metastore?sslmode=disable`);
    expect(readFileSync(site, 'utf8')).toContain(`<name>hive.metastore.warehouse.dir</name><value>s3a://${s3.bucket}/warehouse</value>`);
  });

  it('two drivers starting at once against the empty database (the thrift and connect servers, then two spark-sql): one schema, every one works', async () => {
    const [a, b] = await Promise.all([sqlOneOff('CREATE TABLE first_a AS SELECT 1 AS x'), sqlOneOff('CREATE TABLE first_b AS SELECT 2 AS x')]);
    expect(a.exitCode, a.all).toBe(0);
    expect(b.exitCode, b.all).toBe(0);
    expect(await pg.sql('metastore', 'SELECT "SCHEMA_VERSION" AS v FROM "VERSION"')).toEqual([{ v: '2.3.0' }]);
    expect((await pg.sql<{ n: string }>('metastore', `SELECT "TBL_NAME" AS n FROM "TBLS" ORDER BY 1`)).map((r) => r.n)).toEqual(['first_a', 'first_b']);
  });

  it('a table created with beeline through the proxy is read by a piped pyspark, pyspark-client through connect, spark-sql -e and a cluster-mode job: same count and sum', async () => {
    const beeline = (q: string) => beelineViaProxy(sparkHome, port, PASSWORD, [q]);
    const made = await beeline('CREATE TABLE sales USING parquet PARTITIONED BY (p) AS SELECT id, id % 3 AS p FROM range(1, 1000001)');
    expect(made.exitCode, made.all).toBe(0);
    const read = await beeline('SELECT count(*) AS n, sum(id) AS s FROM sales');
    expect(read.exitCode, read.all).toBe(0);
    expect(rows(read.stdout)).toEqual(['n,s', `1000000,${SUM}`]);
    // the managed table's files are in the bucket (the warehouse defaults to s3a://<bucket>/warehouse)
    const files = await s3.list('warehouse/sales/');
    expect(files.filter((k) => /^warehouse\/sales\/p=[012]\/part-.*\.parquet$/.test(k)).length).toBeGreaterThanOrEqual(3);

    const piped = await cli(['local', 'run', '--dir', app, 'pyspark'], { input: 'r = spark.sql("SELECT count(*) AS n, sum(id) AS s FROM sales").first()\nprint("ANS", r.n, r.s)\n', timeout: 300_000 });
    expect(piped.exitCode, piped.all).toBe(0);
    expect(piped.stdout).toContain(`ANS 1000000 ${SUM}`);

    const script = path.join(tmpdir('sis-connect-'), 'q.py');
    writeFileSync(
      script,
      [
        'import sys',
        'from pyspark.sql import SparkSession',
        `spark = SparkSession.builder.remote("sc://1.connect.${DOMAIN}:15002/;token=" + sys.argv[1]).getOrCreate()`,
        'r = spark.sql("SELECT count(*) AS n, sum(id) AS s FROM sales").collect()[0]',
        'print("ANS", r["n"], r["s"])',
      ].join('\n'),
    );
    const connect = await cli(['local', 'exec', '--dir', app, '--', clientPython, script, TOKEN], { timeout: 300_000, cwd: tmpdir('sis-connect-cwd-') });
    expect(connect.exitCode, connect.all).toBe(0);
    expect(connect.stdout).toContain(`ANS 1000000 ${SUM}`);

    const sql = await sqlOneOff('SELECT count(*), sum(id) FROM sales');
    expect(sql.exitCode, sql.all).toBe(0);
    expect(sql.stdout.trim().split('\n')).toContain(`1000000\t${SUM}`);

    const sub = await run(['bin/spark-submit', '--wait', '--follow-logs', '--deploy-mode', 'cluster', '--class', 'SumJob', jar, 'sql', 'SELECT count(*), sum(id) FROM sales']);
    expect(sub.exitCode, sub.all).toBe(0);
    expect(sub.stdout).toContain(`SQL=[[1000000,${SUM}]]`);
  });

  it('secrets_per_process: every process of the space holds only the secrets its type needs; SQL, Connect and executors reach no token, database URL or proxy password', async () => {
    const dotenv = parseDotenv(readFileSync(path.join(app, '.env'), 'utf8'));
    const secrets = Object.fromEntries(Object.entries(dotenv).filter(([k, v]) => kindOf(k) && v)) as Record<string, string>;
    expect(Object.keys(secrets)).toEqual(
      expect.arrayContaining([
        'SPARK_HEROKU_ACCESS_TOKEN',
        'SPARK_METASTORE_DATABASE_URL',
        'HEROKU_POSTGRESQL_PINK_URL',
        'SPACE_PROXY_PASSWORD',
        'SPARK_CONNECT_TOKEN',
        'SPARK_AUTH_SECRET',
        'SPARK_S3_AWS_SECRET_ACCESS_KEY',
      ]),
    );
    const outside = [HEROKU_TOKEN, pg.url('metastore'), PASSWORD];

    // 1. /proc/<pid>/environ of every process of this space, by what it is
    const seen = new Set<SecretHolder>();
    let sidecarHasToken = false;
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      let environ: string[];
      let cmdline: string;
      try {
        environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
        cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      } catch {
        continue;
      }
      if (!environ.includes(`SPARK_IN_SPACE_SHARED_DIR=${state}`)) continue;
      const type = environ
        .find((e) => e.startsWith('DYNO='))
        ?.slice(5)
        .split('.')[0];
      // one-off dynos (local run, local exec) are the operator's own
      if (!type || !(type in SECRETS_OF)) continue;
      const holder: SecretHolder = cmdline.includes('sidecar.mjs autoscale')
        ? 'autoscale'
        : cmdline.includes('CoarseGrainedExecutorBackend') || cmdline.includes('DriverWrapper')
          ? 'cluster-driver'
          : (type as SecretHolder);
      const allowed = SECRETS_OF[holder].allowed;
      for (const k of environ.map((e) => e.split('=')[0]!).filter((n) => kindOf(n)))
        expect(allowed === 'all' || allowed.includes(kindOf(k)!), `${holder} (pid ${pid}: ${cmdline.slice(0, 120)}) holds ${k}`).toBe(true);
      const jvm = /\bjava\b/.test(cmdline);
      if (jvm)
        for (const v of outside)
          expect(
            environ.some((e) => e.includes(v)),
            `${holder} JVM (pid ${pid}) holds a secret that reaches beyond the cluster`,
          ).toBe(false);
      if (holder === 'autoscale' && environ.includes(`SPARK_HEROKU_ACCESS_TOKEN=${HEROKU_TOKEN}`)) sidecarHasToken = true;
      if (jvm || holder === 'autoscale') seen.add(holder);
    }
    // the scan saw every JVM of the space, and the one process that must hold the token does
    expect([...seen].sort()).toEqual(expect.arrayContaining(['autoscale', 'connect', 'history', 'master', 'metastore', 'thrift', 'worker']));
    expect(sidecarHasToken).toBe(true);

    // 2. SQL over JDBC: reflect(getenv) where Spark evaluates it, the Thrift server's JVM or executors (a
    // scan of 4 partitions runs on the workers); reflect() gives the string "null" for a variable that is not there
    const names = ['SPARK_HEROKU_ACCESS_TOKEN', 'SPARK_METASTORE_DATABASE_URL', 'DATABASE_URL', 'HEROKU_POSTGRESQL_PINK_URL', 'SPACE_PROXY_PASSWORD', 'SPARK_CONNECT_TOKEN'];
    const probe = `concat_ws('|', ${names.map((v) => `reflect('java.lang.System', 'getenv', '${v}')`).join(', ')})`;
    const none = names.map(() => 'null').join('|');
    const jdbc = await beelineViaProxy(sparkHome, port, PASSWORD, [
      `SELECT ${probe} AS secrets, reflect('java.lang.System', 'getenv', 'DYNO') AS dyno`,
      `SELECT DISTINCT ${probe} AS secrets, split(reflect('java.lang.System', 'getenv', 'DYNO'), '[.]')[0] AS dyno FROM range(0, 4, 1, 4)`,
    ]);
    expect(jdbc.exitCode, jdbc.all).toBe(0);
    const jdbcRows = rows(jdbc.stdout).filter((r) => r !== 'secrets,dyno');
    expect(jdbcRows).toHaveLength(2);
    expect(jdbcRows[0]).toMatch(new RegExp(`^${none.replace(/\|/g, '\\|')},(thrift\\.1|worker\\.\\d)$`));
    expect(jdbcRows[1]).toBe(`${none},worker`);
    // the probe can see what is there: the same call for a variable every dyno has
    const control = await beelineViaProxy(sparkHome, port, PASSWORD, [`SELECT reflect('java.lang.System', 'getenv', 'SPARK_IN_SPACE_LOCAL') AS v`]);
    expect(rows(control.stdout)).toContain('1');
    for (const v of outside) expect(jdbc.all).not.toContain(v);

    // 3. Spark Connect (pyspark-client): the same in the Connect server's JVM
    const script = path.join(tmpdir('sis-connect-'), 'env.py');
    writeFileSync(
      script,
      [
        'import sys',
        'from pyspark.sql import SparkSession',
        `spark = SparkSession.builder.remote("sc://1.connect.${DOMAIN}:15002/;token=" + sys.argv[1]).getOrCreate()`,
        `r = spark.sql(${JSON.stringify(`SELECT ${probe} AS s, reflect('java.lang.System', 'getenv', 'DYNO') AS d`)}).collect()[0]`,
        'print("CONNECT", r["s"], r["d"])',
      ].join('\n'),
    );
    const connect = await cli(['local', 'exec', '--dir', app, '--', clientPython, script, TOKEN], { timeout: 300_000, cwd: tmpdir('sis-connect-cwd-') });
    expect(connect.exitCode, connect.all).toBe(0);
    expect(connect.stdout).toMatch(new RegExp(`^CONNECT ${none.replace(/\|/g, '\\|')} (connect\\.1|worker\\.\\d)$`, 'm'));

    // 4. a PySpark job's executors: Python's environment, and that of the executor JVM above it
    const look = [
      'import os, json',
      `NAMES = ${JSON.stringify(Object.keys(secrets))}`,
      'def look(_):',
      '    p, jvm = os.getppid(), None',
      '    while p > 1 and jvm is None:',
      "        if b'CoarseGrainedExecutorBackend' in open('/proc/%d/cmdline' % p, 'rb').read():",
      "            jvm = sorted(k for k in (e.split(b'=')[0].decode() for e in open('/proc/%d/environ' % p, 'rb').read().split(b'\\0')) if k in NAMES)",
      "        p = int(open('/proc/%d/stat' % p).read().rsplit(')', 1)[1].split()[1])",
      '    return (sorted(k for k in os.environ if k in NAMES), jvm, os.environ.get("DYNO"))',
      '',
      'print("EXECUTORS", json.dumps(spark.sparkContext.parallelize(range(4), 4).map(look).collect()))',
      '',
    ].join('\n');
    const py = await cli(['local', 'run', '--dir', app, 'pyspark'], { input: look, timeout: 300_000 });
    expect(py.exitCode, py.all).toBe(0);
    const byExecutors = JSON.parse(/^EXECUTORS (.*)$/m.exec(py.stdout)?.[1] ?? 'null') as [string[], string[] | null, string][];
    expect(byExecutors, py.all).toHaveLength(4);
    for (const [pyEnv, jvmEnv, dyno] of byExecutors) expect({ pyEnv, jvmEnv, dyno }).toEqual({ pyEnv: [], jvmEnv: [], dyno: expect.stringMatching(/^worker\.\d$/) });

    // 5. the Thrift server's Environment page (Spark's UI), and every log of the space
    const status = JSON.parse((await cli(['local', 'status', '--json', '--dir', app])).stdout) as { dynos: { name: string; ip: string }[] };
    const thriftIp = status.dynos.find((d) => d.name === 'thrift.1')!.ip;
    const page = await (await fetch(`http://${thriftIp}:4040/environment/`)).text();
    expect(page).toContain('spark.master');
    for (const v of Object.values(secrets)) expect(page).not.toContain(v);
    const logs = path.join(state, 'logs');
    for (const f of readdirSync(logs)) for (const v of Object.values(secrets)) expect(readFileSync(path.join(logs, f), 'utf8'), `${f} holds a secret`).not.toContain(v);
  });

  it('after `local cycle` of the catalog’s dynos (the metastore, then the thrift server that holds its client), the table, its partitions and its data are all still there', async () => {
    // (every dyno of a space cycled under load: test/e2e/ha.test.ts)
    for (const dyno of ['metastore', 'thrift']) {
      const cycled = await cli(['local', 'cycle', dyno, '--dir', app], { timeout: 300_000 });
      expect(cycled.exitCode, cycled.all).toBe(0);
      expect(cycled.stdout).toMatch(new RegExp(`Cycled ${dyno}\\.1: `));
    }
    await until('the thrift server answering again', async () => (await fetch(`http://127.0.0.1:${port}/cliservice`, { method: 'POST' })).status === 401, 120_000, 1000);
    const parts = await sqlOneOff('SHOW PARTITIONS sales');
    expect(parts.exitCode, parts.all).toBe(0);
    expect(parts.stdout.trim().split('\n')).toEqual(['p=0', 'p=1', 'p=2']);
    const sql = await sqlOneOff('SELECT count(*), sum(id) FROM sales');
    expect(sql.stdout.trim().split('\n')).toContain(`1000000\t${SUM}`);
  });

  it('three drivers at once beside both servers stay within the connection cap (2 × SPARK_METASTORE_POOL_SIZE = 8; with their own JDBC pools the five would hold at least 10)', async () => {
    let most = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        most = Math.max(most, await pg.connections('metastore'));
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const all = await Promise.all(Array.from({ length: 3 }, () => sqlOneOff('SHOW TABLES')));
    sampling = false;
    await sampler;
    for (const r of all) expect(r.stdout, r.all).toContain('sales');
    console.log(`metastore connections to PostgreSQL with 3 drivers at once (and the thrift and connect servers): at most ${most}`);
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(8);
  });

  it('a bad database URL fails within 60 s with exit 24 naming the var, never printing the password; another Hive version’s schema is refused, never altered', async () => {
    const secret = 'wrong-password-4f9a1c';
    await pg.sql('postgres', 'CREATE DATABASE other_hive');
    await pg.sql(
      'other_hive',
      `CREATE TABLE "VERSION" ("VER_ID" bigint PRIMARY KEY, "SCHEMA_VERSION" varchar(127), "VERSION_COMMENT" varchar(255)); INSERT INTO "VERSION" VALUES (1, '3.1.0', 'Hive release version 3.1.0')`,
    );
    const closed = await freePort();
    const cases: [Record<string, string>, RegExp][] = [
      [{ SPARK_METASTORE_DATABASE_URL: pg.url('metastore', { password: secret }) }, /\(SPARK_METASTORE_DATABASE_URL\) refused the password of the user spark_admin/],
      [
        { SPARK_METASTORE_DATABASE_URL: `postgres://u:${secret}@127.0.0.1:${closed}/db?sslmode=disable` },
        new RegExp(`\\(SPARK_METASTORE_DATABASE_URL\\) refused the connection at 127\\.0\\.0\\.1:${closed}`),
      ],
      [{ SPARK_METASTORE_DATABASE_URL: `postgres://u:${secret}@127.0.0.1:${port}/db?sslmode=disable` }, /answered, but not as PostgreSQL does/],
      [{ SPARK_METASTORE_DATABASE_URL: '', DATABASE_URL: `mysql://u:${secret}@127.0.0.1/db` }, /DATABASE_URL \(read as SPARK_METASTORE_DATABASE_URL\): is a mysql:\/\/ URL, not a PostgreSQL one/],
      [{ SPARK_METASTORE_DATABASE_URL: pg.url('other_hive') }, /holds a Hive metastore schema of version 3\.1\.0, and this Spark's metastore speaks 2\.3\.0/],
    ];
    for (const [env, said] of cases) {
      const t = Date.now();
      const r = await run([bin('metastore')], env);
      expect(Date.now() - t).toBeLessThan(60_000);
      expect(r.exitCode, r.all).not.toBe(0);
      expect(r.all).toMatch(said);
      expect(r.all).not.toContain(secret);
      expect(r.all).not.toContain(pg.password);
    }
    expect(await pg.sql('other_hive', 'SELECT "SCHEMA_VERSION" AS v FROM "VERSION"')).toEqual([{ v: '3.1.0' }]);
  });

  it('the database password is in no log, no command line, and no driver’s conf', () => {
    const logs = path.join(state, 'logs');
    for (const f of readdirSync(logs)) expect(readFileSync(path.join(logs, f), 'utf8'), f).not.toContain(pg.password);
    for (const d of ['thrift.1', 'connect.1', 'worker.1']) expect(readFileSync(path.join(state, 'dynos', d, 'conf', 'spark-defaults.conf'), 'utf8'), d).not.toContain(pg.password);
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      let cmdline: string;
      try {
        cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      expect(cmdline, `pid ${pid}`).not.toContain(pg.password);
    }
  });
});
