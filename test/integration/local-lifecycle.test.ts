/**
 * The local space's dyno manager with stand-in dynos (bash, no JVM): crash restarts with
 * cool-downs, a new address per incarnation, restart/cycle/scale through the real control socket,
 * SIGKILL after the grace period, and nothing left running after stop.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../../src/local/control.js';
import { groupAlive } from '../../src/local/runner.js';
import { readState, resolveApp, spaceDir, spaceLog, type State } from '../../src/local/state.js';
import { Supervisor } from '../../src/local/supervisor.js';
import { tmpdir } from '../helpers/buildpack.js';
import { cli } from '../helpers/cluster.js';
import { until } from '../helpers/wait.js';

const APP = 'lifecycle-it';

describe('local_lifecycle with stand-in dynos', () => {
  const appDir = tmpdir('sis-lifecycle-');
  const dir = spaceDir(appDir, APP);
  let sup: Supervisor;
  const state = () => readState(dir) as State;
  const dyno = (name: string) => state().dynos.find((d) => d.name === name);

  beforeAll(async () => {
    sup = new Supervisor({
      appDir,
      app: APP,
      dir,
      sparkHome: '/nonexistent-spark',
      config: {},
      procfile: {
        sleeper: 'exec sleep 600',
        crasher: 'echo boom; exit 3',
        // ignores SIGTERM, like a JVM stuck in a shutdown hook
        stubborn: "trap '' TERM; sleep 600 & wait; sleep 600",
      },
      counts: { sleeper: 1, crasher: 1, stubborn: 1 },
      port: 5000,
      crashPolicy: { cooldownMs: 400, maxCooldownMs: 1600, stableMs: 60_000 },
      graceMs: 1500,
      echo: false,
    });
    await sup.start();
  });
  afterAll(async () => {
    await sup?.stop();
  });

  it('restarts a crashed dyno at once, then after doubling cool-downs, each time on a new address', async () => {
    const seen = new Set<string>();
    // four crashes, and the start after the fourth (1.6 s later): every cool-down is in the log
    await until('4 crashes and the restart after the fourth', () => {
      const d = dyno('crasher.1');
      if (d) seen.add(d.ip);
      return d && d.crashes >= 4 && d.restarts >= 4 && d;
    });
    const d = dyno('crasher.1')!;
    expect(d.restarts).toBeGreaterThanOrEqual(3);
    expect(seen.size).toBeGreaterThanOrEqual(3);
    const log = readFileSync(spaceLog(dir), 'utf8');
    expect(log).toContain('heroku[crasher.1] | Process exited with status 3');
    expect(log).toContain('crasher.1 | boom');
    expect(log).toMatch(/heroku\[crasher\.1\] \| State changed from starting to crashed/);
    expect(log).toMatch(/Crashed 2 times in a row: restarting in 0 s|Crashed 3 times in a row: restarting in 1 s/);
    // the cool-downs, timed from the space's log (HH:MM:SS.mmm): each exit to the next start is
    // immediate after the first crash, then 400 ms, 800 ms, 1600 ms (the cap)
    const ms = (l: string) => {
      const [h, m, s] = l.slice(0, 12).split(':').map(Number) as [number, number, number];
      return ((h * 60 + m) * 60 + s) * 1000;
    };
    const events = log
      .split('\n')
      .filter((l) => /heroku\[crasher\.1\] \| (Starting process|Process exited)/.test(l))
      .map((l) => ({ at: ms(l), start: l.includes('Starting process') }));
    const gaps: number[] = [];
    for (let i = 1; i < events.length; i++) if (events[i]!.start && !events[i - 1]!.start) gaps.push((events[i]!.at - events[i - 1]!.at + 86_400_000) % 86_400_000);
    expect(gaps.length, log).toBeGreaterThanOrEqual(4);
    const [first, second, third, fourth] = gaps as [number, number, number, number];
    expect(first, 'after the first crash: at once').toBeLessThan(400);
    // timers fire no earlier than asked; the log's clock is read a few ms apart from them
    expect(second, 'after the second: the cool-down').toBeGreaterThanOrEqual(400 - 15);
    expect(third, 'after the third: doubled').toBeGreaterThanOrEqual(800 - 15);
    expect(fourth, 'after the fourth: doubled, at the cap').toBeGreaterThanOrEqual(1600 - 15);
    for (const g of [second, third, fourth]) expect(g).toBeLessThan(1600 + 2000);
  });

  it('restart (control socket): a new dyno on a new address, the old process group gone', async () => {
    await until('sleeper up', () => dyno('sleeper.1')?.phase === 'up');
    const before = dyno('sleeper.1')!;
    const answer = await request(state().control, { op: 'restart', target: 'sleeper.1' });
    expect(answer.ok, answer.message).toBe(true);
    const after = dyno('sleeper.1')!;
    expect(after.phase).toBe('up');
    expect(after.ip).not.toBe(before.ip);
    expect(after.dns).toBe(before.dns);
    expect(after.pid).not.toBe(before.pid);
    expect(after.restarts).toBe(before.restarts + 1);
    expect(groupAlive(before.pid)).toBe(false);
    const hosts = readFileSync(path.join(dir, 'hosts'), 'utf8');
    expect(hosts).toContain(`${after.ip} ${after.dns}`);
    expect(hosts).not.toContain(`${before.ip} ${before.dns}`);
    const topology = JSON.stringify(JSON.parse(readFileSync(path.join(dir, 'space-topology.json'), 'utf8')));
    expect(topology).toContain(after.ip);
  });

  it('a dyno that ignores SIGTERM is killed after the grace period, and R12 is logged', async () => {
    await until('stubborn up', () => dyno('stubborn.1')?.phase === 'up');
    const before = dyno('stubborn.1')!;
    const t0 = Date.now();
    const answer = await request(state().control, { op: 'cycle', target: 'stubborn' });
    expect(answer.message).toMatch(/Cycled stubborn\.1: [\d.]+ → [\d.]+/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1500);
    expect(groupAlive(before.pid)).toBe(false);
    expect(readFileSync(spaceLog(dir), 'utf8')).toContain('heroku[stubborn.1] | Error R12 (Exit timeout)');
  });

  it('scale up adds the next numbers on their own addresses; scale down stops the highest and leaves nothing running', async () => {
    const up = await request(state().control, { op: 'scale', want: { sleeper: 3 } });
    expect(up.message).toContain('started sleeper.2, sleeper.3');
    const ips = ['sleeper.1', 'sleeper.2', 'sleeper.3'].map((n) => dyno(n)!.ip);
    expect(new Set(ips).size).toBe(3);
    expect(state().formation.sleeper).toBe(3);
    const pids = ['sleeper.2', 'sleeper.3'].map((n) => dyno(n)!.pid);
    const down = await request(state().control, { op: 'scale', want: { sleeper: 1 } });
    expect(down.message).toContain('stopped sleeper.2, sleeper.3');
    expect(state().dynos.map((d) => d.name)).not.toContain('sleeper.3');
    expect(pids.some(groupAlive)).toBe(false);
    expect(readFileSync(path.join(dir, 'hosts'), 'utf8')).not.toContain('3.sleeper.');
  });

  it('refuses an unknown dyno or type with the names it has', async () => {
    const r = await request(state().control, { op: 'restart', target: 'worker.9' });
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/No dyno or process type "worker\.9" in lifecycle-it: it runs .*sleeper\.1/);
    const s = await request(state().control, { op: 'scale', want: { nope: 1 } });
    expect(s.message).toContain('The Procfile has no "nope" process type');
  });

  it('local down DYNO: that dyno stops and stays down (not a crash, not restarted) until local restart', async () => {
    await until('sleeper up', () => dyno('sleeper.1')?.phase === 'up');
    const before = dyno('sleeper.1')!;
    const r = await request(state().control, { op: 'stop', target: 'sleeper.1' });
    expect(r.ok, r.message).toBe(true);
    expect(r.message).toMatch(/^Stopped sleeper\.1 \(exited with signal SIGTERM\) in [\d.]+ s; `local restart sleeper\.1` starts it again$/);
    expect(groupAlive(before.pid)).toBe(false);
    // the supervisor decides crash-or-not when the exit arrives, before the answer: down, not crashed
    expect(dyno('sleeper.1')!.phase).toBe('down');
    const log = readFileSync(spaceLog(dir), 'utf8');
    const at = log.indexOf('heroku[sleeper.1] | State changed from up to stopping (local down)');
    expect(at).toBeGreaterThan(-1);
    expect(log.slice(at)).not.toMatch(/heroku\[sleeper\.1\] \| (Restarting|Crashed)/);
    const back = await request(state().control, { op: 'restart', target: 'sleeper.1' });
    expect(back.ok, back.message).toBe(true);
    await until('sleeper up again', () => dyno('sleeper.1')?.phase === 'up');
    expect(dyno('sleeper.1')!.ip).not.toBe(before.ip);
  });

  it('stop ends every dyno and removes the state; the control socket is gone', async () => {
    const pids = state().dynos.map((d) => d.pid);
    const socket = state().control;
    await sup.stop();
    expect(pids.some(groupAlive)).toBe(false);
    expect(readState(dir)).toBeUndefined();
    expect(existsSync(socket)).toBe(false);
  });

  it('commands without --app mean the space that ran in the dir last, else the dir’s name', () => {
    expect(resolveApp(appDir, undefined)).toBe(APP);
    expect(resolveApp(appDir, 'other')).toBe('other');
    const fresh = tmpdir('sis-Fresh_App-');
    expect(resolveApp(fresh, undefined)).toBe(
      path
        .basename(fresh)
        .toLowerCase()
        .replace(/[^a-z0-9-]+/g, '-'),
    );
  });
});

describe('local CLI without a running space', () => {
  it('bad options name the flag as typed, with what a good value looks like', async () => {
    const r = await cli(['local', 'up', '--dir', tmpdir(), '--crash-cooldown', 'soon']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--crash-cooldown: "soon" is not a duration such as 30s, 10m, 24h');
  });

  it('local_up_preflight: what the dynos need of the Spark they run is checked before anything starts (exit 15 at once, naming the part and how to get it)', async () => {
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const dir = tmpdir('sis-preflight-');
    writeFileSync(path.join(dir, 'Procfile'), 'master: bin/spark-master\nworker: bin/spark-worker\nmetastore: bin/metastore\nconnect: bin/connect\nthrift: bin/thrift\nhistory: bin/history\n');
    // a Spark as pip's pyspark lays it out: no PostgreSQL driver, no S3A, 3.5 without a Connect server
    const spark = tmpdir('sis-pyspark-');
    mkdirSync(path.join(spark, 'bin'));
    mkdirSync(path.join(spark, 'jars'));
    writeFileSync(path.join(spark, 'bin', 'spark-class'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
    writeFileSync(path.join(spark, 'RELEASE'), 'Spark 3.5.9 built for Hadoop 3.3.4\n');
    writeFileSync(path.join(spark, 'jars', 'spark-core_2.12-3.5.9.jar'), '');
    const up = (args: string[], env: Record<string, string> = {}) =>
      cli(['local', 'up', '--dir', dir, '--app', 'preflight', '--detach', '--timeout', '30s', ...args], { env: { SPARK_HOME: spark, ...env }, timeout: 60_000 });
    const t0 = Date.now();
    const db = await up(['--metastore', '1'], { DATABASE_URL: 'postgres://u:secret-pw@127.0.0.1:1/db' });
    expect(db.exitCode, db.all).toBe(15);
    expect(db.stderr).toContain('has no PostgreSQL JDBC driver (postgresql-*.jar)');
    expect(db.stderr).toContain('SPARK_METASTORE_JDBC=true');
    expect(db.all).not.toContain('secret-pw');
    expect(Date.now() - t0).toBeLessThan(20_000);
    const connect = await up(['--connect', '1'], { SPARK_CONNECT_TOKEN: 'a-token-of-24-characters' });
    expect(connect.exitCode, connect.all).toBe(15);
    expect(connect.stderr).toMatch(/Spark 3\.5\.9 ships no Connect server/);
    const thrift = await up(['--thrift', '1']);
    expect(thrift.exitCode, thrift.all).toBe(15);
    expect(thrift.stderr).toContain('has no spark-hive-thriftserver_*.jar');
    const events = await up(['--history', '1'], { SPARK_EVENTLOG_DIR: 's3a://my-bucket/spark-events' });
    expect(events.exitCode, events.all).toBe(15);
    expect(events.stderr).toContain('has no S3A connector (hadoop-aws-*.jar)');
    // a Procfile line whose launcher is not there: said at once, not by a dyno crash-looping until --timeout
    const missing = await up([]);
    expect(missing.exitCode, missing.all).toBe(12);
    expect(missing.stderr).toContain(`The Procfile's "master" runs bin/spark-master, which is not in ${dir}`);
    // nothing was started: no space state left behind
    expect(existsSync(path.join(dir, '.spark-in-space', 'local', 'preflight', 'state.json'))).toBe(false);
  });

  it('--history: refused without a history process type or without SPARK_EVENTLOG_DIR, and only 0 or 1', async () => {
    const { writeFileSync } = await import('node:fs');
    const dir = tmpdir('sis-history-');
    writeFileSync(path.join(dir, 'Procfile'), 'master: bin/spark-master\nworker: bin/spark-worker\n');
    const noType = await cli(['local', 'up', '--dir', dir, '--detach', '--history', '1']);
    expect(noType.exitCode).toBe(12); // app-incomplete
    expect(noType.stderr).toContain('The Procfile has no "history" process type: add the line `history: bin/history` for --history.');
    writeFileSync(path.join(dir, 'Procfile'), 'master: bin/spark-master\nworker: bin/spark-worker\nhistory: bin/history\n');
    const noDir = await cli(['local', 'up', '--dir', dir, '--detach', '--history', '1']);
    expect(noDir.exitCode).toBe(1); // config-invalid: the history type's required var (src/process-types.ts), as the launcher says it
    expect(noDir.stderr).toContain('SPARK_EVENTLOG_DIR: is not set: the history server shows the event logs');
    expect(noDir.stderr).toContain('(example: SPARK_EVENTLOG_DIR=s3a://my-bucket/spark-events)');
    const two = await cli(['local', 'up', '--dir', dir, '--detach', '--history', '2']);
    expect(two.exitCode).toBe(2);
    expect(two.stderr).toContain('--history: must be 0 or 1');
  });

  it('restart, cycle, scale and run say there is no space and how to start one', async () => {
    const dir = tmpdir('sis-nospace-');
    for (const args of [['restart'], ['cycle', 'worker'], ['scale', 'worker=2'], ['run', 'bash']]) {
      // options before the command: `run` passes everything after it to the command
      const r = await cli(['local', args[0]!, '--dir', dir, ...args.slice(1)]);
      expect(r.exitCode, args.join(' ')).toBe(13); // space-not-running
      expect(r.stderr).toContain(
        `No local space is running for ${path
          .basename(dir)
          .toLowerCase()
          .replace(/[^a-z0-9-]+/g, '-')} in ${dir}. Start one: spark-in-space local up --detach\n`,
      );
    }
  });
});
