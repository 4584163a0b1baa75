/**
 * Autoscaling's decisions (src/autoscale/index.ts) as a table of cluster states → decision, the
 * view read from a master's /json and application pages, and the policy's config vars.
 */
import { describe, expect, it } from 'vitest';
import { autoscaleLine, coresLeft, decide, decisionLine, observe, track, type ClusterView, type History, type Policy } from '../../src/autoscale/index.js';
import { parseConfig } from '../../src/config/schema.js';
import { isProblem } from '../../src/errors.js';
import { policyOf, scaleWorkers, workerFormation } from '../../src/autoscale/run.js';

const P: Policy = { min: 1, max: 3, idleMs: 600_000, cooldownMs: 60_000 };
const NOW = 10_000_000;
const w = (index: number, coresUsed = 0, o: { cores?: number; hasDriver?: boolean } = {}) => ({ dyno: `worker.${index}`, index, cores: o.cores ?? 2, coresUsed, hasDriver: o.hasDriver ?? false });
const view = (v: Partial<ClusterView> & { workers: ClusterView['workers'] }): ClusterView => {
  const free = v.workers.reduce((n, x) => n + x.cores - x.coresUsed, 0);
  return { quantity: v.workers.length, waiting: [], coresWanted: 0, coresFree: free, coresPerWorker: 2, ...v };
};
const idle = (ago: number, ...dynos: string[]): History => ({ idleSince: Object.fromEntries(dynos.map((d) => [d, NOW - ago])) });
const fresh: History = { idleSince: {} };

describe('decide: a table of cluster states', () => {
  const rows: [string, ClusterView, History, Partial<ReturnType<typeof decide>>][] = [
    [
      'an app WAITING on one busy worker → as many workers as the missing cores need',
      view({ workers: [w(1, 2)], waiting: ['app-1'], coresWanted: 4, coresFree: 0 }),
      fresh,
      { action: 'up', from: 1, to: 3 },
    ],
    [
      'cores asked for beyond the free ones, nothing waiting → up by the deficit (2 cores → 1 worker)',
      view({ workers: [w(1, 2)], coresWanted: 2, coresFree: 0 }),
      fresh,
      { action: 'up', from: 1, to: 2 },
    ],
    ['never above MAX', view({ workers: [w(1, 2), w(2, 2)], waiting: ['a'], coresWanted: 20, coresFree: 0 }), fresh, { action: 'up', to: 3 }],
    [
      'at MAX with demand → no change, says so',
      view({ workers: [w(1, 2), w(2, 2), w(3, 2)], waiting: ['a'], coresWanted: 4 }),
      fresh,
      { action: 'none', why: expect.stringContaining('at SPARK_AUTOSCALE_MAX (3)') },
    ],
    [
      'workers asked for still registering → wait, do not ask again',
      view({ quantity: 2, workers: [w(1, 2)], waiting: ['a'], coresWanted: 4 }),
      fresh,
      { action: 'none', why: expect.stringContaining('waiting for 1 worker to register') },
    ],
    [
      'demand within the cool-down → no change',
      view({ workers: [w(1, 2)], waiting: ['a'], coresWanted: 4 }),
      { idleSince: {}, lastActionAt: NOW - 30_000 },
      { action: 'none', why: expect.stringContaining('cooling down until 30 s from now') },
    ],
    ['below MIN (scaled to 0 by hand) → up to MIN', view({ quantity: 0, workers: [] }), fresh, { action: 'up', from: 0, to: 1 }],
    [
      'the top workers idle long enough → down by them, highest first',
      view({ workers: [w(1, 1), w(2), w(3)] }),
      idle(700_000, 'worker.2', 'worker.3'),
      { action: 'down', from: 3, to: 1, stop: ['worker.3', 'worker.2'] },
    ],
    [
      'idle, but not for IDLE yet → no change',
      view({ workers: [w(1, 1), w(2), w(3)] }),
      idle(100_000, 'worker.2', 'worker.3'),
      { action: 'none', why: expect.stringContaining('no idle worker for 600 s') },
    ],
    ['never below MIN', view({ workers: [w(1), w(2)] }), idle(700_000, 'worker.1', 'worker.2'), { action: 'down', to: 1, stop: ['worker.2'] }],
    [
      'a lower worker idle, the highest busy → no change (Heroku stops the highest-numbered)',
      view({ workers: [w(1, 1), w(2), w(3, 1)] }),
      idle(700_000, 'worker.2'),
      { action: 'none', why: expect.stringContaining('worker.2 idle, but worker.3 is not') },
    ],
    ['the top worker runs a cluster-mode driver → never scaled down', view({ workers: [w(1), w(2, 0, { hasDriver: true })] }), idle(700_000, 'worker.1', 'worker.2'), { action: 'none' }],
    [
      'down within the cool-down → no change',
      view({ workers: [w(1, 1), w(2)] }),
      { idleSince: { 'worker.2': NOW - 700_000 }, lastActionAt: NOW - 1000 },
      { action: 'none', why: expect.stringContaining('cooling down') },
    ],
    [
      'above MAX (scaled by hand) → down to MAX even when busy (they drain), never a driver’s worker',
      view({ workers: [w(1, 2), w(2, 2), w(3, 2), w(4, 2), w(5, 0, { hasDriver: true })] }),
      fresh,
      { action: 'none' },
    ],
    ['above MAX, no driver on top → down to MAX', view({ workers: [w(1, 2), w(2, 2), w(3, 2), w(4, 2), w(5, 2)] }), fresh, { action: 'down', from: 5, to: 3, stop: ['worker.5', 'worker.4'] }],
    ['nothing to do', view({ workers: [w(1, 1)] }), fresh, { action: 'none', why: expect.stringContaining('at SPARK_AUTOSCALE_MIN (1)') }],
  ];
  it.each(rows)('%s', (_what, v, h, want) => {
    expect(decide(v, P, h, NOW)).toMatchObject(want);
  });

  it('one line per decision: why, from what, to what', () => {
    expect(decisionLine({ action: 'up', from: 1, to: 3, why: '1 application WAITING, 4 cores asked for, 0 free' })).toBe('up 1 → 3 workers: 1 application WAITING, 4 cores asked for, 0 free');
    expect(decisionLine({ action: 'down', from: 3, to: 1, why: 'idle', stop: ['worker.3', 'worker.2'] })).toBe('down 3 → 1 workers: idle (stopping worker.3, worker.2)');
    expect(decisionLine({ action: 'none', from: 1, to: 1, why: 'x' })).toBe('no change at 1 worker: x');
  });
});

