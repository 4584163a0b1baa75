/**
 * The master's handover on SIGTERM (src/buildpack/handover.ts, src/zookeeper/java/): the factory
 * compiled by the build against a real Spark's jars (and taken from the cache the second time),
 * then a real Spark master JVM against a real ZooKeeper (Debian's): with the factory, a stopped
 * leader's latch node and session are gone at once; with Spark's own ZOOKEEPER mode they outlive
 * the JVM until the session expires (20 s here), which is what made the standby wait.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handoverJar, handoverClassPath, HANDOVER_JAR } from '../../src/buildpack/handover.js';
import { HANDOVER_FACTORY } from '../../src/zookeeper/index.js';
import { tcpProbe } from '../../src/net/tcp.js';
import { tmpdir } from '../helpers/buildpack.js';
import { freePort } from '../helpers/cluster.js';
import { DEFAULT_VERSION, testPyspark } from '../helpers/spark.js';
import { until } from '../helpers/wait.js';

const mntr = async (port: number) => {
  const a = await tcpProbe('127.0.0.1', port, { send: 'mntr', timeoutMs: 2000 });
  const n = a.ok ? /zk_ephemerals_count\s+(\d+)/.exec(a.text)?.[1] : undefined;
  return n === undefined ? undefined : Number(n);
};

describe(`the master's handover, compiled against Spark ${DEFAULT_VERSION}'s jars, with a real ZooKeeper`, () => {
  let sparkDir: string;
  let jars: string;
  let zk: ChildProcess | undefined;
  let zkPort = 0;
  let jar = '';

  beforeAll(async () => {
    const python = testPyspark(DEFAULT_VERSION);
    sparkDir = path.join(
      path.dirname(path.dirname(python)),
      'lib',
      readdirSync(path.join(path.dirname(path.dirname(python)), 'lib')).find((d) => d.startsWith('python'))!,
      'site-packages',
      'pyspark',
    );
    jars = path.join(sparkDir, 'jars');
    zkPort = await freePort();
    const dir = tmpdir('sis-handover-zk-');
    // a long session cap: a leader that does not close its session holds its node 20 s after it died
    writeFileSync(
      path.join(dir, 'zoo.cfg'),
      [`dataDir=${dir}/data`, `clientPort=${zkPort}`, 'clientPortAddress=127.0.0.1', 'tickTime=1000', 'maxSessionTimeout=20000', 'admin.enableServer=false', '4lw.commands.whitelist=srvr,mntr'].join(
        '\n',
      ) + '\n',
    );
    zk = spawn('/usr/share/zookeeper/bin/zkServer.sh', ['start-foreground', path.join(dir, 'zoo.cfg')], { env: { ...process.env, ZOO_LOG_DIR: dir, ZOOCFGDIR: dir }, stdio: 'ignore' });
    await until('ZooKeeper serving', async () => (await mntr(zkPort)) !== undefined, 60_000);
  }, 300_000);
  afterAll(() => {
    zk?.kill('SIGTERM');
  });

  it('the build compiles the factory against the jars once, then takes it from its cache; a tree without Spark’s core gets none, and says why', async () => {
    const cacheDir = tmpdir('sis-handover-cache-');
    const first = await handoverJar({ cacheDir, jarsDir: jars, env: process.env });
    expect(first).toMatchObject({ compiled: true, jar: { name: HANDOVER_JAR } });
    const second = await handoverJar({ cacheDir, jarsDir: jars, env: process.env });
    expect(second).toMatchObject({ compiled: false });
    jar = 'jar' in first ? first.jar.from : '';
    const notSpark = tmpdir('sis-handover-empty-');
    expect(await handoverJar({ cacheDir, jarsDir: notSpark, env: process.env })).toEqual({ why: 'no spark-core and scala-library jars to compile it against' });
    // no javac: one reason, never a failed build
    const noJdk = await handoverJar({ cacheDir: tmpdir('sis-handover-cache-'), jarsDir: jars, env: { PATH: '/nonexistent' } });
    expect(noJdk).toMatchObject({ why: expect.stringContaining('no javac') });
    expect(handoverClassPath(readdirSync(jars))).toHaveLength(2);
  }, 120_000);

  /** One Spark master JVM in `mode`, leader of /dir; SIGTERM once ALIVE; the ephemeral nodes left when it has exited. */
  async function stopLeader(mode: 'handover' | 'zookeeper', dir: string): Promise<{ before: number; afterExit: number; log: string }> {
    const extra = tmpdir('sis-handover-jars-');
    copyFileSync(jar, path.join(extra, HANDOVER_JAR));
    const [port, ui] = [await freePort(), await freePort()];
    const conf = [
      `-Dspark.deploy.recoveryMode=${mode === 'handover' ? 'CUSTOM' : 'ZOOKEEPER'}`,
      ...(mode === 'handover' ? [`-Dspark.deploy.recoveryMode.factory=${HANDOVER_FACTORY}`] : []),
      `-Dspark.deploy.zookeeper.url=127.0.0.1:${zkPort}`,
      `-Dspark.deploy.zookeeper.dir=${dir}`,
    ];
    const master = spawn(
      'java',
      [
        '-Xmx256m',
        '-cp',
        `${path.join(jars, '*')}:${path.join(extra, '*')}`,
        ...conf,
        'org.apache.spark.deploy.master.Master',
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--webui-port',
        String(ui),
      ],
      { env: { ...process.env, SPARK_HOME: sparkDir, JDK_JAVA_OPTIONS: '', JAVA_TOOL_OPTIONS: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let log = '';
    master.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    master.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    const exited = new Promise<void>((r) => master.on('exit', () => r()));
    try {
      await until(
        'the master ALIVE',
        async () => {
          const r = await fetch(`http://127.0.0.1:${ui}/json/`).catch(() => undefined);
          return r?.ok && ((await r.json()) as { status: string }).status === 'ALIVE';
        },
        120_000,
      );
      const before = (await mntr(zkPort))!;
      master.kill('SIGTERM');
      await exited;
      return { before, afterExit: (await mntr(zkPort))!, log };
    } finally {
      master.kill('SIGKILL');
    }
  }

  it('with the factory a SIGTERM’d leader’s latch node and session are gone as its JVM exits; with Spark’s ZOOKEEPER mode they outlive it', async () => {
    const own = await stopLeader('handover', '/handover');
    expect(own.before, own.log).toBeGreaterThanOrEqual(1);
    expect(own.afterExit, own.log).toBe(0);
    expect(own.log).toContain("this master's ZooKeeper session is closed");
    const spark = await stopLeader('zookeeper', '/plain');
    expect(spark.before, spark.log).toBeGreaterThanOrEqual(1);
    // Spark's own: the dead leader's node stays until the 20 s session expires; the standby waits for it
    expect(spark.afterExit, spark.log).toBeGreaterThanOrEqual(1);
  }, 300_000);
});
