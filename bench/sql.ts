/**
 * Benchmark of the SQL side (not a test): `npm run bench:sql`. Local spaces one after the other on
 * this machine (Hive's service binds one port per machine), each with 2 workers of 2 cores and the
 * `thrift` and `connect` servers, same run:
 *   derby     = no metastore (--metastore 0): each server its own Derby catalog; dynamic allocation on
 *   postgres  = the `metastore` dyno on a real PostgreSQL (Debian's server); dynamic allocation on
 *   held      = as derby, but SPARK_SERVER_DYNAMIC_ALLOCATION=false (SPARK_SERVER_MAX_CORES=2, so
 *               both servers can start): the servers keep their cores, as before this release
 * Through JDBC (beeline on the host, through the space proxy): a fresh server's first query, then a
 * 10-query mix (DDL, CTAS, inserts, aggregates, a join, SHOW/DESCRIBE) timed whole, medians of
 * BENCH_RUNS; with Postgres, the most connections the metastore held (pg_stat_activity, sampled).
 * Then, three times, the servers idle past their idle timeout, a query that needs executors (the
 * idle server's answer; held: its executors are still there), and the start of each executor those
 * answers started (launch → registered); no-archive = as derby with SPARK_CDS=false, the executors' start before
 * class-data archives. Then how long a batch job asking for every core (4) waits for its executors
 * (cut at 120 s). Writes bench/results/sql.json.
 */
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bin, tmpdir } from '../test/helpers/buildpack.js';
import { appWithSpark, buildJobJar, cli, freePort } from '../test/helpers/cluster.js';
import { startMirror } from '../test/helpers/mirror.js';
import { startPostgres } from '../test/helpers/postgres.js';
import { beelineViaProxy } from '../test/helpers/sql.js';
import { DEFAULT_VERSION, testMavenMirror } from '../test/helpers/spark.js';
import { until } from '../test/helpers/wait.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.env.BENCH_RUNS ?? 3);
const now = () => performance.now() / 1000;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const password = randomBytes(12).toString('hex');
const token = randomBytes(24).toString('hex');
const WAIT_LIMIT_S = 120;

/** The 10-query mix (run i: its own table names). */
const mix = (i: number) => [
  `CREATE TABLE t${i} (id BIGINT, g INT) USING parquet`,
  `INSERT INTO t${i} SELECT id, CAST(id % 10 AS INT) FROM range(1, 100001)`,
  `SELECT count(*), sum(id) FROM t${i}`,
  `CREATE TABLE u${i} USING parquet PARTITIONED BY (g) AS SELECT id, CAST(id % 4 AS INT) AS g FROM range(1, 50001)`,
  `SELECT g, count(*) FROM u${i} GROUP BY g ORDER BY g`,
  `SELECT count(*) FROM t${i} JOIN u${i} USING (id)`,
  `SHOW TABLES`,
  `DESCRIBE TABLE EXTENDED u${i}`,
  `INSERT INTO t${i} VALUES (0, 0)`,
  `SELECT max(id) FROM t${i}`,
];

const pg = await startPostgres();
await pg.sql('postgres', 'CREATE DATABASE metastore');
const maven = tmpdir('sis-bench-maven-');
cpSync(testMavenMirror('metastore-jdbc'), maven, { recursive: true });
const mirror = await startMirror(maven);

interface Figures {
  firstQueryS: number;
  /** the servers idle (their executors gone back): a query that needs executors, through beeline (median of 3) */
  idleAnswerS: number;
  /** the idle answers' executors: launch (the worker makes its work dir) → registered with the server (its REST API's addTime) */
  executorStartS: { median: number | null; all: number[] };
  mixS: { median: number | null; all: number[] };
  metastoreConnections?: number;
  batchWaitS: number | null;
}

type Kind = 'derby' | 'postgres' | 'held' | 'no-archive';

