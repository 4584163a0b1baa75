/**
 * A cluster that survives the daily restart, with real Spark and real ZooKeeper: two masters elect
 * a leader through the space's own 3-dyno ensemble (bin/zookeeper), workers and drivers follow the
 * leader, and cycling every dyno of the formation loses no job. One space for the file; then a
 * second one against an external ZooKeeper of another version (Debian's `zookeeper` package).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, tmpdir } from '../helpers/buildpack.js';
import { appWithSpark, cli, freePort, localStatus } from '../helpers/cluster.js';
import { writeDotenv } from '../helpers/decommission.js';
import { DEFAULT_VERSION } from '../helpers/spark.js';
import { startFakeHeroku } from '../helpers/fake-heroku.js';
import { addApp, newWorld } from '../helpers/fake-heroku-world.js';
import { until } from '../helpers/wait.js';
import { leaderWithWorkers, newLeader, type HaStatus } from '../helpers/ha.js';
import { zkSrvr } from '../../src/zookeeper/srvr.js';
import { zkMode } from '../../src/zookeeper/index.js';

const APP = 'e2e-ha';
const PROXY_PASSWORD = 'e2e-ha-proxy-password';
const HEROKU_TOKEN = 'HRKU-e2e-ha-token-0123456789';
const EXTERNAL = 'e2e-ha-ext';

/** Small daemons and 1-core workers: two masters, two workers and three ZooKeepers share two cores. */
const CONFIG = {
  SPARK_WORKER_CORES: '1',
  SPARK_WORKER_MEMORY: '1g',
  SPARK_EXECUTOR_MEMORY: '512m',
  SPARK_DRIVER_MEMORY: '512m',
  SPARK_DAEMON_MEMORY: '256m',
};

