/**
 * Autoscaling with real Spark on a local space (`local up --autoscale 1:3`): two jobs that each ask
 * for more cores than the one worker has → the leading master's autoscaler adds workers through
 * the space's control socket, both jobs finish with the right answer; then, idle, the space goes
 * back to one worker by graceful decommission, and the event logs show no failed task.
 */
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appWithSpark, buildJobJar, cli, freePort, localStatus } from '../helpers/cluster.js';
import { startFakeHeroku } from '../helpers/fake-heroku.js';
import { addApp, newWorld } from '../helpers/fake-heroku-world.js';
import { tmpdir } from '../helpers/buildpack.js';
import { countEventLog, readEventLog, spaceConfig } from '../helpers/decommission.js';
import { DEFAULT_VERSION } from '../helpers/spark.js';
import { until } from '../helpers/wait.js';

const APP = 'e2e-autoscale';
const SUM = 500000500000;
const PASSWORD = 'e2e-autoscale-proxy-password';
const TOKEN = 'HRKU-e2e-autoscale-token-0123456789';

interface Status {
  formation: Record<string, number>;
  autoscale: { mode: string; policy: { min: number; max: number }; lastAction?: { action: string; from: number; to: number; why: string } } | null;
  dynos: { name: string; phase: string; spark: string | null }[];
  master: { activeapps: { id: string }[]; completedapps?: { id: string; name: string; state: string }[] } | null;
}

describe(`autoscaling the workers of a local space with real Spark ${DEFAULT_VERSION}`, () => {
  let app: string;
  let jar: string;
  let proxyUrl: string;
  const events = tmpdir('sis-autoscale-events-');
  const status = () => localStatus<Status>(app, APP);

  beforeAll(async () => {
    mkdirSync(events, { recursive: true });
    let sparkHome: string;
    ({ app, sparkHome } = await appWithSpark(
      DEFAULT_VERSION,
      spaceConfig(events, { SPARK_AUTOSCALE_IDLE: '15s', SPARK_AUTOSCALE_COOLDOWN: '5s', SPARK_AUTOSCALE_INTERVAL: '2s', SPACE_PROXY_PASSWORD: PASSWORD }),
      true,
    ));
    jar = await buildJobJar(sparkHome);
    proxyUrl = `http://127.0.0.1:${await freePort()}/`;
    const up = await cli(['local', 'up', '--detach', '--dir', app, '--app', APP, '--workers', '1', '--autoscale', '1:3', '--port', new URL(proxyUrl).port]);
    expect(up.exitCode, up.all).toBe(0);
  }, 300_000);
  afterAll(async () => {
    if (app) await cli(['local', 'down', '--dir', app, '--app', APP]);
  });

  it('two jobs asking for 2 cores each on one 1-core worker → up to 3 workers, both FINISHED right; idle → back to 1 by decommission, no task failed', async () => {
    // the autoscaler's first look comes within an interval of its master being ALIVE
    const s0 = await until('the autoscaler acting', async () => ((await status()).autoscale?.mode === 'acting' ? status() : undefined), 60_000, 500);
    expect(s0.formation.worker).toBe(1);
    expect(s0.autoscale).toMatchObject({ mode: 'acting', policy: { min: 1, max: 3 } });
    // each job ticks ~18 s on its driver before its sum: long enough for the workers it asks for to come
    const job = () => cli(['local', 'run', '--dir', app, '--app', APP, 'bin/spark-submit', '--total-executor-cores', '2', '--class', 'SumJob', jar, 'tick', '60'], { timeout: 400_000 });
    const [a, b] = [job(), job()];
    const scaled = await until(
      '3 worker dynos up',
      async () => ((await status()).dynos.filter((d) => d.name.startsWith('worker.') && d.phase === 'up').length === 3 ? status() : undefined),
      240_000,
      1000,
    );
    expect(scaled.formation.worker).toBe(3);
    expect(scaled.autoscale?.lastAction).toMatchObject({ action: 'up', to: 3 });
    expect(scaled.autoscale?.lastAction?.why).toMatch(/WAITING|cores asked for/);
    const [ra, rb] = await Promise.all([a, b]);
    for (const r of [ra, rb]) {
      expect(r.exitCode, r.all).toBe(0);
      expect(r.stdout).toContain(`SUM=${SUM}`);
    }
    const logs = (await cli(['local', 'logs', '--dir', app, '--app', APP, '--dyno', 'master', '-n', '5000'])).stdout;
    expect(logs).toMatch(/master\.1 +\| spark-in-space autoscale: up 1 → [23] workers: /);

    // idle: the two top workers go (decommissioned: SIGTERM → drain-worker), never below 1
    const back = await until(
      'back to 1 worker',
      async () => {
        const s = await status();
        return s.formation.worker === 1 && s.dynos.filter((d) => d.name.startsWith('worker.')).length === 1 && s.autoscale?.lastAction?.action === 'down' && s;
      },
      240_000,
      1000,
    );
    // one step (3 → 1) when both went idle together, else two (3 → 2 → 1)
    expect(back.autoscale?.lastAction).toMatchObject({ action: 'down', to: 1 });
    const after = (await cli(['local', 'logs', '--dir', app, '--app', APP, '-n', '20000'])).stdout;
    expect(after).toMatch(/spark-in-space autoscale: down 3 → [12] workers: worker\.3(, worker\.2)? had no executor for 15 s/);
    for (const w of ['worker.3', 'worker.2']) expect(after).toMatch(new RegExp(`${w.replace('.', '\\.')} +\\| drain-worker: SIGTERM: decommissioning this worker`));
    const done = (back.master?.completedapps ?? []).filter((x) => x.name === 'sum-job');
    expect(done.map((x) => x.state)).toEqual(['FINISHED', 'FINISHED']);
    for (const x of done) {
      const c = countEventLog(readEventLog(events, x.id));
      expect(c.failed, x.id).toBe(0);
      expect(c.tasks).toBeGreaterThan(0);
    }

    // `status` as on Heroku: the leading master's autoscaler through the real proxy
    const fake = await startFakeHeroku({ token: TOKEN, world: newWorld() });
    try {
      addApp(fake.world!, APP, { config: { SPARK_MASTERS: '1', SPACE_PROXY_PASSWORD: PASSWORD, SPARK_AUTOSCALE_MAX: '3' } });
      fake.world!.apps.get(APP)!.formation.worker!.quantity = 1;
      const r = await cli(['status', '-a', APP, '--proxy-url', proxyUrl, '--json'], { env: { HEROKU_API_URL: fake.url, HEROKU_API_KEY: TOKEN } });
      expect(r.exitCode, r.all).toBe(0);
      expect(JSON.parse(r.stdout).autoscale).toMatchObject({ mode: 'acting', policy: { min: 1, max: 3 }, lastAction: { action: 'down', to: 1 } });
      const table = await cli(['status', '-a', APP, '--proxy-url', proxyUrl], { env: { HEROKU_API_URL: fake.url, HEROKU_API_KEY: TOKEN } });
      // "now" is the newest look (the scale-down itself, until the next interval's)
      expect(table.stdout).toMatch(/^Autoscaling: 1\.\.3 workers, idle after 15 s \(acting\); now: .*; last change \d\d:\d\d:\d\d: down [23] → 1 workers/m);
      expect(fake.problems).toEqual([]);
    } finally {
      await fake.close();
    }
  }, 600_000);
});
