/**
 * The cluster's work from the terminal, for real: a local space (real Spark, the real space proxy)
 * running a long spark-shell job and a supervised cluster-mode driver; `apps`, `drivers`, `logs`,
 * `kill` on the local space (its dynos directly) and as on Heroku (the fake Platform API for the
 * app, this real proxy in front of this real master); `logs --follow` streaming a running driver;
 * `bin/spark-submit --wait` ending FINISHED (0), FAILED (20) and KILLED (21).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appWithSpark, buildJobJar, cli, freePort } from '../helpers/cluster.js';
import { bin } from '../helpers/buildpack.js';
import { DEFAULT_VERSION } from '../helpers/spark.js';
import { until } from '../helpers/wait.js';
import { closeFakeHeroku, fakeHerokuWithApp, type FakeHeroku } from '../helpers/fake-heroku.js';
import type { AppRow, DriverRow } from '../../src/jobs/index.js';

const APP = 'e2e-work';
const PASSWORD = 'e2e-jobs-proxy-password';
const TOKEN = 'HRKU-e2e-jobs-token-0123456789';
const SUM = 500000500000;

/** Two 2-core workers: the shell's executor, the driver, its executor and a --wait job fit at once. */
const CONFIG = {
  SPACE_PROXY_PASSWORD: PASSWORD,
  SPARK_WORKER_CORES: '2',
  SPARK_WORKER_MEMORY: '1536m',
  SPARK_EXECUTOR_MEMORY: '512m',
  SPARK_DRIVER_MEMORY: '512m',
  SPARK_DAEMON_MEMORY: '256m',
};

