/**
 * Benchmark of the HTTP API (not a test): `npm run bench:api`. One local space (2 workers of 2
 * cores, the `thrift`, `connect` and `api` dynos; the servers hold their executors, so both paths
 * are warm), same run, same machine:
 *   latency   statement latency p50/p95 of `SELECT 1` and of a 1,000,000-row aggregate, through the
 *             API (Node's fetch, bearer token, on the api dyno: POST with wait) beside the same
 *             queries through pyspark-client over Connect with a warm session (BENCH_RUNS each,
 *             after 3 warm-ups)
 *   transfer  a ~100 MB result (1,000,000 rows of an id and 90 characters) read whole: through the
 *             API page by page (each page's JSON parsed) against Connect's `toArrow()` and
 *             `collect()`, as MB/s of the API's JSON bytes
 * Targets (issue 40): the API's p50 ≤ 1.5× Connect's; the 100 MB result at ≥ 0.5× Connect's rate.
 * Writes bench/results/api.json.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bin, tmpdir } from '../test/helpers/buildpack.js';
import { appWithSpark, cli, freePort } from '../test/helpers/cluster.js';
import { DEFAULT_VERSION, testPysparkClient } from '../test/helpers/spark.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.env.BENCH_RUNS ?? 30);
const password = randomBytes(12).toString('hex');
const token = randomBytes(24).toString('hex');
const apiToken = randomBytes(24).toString('hex');
const APP = 'bench-api';
const QUERIES = { select1: 'SELECT 1', aggregate: 'SELECT sum(id) FROM range(1000000)' };
const BIG = "SELECT id, repeat('x', 90) AS s FROM range(1000000)";
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;
const ms = (x: number) => Number(x.toFixed(1));

const { app } = await appWithSpark(
  DEFAULT_VERSION,
  {
    SPARK_CONNECT_TOKEN: token,
    SPACE_PROXY_PASSWORD: password,
    SPARK_API_TOKEN: apiToken,
    SPARK_WORKER_CORES: '2',
    SPARK_WORKER_MEMORY: '4g',
    SPARK_EXECUTOR_MEMORY: '1g',
    SPARK_DRIVER_MEMORY: '2g',
    SPARK_SERVER_DYNAMIC_ALLOCATION: 'false',
    SPARK_SERVER_MAX_CORES: '2',
    LOG_LEVEL: 'WARN',
  },
  true,
  { thrift: bin('thrift'), connect: bin('connect'), api: bin('api') },
);
const port = await freePort();
const up = await cli(['local', 'up', '--detach', '--dir', app, '--app', APP, '--workers', '2', '--thrift', '1', '--connect', '1', '--api', '1', '--metastore', '0', '--port', String(port)], {
  timeout: 600_000,
});
if (up.exitCode !== 0) throw new Error(up.all);
try {
  const status = JSON.parse((await cli(['local', 'status', '--json', '--dir', app])).stdout) as { dynos: { name: string; ip: string }[] };
  const api = `http://${status.dynos.find((d) => d.name === 'api.1')!.ip}:8998`;
  const headers = { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' };
  type Answer = { state: string; rows: unknown[][]; next?: string; id: string };
  const statement = async (sql: string): Promise<Answer> => {
    const r = (await (await fetch(`${api}/api/v1/statements`, { method: 'POST', headers, body: JSON.stringify({ statement: sql, wait: '50s' }) })).json()) as Answer;
    if (r.state !== 'SUCCEEDED') throw new Error(`${sql}: ${JSON.stringify(r)}`);
    return r;
  };
  const apiLatency = async (sql: string) => {
    for (let i = 0; i < 3; i++) await statement(sql);
    const xs: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await statement(sql);
      xs.push(performance.now() - t0);
    }
    return xs;
  };
  const apiTransfer = async () => {
    const t0 = performance.now();
    let r = await statement(BIG);
    let rows = r.rows.length;
    let bytes = 0;
    while (r.next) {
      const res = await fetch(`${api}${r.next}`, { headers });
      const text = await res.text();
      bytes += text.length;
      r = JSON.parse(text) as Answer;
      if (!r.rows) throw new Error(`page after ${rows} rows: ${text.slice(0, 500)}`);
      rows += r.rows.length;
    }
    return { s: (performance.now() - t0) / 1000, rows, bytes };
  };

  // Connect: one warm session (pyspark-client), the same queries and counts
  const python = testPysparkClient(DEFAULT_VERSION);
  const script = path.join(tmpdir('sis-bench-api-'), 'connect.py');
  writeFileSync(
    script,
    [
      'import json, sys, time',
      'from pyspark.sql import SparkSession',
      `spark = SparkSession.builder.remote("sc://1.connect.${APP}.app.localspace:15002/;token=" + sys.argv[1]).getOrCreate()`,
      'runs = int(sys.argv[2]); out = {}',
      `for name, sql in ${JSON.stringify(Object.entries(QUERIES))}:`,
      '    for _ in range(3): spark.sql(sql).collect()',
      '    xs = []',
      '    for _ in range(runs):',
      '        t0 = time.perf_counter(); spark.sql(sql).collect(); xs.append((time.perf_counter() - t0) * 1000)',
      '    out[name] = xs',
      `t0 = time.perf_counter(); n = spark.sql(${JSON.stringify(BIG)}).toArrow().num_rows; out["arrowS"] = time.perf_counter() - t0; out["arrowRows"] = n`,
      `t0 = time.perf_counter(); n = len(spark.sql(${JSON.stringify(BIG)}).collect()); out["collectS"] = time.perf_counter() - t0`,
      'print("RESULT " + json.dumps(out))',
    ].join('\n'),
  );
  const latency: Record<string, unknown> = {};
  const apiTimes: Record<string, number[]> = {};
  for (const [name, sql] of Object.entries(QUERIES)) apiTimes[name] = await apiLatency(sql);
  const transfer = await apiTransfer();
  const py = await cli(['local', 'exec', '--dir', app, '--', python, script, token, String(runs)], { timeout: 1_800_000 });
  const m = /RESULT (.*)/.exec(py.stdout);
  if (!m) throw new Error(`the Connect client failed:\n${py.all.slice(-3000)}`);
  const connect = JSON.parse(m[1]!) as Record<string, number[]> & { arrowS: number; collectS: number; arrowRows: number };
  for (const name of Object.keys(QUERIES)) {
    const a = apiTimes[name]!;
    const c = connect[name]!;
    latency[name] = {
      api: { p50Ms: ms(pct(a, 50)), p95Ms: ms(pct(a, 95)) },
      connect: { p50Ms: ms(pct(c, 50)), p95Ms: ms(pct(c, 95)) },
      p50Ratio: Number((pct(a, 50) / pct(c, 50)).toFixed(2)),
    };
  }
  const mb = transfer.bytes / 1e6;
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, memoryGb: Math.round(os.totalmem() / 2 ** 30) },
    spark: DEFAULT_VERSION,
    runs,
    latency,
    transfer: {
      rows: transfer.rows,
      jsonMb: Number(mb.toFixed(1)),
      api: { s: Number(transfer.s.toFixed(2)), mbPerS: Number((mb / transfer.s).toFixed(1)) },
      connectArrow: { s: Number(connect.arrowS.toFixed(2)), mbPerS: Number((mb / connect.arrowS).toFixed(1)) },
      connectCollect: { s: Number(connect.collectS.toFixed(2)), mbPerS: Number((mb / connect.collectS).toFixed(1)) },
      ratioToArrow: Number((connect.arrowS / transfer.s).toFixed(2)),
      ratioToCollect: Number((connect.collectS / transfer.s).toFixed(2)),
    },
    targets: { p50Ratio: 1.5, transferRatio: 0.5 },
  };
  mkdirSync(path.join(repo, 'bench', 'results'), { recursive: true });
  writeFileSync(path.join(repo, 'bench', 'results', 'api.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
} finally {
  await cli(['local', 'down', '--dir', app]);
}
