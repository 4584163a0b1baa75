/**
 * Benchmark of the CLI's start-up (not a test): `npm run bench:cli`. In one run: bare `node -e 0`
 * (the floor on this machine), `spark-in-space --help` as `bin` runs it (the cached text) and as
 * the CLI itself prints it, a command's start-up (its options parsed, nothing done), a launcher's
 * hand-over before the JVM (with and without V8's compile cache), and `status --json` against the
 * fake Platform API and a stand-in proxy on loopback, and `apps --json` the same way. Medians of N
 * runs; targets: --help and the launcher <= 1.3x bare Node, `apps --json` under 1 s. Writes
 * bench/results/cli.json.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { startFakeHeroku } from '../test/helpers/fake-heroku.js';
import { addApp, newWorld } from '../test/helpers/fake-heroku-world.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.env.BENCH_RUNS ?? 15);

async function median(argv: string[], env: Record<string, string> = {}, expectCode = 0): Promise<{ medianMs: number; minMs: number; maxMs: number }> {
  const times: number[] = [];
  for (let i = 0; i < runs + 2; i++) {
    const t = process.hrtime.bigint();
    const r = await execa(process.execPath, argv, { reject: false, env, cwd: repo });
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    if (r.exitCode !== expectCode) throw new Error(`${argv.join(' ')} exited ${r.exitCode}: ${r.all ?? r.stderr}`);
    if (i >= 2) times.push(ms); // two warm-ups: the page cache
  }
  times.sort((a, b) => a - b);
  const r1 = (n: number) => Math.round(n * 10) / 10;
  return { medianMs: r1(times[Math.floor(times.length / 2)]!), minMs: r1(times[0]!), maxMs: r1(times.at(-1)!) };
}

const TOKEN = 'HRKU-bench-token-0123456789abcdef';
const fake = await startFakeHeroku({ token: TOKEN, world: newWorld() });
addApp(fake.world!, 'bench-spark');
addApp(fake.world!, 'bench-jobs');
const master = {
  url: 'spark://1.master.bench-spark.app.localspace:7077',
  status: 'ALIVE',
  workers: [1, 2].map((n) => ({ id: `w${n}`, host: `${n}.worker.bench-spark.app.localspace`, port: 1, state: 'ALIVE', cores: 8, coresused: 0, memory: 1, memoryused: 0 })),
  cores: 16,
  coresused: 0,
  memory: 2,
  memoryused: 0,
  activeapps: [],
};
// `apps --json`: a master with 5 running applications (each one's page read for its driver) and 200 completed
const appPage = readFileSync(path.join(repo, 'test/fixtures/jobs_master-4.2/app-page.html'), 'utf8');
const app = (i: number, state: string) => ({
  id: `app-20261204000000-${String(i).padStart(4, '0')}`,
  name: `job-${i}`,
  user: 'u',
  cores: 2,
  memoryperexecutor: 1024,
  starttime: 1796400000000 + i * 1000,
  state,
  duration: 60_000,
});
const busy = {
  ...master,
  activeapps: [0, 1, 2, 3, 4].map((i) => app(i, 'RUNNING')),
  completedapps: Array.from({ length: 200 }, (_, i) => app(100 + i, 'FINISHED')),
  activedrivers: [],
  completeddrivers: [],
};
const proxy = http.createServer((req, res) => {
  if (req.url?.startsWith('/app/')) return res.writeHead(200, { 'Content-Type': 'text/html' }).end(appPage);
  const jobs = req.headers.cookie?.includes('space_backend=1.master.bench-jobs');
  res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(jobs ? busy : master));
});
await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/`;
try {
  const bare = await median(['-e', '0']);
  // --help: from the cache the build writes (dist/help.json), and (for comparison) the CLI itself
  const helpBundled = await median([path.join(repo, 'dist/cli.mjs'), '--help']);
  const helpSub = await median([path.join(repo, 'dist/cli.mjs'), 'local', 'up', '--help']);
  const helpLive = await median([path.join(repo, 'dist/cli-bundle.mjs'), '--help']);
  // a command that loads the CLI: its start-up and option parsing, nothing done (SPARK_IN_SPACE_CHECK_ONLY)
  const checkOnly = await median([path.join(repo, 'dist/cli.mjs'), 'local', 'up', '--masters', '2', '--zookeepers', '3'], { PATH: process.env.PATH ?? '', SPARK_IN_SPACE_CHECK_ONLY: '1' });
  const env = { HEROKU_API_URL: fake.url, HEROKU_API_KEY: TOKEN, PATH: process.env.PATH ?? '' };
  const status = await median([path.join(repo, 'dist/cli.mjs'), 'status', '-a', 'bench-spark', '--json', '--proxy-url', proxyUrl], env);
  const apps = await median([path.join(repo, 'dist/cli.mjs'), 'apps', '-a', 'bench-jobs', '--json', '--proxy-url', proxyUrl], env);
  // a launcher's hand-over: bin/spark-worker's Node step (validate every var, render the conf, print the argv), with and without V8's compile cache
  const sparkHome = mkdtempSync(path.join(os.tmpdir(), 'sis-bench-sparkhome-'));
  mkdirSync(path.join(sparkHome, 'bin'));
  writeFileSync(path.join(sparkHome, 'bin', 'spark-class'), '');
  writeFileSync(path.join(sparkHome, 'RELEASE'), 'Spark 4.2.0 built for Hadoop 3.5.0\n');
  const launchEnv = {
    PATH: process.env.PATH ?? '',
    SPARK_HOME: sparkHome,
    SPARK_CONF_DIR: path.join(sparkHome, 'conf'),
    DYNO: 'master.1',
    HEROKU_DNS_APP_NAME: 'bench.app.localspace',
    HEROKU_PRIVATE_IP: '127.0.0.1',
  };
  const launch = await median([path.join(repo, 'dist/launch.mjs'), 'master'], launchEnv);
  const launchCached = await median([path.join(repo, 'dist/launch.mjs'), 'master'], { ...launchEnv, NODE_COMPILE_CACHE: mkdtempSync(path.join(os.tmpdir(), 'sis-bench-ncc-')) });
  const ratio = (x: { medianMs: number }) => Math.round((x.medianMs / bare.medianMs) * 100) / 100;
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
    runs,
    bareNode: bare,
    help: {
      cached: helpBundled,
      subcommand: helpSub,
      live: helpLive,
      ratio: ratio(helpBundled),
      target: 1.3,
      met: ratio(helpBundled) <= 1.3 && ratio(helpSub) <= 1.3,
    },
    commandStart: { checkOnly, ratio: ratio(checkOnly), what: 'local up --masters 2 --zookeepers 3 with SPARK_IN_SPACE_CHECK_ONLY=1: the CLI loaded, options parsed' },
    launcher: { handOver: launch, withCompileCache: launchCached, ratio: ratio(launchCached), target: 1.3, met: ratio(launchCached) <= 1.3 },
    statusJson: { bundled: status, calls: 'GET app, formation, dynos, config-vars (fake API) + /json/ (stand-in proxy)' },
    appsJson: {
      bundled: apps,
      targetMs: 1000,
      met: apps.medianMs <= 1000,
      calls: 'GET app, formation, config-vars (fake API) + /json/ and the 5 running applications’ pages (stand-in proxy); 5 running + 10 of 200 completed listed',
    },
  };
  mkdirSync(path.join(repo, 'bench/results'), { recursive: true });
  writeFileSync(path.join(repo, 'bench/results/cli.json'), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  if (fake.problems.length) throw new Error(`the fake API saw schema problems: ${fake.problems.join('; ')}`);
} finally {
  await fake.close();
  proxy.close();
}
