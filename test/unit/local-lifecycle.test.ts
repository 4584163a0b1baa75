/** The dyno lifecycle's decisions (src/local/lifecycle.ts), the status report and log filtering: pure. */
import { describe, expect, it } from 'vitest';
import { cooldownMs, formatAge, health, nextAddress, onExit, parseDuration, parseScale, scalePlan, select, LOCAL_CRASH_POLICY, type CrashPolicy } from '../../src/local/lifecycle.js';
import { render, sparkState, type Report } from '../../src/local/report.js';
import { workerState } from '../../src/space/index.js';
import { lineOf } from '../../src/cli/commands/local/logs.js';
import { dynoEnv, dynoFor } from '../../src/local/formation.js';

const P: CrashPolicy = { cooldownMs: 2000, maxCooldownMs: 60_000, stableMs: 60_000 };

describe('lifecycle_crash_restart', () => {
  it('restarts at once after the first crash, then after cool-downs doubling up to the maximum', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => cooldownMs(n, P))).toEqual([0, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
  });

  it('counts crashes in a row, and starts over once the dyno stayed up for stableMs', () => {
    const now = 1_000_000;
    expect(onExit({ crashes: 0, upAt: now - 1000 }, now, false, P)).toEqual({ action: 'restart', delayMs: 0, crashes: 1 });
    expect(onExit({ crashes: 1, upAt: now - 1000 }, now, false, P)).toEqual({ action: 'restart', delayMs: 2000, crashes: 2 });
    expect(onExit({ crashes: 3, startedAt: now - 5000 }, now, false, P)).toEqual({ action: 'restart', delayMs: 8000, crashes: 4 });
    expect(onExit({ crashes: 6, upAt: now - 60_000 }, now, false, P)).toEqual({ action: 'restart', delayMs: 0, crashes: 1 });
  });

  it('does not restart an exit it caused (down, restart, cycle, scale)', () => {
    expect(onExit({ crashes: 0, upAt: 0 }, 10, true, P)).toEqual({ action: 'none' });
  });

  it('a dyno that exits with status 0 has crashed too: dyno processes run forever', () => {
    expect(onExit({ crashes: 0 }, 10, false, LOCAL_CRASH_POLICY).action).toBe('restart');
  });
});

describe('lifecycle_addresses', () => {
  it('gives a restarted dyno an address no other dyno holds, after the cursor', () => {
    const inUse = new Set(['127.9.2.1', '127.9.2.2']);
    expect(nextAddress('127.9.2', inUse, 2)).toEqual({ ip: '127.9.2.3', cursor: 3 });
    expect(nextAddress('127.9.2', new Set(['127.9.2.3']), 2)).toEqual({ ip: '127.9.2.4', cursor: 4 });
  });

  it('wraps around after .254 and skips held addresses', () => {
    expect(nextAddress('127.9.2', new Set(['127.9.2.1']), 254)).toEqual({ ip: '127.9.2.2', cursor: 2 });
  });

  it('fails clearly when a type holds all 254 addresses', () => {
    const all = new Set(Array.from({ length: 254 }, (_, i) => `127.9.2.${i + 1}`));
    expect(() => nextAddress('127.9.2', all, 0)).toThrow(/no free address left in 127\.9\.2\.0\/24/);
  });
});

describe('lifecycle_scale', () => {
  const have = [
    { type: 'master', index: 1 },
    { type: 'worker', index: 1 },
    { type: 'worker', index: 2 },
  ];

  it('parses TYPE=N, TYPE+N and TYPE-N against the current formation', () => {
    expect(parseScale(['worker=3', 'web=0'], { worker: 2 })).toEqual({ worker: 3, web: 0 });
    expect(parseScale(['worker+2'], { worker: 2 })).toEqual({ worker: 4 });
    expect(parseScale(['worker-1'], { worker: 2 })).toEqual({ worker: 1 });
  });

  it('refuses a negative count and a malformed change', () => {
    expect(() => parseScale(['worker=-1'], { worker: 2 })).toThrow(/not TYPE=N/);
    expect(() => parseScale(['worker-3'], { worker: 2 })).toThrow(/cannot go below 0 \(it has 2\)/);
    expect(() => parseScale(['worker'], {})).toThrow(/not TYPE=N/);
  });

  it('adds the next numbers and removes the highest, like heroku ps:scale', () => {
    expect(scalePlan(have, { worker: 4 })).toEqual({
      start: [
        { type: 'worker', index: 3 },
        { type: 'worker', index: 4 },
      ],
      stop: [],
    });
    expect(scalePlan(have, { worker: 1 })).toEqual({ start: [], stop: [{ type: 'worker', index: 2 }] });
    expect(scalePlan(have, { worker: 0, web: 1 })).toEqual({
      start: [{ type: 'web', index: 1 }],
      stop: [
        { type: 'worker', index: 1 },
        { type: 'worker', index: 2 },
      ],
    });
  });

  it('selects dynos by name or by type', () => {
    const ds = [
      { name: 'master.1', type: 'master' },
      { name: 'worker.1', type: 'worker' },
      { name: 'worker.2', type: 'worker' },
    ];
    expect(select(ds, 'worker').map((d) => d.name)).toEqual(['worker.1', 'worker.2']);
    expect(select(ds, 'worker.2').map((d) => d.name)).toEqual(['worker.2']);
    expect(select(ds, undefined)).toHaveLength(3);
    expect(select(ds, 'web')).toHaveLength(0);
  });
});

