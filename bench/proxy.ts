/**
 * Benchmark of the space proxy (not a test): `npm run bench:proxy`. In one run against a real local
 * space, wrk (Debian package) loads the master UI directly on its loopback address and through
 * the proxy (basic auth, cookie map, DNS resolver, nginx): added p50/p99 latency and the throughput
 * ratio (target >= 0.8 of direct). Writes bench/results/proxy.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { appWithSpark, cli, freePort } from '../test/helpers/cluster.js';
import { DEFAULT_VERSION } from '../test/helpers/spark.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 16);
const PASSWORD = 'bench-proxy-password';

interface Wrk {
  rps: number;
  p50ms: number;
  p99ms: number;
  errors: number;
}

const toMs = (v: string) => {
  const m = /^([\d.]+)(us|ms|s)$/.exec(v.trim());
  if (!m) return NaN;
  return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
};

async function wrk(url: string, headers: string[] = []): Promise<Wrk> {
  const args = ['-t2', `-c${connections}`, `-d${seconds}s`, '--latency', ...headers.flatMap((h) => ['-H', h]), url];
  const { stdout } = await execa('wrk', args);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
  const p50 = toMs(/\s50%\s+(\S+)/.exec(stdout)?.[1] ?? '');
  const p99 = toMs(/\s99%\s+(\S+)/.exec(stdout)?.[1] ?? '');
  const errors = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout)?.[1] ?? 0);
  return { rps, p50ms: p50, p99ms: p99, errors };
}

const port = await freePort();
const { app } = await appWithSpark(DEFAULT_VERSION, { SPACE_PROXY_BASIC_AUTH: `spark:{PLAIN}${PASSWORD}` }, true);
const up = await cli(['local', 'up', '--detach', '--dir', app, '--app', 'bench-proxy', '--workers', '1', '--port', String(port)]);
if (up.exitCode !== 0) throw new Error(up.all);
try {
  const status = JSON.parse((await cli(['local', 'status', '--json', '--dir', app])).stdout);
  const direct = `${status.masterUi}/`;
  const proxied = `http://127.0.0.1:${port}/`;
  const auth = `Authorization: Basic ${Buffer.from(`spark:${PASSWORD}`).toString('base64')}`;
  await wrk(direct); // warm-up: JIT and Jetty threads
  const d = await wrk(direct);
  const p = await wrk(proxied, [auth]);
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30) },
    spark: DEFAULT_VERSION,
    load: { tool: 'wrk', threads: 2, connections, seconds, path: '/ (master UI)' },
    direct: d,
    proxy: p,
    addedLatencyMs: { p50: p.p50ms - d.p50ms, p99: p.p99ms - d.p99ms },
    throughputRatio: p.rps / d.rps,
    target: { throughputRatio: 0.8 },
  };
  mkdirSync(path.join(repo, 'bench/results'), { recursive: true });
  writeFileSync(path.join(repo, 'bench/results/proxy.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(`direct: ${d.rps.toFixed(0)} req/s, p50 ${d.p50ms.toFixed(2)} ms, p99 ${d.p99ms.toFixed(2)} ms`);
  console.log(`proxy:  ${p.rps.toFixed(0)} req/s, p50 ${p.p50ms.toFixed(2)} ms, p99 ${p.p99ms.toFixed(2)} ms (non-2xx: ${p.errors})`);
  console.log(`throughput ratio ${result.throughputRatio.toFixed(2)} (target >= 0.8), added p50 ${result.addedLatencyMs.p50.toFixed(2)} ms, p99 ${result.addedLatencyMs.p99.toFixed(2)} ms`);
} finally {
  await cli(['local', 'down', '--dir', app]);
}
