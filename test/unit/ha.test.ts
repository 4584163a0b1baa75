/**
 * ZooKeeper HA, graceful cycling and waiting daemons, as pure decisions: which ensemble the
 * masters use, the zoo.cfg of a zookeeper dyno, the conf it feeds, what a launcher waits for,
 * the Platform API's retry policy and redaction, and graceful cycling's plan and messages.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig, type Env } from '../../src/config/schema.js';
import { isProblem } from '../../src/errors.js';
import { headersFor, redact, restartFormation, retryable, retryDelayMs } from '../../src/heroku/api.js';
import { cyclingPlan, outcome } from '../../src/heroku/cycling.js';
import { fromHostsFile, jvmHostsFile, needsOf, shouldReport } from '../../src/launch/await.js';
import { argvFor, ZOOKEEPER_MAIN } from '../../src/launch/index.js';
import { computeConf } from '../../src/render/index.js';
import { HANDOVER_FACTORY, zkMode, zookeeperDir, zookeeperUrl, zooKeeperServer, ZK_MAX_SESSION_MS, ZK_TICK_MS } from '../../src/zookeeper/index.js';
import { handoverClassPath, javacOf } from '../../src/buildpack/handover.js';
import { readFileSync } from 'node:fs';

const dyno = (type: string, n: number, extra: Env = {}): Env => ({
  DYNO: `${type}.${n}`,
  HEROKU_PRIVATE_IP: `10.0.5.${n}`,
  HEROKU_DNS_DYNO_NAME: `${n}.${type}.demo.app.localspace`,
  HEROKU_DNS_APP_NAME: 'demo.app.localspace',
  ...extra,
});
const settings = (env: Env) => parseConfig(env, 'run');
const conf = (env: Env, version = '4.2.0', handover = false) =>
  computeConf({ settings: settings(env), env, role: 'master', spark: { version, log4j: 2, handover }, resources: { memoryMb: 2560, cores: 2 } });
const defaults = (env: Env, version?: string, handover?: boolean) => Object.fromEntries(conf(env, version, handover).defaults);

describe('which ZooKeeper the masters use', () => {
  it('SPARK_ZK_ZOOKEEPER_URL wins; else the space’s own zookeeper dynos by name; else none', () => {
    expect(zookeeperUrl(settings(dyno('master', 1, { SPARK_ZK_ZOOKEEPER_URL: 'zookeeper://10.1.1.1:2181', SPARK_ZOOKEEPERS: '3' })))).toBe('10.1.1.1:2181');
    expect(zookeeperUrl(settings(dyno('master', 1, { SPARK_ZOOKEEPERS: '3' })))).toBe('1.zookeeper.demo.app.localspace:2181,2.zookeeper.demo.app.localspace:2181,3.zookeeper.demo.app.localspace:2181');
    expect(zookeeperUrl(settings(dyno('master', 1)))).toBeUndefined();
    expect(zookeeperUrl(settings(dyno('master', 1, { SPARK_ZOOKEEPERS: '0' })))).toBeUndefined();
  });

  it('a job app (SPARK_CLUSTER_APP) names the cluster’s ensemble and znode', () => {
    const s = settings({ SPARK_CLUSTER_APP: 'cluster', SPARK_ZOOKEEPERS: '1', HEROKU_DNS_APP_NAME: 'jobs.app.localspace' });
    expect(zookeeperUrl(s)).toBe('1.zookeeper.cluster.app.localspace:2181');
    expect(zookeeperDir(s)).toBe('/cluster');
  });

  it('conf: recovery mode, the ensemble, /<app>, and a 15 s recovery timeout from Spark 4.0', () => {
    const d = defaults(dyno('master', 1, { SPARK_ZOOKEEPERS: '3', SPARK_MASTERS: '2' }));
    expect(d['spark.deploy.recoveryMode']).toBe('ZOOKEEPER');
    expect(d['spark.deploy.zookeeper.url']).toMatch(/^1\.zookeeper\.demo\.app\.localspace:2181,/);
    expect(d['spark.deploy.zookeeper.dir']).toBe('/demo');
    expect(d['spark.deploy.recoveryTimeout']).toBe('15s');
    expect(defaults(dyno('master', 1, { SPARK_ZOOKEEPERS: '3' }), '3.5.9')['spark.deploy.recoveryTimeout']).toBeUndefined();
    expect(defaults(dyno('master', 1))['spark.deploy.recoveryMode']).toBeUndefined();
  });

  it('with the build’s handover jar: Spark’s ZooKeeper recovery through the factory that closes a stopped leader’s session; without it, Spark’s own', () => {
    const env = dyno('master', 1, { SPARK_ZOOKEEPERS: '3', SPARK_MASTERS: '2' });
    const own = defaults(env, '4.2.0', true);
    expect(own['spark.deploy.recoveryMode']).toBe('CUSTOM');
    expect(own['spark.deploy.recoveryMode.factory']).toBe(HANDOVER_FACTORY);
    expect(own['spark.deploy.zookeeper.url']).toMatch(/^1\.zookeeper\./);
    expect(defaults(env, '4.2.0', false)['spark.deploy.recoveryMode.factory']).toBeUndefined();
    // no ZooKeeper: no recovery at all, whatever the build has
    expect(defaults(dyno('master', 1), '4.2.0', true)['spark.deploy.recoveryMode']).toBeUndefined();
    // the class the conf names is the one the Java source declares
    const java = readFileSync(new URL('../../src/zookeeper/java/HandoverRecoveryModeFactory.java', import.meta.url), 'utf8');
    expect(`${/^package (\S+);/m.exec(java)![1]}.${/public class (\w+)/.exec(java)![1]}`).toBe(HANDOVER_FACTORY);
  });

  it('the build finds javac beside the JDK’s java first, then on PATH; compiles against Spark’s core and Scala’s library only', () => {
    const has = (f: string) => ['/jdk/bin/javac', '/usr/bin/javac'].includes(f);
    expect(javacOf({ JAVA_HOME: '/jdk', PATH: '/usr/bin' }, has)).toBe('/jdk/bin/javac');
    expect(javacOf({ JAVA_HOME: '/jre', PATH: '/bin:/usr/bin' }, has)).toBe('/usr/bin/javac');
    expect(javacOf({ PATH: '/bin' }, has)).toBeUndefined();
    expect(javacOf({ JAVA_HOME: '/jdk' }, (f) => f === '/app/.jdk/bin/javac' || has(f), '/app/.jdk')).toBe('/app/.jdk/bin/javac');
    expect(handoverClassPath(['a.jar', 'scala-library-2.13.18.jar', 'spark-core_2.13-4.2.0.jar'])).toEqual(['spark-core_2.13-4.2.0.jar', 'scala-library-2.13.18.jar']);
    expect(handoverClassPath(['scala-library-2.13.18.jar'])).toBeUndefined();
  });

  it('daemons look names up again after 5 s (a cycled dyno has a new IP), keeping options already set', () => {
    const env = Object.fromEntries(conf(dyno('master', 1, { SPARK_DAEMON_JAVA_OPTS: '-Dx=1' })).env);
    // the master and workers run C1 only (LIGHT_DAEMON_OPTS), before the app's own options, which may undo it
    expect(env.SPARK_DAEMON_JAVA_OPTS).toBe('-XX:TieredStopAtLevel=1 -Dx=1 -Dsun.net.inetaddr.ttl=5');
    const history = computeConf({ settings: settings(dyno('history', 1)), env: dyno('history', 1), role: 'history', spark: { version: '4.2.0', log4j: 2 }, resources: { memoryMb: 2560, cores: 2 } });
    expect(Object.fromEntries(history.env).SPARK_DAEMON_JAVA_OPTS).toBe('-Dsun.net.inetaddr.ttl=5');
  });

  it('SPARK_ZOOKEEPERS must be an odd ensemble size: the message names the var and a good value', () => {
    for (const bad of ['2', 'three', '7'])
      try {
        parseConfig({ SPARK_ZOOKEEPERS: bad }, 'run');
        expect.unreachable();
      } catch (err) {
        expect(isProblem(err, 'config-invalid')).toBe(true);
        expect((err as Error).message).toMatch(/SPARK_ZOOKEEPERS: must (be 1 or 3|be a whole number)/);
        expect((err as Error).message).toContain('SPARK_ZOOKEEPERS=3');
      }
  });
});

describe('a zookeeper dyno', () => {
  it('zoo.cfg of zookeeper.2 of 3: peers by space name, its own address for clients, a 6 s session cap in 0.5 s ticks', () => {
    const z = zooKeeperServer(settings(dyno('zookeeper', 2, { SPARK_ZOOKEEPERS: '3' })), { DYNO: 'zookeeper.2' }, '/tmp/zk');
    expect(z.myid).toBe(2);
    const cfg = z.config.split('\n');
    expect(cfg).toContain('dataDir=/tmp/zk');
    expect(cfg).toContain('clientPortAddress=10.0.5.2');
    expect(cfg).toContain(`maxSessionTimeout=${ZK_MAX_SESSION_MS}`);
    // a killed leader's session ends within a tick of the cap: the standby leads within 8 s
    expect(ZK_MAX_SESSION_MS + ZK_TICK_MS).toBeLessThanOrEqual(7000);
    expect(cfg).toContain(`tickTime=${ZK_TICK_MS}`);
    // the peers' limits stay 10 s and 5 s in any tick
    expect(cfg).toContain(`initLimit=${10_000 / ZK_TICK_MS}`);
    expect(cfg).toContain(`syncLimit=${5_000 / ZK_TICK_MS}`);
    expect(cfg).toContain('server.1=1.zookeeper.demo.app.localspace:2888:3888');
    expect(cfg).toContain('server.3=3.zookeeper.demo.app.localspace:2888:3888');
    expect(cfg).toContain('admin.enableServer=false');
    expect(cfg).toContain('standaloneEnabled=false');
  });

  it('a single zookeeper runs standalone; a dyno beyond the ensemble or outside one is refused with the fix', () => {
    const one = zooKeeperServer(settings(dyno('zookeeper', 1, { SPARK_ZOOKEEPERS: '1' })), { DYNO: 'zookeeper.1' }, '/d');
    expect(one.config).not.toMatch(/^server\./m);
    expect(() => zooKeeperServer(settings(dyno('zookeeper', 4, { SPARK_ZOOKEEPERS: '3' })), { DYNO: 'zookeeper.4' }, '/d')).toThrow(/zookeeper\.4 is beyond SPARK_ZOOKEEPERS=3/);
    expect(() => zooKeeperServer(settings(dyno('zookeeper', 1)), { DYNO: 'zookeeper.1' }, '/d')).toThrow(/SPARK_ZOOKEEPERS: is not set/);
    expect(() => zooKeeperServer(settings(dyno('worker', 1, { SPARK_ZOOKEEPERS: '1' })), { DYNO: 'worker.1' }, '/d')).toThrow(/DYNO: is worker\.1: bin\/zookeeper runs as a zookeeper dyno/);
  });

  it('argv: the JVM itself runs QuorumPeerMain from Spark’s jars with the rendered zoo.cfg and log4j file', () => {
    const env = dyno('zookeeper', 1, { SPARK_ZOOKEEPERS: '1', JAVA_HOME: '/jdk' });
    const c = computeConf({ settings: settings(env), env, role: 'console', spark: { version: '4.2.0', log4j: 2 }, resources: { memoryMb: 1024, cores: 1 } });
    const argv = argvFor('zookeeper', { sparkHome: '/spark', settings: settings(env), env, conf: c, args: [], confDir: '/conf' });
    expect(argv[0]).toBe('/jdk/bin/java');
    expect(argv).toContain('-Dsun.net.inetaddr.ttl=5');
    expect(argv).toContain('-Dlog4j2.configurationFile=/conf/log4j2.properties');
    expect(argv.slice(-4)).toEqual(['-cp', '/spark/jars/*', ZOOKEEPER_MAIN, '/conf/zoo.cfg']);
  });

  it('reads its mode from `srvr`', () => {
    expect(zkMode('Zookeeper version: 3.9.5\nLatency min/avg/max: 0/0.0/0\nMode: follower\nNode count: 5\n')).toBe('follower');
    expect(zkMode('This ZooKeeper instance is not currently serving requests\n')).toBeUndefined();
  });
});

describe('what a launcher waits for', () => {
  it('a worker: any master; a master: its ZooKeeper (only with one); others: nothing', () => {
    const s = settings(dyno('worker', 1, { SPARK_MASTERS: '2', SPARK_ZOOKEEPERS: '3' }));
    expect(needsOf('worker', s)).toEqual({
      what: 'a master',
      zookeeper: false,
      endpoints: [
        { host: '1.master.demo.app.localspace', port: 7077 },
        { host: '2.master.demo.app.localspace', port: 7077 },
      ],
    });
    expect(needsOf('master', s)?.endpoints).toHaveLength(3);
    expect(needsOf('master', s)?.zookeeper).toBe(true);
    expect(needsOf('master', settings(dyno('master', 1)))).toBeUndefined();
    expect(needsOf('spark-shell', s)).toBeUndefined();
  });

  it('looks names up as the JVM will: the hosts file named by -Djdk.net.hosts.file, else DNS', () => {
    expect(jvmHostsFile({ JAVA_TOOL_OPTIONS: '-Xss4m -Djdk.net.hosts.file=/s/hosts' })).toBe('/s/hosts');
    expect(jvmHostsFile({})).toBeUndefined();
    const hosts = '127.0.0.1 localhost\n127.9.1.3 1.master.demo.app.localspace # cycled\n127.9.2.1 1.worker.demo.app.localspace worker.demo.app.localspace\n';
    expect(fromHostsFile(hosts, '1.master.demo.app.localspace')).toBe('127.9.1.3');
    expect(fromHostsFile(hosts, 'worker.demo.app.localspace')).toBe('127.9.2.1');
    expect(fromHostsFile(hosts, '2.master.demo.app.localspace')).toBeUndefined();
  });

  it('says it is still waiting at once, then every 30 s, not at every poll', () => {
    expect(shouldReport(undefined, 1000, 30_000)).toBe(true);
    expect(shouldReport(1000, 29_000, 30_000)).toBe(false);
    expect(shouldReport(1000, 31_000, 30_000)).toBe(true);
  });
});

describe('the Platform API client', () => {
  it('v3 Accept header, bearer token, JSON only with a body; restart of a formation is DELETE /apps/{app}/formations/{type}', () => {
    expect(headersFor('t0ken', false)).toEqual({ Accept: 'application/vnd.heroku+json; version=3', Authorization: 'Bearer t0ken', 'User-Agent': 'spark-in-space' });
    expect(headersFor('t0ken', true)['Content-Type']).toBe('application/json');
    expect(restartFormation('demo', 'worker')).toEqual({ method: 'DELETE', path: '/apps/demo/formations/worker' });
  });

  it('retries 429, 5xx and network errors; backs off 1, 2, 4, 8, 16 s, or as Retry-After says', () => {
    expect([429, 500, 503, 0].map(retryable)).toEqual([true, true, true, true]);
    expect([401, 403, 404, 422].map(retryable)).toEqual([false, false, false, false]);
    expect([1, 2, 3, 4, 5, 6].map((a) => retryDelayMs(a))).toEqual([1000, 2000, 4000, 8000, 16000, 16000]);
    expect(retryDelayMs(1, '7')).toBe(7000);
    expect(retryDelayMs(1, 'soon')).toBe(1000);
  });

  it('redacts the token from any text', () => {
    expect(redact('fetch failed for Bearer HRKU-abc123', 'HRKU-abc123')).toBe('fetch failed for Bearer [REDACTED]');
    expect(redact('nothing here', undefined)).toBe('nothing here');
  });
});

describe('graceful cycling', () => {
  const master = (extra: Env = {}) => dyno('master', 1, { SPARK_HEROKU_ACCESS_TOKEN: 'HRKU-token-123456', ...extra });

  it('plans one restart of the app’s worker formation, asking the master’s own /json; HEROKU_API_URL moves the API', () => {
    const p = cyclingPlan(master({ HEROKU_API_URL: 'http://127.0.0.1:9/' }));
    expect(p).toMatchObject({ run: true, app: 'demo', masterJson: 'http://10.0.5.1:8080/json', request: { method: 'DELETE', path: '/apps/demo/formations/worker' }, baseUrl: 'http://127.0.0.1:9' });
    expect(cyclingPlan(master({ HEROKU_APP_NAME: 'other' }))).toMatchObject({ run: true, app: 'other' });
  });

  it('without a token: a warning saying how to set one; with ZooKeeper: not needed, no warning', () => {
    expect(cyclingPlan(dyno('master', 1))).toMatchObject({ run: false, warn: true, why: expect.stringMatching(/SPARK_HEROKU_ACCESS_TOKEN is not set \(heroku config:set/) });
    expect(cyclingPlan(master({ SPARK_ZOOKEEPERS: '1' }))).toMatchObject({ run: false, warn: false });
  });

  it('words each answer: done, refused token (names the var, not the token), unknown app, other failures', () => {
    expect(outcome({ ok: true, status: 202, body: {} }, 'demo')).toEqual({ warn: false, line: expect.stringMatching(/restarted the worker dynos of demo \(HTTP 202\)/) });
    const refused = outcome({ ok: false, status: 401, id: 'unauthorized', message: 'Invalid credentials provided.' }, 'demo');
    expect(refused.warn).toBe(true);
    expect(refused.line).toMatch(/refused SPARK_HEROKU_ACCESS_TOKEN \(HTTP 401 unauthorized\): graceful cycling is off until this master restarts/);
    expect(outcome({ ok: false, status: 404, message: 'x' }, 'demo').line).toMatch(/knows no app demo/);
    expect(outcome({ ok: false, status: 503, message: 'down' }, 'demo').line).toMatch(/HTTP 503: down/);
    expect(outcome({ ok: false, status: 0, message: 'ECONNREFUSED' }, 'demo').line).toMatch(/no answer: ECONNREFUSED/);
  });
});