describe('the view from a master', () => {
  const json = {
    status: 'ALIVE',
    workers: [
      { id: 'worker-1', host: '1.worker.demo.app.localspace', state: 'ALIVE', cores: 2, memory: 1, coresused: 2 },
      { id: 'worker-old', host: '2.worker.demo.app.localspace', state: 'DEAD', cores: 2, memory: 1, coresused: 0 },
      { id: 'worker-2', host: '2.worker.demo.app.localspace', state: 'ALIVE', cores: 2, memory: 1, coresused: 0 },
    ],
    activeapps: [
      { id: 'app-1', name: 'a', state: 'RUNNING' },
      { id: 'app-2', name: 'b', state: 'WAITING' },
    ],
    activedrivers: [
      { id: 'driver-1', state: 'RUNNING', worker: 'worker-2', cores: 1 },
      { id: 'driver-2', state: 'SUBMITTED', cores: 1 },
    ],
  };
  it('ALIVE workers only, drivers on them, waiting apps, cores asked (pages; a WAITING app without one asks for defaultCores) and free', () => {
    const v = observe(json, 2, { 'app-1': 2 }, 4);
    expect(v).toEqual({
      quantity: 2,
      workers: [
        { dyno: 'worker.1', index: 1, cores: 2, coresUsed: 2, hasDriver: false },
        { dyno: 'worker.2', index: 2, cores: 2, coresUsed: 0, hasDriver: true },
      ],
      waiting: ['app-2'],
      coresWanted: 2 + 4 + 1,
      coresFree: 2,
      coresPerWorker: 2,
    });
    const h = track({ idleSince: { 'worker.1': 5 } }, v, 100);
    // worker.2 has no executor but runs a driver: not idle; worker.1 is busy now
    expect(h.idleSince).toEqual({});
    expect(track({ idleSince: { 'worker.3': 5 } }, { ...v, workers: [w(3)] }, 100).idleSince).toEqual({ 'worker.3': 5 });
  });

  it("an application's page: the cores it still asks for (spark.cores.max, else spark.deploy.defaultCores)", () => {
    expect(coresLeft('<li><strong>Cores:</strong>\n  4 (1 granted, 3 left)\n</li>', 8)).toBe(3);
    expect(coresLeft('<li><strong>Cores:</strong> Unlimited (2 granted)</li>', 4)).toBe(2);
    expect(coresLeft('<li><strong>Cores:</strong> Unlimited (6 granted)</li>', 4)).toBe(0);
    expect(coresLeft('<html>No running application</html>', 4)).toBeUndefined();
  });

  it('dynamic allocation (the SQL servers): what its executor limit asks for; an idle server asks for none and waits for nothing', () => {
    const page = (cores: string, limit: string) => `<li><strong>Cores:</strong> ${cores}</li><li><span title="x"><strong>Executor Limit: </strong>\n ${limit}\n</span></li>`;
    expect(coresLeft(page('Unlimited (0 granted)', '0 (0 granted)'), 4)).toBe(0);
    expect(coresLeft(page('Unlimited (1 granted)', '3 (1 granted)'), 4)).toBe(2);
    // two-core executors: each asked for counts twice; never more than spark.cores.max leaves
    expect(coresLeft(page('6 (2 granted, 4 left)', '4 (1 granted)'), 4)).toBe(4);
    expect(coresLeft(page('Unlimited (1 granted)', 'Unlimited (1 granted)'), 4)).toBe(3);
    const json = {
      status: 'ALIVE',
      workers: [{ id: 'w1', host: '1.worker.demo.app.localspace', state: 'ALIVE', cores: 2, coresused: 0, memory: 1024, memoryused: 0 }],
      activeapps: [{ id: 'app-idle', name: 'Thrift JDBC/ODBC Server', cores: 0, state: 'WAITING' }],
    };
    const v = observe(json, 1, { 'app-idle': 0 }, 4);
    expect([v.waiting, v.coresWanted]).toEqual([[], 0]);
    expect(decide(v, { min: 1, max: 4, idleMs: 60_000, cooldownMs: 0 }, { idleSince: {} }, 0).action).toBe('none');
    expect(observe(json, 1, {}, 4).waiting).toEqual(['app-idle']);
  });
});

