/**
 * Dynos live and die as on Heroku, with real Spark: a kill -9'd worker comes back, a cycled master
 * returns on a new address under the same name (and the workers find it again), a job survives the
 * workers being cycled under it, scaling adds and removes workers on a running space, a pyspark
 * driver on the host uses the space through `local exec`, and status/logs tell the truth. With
 * class-data sharing on (src/cds): the first master records its archive, the cycled one maps it;
 * an application's executors record theirs, a later application's map it.
 * One cluster for the whole file.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupAlive } from '../../src/local/runner.js';
import { bin, tmpdir } from '../helpers/buildpack.js';
import { appWithSpark, cli, localStatus } from '../helpers/cluster.js';
import { DEFAULT_VERSION, testPyspark } from '../helpers/spark.js';
import { until } from '../helpers/wait.js';

const APP = 'e2e-life';

interface Status {
  running: boolean;
  healthy: boolean;
  problems: string[];
  masterUrl: string;
  master: { status: string; aliveWorkers: number; workers: { host: string; state: string }[]; activeapps: unknown[] } | null;
  dynos: { name: string; type: string; ip: string; dns: string; pid: number; phase: string; restarts: number }[];
}

describe(`local space lifecycle with real Spark ${DEFAULT_VERSION}`, () => {
  let app: string;
  const status = () => localStatus<Status>(app);
  const dyno = async (name: string) => (await status()).dynos.find((d) => d.name === name)!;
  const aliveOn = (s: Status) =>
    (s.master?.workers ?? [])
      .filter((w) => w.state === 'ALIVE')
      .map((w) => w.host)
      .sort();
  /** every JVM whose command line names this app's space (no orphan may survive a cycle) */
  const jvmsOfApp = async () => (await execa('pgrep', ['-f', `java.*${APP}.app.localspace`], { reject: false })).stdout.split('\n').filter(Boolean);
  /** the process group of a pid: each dyno is a group led by its pid (a worker's JVM is its drain watcher's child) */
  const groupOf = (pid: string) => {
    try {
      return readFileSync(`/proc/${pid}/stat`, 'utf8')
        .replace(/^.*\) /, '')
        .split(' ')[2]!;
    } catch {
      return pid;
    }
  };

  const cdsDir = tmpdir('sis-cds-');
  beforeAll(async () => {
    ({ app } = await appWithSpark(DEFAULT_VERSION, { SPARK_WORKER_CORES: '2', SPARK_DAEMON_MEMORY: '256m', SPARK_CDS: 'true', SPARK_CDS_DIR: cdsDir }));
    const up = await cli(['local', 'up', '--detach', '--dir', app, '--app', APP, '--workers', '2', '--crash-cooldown', '1s']);
    expect(up.exitCode, up.all).toBe(0);
  });
  afterAll(async () => {
    if (app) await cli(['local', 'down', '--dir', app]);
  });

  it('a worker JVM killed with kill -9 is restarted and ALIVE again on the master, on a new address', async () => {
    const before = await dyno('worker.1');
    process.kill(before.pid, 'SIGKILL');
    const t0 = Date.now();
    const s = await until(
      'worker.1 back ALIVE',
      async () => {
        const s = await status();
        const d = s.dynos.find((x) => x.name === 'worker.1')!;
        return d.pid !== before.pid && d.phase === 'up' && aliveOn(s).includes(d.dns) && s.healthy && s;
      },
      120_000,
    );
    const after = s.dynos.find((x) => x.name === 'worker.1')!;
    console.log(`worker.1 kill -9 → ALIVE again in ${((Date.now() - t0) / 1000).toFixed(1)} s (${before.ip} → ${after.ip})`);
    expect(after.restarts).toBe(before.restarts + 1);
    expect(after.ip).not.toBe(before.ip);
    expect(after.dns).toBe(before.dns);
    const log = (await cli(['local', 'logs', '--dir', app, '--dyno', 'worker.1', '-n', '1000'])).stdout;
    expect(log).toContain('heroku[worker.1] | Process exited with signal SIGKILL');
    expect(log).toContain('heroku[worker.1] | State changed from up to crashed');
    expect(log).toMatch(/heroku\[worker\.1\] \| Starting process with command .* on 127\.\d+\.2\.\d+ as 1\.worker\.e2e-life\.app\.localspace/);
  });

  it('local cycle master.1: the master returns on a new address under the same name; without ZooKeeper the workers re-register with it', async () => {
    const before = await dyno('master.1');
    const t0 = Date.now();
    const r = await cli(['local', 'cycle', '--dir', app, 'master.1']);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toMatch(/Cycled master\.1: 127\.\d+\.1\.\d+ → 127\.\d+\.1\.\d+/);
    const masterBack = (Date.now() - t0) / 1000;
    const after = await dyno('master.1');
    expect(after.ip).not.toBe(before.ip);
    expect(after.dns).toBe(before.dns);
    // the JVMs cache a name for up to 30 s: the workers retry the old address, then find the new one
    const s = await until('both workers re-registered', async () => ((await status()).master?.aliveWorkers === 2 ? status() : undefined), 180_000, 500);
    const reregistered = (Date.now() - t0) / 1000;
    console.log(`master.1 cycled (${before.ip} → ${after.ip}): master ALIVE after ${masterBack.toFixed(1)} s, both workers re-registered after ${reregistered.toFixed(1)} s (no ZooKeeper)`);
    expect(s.healthy, s.problems.join('; ')).toBe(true);
    expect(s.master?.status).toBe('ALIVE');
    const logs = (await cli(['local', 'logs', '--dir', app, '--dyno', 'worker', '-n', '5000'])).stdout;
    expect(logs).toMatch(/worker\.\d +\| .*Successfully registered with master spark:\/\/1\.master\.e2e-life\.app\.localspace:7077/);
  });

  it('class-data sharing: the first master recorded its archive at its exit; the cycled master (the same JVM again) maps it', async () => {
    const logs = (await cli(['local', 'logs', '--dir', app, '--dyno', 'master.1', '-n', '5000'])).stdout;
    expect(logs).toMatch(/master\.1 +\| spark-in-space: recording a class-data archive for master at this JVM's exit/);
    expect(logs).toMatch(/master\.1 +\| spark-in-space: class-data archive \S+\/master\.jsa \(recorded by an earlier start\)/);
    const [set] = readdirSync(cdsDir);
    expect(readdirSync(path.join(cdsDir, set!))).toContain('master.jsa');
    // the running master JVM (in the dyno's process group) has the archive mapped
    const { pid } = await dyno('master.1');
    const jvm = (await jvmsOfApp()).find((p) => groupOf(p) === String(pid) && readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('org.apache.spark.deploy.master.Master'));
    expect(jvm, 'the master JVM').toBeDefined();
    expect(readFileSync(`/proc/${jvm}/maps`, 'utf8')).toContain(path.join(cdsDir, set!, 'master.jsa'));
  });

  it('local cycle worker during a running job: the job completes with the right answer, and no JVM is orphaned', async () => {
    const shell = cli(['local', 'run', '--dir', app, bin('spark-shell')], {
      input: 'println("STARTED")\n' + 'val r = sc.parallelize(1L to 60L, 60).map { x => Thread.sleep(1000); x * 1000L }.reduce(_ + _)\n' + 'println("RESULT=" + r)\n:quit\n',
      timeout: 400_000,
      env: { LOG_LEVEL: 'WARN' },
    });
    let out = '';
    shell.all!.on('data', (d: Buffer) => (out += d.toString()));
    await until('the job to start', () => out.includes('STARTED') && (/\[Stage 0:/.test(out) || out.includes('RESULT=')), 150_000);
    const before = (await status()).dynos.filter((d) => d.type === 'worker');
    const cycled = await cli(['local', 'cycle', '--dir', app, 'worker']);
    expect(cycled.exitCode, cycled.all).toBe(0);
    expect(cycled.stdout).toMatch(/Cycled worker\.1: .* → .*, worker\.2: .* → /);
    const r = await shell;
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).toContain('RESULT=1830000');
    const after = (await status()).dynos.filter((d) => d.type === 'worker');
    for (const [i, d] of before.entries()) {
      expect(groupAlive(d.pid), d.name).toBe(false);
      expect(after[i]!.ip).not.toBe(d.ip);
    }
    // the old workers' executors went with them: only the current dynos' JVMs remain
    const current = new Set((await status()).dynos.map((d) => String(d.pid)));
    await until('no orphan JVMs', async () => (await jvmsOfApp()).every((pid) => current.has(groupOf(pid))), 60_000);
  }, 480_000);

  it('local scale worker=3 then worker=1 on the running space: /json shows 3, then 1 ALIVE, and no JVM is left over', async () => {
    const up = await cli(['local', 'scale', '--dir', app, 'worker=3']);
    expect(up.exitCode, up.all).toBe(0);
    let s = await status();
    expect(s.master?.aliveWorkers).toBe(3);
    expect(aliveOn(s)).toEqual([1, 2, 3].map((i) => `${i}.worker.${APP}.app.localspace`));
    const removed = s.dynos.filter((d) => d.name === 'worker.2' || d.name === 'worker.3');
    const down = await cli(['local', 'scale', '--dir', app, 'worker=1']);
    expect(down.exitCode, down.all).toBe(0);
    expect(down.stdout).toContain('stopped worker.2, worker.3');
    s = await status();
    expect(s.master?.aliveWorkers).toBe(1);
    expect(s.dynos.filter((d) => d.type === 'worker').map((d) => d.name)).toEqual(['worker.1']);
    for (const d of removed) expect(groupAlive(d.pid), d.name).toBe(false);
    const current = new Set(s.dynos.map((d) => String(d.pid)));
    expect((await jvmsOfApp()).filter((pid) => !current.has(groupOf(pid)))).toEqual([]);
    const back = await cli(['local', 'scale', '--dir', app, 'worker+1']);
    expect(back.exitCode, back.all).toBe(0);
    expect((await status()).master?.aliveWorkers).toBe(2);
  });

  it('scale refuses a negative count with an example', async () => {
    const r = await cli(['local', 'scale', '--dir', app, 'worker=-1']);
    expect(r.exitCode).toBe(2); // bad input, as `scale` says it
    expect(r.stderr).toContain('"worker=-1" is not TYPE=N');
    expect(r.stderr).toContain('Example: spark-in-space local scale worker=3');
  });

  it('a pyspark driver on the host (pip, same version) computes a sum on the cluster through local exec', async () => {
    const python = testPyspark(DEFAULT_VERSION);
    const job = path.join(tmpdir('sis-pyjob-'), 'job.py');
    await execa('bash', ['-c', `cat > ${job}`], {
      input: [
        'from pyspark.sql import SparkSession',
        'spark = SparkSession.builder.appName("host-driver").getOrCreate()',
        'print("MASTER=" + spark.sparkContext.master)',
        'print("SUM=%d" % spark.sparkContext.parallelize(range(1, 1000001), 4).sum())',
        'spark.stop()',
      ].join('\n'),
    });
    const cwd = tmpdir('sis-host-');
    const r = await execa(process.execPath, [path.join(bin('..'), 'dist/cli/index.js'), 'local', 'exec', '--dir', app, '--', python, job], { cwd, reject: false, all: true, timeout: 200_000 });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain(`MASTER=spark://1.master.${APP}.app.localspace:7077`);
    expect(r.stdout).toContain('SUM=500000500000');
    // executors ran on the cluster's workers, not in the driver
    const log = (await cli(['local', 'logs', '--dir', app, '--dyno', 'worker', '-n', '5000'])).stdout;
    expect(log).toMatch(/Asked to launch executor app-\S+ for host-driver/);
    expect(readdirSync(cwd)).toEqual([]);
  }, 300_000);

  it('local exec gives non-JVM tools the space’s names (curl reaches the master by name)', async () => {
    const r = await cli(['local', 'exec', '--dir', app, '--', 'curl', '-sS', '-m', '10', `http://1.master.${APP}.app.localspace:8080/json/`]);
    expect(r.exitCode, r.all).toBe(0);
    expect(JSON.parse(r.stdout).url).toBe(`spark://1.master.${APP}.app.localspace:7077`);
    const env = await cli(['local', 'env', '--dir', app]);
    expect(env.stdout).toMatch(/^export JAVA_TOOL_OPTIONS='-Djdk\.net\.hosts\.file=.*\/hosts'$/m);
    expect(env.stdout).toMatch(/^export SPARK_CONF_DIR='.*\/exec\/conf'$/m);
  });

  it('SQL from a one-off dyno keeps Derby’s metastore and the warehouse under .spark-in-space/, not in the app', async () => {
    const r = await cli(['local', 'run', '--dir', app, bin('spark-shell')], {
      input: 'spark.sql("CREATE TABLE t1 (x INT) USING parquet")\nspark.sql("INSERT INTO t1 VALUES (1), (2)")\nprintln("ROWS=" + spark.sql("SELECT sum(x) FROM t1").collect()(0).getLong(0))\n:quit\n',
      timeout: 200_000,
      env: { LOG_LEVEL: 'WARN' },
    });
    expect(r.all).toContain('ROWS=3');
    for (const stray of ['metastore_db', 'derby.log', 'spark-warehouse']) expect(existsSync(path.join(app, stray)), stray).toBe(false);
    const data = path.join(app, '.spark-in-space', 'local', APP, 'data');
    expect(existsSync(path.join(data, 'metastore', 'metastore_db'))).toBe(true);
    expect(existsSync(path.join(data, 'warehouse', 't1'))).toBe(true);
    const log = (await cli(['local', 'logs', '--dir', app, '--dyno', 'run'])).stdout;
    expect(log).toMatch(/heroku\[run\.\d\] \| Starting process with command .*spark-shell/);
    expect(log).toMatch(/heroku\[run\.\d\] \| Process exited with status 0/);
  }, 240_000);

  it('executors’ class-data archive: an application’s executor records it on its worker at its exit, a later application’s executors map it', async () => {
    // each executor's stderr (its log in the worker's work dir) starts with what its worker's java did (src/cds/executor.ts)
    const dynos = path.join(app, '.spark-in-space', 'local', APP, 'dynos');
    const notes = () =>
      readdirSync(dynos)
        .filter((d) => d.startsWith('worker.'))
        .flatMap((w) => {
          const work = path.join(dynos, w, 'work');
          return existsSync(work) ? readdirSync(work).flatMap((a) => readdirSync(path.join(work, a)).map((e) => path.join(work, a, e, 'stderr'))) : [];
        })
        .filter((f) => existsSync(f))
        .flatMap((f) =>
          readFileSync(f, 'utf8')
            .split('\n')
            .filter((l) => l.startsWith('spark-in-space: ')),
        )
        .join('\n');
    const mapped = /class-data archive \S+\/executor-[0-9a-f]{8}\.jsa/;
    // the earlier tests' applications (one's executors were stopped by a cycled worker mid-job, so
    // their recording may have been cut and discarded): short applications until one maps it
    for (let i = 0; i < 3 && !mapped.test(notes()); i++) {
      const r = await cli(['local', 'run', '--dir', app, bin('spark-shell')], { input: 'println("N=" + sc.parallelize(1 to 4, 4).count)\n:quit\n', timeout: 200_000, env: { LOG_LEVEL: 'WARN' } });
      expect(r.all).toContain('N=4');
    }
    expect(notes()).toMatch(/recording a class-data archive for executor-[0-9a-f]{8} at this JVM's exit/);
    expect(notes()).toMatch(mapped);
    const [set] = readdirSync(cdsDir);
    expect(readdirSync(path.join(cdsDir, set!)).some((f) => /^executor-[0-9a-f]{8}\.jsa$/.test(f))).toBe(true);
  }, 700_000);

  it('status and up report a degraded space with a non-zero exit; status | head -1 is fine', async () => {
    const master = await dyno('master.1');
    process.kill(master.pid, 'SIGSTOP');
    try {
      const s = await cli(['local', 'status', '--dir', app]);
      expect(s.exitCode).toBe(8); // unhealthy, as `status` says it
      expect(s.stdout).toContain(`Local space ${APP}: DEGRADED`);
      expect(s.stdout).toContain(`master URL  spark://1.master.${APP}.app.localspace:7077`);
      expect(s.stdout).toContain('no master answers on its web UI');
      const up = await cli(['local', 'up', '--detach', '--dir', app]);
      expect(up.exitCode).toBe(8);
      expect(up.stdout).toContain(`A local space for ${APP} is already running, and it is degraded`);
    } finally {
      process.kill(master.pid, 'SIGCONT');
    }
    await until('healthy again', async () => (await status()).healthy, 60_000);
    const head = await execa('bash', ['-c', `set -o pipefail; node ${path.join(bin('..'), 'dist/cli/index.js')} local status --dir ${app} | head -1`], { reject: false, all: true });
    expect(head.exitCode, head.all).toBe(0);
    expect(head.all).toBe(`-----> Local space ${APP}: healthy${head.all.slice(`-----> Local space ${APP}: healthy`.length)}`);
    expect(head.all).not.toMatch(/EPIPE|Error/);
    const again = await cli(['local', 'up', '--detach', '--dir', app]);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain(`A local space for ${APP} is already running:`);
  });

  it('local logs --tail starts from the last lines', async () => {
    const tail = cli(['local', 'logs', '--dir', app, '--tail', '-n', '3']);
    let out = '';
    tail.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await until('three lines', () => out.split('\n').filter(Boolean).length >= 3, 20_000);
    tail.kill('SIGINT');
    await tail;
    const whole = (await cli(['local', 'logs', '--dir', app, '-n', '100000'])).stdout.split('\n').filter(Boolean);
    expect(whole.length).toBeGreaterThan(100);
    expect(out.split('\n').filter(Boolean).length).toBeLessThan(20);
    expect(out).not.toContain(whole[0]!);
  });

  it('after down, local run fails in seconds with a clear message', async () => {
    expect((await cli(['local', 'down', '--dir', app])).exitCode).toBe(0);
    const t0 = Date.now();
    const r = await cli(['local', 'run', '--dir', app, bin('spark-shell')], { input: ':quit\n', timeout: 60_000 });
    expect(r.exitCode).toBe(13); // space-not-running
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(r.stderr).toContain(`No local space is running for ${APP}`);
    expect(r.stderr).toContain('spark-in-space local up --detach');
    expect(await jvmsOfApp()).toEqual([]);
  });
});
