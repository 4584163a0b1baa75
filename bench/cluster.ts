/**
 * Benchmark of the local space (not a test): `npm run bench:cluster`. Same run, same Spark, same
 * machine:
 *   ours   = `spark-in-space local up --detach` until 2 workers are ALIVE, then the seed's job via
 *            `local run bin/spark-shell`
 *   direct = the same JVMs started with spark-class by hand (same hosts file, addresses, memory),
 *            then the same job with spark-shell
 * Target: ours ≤ 1.10 × direct for both. Also each launcher's own start-up before it execs the JVM
 * (a stub spark-class that exits at once, minus the stub alone; target ≤ 150 ms).
 * Class-data sharing (src/cds): ours with the archives (recorded by a warm-up start) against ours
 * with SPARK_CDS=false, wall time and the machine's CPU-seconds (/proc/stat) to 2 workers ALIVE
 * and to the job's answer.
 * Writes bench/results/cluster.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { appWithSpark, cli } from '../test/helpers/cluster.js';
import { DEFAULT_VERSION } from '../test/helpers/spark.js';
import { dynoEnv, formation, hostsFile, parseProcfile } from '../src/local/formation.js';
import { waitForWorkers, stopGroups } from '../src/local/runner.js';
import { tmpdir } from '../test/helpers/buildpack.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.env.BENCH_RUNS ?? 2);
const JOB = 'println("RESULT=" + sc.parallelize(1L to 1000000L).reduce(_ + _))\n:quit\n';
const now = () => performance.now() / 1000;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const { app, sparkHome } = await appWithSpark(DEFAULT_VERSION);
const appName = 'bench';

/** CPU-seconds the whole machine has spent (every process: the space's JVMs are not our children). */
function machineCpu(): number {
  const [, ...f] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq, steal] = f.map(Number) as number[];
  return (user! + nice! + system! + irq! + softirq! + steal!) / 100;
}

const dotenv = readFileSync(path.join(app, '.env'), 'utf8');
async function ours(cds = true): Promise<{ ready: number; result: number; readyCpu: number; resultCpu: number }> {
  writeFileSync(path.join(app, '.env'), dotenv);
  if (!cds) appendFileSync(path.join(app, '.env'), 'SPARK_CDS=false\n');
  const c0 = machineCpu();
  const t0 = now();
  const up = await cli(['local', 'up', '--detach', '--dir', app, '--app', appName, '--workers', '2']);
  if (up.exitCode !== 0) throw new Error(up.all);
  const ready = now() - t0;
  const readyCpu = machineCpu() - c0;
  const r = await cli(['local', 'run', '--dir', app, `${repo}/bin/spark-shell`], { input: JOB, env: { LOG_LEVEL: 'WARN' } });
  if (!r.all.includes('RESULT=500000500000')) throw new Error(r.all);
  const result = now() - t0;
  const resultCpu = machineCpu() - c0;
  await cli(['local', 'down', '--dir', app]);
  return { ready, result, readyCpu, resultCpu };
}