describe(`ZooKeeper HA with real Spark ${DEFAULT_VERSION} and the space's own ZooKeeper`, () => {
  let app: string;
  const sync = tmpdir('sis-ha-go-');
  const status = (name = APP) => localStatus<HaStatus>(app, name);
  const shell = (script: string, name = APP) => {
    const p = cli(['local', 'run', '--dir', app, '--app', name, bin('spark-shell')], { input: `${script}\n:quit\n`, timeout: 600_000, env: { LOG_LEVEL: 'WARN' } });
    let out = '';
    p.all!.on('data', (d: Buffer) => (out += d.toString()));
    return { p, out: () => out };
  };

  let proxyUrl: string;
  beforeAll(async () => {
    // with the space proxy: `spark-in-space status` reads both masters through it after a failover
    ({ app } = await appWithSpark(DEFAULT_VERSION, { ...CONFIG, SPACE_PROXY_BASIC_AUTH: `spark:{PLAIN}${PROXY_PASSWORD}` }, true));
    const port = await freePort();
    proxyUrl = `http://127.0.0.1:${port}/`;
    const up = await cli(['local', 'up', '--detach', '--dir', app, '--app', APP, '--masters', '2', '--workers', '2', '--zookeepers', '3', '--port', String(port)]);
    expect(up.exitCode, up.all).toBe(0);
  });
  afterAll(async () => {
    if (app) await cli(['local', 'down', '--dir', app, '--app', APP]);
  });

  it('one master leads, the other stands by, the ensemble has a leader; every daemon found ZooKeeper by its space name', async () => {
    const s = await until('a leader and both workers', async () => leaderWithWorkers(await status(), 2) && (await status()), 120_000);
    const spark = (type: string) =>
      s.dynos
        .filter((d) => d.type === type)
        .map((d) => d.spark)
        .sort();
    expect(spark('master')).toEqual(['ALIVE', 'STANDBY']);
    expect(spark('zookeeper')).toEqual(['follower', 'follower', 'leader']);
    const conf = (await cli(['local', 'logs', '--dir', app, '--app', APP, '--dyno', 'master.1', '-n', '5000'])).stdout;
    // Spark's ZooKeeper recovery through the build's handover factory (CUSTOM mode logs no "Persisting … to ZooKeeper")
    expect(conf).toMatch(/Starting ZooKeeper LeaderElection agent/);
    expect(readFileSync(path.join(app, '.spark-in-space', 'local', APP, 'dynos', 'master.1', 'conf', 'spark-defaults.conf'), 'utf8')).toMatch(
      /^spark\.deploy\.recoveryMode\.factory\s+sparkinspace\.HandoverRecoveryModeFactory$/m,
    );
  });

  it('kill -9 of the leader of an idle cluster: the standby is ALIVE and both workers re-register', async () => {
    const before = await until('a leader', async () => leaderWithWorkers(await status(), 2), 120_000);
    const t0 = Date.now();
    process.kill(before.pid, 'SIGKILL');
    const after = await until('the standby leading with both workers', async () => newLeader(await status(), 2, before), 120_000);
    const seconds = (Date.now() - t0) / 1000;
    console.log(`kill -9 ${before.name} → ${after.name} ALIVE with 2 workers in ${seconds.toFixed(1)} s`);
    // ZooKeeper ends the dead leader's session after at most 6.5 s (maxSessionTimeout and a tick), not Curator's 60 s
    expect(seconds).toBeLessThan(60);
    // the Heroku-side `status` (formation from the fake Platform API) through the real proxy: the
    // standby answers STANDBY (or is still starting), the report is about the new leader, healthy
    const fake = await startFakeHeroku({ token: HEROKU_TOKEN, world: newWorld() });
    try {
      const a = addApp(fake.world!, APP, { config: { SPARK_MASTERS: '2', SPACE_PROXY_PASSWORD: PROXY_PASSWORD } });
      a.formation.master!.quantity = 2;
      const r = await cli(['status', '-a', APP, '--proxy-url', proxyUrl, '--json'], { env: { HEROKU_API_URL: fake.url, HEROKU_API_KEY: HEROKU_TOKEN } });
      expect(r.exitCode, r.all).toBe(0);
      const report = JSON.parse(r.stdout);
      expect(report).toMatchObject({ healthy: true, master: { dyno: after.name, status: 'ALIVE', workers: { alive: 2 } } });
      expect(report.masters.map((m: { dyno: string }) => m.dyno)).toEqual(['master.1', 'master.2']);
      expect(report.masters.find((m: { dyno: string }) => m.dyno === before.name).status).not.toBe('ALIVE');
      expect(fake.problems).toEqual([]);
    } finally {
      await fake.close();
    }
  });

  it('after the failover, `apps` and `kill` (locally and through the proxy) go to the ALIVE master, whichever it is', async () => {
    const lead = await until('a leader with both workers', async () => leaderWithWorkers(await status(), 2), 120_000);
    const sh = shell(`
println("KILLME_START")
sc.parallelize(1 to 6000, 1).map { x => Thread.sleep(100); x }.count`);
    await until('the job running', () => sh.out().includes('KILLME_START'), 240_000);
    const fake = await startFakeHeroku({ token: HEROKU_TOKEN, world: newWorld() });
    try {
      const a = addApp(fake.world!, APP, { config: { SPARK_MASTERS: '2', SPACE_PROXY_PASSWORD: PROXY_PASSWORD } });
      a.formation.master!.quantity = 2;
      const heroku = (args: string[]) => cli([...args, '-a', APP, '--proxy-url', proxyUrl], { env: { HEROKU_API_URL: fake.url, HEROKU_API_KEY: HEROKU_TOKEN } });
      const listed = await until(
        'the shell listed as running through the proxy',
        async () => {
          const j = JSON.parse((await heroku(['apps', '--json'])).stdout) as { master: { dyno: string }; apps: { id: string; state: string; name: string }[] };
          return j.apps.some((x) => x.name === 'Spark shell' && x.state === 'RUNNING') && j;
        },
        120_000,
        1000,
      );
      expect(listed.master.dyno).toBe(lead.name);
      const local = JSON.parse((await cli(['local', 'apps', '--json', '--dir', app, '--app', APP])).stdout);
      expect(local.master.dyno).toBe(lead.name);
      const id = listed.apps.find((x) => x.name === 'Spark shell' && x.state === 'RUNNING')!.id;
      const k = await heroku(['kill', id]);
      expect(k.exitCode, k.all).toBe(0);
      expect(k.stdout).toContain(`the master ${lead.name} confirmed it`);
      await sh.p;
      expect(fake.problems).toEqual([]);
    } finally {
      await fake.close();
    }
  });

  it('`local cycle` of the leader (new IP) while a long job runs from spark-shell: the job completes with the right answer', async () => {
    const leader = await until('a leader', async () => leaderWithWorkers(await status(), 2), 120_000);
    const sh = shell(`
println("LONG_START")
val r = sc.parallelize(1L to 1000000L, 60).mapPartitions { it => Thread.sleep(1000); it }.reduce(_ + _)
println("LONG=" + r)`);
    await until('the long job running', () => sh.out().includes('LONG_START'), 240_000);
    await until('its executors running', async () => ((await status()).master?.activeapps.length ?? 0) > 0, 120_000);
    const cycled = await cli(['local', 'cycle', leader.name, '--dir', app, '--app', APP], { timeout: 300_000 });
    expect(cycled.exitCode, cycled.all).toBe(0);
    const r = await sh.p;
    expect(r.all).toContain('LONG=500000500000');
    const after = await until('a leader with both workers', async () => leaderWithWorkers(await status(), 2), 120_000);
    expect(after.ip === leader.ip && after.name === leader.name).toBe(false);
    // the SIGTERM'd leader closed its ZooKeeper session as it stopped (the build's handover factory):
    // the standby was elected before that session could have expired
    const logs = (await cli(['local', 'logs', '--dir', app, '--app', APP, '--dyno', leader.name, '-n', '20000'])).stdout;
    expect(logs).toMatch(/RECEIVED SIGNAL TERM/);
    expect(logs).toContain("this master's ZooKeeper session is closed: a standby leads now");
  });

  it('a leader paused 3 s (SIGSTOP, SIGCONT) keeps its leadership or gives it up before another is elected: never two leaders', async () => {
    const lead = await until('a leader with both workers', async () => leaderWithWorkers(await status(), 2), 180_000);
    const masters = (await status()).dynos.filter((d) => d.type === 'master');
    const state = async (ip: string) => {
      const r = await fetch(`http://${ip}:8080/json/`, { signal: AbortSignal.timeout(500) }).catch(() => undefined);
      return r?.ok ? ((await r.json()) as { status: string }).status : 'DOWN';
    };
    const seen: { at: number; states: string[] }[] = [];
    const t0 = Date.now();
    process.kill(lead.pid, 'SIGSTOP');
    const resume = setTimeout(() => process.kill(lead.pid, 'SIGCONT'), 3000);
    resume.unref();
    try {
      // 3 s paused, then as long again as the session (6 s) and a recovery: every 100 ms, both masters
      while (Date.now() - t0 < 15_000) {
        seen.push({ at: Date.now(), states: await Promise.all(masters.map((m) => state(m.ip))) });
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      clearTimeout(resume);
      // (a leader that gave its leadership up has exited meanwhile)
      try {
        process.kill(lead.pid, 'SIGCONT');
      } catch {
        /* gone */
      }
    }
    const after = await until('one leader with both workers', async () => leaderWithWorkers(await status(), 2), 180_000);
    // the masters' own word, with the space's timestamps: when the paused one gave its leadership up, when another was elected
    const at = (line: string | undefined) => {
      const m = /^(\d\d):(\d\d):(\d\d)\.(\d{3}) /.exec(line ?? '');
      return m ? new Date(t0).setHours(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])) : undefined;
    };
    const lines = (await cli(['local', 'logs', '--dir', app, '--app', APP, '--dyno', 'master', '-n', '20000'])).stdout.split('\n').filter((l) => (at(l) ?? 0) >= t0 - 1000);
    const revokedAt = at(lines.find((l) => l.includes(` ${lead.name} | `) && /Leadership has been revoked/.test(l)));
    const electedAt = at(lines.find((l) => !l.includes(` ${lead.name} | `) && /I have been elected leader/.test(l)));
    // another master elected only after the paused one gave its leadership up
    if (electedAt !== undefined) expect(revokedAt, lines.join('\n')).toBeLessThanOrEqual(electedAt);
    // two masters answering ALIVE at once only while the one that gave up is exiting (Spark's master
    // says ALIVE until its JVM is gone; its workers already follow the new leader)
    for (const x of seen.filter((y) => y.states.filter((s) => s === 'ALIVE').length > 1)) expect(revokedAt, `two ALIVE at ${x.at}`).toBeLessThanOrEqual(x.at);
    console.log(
      `leader ${lead.name} paused 3 s: ${revokedAt === undefined ? 'kept its leadership' : `gave it up ${((revokedAt - t0) / 1000).toFixed(1)} s after the pause began, ${after.name} elected ${(((electedAt ?? revokedAt) - revokedAt) / 1000).toFixed(1)} s later`}; states seen: ${[...new Set(seen.map((x) => x.states.join(' ')))].join(', ')}`,
    );
  });

  it('cycling every dyno, one at a time (masters, workers, the 3 zookeepers, the proxy), during a stream of short jobs: 0 failed jobs', async () => {
    await until('a leader with both workers', async () => leaderWithWorkers(await status(), 2), 120_000);
    const stop = path.join(sync, 'stop');
    const sh = shell(`
var ok = 0; var failed = 0; val errors = scala.collection.mutable.ArrayBuffer[String]()
println("STREAM_START")
while (!new java.io.File("${stop}").exists) {
  try { val s = sc.parallelize(1L to 100000L, 4).reduce(_ + _); if (s == 5000050000L) ok += 1 else { failed += 1; errors += ("wrong " + s) } }
  catch { case e: Throwable => failed += 1; errors += e.toString.take(300) }
  Thread.sleep(250)
}
println("STREAM ok=" + ok + " failed=" + failed + " errors=" + errors.mkString(" | "))`);
    await until('the stream running', () => sh.out().includes('STREAM_START'), 240_000);
    const t0 = Date.now();
    const cycled = await cli(['local', 'cycle', '--dir', app, '--app', APP], { timeout: 900_000 });
    expect(cycled.exitCode, cycled.all).toBe(0);
    expect(cycled.stdout).toMatch(/zookeeper\.3: .* → /);
    await until('a leader with both workers', async () => leaderWithWorkers(await status(), 2), 180_000);
    mkdirSync(sync, { recursive: true });
    writeFileSync(stop, '');
    const r = await sh.p;
    const m = /STREAM ok=(\d+) failed=(\d+) errors=(.*)/.exec(r.all ?? '');
    expect(m, r.all).not.toBeNull();
    const n = (cycled.stdout.match(/[a-z]+\.\d+: \S+ → /g) ?? []).length;
    expect(n, cycled.stdout).toBe(8); // 2 masters, 2 workers, 3 zookeepers, the proxy
    console.log(`cycled all ${n} dynos in ${((Date.now() - t0) / 1000).toFixed(0)} s with ZooKeeper: ${m![1]} jobs ok, ${m![2]} failed ${m![3]}`);
    expect(Number(m![1])).toBeGreaterThan(10);
    expect(Number(m![2]), m![3]).toBe(0);
  });
});