async function measure(kind: Kind): Promise<Figures> {
  const db: Record<string, string> = kind === 'postgres' ? { SPARK_METASTORE_DATABASE_URL: pg.url('metastore') } : {};
  const { app, sparkHome } = await appWithSpark(
    DEFAULT_VERSION,
    {
      ...db,
      SPARK_CONNECT_TOKEN: token,
      SPACE_PROXY_PASSWORD: password,
      SPARK_WORKER_CORES: '2',
      SPARK_WORKER_MEMORY: '3g',
      SPARK_EXECUTOR_MEMORY: '512m',
      SPARK_DRIVER_MEMORY: '768m',
      ...(kind === 'held' ? { SPARK_SERVER_DYNAMIC_ALLOCATION: 'false', SPARK_SERVER_MAX_CORES: '2' } : {}),
      // as derby, without class-data archives (the daemons' and the executors'): executors as before this release
      ...(kind === 'no-archive' ? { SPARK_CDS: 'false' } : {}),
      SPARK_SERVER_IDLE_TIMEOUT: '5s',
      LOG_LEVEL: 'WARN',
    },
    true,
    { thrift: bin('thrift'), connect: bin('connect'), metastore: bin('metastore') },
    { MAVEN_MIRROR_URL: mirror.url, ...db },
  );
  const port = await freePort();
  const beeline = async (queries: string[]) => {
    const r = await beelineViaProxy(sparkHome, port, password, queries, { timeout: 600_000 });
    if (r.exitCode !== 0) throw new Error(`${kind}: beeline failed:\n${r.all.slice(-3000)}`);
  };
  const up = await cli(
    [
      'local',
      'up',
      '--detach',
      '--dir',
      app,
      '--app',
      `bench-sql-${kind}`,
      '--workers',
      '2',
      '--thrift',
      '1',
      '--connect',
      '1',
      '--port',
      String(port),
      ...(kind === 'postgres' ? [] : ['--metastore', '0']),
    ],
    { timeout: 600_000 },
  );
  if (up.exitCode !== 0) throw new Error(up.all);
  let most = 0;
  let sampling = kind === 'postgres';
  const sampler = (async () => {
    while (sampling) {
      most = Math.max(most, await pg.connections('metastore'));
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  try {
    let t0 = now();
    await beeline(['SELECT 1']);
    const firstQueryS = now() - t0;
    const all: number[] = [];
    for (let i = 0; i < (kind === 'held' || kind === 'no-archive' ? 1 : runs); i++) {
      t0 = now();
      await beeline(mix(i));
      all.push(now() - t0);
      console.log(`${kind.padEnd(9)} mix ${i + 1}: ${all.at(-1)!.toFixed(2)} s`);
    }
    sampling = false;
    await sampler;
    // the servers idle past SPARK_SERVER_IDLE_TIMEOUT (5 s), their executors gone back (held ones stay):
    // a query that needs executors, three times; the executors those answers started, each from launch to registered
    const idleFrom = Date.now();
    const idle: number[] = [];
    for (let k = 0; k < 3; k++) {
      if (kind === 'held') await new Promise((r) => setTimeout(r, 10_000));
      else await until('the thrift server without executors', async () => (await thriftExecutors(app)).active === 0, 180_000, 250);
      t0 = now();
      await beeline(['SELECT count(*), sum(id) FROM range(0, 1000000, 1, 2)']);
      idle.push(now() - t0);
    }
    const idleAnswerS = median(idle);
    const executorStartS = await executorStarts(app, idleFrom);
    // the servers idle: a batch job asking for every core (4) of the 2 workers
    const master = JSON.parse((await cli(['local', 'status', '--json', '--dir', app])).stdout).masterUi as string;
    await new Promise((r) => setTimeout(r, 8000));
    const jar = await buildJobJar(sparkHome);
    const job = cli(['local', 'run', '--dir', app, 'bin/spark-submit', '--total-executor-cores', '4', '--class', 'SumJob', jar], { timeout: (WAIT_LIMIT_S + 60) * 1000 });
    let batchWaitS: number | null = null;
    const deadline = Date.now() + WAIT_LIMIT_S * 1000;
    while (Date.now() < deadline) {
      const apps = ((await (await fetch(`${master}/json/`)).json()) as { activeapps: { name: string; cores: number; starttime: number }[] }).activeapps;
      const a = apps.find((x) => x.name === 'sum-job');
      if (a && a.cores > 0) {
        batchWaitS = (Date.now() - a.starttime) / 1000;
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    if (batchWaitS === null) job.kill('SIGTERM');
    await job.catch(() => undefined);
    console.log(
      `${kind.padEnd(9)} first query ${firstQueryS.toFixed(2)} s, idle server's answer ${idleAnswerS.toFixed(2)} s, executor start ${JSON.stringify(executorStartS)}, mix median ${all.length ? median(all).toFixed(2) : '-'} s, batch job waited ${batchWaitS === null ? `over ${WAIT_LIMIT_S} s` : `${batchWaitS.toFixed(1)} s`}`,
    );
    return {
      firstQueryS: Number(firstQueryS.toFixed(2)),
      idleAnswerS: Number(idleAnswerS.toFixed(2)),
      executorStartS,
      mixS: { median: all.length ? Number(median(all).toFixed(2)) : null, all: all.map((x) => Number(x.toFixed(2))) },
      ...(kind === 'postgres' ? { metastoreConnections: most } : {}),
      batchWaitS: batchWaitS === null ? null : Number(batchWaitS.toFixed(1)),
    };
  } finally {
    sampling = false;
    await cli(['local', 'down', '--dir', app]);
  }
}

/** The thrift server's application on its own UI, and how many executors it holds now. */
async function thriftExecutors(app: string): Promise<{ ui: string; id: string; active: number }> {
  const st = JSON.parse((await cli(['local', 'status', '--json', '--dir', app])).stdout) as { dynos: { type: string; ip: string }[] };
  const ui = `http://${st.dynos.find((d) => d.type === 'thrift')!.ip}:4040/api/v1/applications`;
  const [a] = (await (await fetch(ui)).json()) as { id: string }[];
  const active = ((await (await fetch(`${ui}/${a!.id}/executors`)).json()) as { id: string }[]).filter((e) => e.id !== 'driver').length;
  return { ui, id: a!.id, active };
}

/**
 * The thrift server's executors added since `since`, each from launch (the worker creates its work
 * dir for it: birth time) to registered with the server (its REST API: addTime).
 */
async function executorStarts(app: string, since: number): Promise<Figures['executorStartS']> {
  const { ui, id } = await thriftExecutors(app);
  const added = (e: { addTime: string }) => Date.parse(e.addTime.replace(/GMT$/, 'Z'));
  const execs = ((await (await fetch(`${ui}/${id}/allexecutors`)).json()) as { id: string; addTime: string }[]).filter((e) => e.id !== 'driver' && added(e) >= since);
  const local = path.join(app, '.spark-in-space', 'local');
  const space = readdirSync(local).find((d) => existsSync(path.join(local, d, 'dynos')))!;
  const times: number[] = [];
  for (const w of readdirSync(path.join(local, space, 'dynos')).filter((d) => d.startsWith('worker.'))) {
    const dir = path.join(local, space, 'dynos', w, 'work', id);
    for (const e of execs) if (existsSync(path.join(dir, e.id))) times.push((added(e) - statSync(path.join(dir, e.id)).birthtimeMs) / 1000);
  }
  const all = times.map((t) => Number(t.toFixed(2)));
  return { median: all.length ? Number(median(all).toFixed(2)) : null, all };
}

try {
  const noArchive = await measure('no-archive');
  const derby = await measure('derby');
  const postgres = await measure('postgres');
  const held = await measure('held');
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, memoryGb: Math.round(os.totalmem() / 2 ** 30) },
    spark: DEFAULT_VERSION,
    runs,
    derby: { ...derby, note: 'no metastore: each server its own Derby catalog; dynamic allocation (SPARK_SERVER_IDLE_TIMEOUT=5s)' },
    postgres: { ...postgres, note: 'the metastore dyno on PostgreSQL; dynamic allocation (SPARK_SERVER_IDLE_TIMEOUT=5s)' },
    held: { ...held, note: 'as derby with SPARK_SERVER_DYNAMIC_ALLOCATION=false and SPARK_SERVER_MAX_CORES=2: the servers keep their cores' },
    noArchive: { ...noArchive, note: 'as derby with SPARK_CDS=false: no class-data archive for daemons or executors (executors as before this release)' },
    ratio: {
      firstQuery: Number((postgres.firstQueryS / derby.firstQueryS).toFixed(3)),
      mix: Number((postgres.mixS.median! / derby.mixS.median!).toFixed(3)),
      // an idle server's answer (executors to start) against a held server's (target ≤ 1.3)
      idleOverHeld: Number((derby.idleAnswerS / held.idleAnswerS).toFixed(3)),
      idleOverHeldWithoutArchive: Number((noArchive.idleAnswerS / held.idleAnswerS).toFixed(3)),
      // an executor's start with the archive against without (target ≤ 0.5)
      executorStart: derby.executorStartS.median && noArchive.executorStartS.median ? Number((derby.executorStartS.median / noArchive.executorStartS.median).toFixed(3)) : null,
    },
    batchWaitLimitS: WAIT_LIMIT_S,
  };
  mkdirSync(path.join(repo, 'bench', 'results'), { recursive: true });
  writeFileSync(path.join(repo, 'bench', 'results', 'sql.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
} finally {
  await mirror.close();
  await pg.close();
}
