/**
 * The catalog's newest Spark (found from the catalog: 4.3.0 today), on the part of the suite where
 * Spark's own behaviour changes between lines: the master's kill forms (4.3 wants the page's CSRF
 * token), locally and through the real space proxy as on Heroku; `apps`, `drivers`, `logs`,
 * `submit --wait`; a one-off `spark-sql` making a table in the metastore dyno's catalog (Derby) that
 * a cluster-mode driver reads; an idle worker decommissioned by a scale-down; and Spark 4's structured
 * logging (SPARK_LOG_FORMAT=json) from the daemons, a driver and our own launchers. One space for the
 * file. CONTRIBUTING.md's "The test layers" says which suites run on which line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appWithSpark, buildJobJar, cli, freePort } from '../helpers/cluster.js';
import { bin } from '../helpers/buildpack.js';
import { NEWEST_VERSION } from '../helpers/spark.js';
import { until } from '../helpers/wait.js';
import { closeFakeHeroku, fakeHerokuWithApp, type FakeHeroku } from '../helpers/fake-heroku.js';
import type { AppRow, DriverRow } from '../../src/jobs/index.js';

const APP = 'e2e-newest';
const PASSWORD = 'e2e-newest-proxy-password';
const TOKEN = 'HRKU-e2e-newest-token-0123456789';
const SUM = 500000500000;

const CONFIG = {
  SPACE_PROXY_PASSWORD: PASSWORD,
  SPARK_AUTH_SECRET: 'e2e-newest-auth-secret',
  SPARK_LOG_FORMAT: 'json',
  SPARK_WORKER_CORES: '2',
  SPARK_WORKER_MEMORY: '1536m',
  SPARK_EXECUTOR_MEMORY: '512m',
  SPARK_DRIVER_MEMORY: '512m',
  SPARK_DAEMON_MEMORY: '256m',
};

/** The JSON objects of a dyno's output in `local logs` (`HH:MM:SS.mmm name | text`), and the lines that are none. */
function jsonLines(out: string): { objects: Record<string, unknown>[]; other: string[] } {
  const objects: Record<string, unknown>[] = [];
  const other: string[] = [];
  // the platform's own events (heroku[worker.1] | State changed …) are the space's, not the dyno's
  // output; the JVM's own notes at its start (options picked up from the environment, as heroku/jvm's
  // JAVA_TOOL_OPTIONS; Spark 4's incubator module) come before any logging and stay as the JVM prints them
  const jvmNote = /^(NOTE: )?Picked up [A-Z_]+: |^WARNING: Using incubator modules: /;
  for (const line of out.split('\n').filter((l) => l && !/^\S+ heroku\[/.test(l) && !jvmNote.test(l.slice(l.indexOf(' | ') + 3)))) {
    const text = line.slice(line.indexOf(' | ') + 3);
    try {
      objects.push(JSON.parse(text) as Record<string, unknown>);
    } catch {
      other.push(line);
    }
  }
  return { objects, other };
}

describe(`the newest Spark in the catalog (${NEWEST_VERSION}): kill, jobs, SQL and structured logs`, () => {
  let app: string;
  let jar: string;
  let url: string;
  let fake: FakeHeroku;
  const local = (args: string[]) => cli(['local', ...args, '--dir', app], { timeout: 120_000 });
  const heroku = (args: string[]) => cli([...args, '-a', APP, '--proxy-url', url], { env: { HEROKU_API_URL: fake.url, HEROKU_API_KEY: TOKEN }, timeout: 120_000 });
  const submit = (args: string[]) => cli(['local', 'run', '--dir', app, 'bin/spark-submit', ...args], { timeout: 300_000 });
  const apps = async () => (JSON.parse((await local(['apps', '--json'])).stdout) as { apps: AppRow[] }).apps;
  const drivers = async () => (JSON.parse((await local(['drivers', '--json'])).stdout) as { drivers: DriverRow[] }).drivers;
  const dynoLog = async (dyno: string) => (await cli(['local', 'logs', '--dir', app, '--app', APP, '--dyno', dyno, '-n', '3000'])).stdout;

  beforeAll(async () => {
    let sparkHome: string;
    ({ app, sparkHome } = await appWithSpark(NEWEST_VERSION, CONFIG, true, { metastore: bin('metastore') }));
    jar = await buildJobJar(sparkHome);
    const port = await freePort();
    url = `http://127.0.0.1:${port}/`;
    const up = await cli(['local', 'up', '--detach', '--dir', app, '--app', APP, '--workers', '1', '--metastore', '1', '--port', String(port)]);
    expect(up.exitCode, up.all).toBe(0);
    fake = await fakeHerokuWithApp(TOKEN, APP, PASSWORD);
  }, 900_000);
  afterAll(async () => {
    if (app) await cli(['local', 'down', '--dir', app]);
    await closeFakeHeroku(fake);
  });

  it('a one-off spark-sql makes a table in the metastore dyno’s catalog; submit --wait --follow-logs: a cluster-mode driver reads it, FINISHED (exit 0)', async () => {
    const made = await cli(['local', 'run', '--dir', app, 'spark-sql', '-e', 'CREATE TABLE sums USING parquet AS SELECT id FROM range(1, 1000001); SELECT sum(id) FROM sums'], {
      timeout: 300_000,
      input: '',
    });
    expect(made.exitCode, made.all).toBe(0);
    expect(made.stdout.trim().split('\n')).toContain(String(SUM));
    const ok = await submit(['--wait', '--follow-logs', '--deploy-mode', 'cluster', '--class', 'SumJob', jar, 'sql', 'SELECT sum(id) FROM sums']);
    expect(ok.exitCode, ok.all).toBe(0);
    expect(ok.stdout).toContain(`SQL=[[${SUM}]]`);
    expect(ok.all).toMatch(/driver-\S+ FINISHED/);
  }, 400_000);

  it('a running driver and its application: listed, logged; the application killed through the proxy, then the driver locally (4.3’s kill form wants its CSRF token)', async () => {
    const sub = await submit(['--deploy-mode', 'cluster', '--total-executor-cores', '1', '--class', 'SumJob', jar, 'sleep']);
    expect(sub.exitCode, sub.all).toBe(0);
    // the client logs JSON too: the id ends at its closing quote
    const driverId = /Driver successfully submitted as (driver-[\w-]+)/.exec(sub.all ?? '')![1]!;
    const job = await until('its application running', async () => (await apps()).find((a) => a.name === 'sum-job' && a.state === 'RUNNING'), 240_000, 1000);
    expect((await drivers()).find((d) => d.id === driverId)).toMatchObject({ state: 'RUNNING', mainClass: 'SumJob', worker: 'worker.1' });
    expect(job.driver).toBe('worker.1');
    await until('READY in the driver’s log', async () => ((await local(['logs', driverId])).stdout.includes('READY') ? true : undefined), 60_000, 1000);

    // the application, as on Heroku: through the real proxy, the app's password from its config vars
    let t = Date.now();
    const k1 = await heroku(['kill', job.id]);
    expect(k1.exitCode, k1.all).toBe(0);
    expect(k1.stdout).toContain(`${job.id} KILLED`);
    expect(Date.now() - t).toBeLessThan(10_000);
    expect((await apps()).find((a) => a.id === job.id)?.state).toBe('KILLED');
    // its driver sleeps on: killed locally (the master's own address)
    expect((await drivers()).find((d) => d.id === driverId)?.state).toBe('RUNNING');
    t = Date.now();
    const k2 = await local(['kill', driverId]);
    expect(k2.exitCode, k2.all).toBe(0);
    expect(Date.now() - t).toBeLessThan(10_000);
    expect((await drivers()).find((d) => d.id === driverId)?.state).toBe('KILLED');
    const again = await local(['kill', driverId]);
    expect([again.exitCode, again.stderr]).toEqual([19, expect.stringContaining('it had already ended (its state: KILLED)')]);
  }, 400_000);

  it('an idle worker scaled away is decommissioned: it drains at once and exits', async () => {
    expect((await local(['scale', 'worker=2'])).exitCode).toBe(0);
    await until('worker.2 up', async () => ((await dynoLog('worker.2')).includes('Successfully registered with master') ? true : undefined), 180_000, 1000);
    const t = Date.now();
    expect((await local(['scale', 'worker=1'])).exitCode).toBe(0);
    expect(Date.now() - t).toBeLessThan(30_000);
    const said = jsonLines(await dynoLog('worker.2')).objects.map((o) => String(o.msg));
    expect(said).toContainEqual(expect.stringMatching(/^SIGTERM: decommissioning this worker/));
    expect(said).toContainEqual(expect.stringMatching(/^drained in \d+ s: no executor left/));
  }, 300_000);

  it('SPARK_LOG_FORMAT=json: every line of the master and the worker is one JSON object with ts, level, logger, msg (Spark’s and ours); the driver’s log too', async () => {
    for (const dyno of ['master.1', 'worker.1']) {
      const { objects, other } = jsonLines(await dynoLog(dyno));
      expect(other, `${dyno}: lines that are not JSON`).toEqual([]);
      expect(objects.length, dyno).toBeGreaterThan(5);
      for (const o of objects)
        expect(o, dyno).toMatchObject({ ts: expect.any(String), level: expect.stringMatching(/^(TRACE|DEBUG|INFO|WARN|ERROR|FATAL)$/), logger: expect.any(String), msg: expect.any(String) });
      // Spark's own lines (its SparkLayout.json: the class's short name) and the launcher's (waiting for the master, for the worker)
      expect(objects.map((o) => o.logger)).toContain(dyno === 'master.1' ? 'Master' : 'Worker');
    }
    const worker = jsonLines(await dynoLog('worker.1')).objects;
    expect(worker.some((o) => o.logger === 'spark-in-space.launch' || o.logger === 'Worker')).toBe(true);
    // a cluster-mode driver on the worker: its Spark log (stderr) is JSON as well
    const done = (await drivers()).find((d) => d.state === 'FINISHED')!;
    const stderr = (await local(['logs', done.id, '--stderr'])).stdout;
    const driverLines = stderr.split('\n').filter((l) => l.startsWith('{'));
    expect(driverLines.length).toBeGreaterThan(5);
    for (const l of driverLines) expect(JSON.parse(l)).toMatchObject({ level: expect.any(String), logger: expect.any(String), msg: expect.any(String) });
    // and its stdout is the job's output alone
    expect((await local(['logs', done.id])).stdout.trim()).toBe(`SQL=[[${SUM}]]`);
  }, 120_000);
});