async function direct(): Promise<{ ready: number; result: number }> {
  const state = tmpdir('sis-direct-');
  const f = formation(appName, parseProcfile('master: x\nworker: x\n'), { master: 1, worker: 2 });
  writeFileSync(path.join(state, 'hosts'), hostsFile(f, os.hostname()));
  const envOf = (i: number) => {
    const d = f.dynos[i]!;
    const env = dynoEnv(d, { app: appName, config: { ...process.env }, stateDir: state, sparkHome, port: 5000 });
    for (const sub of ['conf', 'work', 'tmp']) mkdirSync(path.join(state, 'dynos', d.name, sub), { recursive: true });
    return { ...env, SPARK_LOCAL_IP: d.ip, SPARK_DAEMON_MEMORY: '512m', SPARK_CONF_DIR: path.join(state, 'dynos', d.name, 'conf') } as NodeJS.ProcessEnv;
  };
  const cls = path.join(sparkHome, 'bin/spark-class');
  const masterUrl = `spark://${f.dynos[0]!.dns}:7077`;
  const procs: ChildProcess[] = [];
  const start = (args: string[], env: NodeJS.ProcessEnv) => procs.push(spawn(cls, args, { env, detached: true, stdio: 'ignore' }));
  const t0 = now();
  start(['org.apache.spark.deploy.master.Master', '--host', f.dynos[0]!.dns, '--port', '7077', '--webui-port', '8080'], envOf(0));
  const ui = `http://${f.dynos[0]!.ip}:8080`;
  for (;;) {
    try {
      if ((await fetch(`${ui}/json`)).ok) break;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  for (const i of [1, 2])
    start(['org.apache.spark.deploy.worker.Worker', '--host', f.dynos[i]!.dns, '--webui-port', '8081', '--cores', String(os.availableParallelism()), '--memory', '2g', masterUrl], envOf(i));
  await waitForWorkers(ui, 2, 180_000);
  const ready = now() - t0;
  const runIp = `127.${f.subnet}.100.1`;
  const r = await execa(
    path.join(sparkHome, 'bin/spark-shell'),
    ['--master', masterUrl, '--conf', `spark.driver.host=${runIp}`, '--conf', `spark.driver.bindAddress=${runIp}`, '--driver-memory', '1g', '--executor-memory', '1g'],
    {
      input: JOB,
      all: true,
      reject: false,
      env: { JAVA_TOOL_OPTIONS: `-Djdk.net.hosts.file=${path.join(state, 'hosts')}`, SPARK_LOCAL_IP: runIp, SPARK_CONF_DIR: tmpdir() },
    },
  );
  if (!r.all?.includes('RESULT=500000500000')) throw new Error(r.all);
  const result = now() - t0;
  await stopGroups(
    procs.map((p) => p.pid!),
    30_000,
  );
  return { ready, result };
}

async function launcherStartup(): Promise<Record<string, number>> {
  // A SPARK_HOME whose spark-class/spark-shell exit at once: what remains is the launcher's own work.
  const stub = tmpdir('sis-stub-');
  mkdirSync(path.join(stub, 'bin'));
  mkdirSync(path.join(stub, 'jars'));
  writeFileSync(path.join(stub, 'RELEASE'), `Spark ${DEFAULT_VERSION} built for Hadoop 3\n`);
  for (const b of ['spark-class', 'spark-shell', 'spark-submit']) {
    writeFileSync(path.join(stub, 'bin', b), '#!/bin/sh\nexit 0\n');
    chmodSync(path.join(stub, 'bin', b), 0o755);
  }
  // the worker's launcher waits for a master (src/launch/await.ts): a listener stands in for it
  const hosts = path.join(stub, 'hosts');
  writeFileSync(hosts, '127.0.0.1 1.master.bench.app.localspace\n');
  const master = net.createServer((c) => c.destroy());
  await new Promise<void>((r) => master.listen(7077, '127.0.0.1', r));
  const env = {
    JAVA_TOOL_OPTIONS: `-Djdk.net.hosts.file=${hosts}`,
    SPARK_HOME: stub,
    SPARK_CONF_DIR: tmpdir(),
    DYNO: 'worker.1',
    HEROKU_PRIVATE_IP: '127.0.0.1',
    HEROKU_DNS_DYNO_NAME: '1.worker.bench.app.localspace',
    HEROKU_DNS_APP_NAME: 'bench.app.localspace',
  };
  const time = async (cmd: string) => {
    const xs: number[] = [];
    for (let i = 0; i < 11; i++) {
      const t = now();
      await execa(cmd, [], { env });
      xs.push(now() - t);
    }
    return median(xs);
  };
  const stubAlone = await time(path.join(stub, 'bin/spark-class'));
  const out: Record<string, number> = {};
  for (const l of ['spark-master', 'spark-worker', 'spark-shell', 'spark-submit']) out[l] = Math.max(0, (await time(path.join(repo, 'bin', l))) - stubAlone);
  master.close();
  return out;
}

type Ours = Awaited<ReturnType<typeof ours>>;
const o: Ours[] = [];
const plain: Ours[] = [];
const d: { ready: number; result: number }[] = [];
// the warm-up records the archives (master, a worker, the spark-shell) at its exit; the next start adopts them
await ours(true);
for (let i = 0; i < runs; i++) {
  d.push(await direct());
  plain.push(await ours(false));
  o.push(await ours(true));
  const show = (x: Ours) => `ready ${x.ready.toFixed(1)} s (${x.readyCpu.toFixed(1)} CPU-s), result ${x.result.toFixed(1)} s (${x.resultCpu.toFixed(1)} CPU-s)`;
  console.log(`run ${i + 1}/${runs}: direct ready ${d[i]!.ready.toFixed(1)} s, result ${d[i]!.result.toFixed(1)} s; ours without CDS ${show(plain[i]!)}; ours ${show(o[i]!)}`);
}
writeFileSync(path.join(app, '.env'), dotenv);
const med = (xs: Ours[], k: keyof Ours) => Math.round(median(xs.map((x) => x[k])) * 100) / 100;
const cdsFigures = {
  what: 'ours with the class-data archives (SPARK_CDS, recorded by a warm-up start) vs SPARK_CDS=false; CPU-seconds of the whole machine (/proc/stat) from `local up` on',
  withArchive: { workersReady: med(o, 'ready'), workersReadyCpu: med(o, 'readyCpu'), firstResult: med(o, 'result'), firstResultCpu: med(o, 'resultCpu') },
  without: { workersReady: med(plain, 'ready'), workersReadyCpu: med(plain, 'readyCpu'), firstResult: med(plain, 'result'), firstResultCpu: med(plain, 'resultCpu') },
  ratios: {
    workersReady: med(o, 'ready') / med(plain, 'ready'),
    workersReadyCpu: med(o, 'readyCpu') / med(plain, 'readyCpu'),
    firstResult: med(o, 'result') / med(plain, 'result'),
    firstResultCpu: med(o, 'resultCpu') / med(plain, 'resultCpu'),
  },
  all: { withArchive: o, without: plain },
};
const startup = await launcherStartup();
const result = {
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30) },
  spark: DEFAULT_VERSION,
  runs,
  seconds: {
    direct: { workersReady: median(d.map((x) => x.ready)), firstResult: median(d.map((x) => x.result)) },
    ours: { workersReady: median(o.map((x) => x.ready)), firstResult: median(o.map((x) => x.result)) },
    all: { direct: d, ours: o },
  },
  cds: cdsFigures,
  ratios: {
    workersReady: median(o.map((x) => x.ready)) / median(d.map((x) => x.ready)),
    firstResult: median(o.map((x) => x.result)) / median(d.map((x) => x.result)),
  },
  launcherStartupMs: Object.fromEntries(Object.entries(startup).map(([k, v]) => [k, Math.round(v * 1000)])),
  targets: { ratio: 1.1, launcherStartupMs: 150 },
};
mkdirSync(path.join(repo, 'bench/results'), { recursive: true });
writeFileSync(path.join(repo, 'bench/results/cluster.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log(
  `\nworkers ready: ours/direct ${result.ratios.workersReady.toFixed(2)}, first result: ${result.ratios.firstResult.toFixed(2)} (target <= 1.10)` +
    `\nlauncher start-up (ms): ${JSON.stringify(result.launcherStartupMs)} (target <= 150)` +
    `\nclass-data archives: workers ready ${cdsFigures.ratios.workersReady.toFixed(2)}× (CPU ${cdsFigures.ratios.workersReadyCpu.toFixed(2)}×), first result ${cdsFigures.ratios.firstResult.toFixed(2)}× (CPU ${cdsFigures.ratios.firstResultCpu.toFixed(2)}×) of without`,
);