describe(`an external ZooKeeper of another version (Debian's package) through SPARK_ZK_ZOOKEEPER_URL, real Spark ${DEFAULT_VERSION}`, () => {
  let app: string;
  let zk: ChildProcess | undefined;
  let zkLog = '';
  let port = 0;
  const status = () => localStatus<HaStatus>(app, EXTERNAL);

  beforeAll(async () => {
    port = await freePort();
    const dir = tmpdir('sis-zk-ext-');
    // Debian's ZooKeeper in the foreground on loopback; its session cap is the one we document for external ensembles
    writeFileSync(
      path.join(dir, 'zoo.cfg'),
      [`dataDir=${dir}/data`, `clientPort=${port}`, 'clientPortAddress=127.0.0.1', 'tickTime=2000', 'maxSessionTimeout=10000', 'admin.enableServer=false', '4lw.commands.whitelist=srvr'].join('\n') +
        '\n',
    );
    zk = spawn('/usr/share/zookeeper/bin/zkServer.sh', ['start-foreground', path.join(dir, 'zoo.cfg')], {
      env: { ...process.env, ZOO_LOG_DIR: dir, ZOOCFGDIR: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    zk.stdout!.on('data', (d: Buffer) => (zkLog += d.toString()));
    zk.stderr!.on('data', (d: Buffer) => (zkLog += d.toString()));
    await until('Debian’s ZooKeeper serving', async () => zkMode(await zkSrvr('127.0.0.1', port)), 60_000);
    ({ app } = await appWithSpark(DEFAULT_VERSION, CONFIG));
    writeDotenv(app, { ...CONFIG, SPARK_ZK_ZOOKEEPER_URL: `zookeeper://127.0.0.1:${port}` });
    const up = await cli(['local', 'up', '--detach', '--dir', app, '--app', EXTERNAL, '--masters', '2', '--workers', '1']);
    expect(up.exitCode, `${up.all}\n${zkLog}`).toBe(0);
  });
  afterAll(async () => {
    if (app) await cli(['local', 'down', '--dir', app, '--app', EXTERNAL]);
    zk?.kill('SIGTERM');
  });

  it('the masters elect a leader in it, and the standby takes over with the worker after kill -9 of the leader', async () => {
    // another version than the zookeeper-3.9 client in Spark's jars
    expect(await zkSrvr('127.0.0.1', port)).toMatch(/Zookeeper version: 3\.8\./);
    const leader = await until('a leader with its worker', async () => leaderWithWorkers(await status(), 1), 120_000);
    expect(
      (await status()).dynos
        .filter((d) => d.type === 'master')
        .map((d) => d.spark)
        .sort(),
    ).toEqual(['ALIVE', 'STANDBY']);
    process.kill(leader.pid, 'SIGKILL');
    // the standby leads with the worker re-registered (jobs after a failover: the space's own ensemble, above)
    const next = await until('the standby leading', async () => newLeader(await status(), 1, leader), 120_000);
    expect(next.type).toBe('master');
  });
});
