/**
 * A single-master cluster through the daily restart, with real Spark: graceful cycling
 * (`master: bin/spark-master-with-graceful-cycling`) restarts the worker dynos through the fake
 * Platform API once a new master is ALIVE, retries 429s, warns once on a refused token and keeps the
 * master running, and never shows the token; and a worker started long before its master waits
 * for it and registers when it comes. One space for the file.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin } from '../helpers/buildpack.js';
import { appWithSpark, cli, localStatus } from '../helpers/cluster.js';
import { startFakeHeroku, type FakeHeroku } from '../helpers/fake-heroku.js';
import { DEFAULT_VERSION } from '../helpers/spark.js';
import { until } from '../helpers/wait.js';
import { leaderWithWorkers, type HaStatus } from '../helpers/ha.js';

const APP = 'e2e-cycling';
const TOKEN = 'HRKU-e2e-graceful-cycling-token-5f3a9c';
const ROUTE = 'dyno:Restart formation';

describe(`graceful cycling and workers that wait, real Spark ${DEFAULT_VERSION}, fake Platform API`, () => {
  let app: string;
  let fake: FakeHeroku;
  const status = () => localStatus<HaStatus>(app, APP);
  const logs = async (dyno: string) => (await cli(['local', 'logs', '--dir', app, '--app', APP, '--dyno', dyno, '-n', '5000'])).stdout;
  const restarts = () => fake.calls.filter((c) => c.route === ROUTE);

  beforeAll(async () => {
    fake = await startFakeHeroku({ token: TOKEN, apps: [APP] });
    ({ app } = await appWithSpark(
      DEFAULT_VERSION,
      { SPARK_WORKER_CORES: '1', SPARK_WORKER_MEMORY: '1g', SPARK_DAEMON_MEMORY: '256m', SPARK_HEROKU_ACCESS_TOKEN: TOKEN, HEROKU_API_URL: fake.url },
      false,
      { master: bin('spark-master-with-graceful-cycling') },
    ));
    const up = await cli(['local', 'up', '--detach', '--dir', app, '--app', APP, '--workers', '1']);
    expect(up.exitCode, up.all).toBe(0);
  });
  afterAll(async () => {
    if (app) await cli(['local', 'down', '--dir', app, '--app', APP]);
    await fake?.close();
  });

  it('once the new master is ALIVE: exactly one restart of the worker formation, schema-valid', async () => {
    await until('the restart call', () => restarts().length >= 1, 120_000);
    const log = await logs('master.1');
    expect(log).toMatch(/the master is ALIVE: restarting the worker dynos of e2e-cycling/);
    // the watcher asked only once /json said ALIVE: the master's own log has it elected before
    expect(log.indexOf('New state: ALIVE')).toBeGreaterThan(-1);
    expect(log.indexOf('New state: ALIVE')).toBeLessThan(log.indexOf('the master is ALIVE: restarting'));
    await until('the answer logged', async () => /restarted the worker dynos of e2e-cycling \(HTTP 202\)/.test(await logs('master.1')), 30_000);
    expect(restarts().map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual([`DELETE /apps/${APP}/formations/worker 202`]);
    expect(fake.problems).toEqual([]);
  });

  it('a cycled master whose restart call meets 429 twice retries with backoff and gets through', async () => {
    fake.failNext(ROUTE, 429, 429);
    const cycled = await cli(['local', 'cycle', 'master.1', '--dir', app, '--app', APP], { timeout: 240_000 });
    expect(cycled.exitCode, cycled.all).toBe(0);
    await until('three more calls', () => restarts().length >= 4, 120_000);
    expect(
      restarts()
        .slice(1)
        .map((c) => c.status),
    ).toEqual([429, 429, 202]);
    await until('the retries logged', async () => ((await logs('master.1')).match(/answered HTTP 429; retrying/g) ?? []).length === 2, 30_000);
    expect(fake.problems).toEqual([]);
  });

  it('a refused token (401) is one warning; the master keeps running and leading', async () => {
    fake.failNext(ROUTE, 401);
    const cycled = await cli(['local', 'cycle', 'master.1', '--dir', app, '--app', APP], { timeout: 240_000 });
    expect(cycled.exitCode, cycled.all).toBe(0);
    await until('the refused call', () => restarts().some((c) => c.status === 401), 120_000);
    const warned = await until(
      'the warning',
      async () => {
        const l = (await logs('master.1')).split('\n').filter((x) => /WARNING: the Platform API refused SPARK_HEROKU_ACCESS_TOKEN \(HTTP 401 unauthorized\)/.test(x));
        return l.length ? l : undefined;
      },
      30_000,
    );
    expect(warned).toHaveLength(1);
    expect(restarts()).toHaveLength(5); // no retry of a 401
    const s = await status();
    const master = s.dynos.find((d) => d.name === 'master.1')!;
    expect(master.phase).toBe('up');
    expect(master.spark).toBe('ALIVE');
    // still the same master process a while later: the warning did not stop it
    await until('the master leading with its worker', async () => leaderWithWorkers(await status(), 1), 60_000);
    expect((await status()).dynos.find((d) => d.name === 'master.1')!.pid).toBe(master.pid);
  });

  it('the token appears in no log, no error and no command line', async () => {
    const dir = path.join(app, '.spark-in-space', 'local', APP, 'logs');
    for (const f of readdirSync(dir)) expect(readFileSync(path.join(dir, f), 'utf8'), f).not.toContain(TOKEN);
    expect(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })).not.toContain(TOKEN);
    // sent where it belongs: the Authorization header
    expect(
      restarts()
        .filter((c) => c.status !== 401)
        .every((c) => c.authorization === `Bearer ${TOKEN}`),
    ).toBe(true);
  });

  it('a worker started 60 s before its master waits (no crash, a rate-limited note) and registers when the master comes', async () => {
    const down = await cli(['local', 'down', 'master.1', '--dir', app, '--app', APP]);
    expect(down.exitCode, down.all).toBe(0);
    const before = (await status()).dynos.find((d) => d.name === 'worker.1')!;
    const restarting = cli(['local', 'restart', 'worker.1', '--dir', app, '--app', APP], { timeout: 300_000 });
    await until('the worker waiting', async () => /waiting for a master \(1\.master\.e2e-cycling\.app\.localspace:7077 (does not resolve|refuses connections)/.test(await logs('worker.1')), 60_000);
    const t0 = Date.now();
    // 60 s without a master: the worker dyno stays up, waiting, and never crashes
    await until(
      'a minute of waiting',
      async () => {
        const w = (await status()).dynos.find((d) => d.name === 'worker.1')!;
        if (w.restarts !== before.restarts + 1 || w.phase === 'crashed') throw new Error(`worker.1 crashed while waiting: ${JSON.stringify(w)}`);
        return Date.now() - t0 >= 60_000;
      },
      90_000,
      2_000,
    );
    const notes = (await logs('worker.1')).split('\n').filter((l) => l.includes('waiting for a master'));
    expect(notes.length).toBeGreaterThanOrEqual(2); // at once, then every 30 s: not every poll
    expect(notes.length).toBeLessThanOrEqual(4);
    const started = await cli(['local', 'restart', 'master.1', '--dir', app, '--app', APP], { timeout: 300_000 });
    expect(started.exitCode, started.all).toBe(0);
    await until('worker.1 ALIVE on the master', async () => leaderWithWorkers(await status(), 1), 120_000);
    expect((await restarting).exitCode).toBe(0);
    const w = (await status()).dynos.find((d) => d.name === 'worker.1')!;
    expect(w.restarts).toBe(before.restarts + 1);
    expect(await logs('worker.1')).toMatch(/a master answers after \d+ s: starting/);
  });
});