describe(`apps, drivers, kill, logs, submit --wait with real Spark ${DEFAULT_VERSION}`, () => {
  let app: string;
  let jar: string;
  let url: string;
  let fake: FakeHeroku;
  const local = (args: string[], o: { timeout?: number } = {}) => cli(['local', ...args, '--dir', app], { timeout: 120_000, ...o });
  const heroku = (args: string[], env: Record<string, string> = {}) =>
    cli([...args, '-a', APP, '--proxy-url', url], { env: { HEROKU_API_URL: fake.url, HEROKU_API_KEY: TOKEN, ...env }, timeout: 120_000 });
  const submit = (args: string[]) => cli(['local', 'run', '--dir', app, 'bin/spark-submit', ...args], { timeout: 300_000 });
  const apps = async (side: (args: string[]) => ReturnType<typeof cli> = local) => JSON.parse((await side(['apps', '--json'])).stdout) as { master: { dyno: string }; apps: AppRow[] };
  const drivers = async (side: (args: string[]) => ReturnType<typeof cli> = local) => JSON.parse((await side(['drivers', '--json'])).stdout) as { drivers: DriverRow[] };

  beforeAll(async () => {
    let sparkHome: string;
    ({ app, sparkHome } = await appWithSpark(DEFAULT_VERSION, CONFIG, true));
    jar = await buildJobJar(sparkHome);
    const port = await freePort();
    url = `http://127.0.0.1:${port}/`;
    const up = await cli(['local', 'up', '--detach', '--dir', app, '--app', APP, '--workers', '2', '--port', String(port)]);
    expect(up.exitCode, up.all).toBe(0);
    fake = await fakeHerokuWithApp(TOKEN, APP, PASSWORD);
  }, 400_000);
  afterAll(async () => {
    if (app) await cli(['local', 'down', '--dir', app]);
    await closeFakeHeroku(fake);
  });

  it('a long spark-shell job and a supervised cluster-mode driver: listed, shown, logged, then killed (KILLED within 10 s), locally and through the proxy', async () => {
    // the shell's job runs ~10 minutes unless killed; --total-executor-cores keeps cores for the driver
    // its line is typed once the shell's application runs (as a person would), not piped ahead of the REPL
    const shell = cli(['local', 'run', '--dir', app, bin('spark-shell'), '--total-executor-cores', '1'], { timeout: 600_000, env: { LOG_LEVEL: 'WARN' } });
    let shellSaid = '';
    shell.all!.on('data', (b: Buffer) => (shellSaid += b.toString()));
    const sub = await submit(['--deploy-mode', 'cluster', '--supervise', '--total-executor-cores', '1', '--class', 'SumJob', jar, 'sleep']);
    expect(sub.exitCode, sub.all).toBe(0);
    const driverId = /Driver successfully submitted as (driver-\S+)/.exec(sub.all ?? '')![1]!;

    // both running, each with its driver's dyno: the shell's one-off (run.N), the driver's worker
    const listed = await until(
      'the shell and the driver running, the shell’s stage under way',
      async () => {
        const a = await apps();
        const sh = a.apps.find((x) => x.name === 'Spark shell' && x.state === 'RUNNING');
        const job = a.apps.find((x) => x.name === 'sum-job' && x.state === 'RUNNING');
        return sh && job && a;
      },
      240_000,
      1000,
    );
    shell.stdin!.end('sc.parallelize(1 to 6000, 1).map { x => Thread.sleep(100); x }.count\n:quit\n');
    const sh = listed.apps.find((x) => x.name === 'Spark shell')!;
    const job = listed.apps.find((x) => x.name === 'sum-job')!;
    expect(listed.master.dyno).toBe('master.1');
    expect(sh).toMatchObject({ user: expect.any(String), cores: 1, memoryPerExecutorMb: 512, active: true });
    expect(sh.driver).toMatch(/^run\.\d+$/);
    expect(sh.durationMs).toBeGreaterThan(0);
    const d = (await drivers()).drivers.find((x) => x.id === driverId)!;
    expect(d).toMatchObject({ mainClass: 'SumJob', state: 'RUNNING', supervise: true, active: true });
    expect(d.worker).toMatch(/^worker\.[12]$/);
    expect(job.driver).toBe(d.worker);
    const table = await local(['apps']);
    expect(table.stdout).toMatch(new RegExp(`${sh.id} +Spark shell +\\S+ +1 +512 MB +RUNNING +\\S+ +${sh.driver!.replace('.', '\\.')}`));

    // as on Heroku: the same through the real proxy, with the app's password from its config vars
    const viaProxy = await apps(heroku);
    expect(viaProxy.apps.filter((x) => x.active).map((x) => [x.id, x.driver])).toEqual(listed.apps.filter((x) => x.active).map((x) => [x.id, x.driver]));
    expect((await drivers(heroku)).drivers.find((x) => x.id === driverId)).toMatchObject({ state: 'RUNNING', supervise: true, worker: d.worker });

    // apps show: executors on workers; stages running from the driver's REST API (its UI on the one-off dyno)
    let lastShown = '';
    const shown = await until(
      'the shell’s stage running',
      async () => {
        const out = await local(['apps', 'show', sh.id, '--json']);
        lastShown = out.all ?? '';
        const r = JSON.parse(out.stdout);
        return r.stages?.active?.length ? r : undefined;
      },
      120_000,
      1000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}; the last answer of apps show: ${lastShown}; the shell said: ${shellSaid.slice(-2000)}`);
    });
    expect(shown.executors[0]).toMatchObject({ worker: expect.stringMatching(/^worker\.[12]$/), state: 'RUNNING' });
    expect(shown.stages.active[0]).toMatchObject({ status: 'ACTIVE', numTasks: 1 });
    const shownViaProxy = await heroku(['apps', 'show', sh.id]);
    expect(shownViaProxy.exitCode, shownViaProxy.all).toBe(0);
    expect(shownViaProxy.stdout).toMatch(/Stages running:\n {2}0\.0 count at/);
    expect(shownViaProxy.all).not.toContain(PASSWORD);

    // the driver's output, from its worker (locally and through the proxy)
    const logs = await until('READY in the driver’s log', async () => ((await local(['logs', driverId])).stdout.includes('READY') ? true : undefined), 60_000, 1000);
    expect(logs).toBe(true);
    const logsViaProxy = await heroku(['logs', driverId]);
    expect(logsViaProxy.stdout).toBe('READY'); // execa drops the final newline
    const spark = await local(['logs', driverId, '--stderr']);
    expect(spark.stdout).toContain('Launch Command:');
    expect(spark.stdout).not.toMatch(/==== Bytes/);

    // kill the shell's application through the proxy, the driver locally: KILLED on the master within 10 s
    let t = Date.now();
    const k1 = await heroku(['kill', sh.id]);
    expect(k1.exitCode, k1.all).toBe(0);
    expect(Date.now() - t).toBeLessThan(10_000);
    expect(k1.stdout).toContain(`${sh.id} KILLED`);
    t = Date.now();
    const k2 = await local(['kill', driverId]);
    expect(k2.exitCode, k2.all).toBe(0);
    expect(Date.now() - t).toBeLessThan(10_000);
    const after = await apps();
    expect(after.apps.find((x) => x.id === sh.id)?.state).toBe('KILLED');
    expect((await drivers()).drivers.find((x) => x.id === driverId)?.state).toBe('KILLED');
    const r = await shell;
    expect(r.all).toMatch(/cancelled|killed|SparkContext was shut down/i);

    // and what can go wrong, each its one line and code
    const again = await local(['kill', driverId]);
    expect([again.exitCode, again.stderr]).toEqual([19, expect.stringContaining('it had already ended (its state: KILLED)')]);
    const unknown = await heroku(['kill', 'app-20000101000000-0000']);
    expect(unknown.exitCode).toBe(17);
    expect((await local(['logs', 'not-an-id'])).exitCode).toBe(2);
    const refused = await heroku(['apps'], { SPACE_PROXY_PASSWORD: 'not-the-password' });
    expect(refused.exitCode).toBe(18);
    expect(refused.stderr).toContain('refused the password (HTTP 401)');
    expect(refused.all).not.toContain('not-the-password');
  }, 600_000);

  it('logs --follow streams a running driver’s new lines and ends when it ends', async () => {
    const sub = await submit(['--deploy-mode', 'cluster', '--class', 'SumJob', jar, 'tick', '30']);
    expect(sub.exitCode, sub.all).toBe(0);
    const id = /Driver successfully submitted as (driver-\S+)/.exec(sub.all ?? '')![1]!;
    await until('the driver running', async () => (await drivers()).drivers.find((x) => x.id === id && x.state === 'RUNNING'), 120_000, 500);
    const follow = cli(['logs', id, '-a', APP, '--proxy-url', url, '--follow'], { env: { HEROKU_API_URL: fake.url, HEROKU_API_KEY: TOKEN }, timeout: 240_000 });
    const seen: { at: number; text: string }[] = [];
    follow.stdout!.on('data', (b: Buffer) => seen.push({ at: Date.now(), text: b.toString() }));
    const r = await follow;
    const end = Date.now();
    expect(r.exitCode, r.all).toBe(0);
    const out = seen.map((s) => s.text).join('');
    expect(out).toContain('TICK 30\n');
    expect(out).toContain(`SUM=${SUM}`);
    // streamed: TICK lines arrived in several pieces, the first well before the end
    expect(seen.filter((s) => s.text.includes('TICK')).length).toBeGreaterThan(2);
    expect(end - seen[0]!.at).toBeGreaterThan(2000);
    expect((await drivers()).drivers.find((x) => x.id === id)?.state).toBe('FINISHED');
  }, 300_000);

  it('bin/spark-submit --wait: exit 0 FINISHED (with --follow-logs the driver’s output), 20 FAILED, 21 KILLED (Ctrl-C on `logs --follow` leaves it running)', async () => {
    const ok = await submit(['--wait', '--follow-logs', '--deploy-mode', 'cluster', '--class', 'SumJob', jar]);
    expect(ok.exitCode, ok.all).toBe(0);
    expect(ok.stdout).toContain(`SUM=${SUM}`);
    expect(ok.stderr).toMatch(/driver-\S+ FINISHED/);

    const failed = await submit(['--wait', '--deploy-mode', 'cluster', '--class', 'SumJob', jar, 'throw']);
    expect(failed.exitCode, failed.all).toBe(20);
    expect(failed.stderr).toMatch(/The driver driver-\S+ ended FAILED \(exit code 20\)/);

    const waiting = submit(['--wait', '--deploy-mode', 'cluster', '--class', 'SumJob', jar, 'sleep']);
    let out = '';
    waiting.all!.on('data', (b: Buffer) => (out += b.toString()));
    const id = await until('the sleeping driver submitted', () => /waiting for (driver-\S+) to end/.exec(out)?.[1], 120_000, 200);
    await until('it runs', async () => (await drivers()).drivers.find((x) => x.id === id && x.state === 'RUNNING'), 120_000, 500);
    // Ctrl-C stops following a driver's log, never the driver
    const follow = cli(['local', 'logs', id, '--follow', '--dir', app], { timeout: 120_000 });
    let followed = '';
    follow.stdout!.on('data', (b: Buffer) => (followed += b.toString()));
    await until('READY followed', () => followed.includes('READY'), 120_000, 200);
    follow.kill('SIGINT');
    const stopped = await follow;
    expect(stopped.exitCode, stopped.all).toBe(130);
    expect(stopped.stderr).toContain(`Stopped following; ${id} still runs.`);
    expect((await drivers()).drivers.find((x) => x.id === id)?.state).toBe('RUNNING');
    expect((await local(['kill', id])).exitCode).toBe(0);
    const killed = await waiting;
    expect(killed.exitCode, killed.all).toBe(21);
    expect(killed.stderr).toContain(`The driver ${id} ended KILLED (exit code 21)`);
  }, 400_000);
});
