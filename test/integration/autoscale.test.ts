/**
 * The autoscaler beside a master (src/autoscale/run.ts) against the fake Platform API: the exact
 * calls for up and down, 429/5xx retried, 401 turning it off with the cluster untouched, and with
 * two masters only the ALIVE one acting. The masters are stand-ins on loopback answering /json/
 * and application pages as Spark's do (real Spark drives it in test/e2e/autoscale.test.ts).
 */
import http from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runAutoscale } from '../../src/autoscale/run.js';
import { startFakeHeroku, type FakeHeroku } from '../helpers/fake-heroku.js';
import { addApp, newWorld } from '../helpers/fake-heroku-world.js';
import { freePort } from '../helpers/cluster.js';

const TOKEN = 'HRKU-autoscale-token-0123456789';
const IPS = ['127.77.0.1', '127.77.0.2'];
type Json = Record<string, unknown>;
const masters: { json: Json; server?: http.Server }[] = IPS.map(() => ({ json: {} }));
let fake: FakeHeroku;

const worker = (n: number, coresused: number) => ({ id: `worker-${n}`, host: `${n}.worker.demo.app.localspace`, state: 'ALIVE', cores: 2, memory: 2048, coresused });
const busy = { status: 'ALIVE', workers: [worker(1, 2)], activeapps: [{ id: 'app-20261204000000-0001', name: 'etl', state: 'WAITING' }], activedrivers: [] };

beforeAll(async () => {
  for (const [i, ip] of IPS.entries()) {
    const m = masters[i]!;
    m.server = http.createServer((req, res) => {
      if (req.url?.startsWith('/app/')) return res.writeHead(200, { 'content-type': 'text/html' }).end('<li><strong>Cores:</strong> 4 (0 granted, 4 left)</li>');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(m.json));
    });
    await new Promise<void>((r) => m.server!.listen(8080, ip, r));
  }
});
afterAll(async () => {
  for (const m of masters) await new Promise((r) => m.server?.close(r));
});
beforeEach(async () => {
  fake = await startFakeHeroku({ token: TOKEN, world: newWorld() });
  addApp(fake.world!, 'demo', { formation: { master: { quantity: 2, size: 'Private-M' }, worker: { quantity: 1, size: 'Private-L' } } });
  return () => fake.close();
});

async function autoscaler(i: number, extra: Record<string, string> = {}, rounds = 1) {
  const lines: string[] = [];
  const env = {
    DYNO: `master.${i + 1}`,
    HEROKU_APP_NAME: 'demo',
    HEROKU_DNS_APP_NAME: 'demo.app.localspace',
    HEROKU_PRIVATE_IP: IPS[i]!,
    HEROKU_API_URL: fake.url,
    SPARK_HEROKU_ACCESS_TOKEN: TOKEN,
    SPARK_IN_SPACE_BACKOFF_MS: '10',
    SPARK_AUTOSCALE_MAX: '3',
    SPARK_AUTOSCALE_INTERVAL: '1s',
    ...extra,
  };
  await runAutoscale(env, (l) => lines.push(l), { rounds, port: await freePort() });
  return lines;
}
const calls = () => fake.calls.map((c) => `${c.method} ${c.path} ${c.status}${c.body ? ` ${JSON.stringify(c.body)}` : ''}`);

describe('autoscale_platform_api', () => {
  it('up: an application WAITING on a full worker → GET the worker formation, PATCH it to as many as the cores need; only the ALIVE master acts', async () => {
    masters[0]!.json = busy;
    masters[1]!.json = { status: 'STANDBY', workers: [] };
    const [lead, standby] = await Promise.all([autoscaler(0), autoscaler(1)]);
    expect(calls()).toEqual(['GET /apps/demo/formation/worker 200', 'PATCH /apps/demo/formation 200 {"updates":[{"type":"worker","quantity":3}]}']);
    expect(fake.world!.apps.get('demo')!.formation.worker!.quantity).toBe(3);
    expect(lead.join('\n')).toContain('up 1 → 3 workers: 1 application WAITING, 4 cores asked for, 0 free');
    expect(standby.join('\n')).toContain('standing by: its master is STANDBY');
    expect(fake.problems).toEqual([]);
  });

  it('down: the highest-numbered workers idle for SPARK_AUTOSCALE_IDLE → PATCH to fewer, never below the minimum', async () => {
    fake.world!.apps.get('demo')!.formation.worker!.quantity = 3;
    masters[0]!.json = { status: 'ALIVE', workers: [worker(1, 0), worker(2, 0), worker(3, 0)], activeapps: [], activedrivers: [] };
    const lines = await autoscaler(0, { SPARK_AUTOSCALE_IDLE: '1s', SPARK_AUTOSCALE_MIN: '1' }, 3);
    expect(calls().filter((c) => c.startsWith('PATCH'))).toEqual(['PATCH /apps/demo/formation 200 {"updates":[{"type":"worker","quantity":1}]}']);
    expect(lines.join('\n')).toContain('down 3 → 1 workers: worker.3, worker.2 had no executor for 1 s (stopping worker.3, worker.2)');
    expect(fake.problems).toEqual([]);
  });

  it('429 and 5xx are retried with backoff; 401 turns autoscaling off with one warning, the formation untouched', async () => {
    masters[0]!.json = busy;
    fake.failNext('formation:Batch Update', 503, 429);
    const retried = await autoscaler(0);
    expect(calls().map((c) => c.split(' {')[0])).toEqual(['GET /apps/demo/formation/worker 200', 'PATCH /apps/demo/formation 503', 'PATCH /apps/demo/formation 429', 'PATCH /apps/demo/formation 200']);
    expect(retried.filter((l) => l.includes('retrying'))).toHaveLength(2);
    fake.calls.length = 0;
    fake.world!.apps.get('demo')!.formation.worker!.quantity = 1;
    fake.failNext('formation:Info', 401);
    const off = await autoscaler(0, {}, 3);
    expect(calls()).toEqual(['GET /apps/demo/formation/worker 401']);
    expect(off.filter((l) => l.startsWith('WARNING'))).toEqual([
      'WARNING: the Platform API refused SPARK_HEROKU_ACCESS_TOKEN (HTTP 401) to read the worker formation of demo: autoscaling is off until this master restarts; the cluster is left as it is',
    ]);
    expect(fake.world!.apps.get('demo')!.formation.worker!.quantity).toBe(1);
    expect(off.join('\n')).not.toContain(TOKEN);
  });

  it('without a token: one warning, nothing sent', async () => {
    const lines = await autoscaler(0, { SPARK_HEROKU_ACCESS_TOKEN: '' });
    expect(lines).toEqual([expect.stringContaining('WARNING: autoscaling is off: SPARK_AUTOSCALE_MAX is set but SPARK_HEROKU_ACCESS_TOKEN is not')]);
    expect(fake.calls).toEqual([]);
  });
});