describe('lifecycle_durations', () => {
  it('parses durations and formats ages', () => {
    expect(['500ms', '30', '30s', '10m', '1.5h', '1d'].map(parseDuration)).toEqual([500, 30_000, 30_000, 600_000, 5_400_000, 86_400_000]);
    expect(() => parseDuration('soon')).toThrow(/not a duration such as 30s, 10m, 24h/);
    expect([5_000, 192_000, 7_380_000, 90_000_000].map(formatAge)).toEqual(['5s', '3m12s', '2h03m', '1d01h']);
  });
});

describe('lifecycle_health', () => {
  const up = (name: string) => ({ name, type: name.split('.')[0]!, phase: 'up' as const });

  it('is healthy with every dyno up, the master ALIVE and every worker ALIVE', () => {
    expect(health([up('master.1'), up('worker.1'), up('worker.2')], { status: 'ALIVE', aliveWorkers: 2 }, 0)).toEqual({ healthy: true, problems: [] });
  });

  it('names each problem: a crashed dyno (with its restart), an unreachable master, missing workers', () => {
    const h = health([up('master.1'), { name: 'worker.1', type: 'worker', phase: 'crashed', restartAt: 8_000 }, up('worker.2')], undefined, 0);
    expect(h.healthy).toBe(false);
    expect(h.problems).toEqual(['worker.1 is crashed (restarting in 8s)', 'no master answers on its web UI (/json)']);
    expect(health([up('master.1'), up('worker.1'), up('worker.2')], { status: 'ALIVE', aliveWorkers: 1 }, 0).problems).toEqual(['1 of 2 workers are ALIVE on the master']);
    expect(health([up('master.1')], { status: 'STANDBY', aliveWorkers: 0 }, 0).problems).toEqual(['the master is STANDBY, not ALIVE']);
  });

  it('renders a status with the spark:// URL, a row per dyno and the problems', () => {
    const started = Date.parse('2026-01-01T00:00:00Z');
    const r: Report = {
      healthy: false,
      problems: ['worker.2 is crashed'],
      app: 'demo',
      masterUrl: 'spark://1.master.demo.app.localspace:7077',
      masterUi: 'http://127.9.1.1:8080',
      master: {
        url: 'spark://1.master.demo.app.localspace:7077',
        status: 'ALIVE',
        aliveWorkers: 1,
        cores: 4,
        coresused: 2,
        memory: 4096,
        memoryused: 1024,
        activeapps: [],
        workers: [{ id: 'w-1', host: '2.worker.demo.app.localspace', state: 'DEAD', cores: 2, memory: 2048 }],
      },
      waiting: [{ id: 'app-20260101000000-0001', name: 'Thrift JDBC/ODBC Server', asks: 2, forMs: 30_000 }],
      state: {
        app: 'demo',
        appDir: '/x',
        supervisor: 1,
        started: new Date(started).toISOString(),
        control: '/x/c.sock',
        sparkHome: '/s',
        masterUrl: 'spark://1.master.demo.app.localspace:7077',
        formation: { master: 1, worker: 2 },
        crashPolicy: P,
        dynos: [
          { name: 'master.1', type: 'master', index: 1, command: 'm', ip: '127.9.1.1', dns: '1.master.demo.app.localspace', phase: 'up', restarts: 0, crashes: 0, upAt: started },
          { name: 'worker.2', type: 'worker', index: 2, command: 'w', ip: '127.9.2.5', dns: '2.worker.demo.app.localspace', phase: 'crashed', restarts: 3, crashes: 2, restartAt: started + 65_000 },
        ],
      },
    };
    const lines = render(r, started + 61_000);
    expect(lines[0]).toBe('-----> Local space demo: DEGRADED (up 1m01s)');
    expect(lines).toContain('       master URL  spark://1.master.demo.app.localspace:7077');
    expect(lines.join('\n')).toContain('ALIVE, 1 workers ALIVE, 2/4 cores and 1.0 GB/4.0 GB used, 0 apps running');
    expect(lines.find((l) => l.includes('master.1'))).toMatch(/master\.1 +up +ALIVE +0 +127\.9\.1\.1 +1m01s +1\.master\.demo\.app\.localspace/);
    expect(lines.find((l) => l.includes('worker.2'))).toMatch(/worker\.2 +crashed \(restart in 4s\) +DEAD +3 +127\.9\.2\.5 +- +2\.worker/);
    expect(lines).toContain('       waiting     app-20260101000000-0001 (Thrift JDBC/ODBC Server) holds no core, asks for 2, waiting for 30 s');
    expect(lines.at(-1)).toBe(' !     worker.2 is crashed');
  });
});

