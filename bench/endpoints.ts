/**
 * Benchmark of the ways to send work (not a test): `npm run bench:endpoints`. One local space
 * (master, 2 workers, web, thrift, connect), same run, same machine; time from starting the client
 * to the answer of a one-line query (`SELECT sum(id) FROM range(1000001)`), medians of BENCH_RUNS:
 *   spark-shell = `local run bin/spark-shell` (a new driver: JVM, SparkContext, executors) — the baseline
 *   jdbc        = beeline on the host through the space proxy's /cliservice (the thrift dyno's server)
 *   connect     = pyspark-client (PyPI) on the host through `local exec`, TLS + token (the connect dyno)
 * Writes bench/results/endpoints.json with each median and its ratio to spark-shell's.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { tmpdir } from '../test/helpers/buildpack.js';
import { appWithEndpoints, cli, freePort } from '../test/helpers/cluster.js';
import { DEFAULT_VERSION, testPysparkClient } from '../test/helpers/spark.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.env.BENCH_RUNS ?? 3);
const SUM = '500000500000';
const QUERY = 'SELECT sum(id) AS s FROM range(1000001)';
const now = () => performance.now() / 1000;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const APP = 'bench-endpoints';
const password = randomBytes(12).toString('hex');
const token = randomBytes(24).toString('hex');

const python = testPysparkClient(DEFAULT_VERSION);
const { app, sparkHome } = await appWithEndpoints(DEFAULT_VERSION, { password, token });
const port = await freePort();
const cwd = tmpdir('sis-bench-endpoints-');
const script = path.join(cwd, 'query.py');
writeFileSync(
  script,
  [
    'import sys',
    'from pyspark.sql import SparkSession',
    `spark = SparkSession.builder.remote("sc://1.connect.${APP}.app.localspace:15002/;token=" + sys.argv[1]).getOrCreate()`,
    `print("RESULT=%d" % spark.sql("${QUERY}").collect()[0][0])`,
  ].join('\n'),
);

const clients: Record<string, () => Promise<string>> = {
  'spark-shell': async () => (await cli(['local', 'run', '--dir', app, `${repo}/bin/spark-shell`], { input: `println("RESULT=" + spark.sql("${QUERY}").first.getLong(0))\n:quit\n`, cwd })).all ?? '',
  jdbc: async () =>
    (
      await execa(
        path.join(sparkHome, 'bin', 'beeline'),
        ['-u', `jdbc:hive2://127.0.0.1:${port}/default;transportMode=http;httpPath=cliservice`, '-n', 'spark', '-p', password, '--silent=true', '--outputformat=csv2', '-e', QUERY],
        {
          reject: false,
          all: true,
          input: '',
          cwd,
          env: { SPARK_HOME: sparkHome },
        },
      )
    ).all.replace(/^(\d+)$/m, 'RESULT=$1'),
  connect: async () => (await cli(['local', 'exec', '--dir', app, '--', python, script, token], { cwd })).all ?? '',
};

const up = await cli(['local', 'up', '--detach', '--dir', app, '--app', APP, '--workers', '2', '--thrift', '1', '--connect', '1', '--port', String(port)], { timeout: 600_000 });
if (up.exitCode !== 0) throw new Error(up.all);
const times: Record<string, number[]> = { 'spark-shell': [], jdbc: [], connect: [] };
try {
  // one untimed round: the servers' first query compiles and loads classes once per server life
  for (const [name, run] of Object.entries(clients)) if (!(await run()).includes(`RESULT=${SUM}`)) throw new Error(`${name}: no answer`);
  for (let i = 0; i < runs; i++)
    for (const [name, run] of Object.entries(clients)) {
      const t0 = now();
      const out = await run();
      if (!out.includes(`RESULT=${SUM}`)) throw new Error(`${name}: no answer:\n${out.slice(-2000)}`);
      times[name]!.push(now() - t0);
      console.log(`${name.padEnd(12)} run ${i + 1}: ${(now() - t0).toFixed(2)} s`);
    }
} finally {
  await cli(['local', 'down', '--dir', app]);
}

const base = median(times['spark-shell']!);
const result = {
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, memoryGb: Math.round(os.totalmem() / 2 ** 30) },
  spark: DEFAULT_VERSION,
  query: QUERY,
  runs,
  seconds: Object.fromEntries(Object.entries(times).map(([k, v]) => [k, { median: Number(median(v).toFixed(2)), all: v.map((x) => Number(x.toFixed(2))) }])),
  ratioToSparkShell: Object.fromEntries(Object.entries(times).map(([k, v]) => [k, Number((median(v) / base).toFixed(3))])),
};
console.log('\ntime to first answer (median)');
for (const [k, v] of Object.entries(result.seconds)) console.log(`  ${k.padEnd(12)} ${v.median.toFixed(2)} s  (${result.ratioToSparkShell[k]} × spark-shell)`);
mkdirSync(path.join(repo, 'bench', 'results'), { recursive: true });
writeFileSync(path.join(repo, 'bench', 'results', 'endpoints.json'), `${JSON.stringify(result, null, 2)}\n`);