describe('the policy (SPARK_AUTOSCALE_*)', () => {
  const env = { DYNO: 'master.1', HEROKU_DNS_APP_NAME: 'demo.app.localspace' };
  it('off without SPARK_AUTOSCALE_MAX; defaults MIN 1, IDLE 10m, COOLDOWN 1m, INTERVAL 10s; durations as 30s, 10m, 1h', () => {
    const s = parseConfig({ ...env, SPARK_AUTOSCALE_MAX: '4' }, 'run');
    expect(policyOf(s)).toEqual({ min: 1, max: 4, idleMs: 600_000, cooldownMs: 60_000, intervalMs: 10_000 });
    expect(parseConfig(env, 'run').SPARK_AUTOSCALE_MAX).toBeUndefined();
    expect(policyOf(parseConfig({ ...env, SPARK_AUTOSCALE_MAX: '3', SPARK_AUTOSCALE_MIN: '0', SPARK_AUTOSCALE_IDLE: '1h', SPARK_AUTOSCALE_COOLDOWN: '90' }, 'run'))).toMatchObject({
      min: 0,
      idleMs: 3_600_000,
      cooldownMs: 90_000,
    });
  });
  it('a bad value names the var, what is wrong and a good example; MIN above MAX is refused', () => {
    for (const [k, v, msg] of [
      ['SPARK_AUTOSCALE_IDLE', 'ten minutes', 'must be a duration such as 30s, 10m or 1h'],
      ['SPARK_AUTOSCALE_INTERVAL', '100ms', 'must be at least 1 s'],
      ['SPARK_AUTOSCALE_MAX', '0', 'must be between 1 and 1000'],
    ]) {
      try {
        parseConfig({ ...env, SPARK_AUTOSCALE_MAX: '3', [k!]: v! }, 'run');
        throw new Error('accepted');
      } catch (err) {
        expect(isProblem(err, 'config-invalid'), String(err)).toBe(true);
        expect((err as Error).message).toContain(`${k}: ${msg}`);
        expect((err as Error).message).toContain(`(example: ${k}=`);
      }
    }
    expect(() => parseConfig({ ...env, SPARK_AUTOSCALE_MAX: '2', SPARK_AUTOSCALE_MIN: '3' }, 'run')).toThrow(/SPARK_AUTOSCALE_MIN: is 3, above SPARK_AUTOSCALE_MAX \(2\)/);
  });
  it('the Platform API calls: the worker formation read, then PATCHed', () => {
    expect(workerFormation('demo')).toEqual({ method: 'GET', path: '/apps/demo/formation/worker' });
    expect(scaleWorkers('demo', 3)).toEqual({ method: 'PATCH', path: '/apps/demo/formation', body: { updates: [{ type: 'worker', quantity: 3 }] } });
    expect(
      autoscaleLine({
        policy: { ...P, intervalMs: 10_000 },
        mode: 'acting',
        where: 'x',
        last: { action: 'none', from: 3, to: 3, why: 'w', at: '2026-12-04T22:00:00.000Z' },
        lastAction: { action: 'up', from: 1, to: 3, why: 'u', at: '2026-12-04T21:59:00.000Z' },
      }),
    ).toBe('1..3 workers, idle after 600 s (acting); now: no change at 3 workers: w; last change 21:59:00: up 1 → 3 workers: u');
  });
});