describe('local_status_decommissioning', () => {
  const w = (host: string, state: string) => ({ id: `${host}-${state}`, host, state, cores: 1, memory: 1024 });
  it('a worker the master has decommissioned shows as DECOMMISSIONING while its dyno drains', () => {
    const master = {
      url: 'spark://1.master.demo.app.localspace:7077',
      status: 'ALIVE',
      aliveWorkers: 1,
      workers: [w('1.worker.demo.app.localspace', 'ALIVE'), w('2.worker.demo.app.localspace', 'DECOMMISSIONED')],
    };
    expect(sparkState({ master }, { type: 'worker', dns: '2.worker.demo.app.localspace', phase: 'stopping' })).toBe('DECOMMISSIONING');
    expect(sparkState({ master }, { type: 'worker', dns: '1.worker.demo.app.localspace', phase: 'up' })).toBe('ALIVE');
    expect(sparkState({ master }, { type: 'worker', dns: '3.worker.demo.app.localspace', phase: 'starting' })).toBe('not registered');
    expect(sparkState({ master }, { type: 'worker', dns: '2.worker.demo.app.localspace', phase: 'down' })).toBeUndefined();
    expect(sparkState({ master: undefined }, { type: 'worker', dns: '1.worker.demo.app.localspace', phase: 'up' })).toBeUndefined();
  });
  it('the liveliest entry of a name wins: a cycled worker is ALIVE, not its old incarnation’s DEAD', () => {
    const host = '1.worker.demo.app.localspace';
    expect(workerState([w(host, 'DEAD'), w(host, 'ALIVE')], host)).toBe('ALIVE');
    expect(workerState([w(host, 'DEAD'), w(host, 'DECOMMISSIONED')], host)).toBe('DECOMMISSIONING');
    expect(workerState([w(host, 'DEAD')], host)).toBe('DEAD');
    expect(workerState([w('2.worker.demo.app.localspace', 'ALIVE')], host)).toBeUndefined();
  });
});

describe('local_logs_filter', () => {
  it('keeps a dyno’s lines and its platform events; a type keeps all of its dynos', () => {
    const lines = ['10:00:00 worker.1 | a', '10:00:01 heroku[worker.1] | State changed from up to crashed', '10:00:02 worker.12 | b', '10:00:03 master.1 | c', '10:00:04 heroku[run.1] | Starting'];
    expect(lines.filter((l) => lineOf(l, 'worker.1'))).toEqual([lines[0], lines[1]]);
    expect(lines.filter((l) => lineOf(l, 'worker'))).toEqual([lines[0], lines[1], lines[2]]);
    expect(lines.filter((l) => lineOf(l, 'run'))).toEqual([lines[4]]);
    expect(lines.filter((l) => lineOf(l, undefined))).toHaveLength(5);
  });
});

describe('local_data_dirs', () => {
  it('keeps Derby’s metastore and the SQL warehouse in the space’s folder, after the user’s own SPARK_SUBMIT_OPTS', () => {
    const d = dynoFor('demo', 'run', 1, 'bin/spark-shell', []);
    const env = dynoEnv(d, { app: 'demo', config: { SPARK_SUBMIT_OPTS: '-Dx=1' }, stateDir: '/s', sparkHome: '/spark', port: 5000 });
    expect(env.SPARK_SUBMIT_OPTS).toBe('-Dx=1 -Dderby.system.home=/s/data/metastore -Dspark.sql.warehouse.dir=/s/data/warehouse');
  });

  it('tells every dyno how many masters the formation has when the config does not', () => {
    const d = dynoFor('demo', 'worker', 1, 'w', []);
    expect(dynoEnv(d, { app: 'demo', config: {}, stateDir: '/s', sparkHome: '/spark', port: 5000, masters: 2 }).SPARK_MASTERS).toBe('2');
    expect(dynoEnv(d, { app: 'demo', config: { SPARK_MASTERS: '3' }, stateDir: '/s', sparkHome: '/spark', port: 5000, masters: 2 }).SPARK_MASTERS).toBe('3');
  });
});
