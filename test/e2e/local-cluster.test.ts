/**
 * A real local space: `local up` with 1 master and 2 workers of the default Spark, protected by
 * SPARK_AUTH_SECRET (from .env, as app.json would generate it), then real jobs against it.
 */
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, tmpdir } from '../helpers/buildpack.js';
import { appWithSpark, buildJobApp, buildJobJar, cli } from '../helpers/cluster.js';
import { DEFAULT_VERSION, NEWEST_35, testPyspark } from '../helpers/spark.js';
import { until } from '../helpers/wait.js';
import { groupAlive } from '../../src/local/runner.js';

const exeOf = (pid: number) => {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return '';
  }
};

describe(`local space with real Spark ${DEFAULT_VERSION}`, () => {
  let app: string;
  let sparkHome: string;
  let jar: string;
  const appName = 'e2e-local';
  const secret = randomBytes(24).toString('hex');

  beforeAll(async () => {
    ({ app, sparkHome } = await appWithSpark(DEFAULT_VERSION, { SPARK_AUTH_SECRET: secret }));
    jar = await buildJobJar(sparkHome);
    const up = await cli(['local', 'up', '--detach', '--dir', app, '--app', appName, '--workers', '2']);
    expect(up.exitCode, up.all).toBe(0);
  });
  afterAll(async () => {
    if (app) await cli(['local', 'down', '--dir', app]);
  });

  it('local up: the master /json shows 2 ALIVE workers registered by their space names', async () => {
    const s = JSON.parse((await cli(['local', 'status', '--json', '--dir', app])).stdout);
    expect(s.running).toBe(true);
    expect(s.master.status).toBe('ALIVE');
    const workers = s.master.workers.filter((w: { state: string }) => w.state === 'ALIVE');
    expect(workers).toHaveLength(2);
    expect(workers.map((w: { host: string }) => w.host).sort()).toEqual([`1.worker.${appName}.app.localspace`, `2.worker.${appName}.app.localspace`]);
    expect(s.master.url).toBe(`spark://1.master.${appName}.app.localspace:7077`);
  });

  it('the daemons are the JVMs themselves (the launchers exec), a worker’s JVM under its drain watcher: SIGTERM reaches them', async () => {
    const s = JSON.parse((await cli(['local', 'status', '--json', '--dir', app])).stdout);
    for (const d of s.dynos as { name: string; type: string; pid: number }[]) {
      if (d.type !== 'worker') {
        // the slug's .jdk, which bin/compile linked into a runtime (as on Heroku, where the JVM buildpack's .profile.d points there)
        expect(exeOf(d.pid), d.name).toBe(path.join(app, '.spark-in-space', 'slug', '.jdk', 'bin', 'java'));
        continue;
      }
      // bin/support/drain-worker (graceful decommission, on by default) with the JVM as its child
      expect(readFileSync(`/proc/${d.pid}/cmdline`, 'utf8').split('\0')[1], d.name).toMatch(/bin\/support\/drain-worker$/);
      const children = readFileSync(`/proc/${d.pid}/task/${d.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
      expect(children.map(exeOf), d.name).toContainEqual(expect.stringMatching(/\/slug\/\.jdk\/bin\/java$/));
    }
  });

  it('the slug’s .jdk is the linked runtime: no jmods, the jcmd tools', () => {
    const jdk = path.join(app, '.spark-in-space', 'slug', '.jdk');
    expect(existsSync(path.join(jdk, 'jmods'))).toBe(false);
    expect(existsSync(path.join(jdk, 'bin', 'jstack'))).toBe(true);
  });

  it('local run bin/spark-shell answers the seed’s job: 500000500000', async () => {
    const r = await cli(['local', 'run', '--dir', app, bin('spark-shell')], {
      input: 'println("RESULT=" + sc.parallelize(1L to 1000000L).reduce(_ + _))\n:quit\n',
      timeout: 150_000,
    });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).toContain('RESULT=500000500000');
    expect(r.all).toContain(`master = spark://1.master.${appName}.app.localspace:7077`);
  });

  it('bin/spark-submit runs a job jar built by the test on the cluster; LOG_LEVEL=INFO logs INFO lines', async () => {
    const r = await cli(['local', 'run', '--dir', app, bin('spark-submit'), '--class', 'SumJob', jar], { timeout: 150_000, env: { LOG_LEVEL: 'INFO' } });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain('SUM=500000500000');
    expect(r.all).toMatch(/ INFO StandaloneAppClient|INFO .*Connecting to master/);
  });

  it('a job app built with this buildpack (SPARK_CLUSTER_APP) runs its driver on the cluster with its own bin/spark-submit, the buildpack dir gone', async () => {
    const sumJobs = async () => JSON.parse((await cli(['local', 'status', '--json', '--dir', app])).stdout).master.completedapps.filter((a: { name: string }) => a.name === 'sum-job').length;
    const before = await sumJobs();
    const { slug, build } = await buildJobApp(DEFAULT_VERSION, { 'job.jar': readFileSync(jar), Procfile: 'job: bin/spark-submit --class SumJob job.jar\n' });
    expect(build).toContain('added bin/spark-shell, bin/spark-submit');
    // a one-off dyno of the job app: its slug as HOME, its own Spark, its own app name; the cluster's by SPARK_CLUSTER_APP
    const r = await cli(
      [
        'local',
        'run',
        '--dir',
        app,
        'bash',
        '-c',
        'cd "$0" && export HOME="$0" SPARK_HOME="$0/spark-home" HEROKU_DNS_APP_NAME=job-app.app.localspace SPARK_CLUSTER_APP="$1" && exec bin/spark-submit --class SumJob job.jar',
        slug,
        appName,
      ],
      { timeout: 150_000 },
    );
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain('SUM=500000500000');
    expect(readFileSync(`${slug}/bin/spark-submit`, 'utf8')).toContain('.spark-in-space/buildpack/bin/spark-submit');
    // it ran on the cluster's workers, as an application of its master
    expect(await sumJobs()).toBe(before + 1);
  });

  it('LOG_LEVEL=WARN silences INFO lines', async () => {
    const r = await cli(['local', 'run', '--dir', app, bin('spark-submit'), '--class', 'SumJob', jar], { timeout: 150_000, env: { LOG_LEVEL: 'WARN' } });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain('SUM=500000500000');
    expect(r.all).not.toMatch(/ INFO /);
  });

  it('a failing job’s exit code passes through local run', async () => {
    const r = await cli(['local', 'run', '--dir', app, bin('spark-submit'), '--class', 'SumJob', jar, 'fail'], { timeout: 150_000, env: { LOG_LEVEL: 'WARN' } });
    expect(r.exitCode).toBe(3);
    const sh = await cli(['local', 'run', '--dir', app, 'bash', '-c', 'exit 7']);
    expect(sh.exitCode).toBe(7);
  });

  it('with SPARK_AUTH_SECRET set, a driver without the secret is refused', async () => {
    const noSecret = tmpdir('sis-nosecret-');
    const r = await cli(
      [
        'local',
        'run',
        '--dir',
        app,
        'bash',
        '-c',
        // its own address for everything it binds (no UI: without SPARK_LOCAL_IP Spark's UI takes port 4040 of
        // every address, and another space's driver started meanwhile, the thrift dyno's, would find it taken)
        // refused at its first try ("Failed to connect to master", logged at once): 30 s is enough to see it,
        // where Spark's client would retry for 60 s before "All masters are unresponsive"
        `SPARK_CONF_DIR=${noSecret} SPARK_LOCAL_IP=$HEROKU_PRIVATE_IP timeout 30 "$SPARK_HOME/bin/spark-submit" --master spark://1.master.${appName}.app.localspace:7077 ` +
          `--conf spark.driver.host=$HEROKU_PRIVATE_IP --conf spark.driver.bindAddress=$HEROKU_PRIVATE_IP --conf spark.ui.enabled=false --class SumJob ${jar}`,
      ],
      { timeout: 90_000 },
    );
    expect(r.exitCode).not.toBe(0);
    expect(r.stdout).not.toContain('SUM=');
    expect(r.all).toMatch(/All masters are unresponsive|Authentication|SASL|Failed to connect to master/i);
  }, 120_000);

  it('console idles and stops on SIGTERM', async () => {
    const p = execa(bin('console'), [], { reject: false, env: { SPARK_HOME: sparkHome, HEROKU_DNS_APP_NAME: `${appName}.app.localspace`, SPARK_CONF_DIR: tmpdir() } });
    const deadline = Date.now() + 20_000;
    while (!exeOf(p.pid!).endsWith('/sleep') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(exeOf(p.pid!)).toMatch(/\/sleep$/);
    const t = Date.now();
    p.kill('SIGTERM');
    const r = await p;
    expect(r.signal).toBe('SIGTERM');
    expect(Date.now() - t).toBeLessThan(5000);
  });

  it('local down stops every JVM gracefully within 30 s and leaves none behind', async () => {
    const s = JSON.parse((await cli(['local', 'status', '--json', '--dir', app])).stdout);
    const t = Date.now();
    const r = await cli(['local', 'down', '--dir', app]);
    expect(r.exitCode, r.all).toBe(0);
    expect(Date.now() - t).toBeLessThan(30_000);
    for (const d of s.dynos) expect(groupAlive(d.pid), d.name).toBe(false);
    const log = (await cli(['local', 'logs', '--dir', app])).stdout;
    expect(log).toMatch(/master\.1 +\| .*RECEIVED SIGNAL TERM/);
    expect(JSON.parse((await cli(['local', 'status', '--json', '--dir', app])).stdout).running).toBe(false);
  });
});

describe('SIGTERM to spark-shell and spark-submit', () => {
  /** Starts a launcher, waits for `ready` in its output, sends SIGTERM: the JVM must be gone within 30 s. */
  async function termWhenReady(launcher: string, args: string[], ready: RegExp, sparkHome: string) {
    const p = execa(bin(launcher), args, {
      reject: false,
      all: true,
      stdin: 'pipe',
      env: { SPARK_HOME: sparkHome, HEROKU_DNS_APP_NAME: 'sigterm.app.localspace', HEROKU_PRIVATE_IP: '127.0.0.1', SPARK_CONF_DIR: tmpdir(), SPARK_DRIVER_MEMORY: '512m', LOG_LEVEL: 'WARN' },
    });
    let out = '';
    p.all!.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 120_000;
    while (!ready.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(out).toMatch(ready);
    expect(exeOf(p.pid!)).toMatch(/\/java$/);
    const t = Date.now();
    p.kill('SIGTERM');
    const r = await p;
    expect(Date.now() - t).toBeLessThan(30_000);
    expect(r.signal === 'SIGTERM' || r.exitCode === 143 || r.exitCode === 0, `${r.exitCode} ${r.signal}`).toBe(true);
  }

  it('each ends its JVM within 30 s', async () => {
    const { sparkHome } = await appWithSpark(DEFAULT_VERSION);
    const jar = await buildJobJar(sparkHome);
    await termWhenReady('spark-shell', ['--master', 'local[1]', '--conf', 'spark.ui.enabled=false'], /Spark session available/, sparkHome);
    await termWhenReady('spark-submit', ['--master', 'local[1]', '--conf', 'spark.ui.enabled=false', '--class', 'SumJob', jar, 'sleep'], /READY/, sparkHome);
  }, 300_000);
});

describe('local up in the foreground', () => {
  it('prefixes each dyno’s output, and Ctrl-C (SIGINT) stops every JVM', async () => {
    const { app } = await appWithSpark(DEFAULT_VERSION);
    const up = cli(['local', 'up', '--dir', app, '--app', 'e2e-fg', '--workers', '1']);
    const deadline = Date.now() + 120_000;
    let status: { running: boolean; master?: { aliveworkers?: number }; dynos?: { pid: number }[] } = { running: false };
    while (Date.now() < deadline && !(status.running && status.master?.aliveworkers === 1)) {
      await new Promise((r) => setTimeout(r, 500));
      status = JSON.parse((await cli(['local', 'status', '--json', '--dir', app])).stdout);
    }
    expect(status.master?.aliveworkers).toBe(1);
    up.kill('SIGINT');
    const r = await up;
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toMatch(/^\d\d:\d\d:\d\d master\.1 +\| /m);
    expect(r.stdout).toMatch(/^\d\d:\d\d:\d\d worker\.1 +\| .*Successfully registered with master/m);
    expect(r.stdout).toContain('Stopping the local space');
    for (const d of status.dynos!) expect(groupAlive(d.pid)).toBe(false);
  }, 240_000);
});

describe(`local space with real Spark ${NEWEST_35} (smoke)`, () => {
  it('comes up with a worker, answers spark-shell, and `kill` ends the shell’s application (3.5’s kill form)', async () => {
    const { app } = await appWithSpark(NEWEST_35, { SPARK_LOG_FORMAT: 'json' });
    try {
      const up = await cli(['local', 'up', '--detach', '--dir', app, '--app', 'e2e-35', '--workers', '1']);
      expect(up.exitCode, up.all).toBe(0);
      // the answer, then a job of ~10 minutes that `kill` ends
      const shell = cli(['local', 'run', '--dir', app, bin('spark-shell')], {
        input: 'println("RESULT=" + sc.parallelize(1L to 1000000L).reduce(_ + _))\nsc.parallelize(1 to 6000, 1).map { x => Thread.sleep(100); x }.count\n:quit\n',
        timeout: 300_000,
      });
      let said = '';
      shell.all!.on('data', (b: Buffer) => (said += b.toString()));
      await until('the answer', () => said.includes('RESULT=500000500000'), 200_000, 500);
      expect(said).toContain(`version ${NEWEST_35}`);
      const apps = JSON.parse((await cli(['local', 'apps', '--json', '--dir', app])).stdout) as { apps: { id: string; name: string; state: string }[] };
      const sh = apps.apps.find((a) => a.name === 'Spark shell' && a.state === 'RUNNING')!;
      const k = await cli(['local', 'kill', sh.id, '--dir', app]);
      expect(k.exitCode, k.all).toBe(0);
      expect(k.stdout).toContain(`${sh.id} KILLED`);
      const r = await shell;
      expect(r.all).toMatch(/cancelled|killed|SparkContext was shut down/i);
      // SPARK_LOG_FORMAT=json on 3.5: Spark's lines stay text, and the dyno says why
      const log = (await cli(['local', 'logs', '--dir', app, '--app', 'e2e-35', '--dyno', 'master.1', '-n', '3000'])).stdout;
      expect(log).toContain(`SPARK_LOG_FORMAT=json is not available on Spark ${NEWEST_35}`);
      expect(log).toMatch(/ INFO Master: /);
    } finally {
      await cli(['local', 'down', '--dir', app]);
    }
  }, 400_000);
});

describe(`local space on pip's pyspark ${DEFAULT_VERSION} (--spark-home in a venv)`, () => {
  it('local run pyspark: the shell runs under the venv’s Python (the system’s python3 cannot import that pyspark), and so do the executors’ Python workers', async () => {
    const python = testPyspark(DEFAULT_VERSION);
    const sparkHome = execFileSync(python, ['-c', 'import os, pyspark; print(os.path.dirname(pyspark.__file__))'], { encoding: 'utf8' }).trim();
    const app = tmpdir('sis-pip-app-');
    writeFileSync(path.join(app, 'Procfile'), `master: ${bin('spark-master')}\nworker: ${bin('spark-worker')}\n`);
    writeFileSync(path.join(app, '.env'), 'SPARK_WORKER_CORES=2\nSPARK_WORKER_MEMORY=1g\nSPARK_EXECUTOR_MEMORY=512m\nSPARK_DRIVER_MEMORY=512m\nLOG_LEVEL=WARN\n');
    try {
      const up = await cli(['local', 'up', '--detach', '--dir', app, '--app', 'e2e-pip', '--workers', '1', '--spark-home', sparkHome]);
      expect(up.exitCode, up.all).toBe(0);
      const r = await cli(['local', 'run', '--dir', app, 'pyspark'], {
        input: 'import sys\nprint("PY", sys.executable)\nprint("ANS", sc.parallelize(range(1, 1001), 2).map(lambda x: x * 2).sum(), spark.range(1, 1000001).selectExpr("sum(id)").first()[0])\n',
        timeout: 200_000,
      });
      expect(r.exitCode, r.all).toBe(0);
      expect(r.stdout).toContain(`PY ${path.join(path.dirname(python), 'python3')}`);
      expect(r.stdout).toContain('ANS 1001000 500000500000');
    } finally {
      await cli(['local', 'down', '--dir', app]);
    }
  }, 300_000);
});
