/**
 * The launchers and the config CLI without a JVM: a stub SPARK_HOME whose spark-class prints its
 * arguments, so what bin/* exec and what they render can be checked exactly.
 */
import { appendFileSync, chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, REPO, tmpdir } from '../helpers/buildpack.js';
import { builtinCatalog, defaultRelease } from '../../src/catalog/index.js';

let stub: string;
const dyno = {
  DYNO: 'worker.2',
  HEROKU_PRIVATE_IP: '10.0.2.2',
  HEROKU_DNS_DYNO_NAME: '2.worker.demo.app.localspace',
  HEROKU_DNS_FORMATION_NAME: 'worker.demo.app.localspace',
  HEROKU_DNS_APP_NAME: 'demo.app.localspace',
};

/** A stand-in master: a worker's launcher waits until a master accepts connections (src/launch/await.ts). */
let hosts: string;
let masterUp: Record<string, string>;
const listening: net.Server[] = [];
const listen = (host: string) =>
  new Promise<void>((resolve, reject) => {
    const s = net.createServer((c) => c.end()).once('error', reject);
    listening.push(s);
    s.listen(7077, host, () => resolve());
  });
afterAll(() => listening.forEach((s) => s.close()));

beforeAll(async () => {
  hosts = path.join(tmpdir('sis-hosts-'), 'hosts');
  // names resolve as the JVM would resolve them: through the hosts file named in JAVA_TOOL_OPTIONS
  writeFileSync(hosts, '127.0.0.77 1.master.demo.app.localspace\n127.0.0.77 2.master.demo.app.localspace\n127.0.0.78 1.master.late.app.localspace\n');
  masterUp = { JAVA_TOOL_OPTIONS: `-Djdk.net.hosts.file=${hosts}` };
  await listen('127.0.0.77');
  stub = tmpdir('sis-stub-');
  mkdirSync(path.join(stub, 'bin'));
  writeFileSync(path.join(stub, 'RELEASE'), 'Spark 4.2.0 built for Hadoop 3.5.0\n');
  for (const b of ['spark-class', 'spark-shell', 'spark-submit']) {
    writeFileSync(path.join(stub, 'bin', b), `#!/bin/sh\necho "${b} $*"\necho "pid $$"\nexit \${STUB_EXIT:-0}\n`);
    chmodSync(path.join(stub, 'bin', b), 0o755);
  }
});

const run = (launcher: string, env: Record<string, string>, args: string[] = []) => execa(bin(launcher), args, { reject: false, all: true, env: { SPARK_HOME: stub, ...env } });

describe('launchers', () => {
  it('spark-worker renders the conf dir and execs spark-class with the worker argv', async () => {
    const conf = tmpdir('sis-conf-');
    const r = await run('spark-worker', { ...dyno, ...masterUp, SPARK_CONF_DIR: conf, SPARK_WORKER_CORES: '3', SPARK_WORKER_MEMORY: '5g', SPARK_MASTERS: '2', SPARK_AUTH_SECRET: 'x'.repeat(32) });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(
      'spark-class org.apache.spark.deploy.worker.Worker --host 2.worker.demo.app.localspace --webui-port 8081 --cores 3 --memory 5g spark://1.master.demo.app.localspace:7077,2.master.demo.app.localspace:7077',
    );
    expect(readdirSync(conf).sort()).toEqual(['log4j2.properties', 'spark-defaults.conf', 'spark-env.sh']);
    expect(statSync(path.join(conf, 'spark-defaults.conf')).mode & 0o777).toBe(0o600);
    expect(readFileSync(path.join(conf, 'spark-env.sh'), 'utf8')).toContain("export SPARK_LOCAL_IP='10.0.2.2'");
    expect(r.all).not.toContain('x'.repeat(32));
  });

  it('launch_worker_before_master: the worker launcher waits, says so, and starts the JVM once a master accepts connections', async () => {
    const late = { ...dyno, ...masterUp, HEROKU_DNS_APP_NAME: 'late.app.localspace', HEROKU_DNS_DYNO_NAME: '2.worker.late.app.localspace', SPARK_CONF_DIR: tmpdir() };
    const p = run('spark-worker', late);
    let err = '';
    p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const t0 = Date.now();
    while (!err.includes('waiting for a master') && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 100));
    expect(err).toMatch(/spark-in-space: waiting for a master \(1\.master\.late\.app\.localspace:7077 refuses connections\); still trying every 2 s/);
    expect(p.exitCode).toBeNull(); // still waiting, not crashed
    await listen('127.0.0.78');
    const r = await p;
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^spark-class org\.apache\.spark\.deploy\.worker\.Worker .* spark:\/\/1\.master\.late\.app\.localspace:7077$/);
    expect(r.stderr).toMatch(/a master answers after \d+ s: starting/);
  });

  it('launch_master_without_zookeeper: two masters without ZooKeeper are refused before any JVM, naming the var', async () => {
    const r = await run('spark-master', { ...dyno, DYNO: 'master.1', HEROKU_DNS_DYNO_NAME: '1.master.demo.app.localspace', SPARK_CONF_DIR: tmpdir(), SPARK_MASTERS: '2' });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).not.toContain('spark-class');
    expect(r.stderr).toMatch(/SPARK_MASTERS: is 2, but more than one master needs ZooKeeper/);
    expect(r.stderr).toContain('SPARK_ZOOKEEPERS=3');
  });

  it('launch_zookeeper: renders zoo.cfg and myid from the space names and execs QuorumPeerMain from Spark’s jars', async () => {
    const conf = tmpdir('sis-zkconf-');
    const data = tmpdir('sis-zkdata-');
    mkdirSync(path.join(stub, 'jars'), { recursive: true });
    writeFileSync(path.join(stub, 'jars', 'zookeeper-3.9.5.jar'), '');
    const java = tmpdir('sis-java-');
    mkdirSync(path.join(java, 'bin'));
    writeFileSync(path.join(java, 'bin', 'java'), '#!/bin/sh\necho "java $*"\n');
    chmodSync(path.join(java, 'bin', 'java'), 0o755);
    const r = await run('zookeeper', {
      ...dyno,
      DYNO: 'zookeeper.2',
      HEROKU_DNS_DYNO_NAME: '2.zookeeper.demo.app.localspace',
      SPARK_ZOOKEEPERS: '3',
      SPARK_CONF_DIR: conf,
      ZOOKEEPER_DATA_DIR: data,
      JAVA_HOME: java,
    });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `^java -Xmx\\S+ -Xms\\S+ -Dsun.net.inetaddr.ttl=5 -Dlog4j2.configurationFile=${conf}/log4j2.properties -cp ${stub}/jars/\\* org.apache.zookeeper.server.quorum.QuorumPeerMain ${conf}/zoo.cfg$`,
        'm',
      ),
    );
    expect(readFileSync(path.join(data, 'myid'), 'utf8')).toBe('2\n');
    const cfg = readFileSync(path.join(conf, 'zoo.cfg'), 'utf8');
    expect(cfg).toContain(`dataDir=${data}`);
    expect(cfg).toContain('server.3=3.zookeeper.demo.app.localspace:2888:3888');
    expect(cfg).toContain('clientPortAddress=10.0.2.2');
  });

  it('the launcher is replaced by the process (exec): same pid, and its exit code passes through', async () => {
    const sh = await execa('bash', ['-c', `echo "launcher $$"; exec ${bin('spark-master')}`], {
      reject: false,
      env: { SPARK_HOME: stub, ...dyno, DYNO: 'master.1', HEROKU_DNS_DYNO_NAME: '1.master.demo.app.localspace', SPARK_CONF_DIR: tmpdir(), STUB_EXIT: '7' },
    });
    const launcherPid = /launcher (\d+)/.exec(sh.stdout)![1];
    expect(sh.stdout).toContain(`pid ${launcherPid}`);
    expect(sh.exitCode).toBe(7);
  });

  it('spark-shell and spark-submit add the master URL; user arguments pass through verbatim', async () => {
    const r = await run('spark-submit', { ...dyno, DYNO: 'run.1', SPARK_CONF_DIR: tmpdir() }, ['--class', 'A B', '--conf', 'spark.x=1', 'app.jar', '--', 'arg with space']);
    expect(r.stdout.split('\n')[0]).toBe('spark-submit --master spark://1.master.demo.app.localspace:7077 --class A B --conf spark.x=1 app.jar -- arg with space');
    const conf = tmpdir();
    await run('spark-shell', { ...dyno, DYNO: 'run.1', SPARK_CONF_DIR: conf });
    expect(readFileSync(path.join(conf, 'spark-defaults.conf'), 'utf8')).toContain('spark.driver.host 10.0.2.2');
  });

  it('spark-submit --wait: client mode runs as ever (no --wait passed to Spark); cluster mode runs the client under the waiter, whose failure is the exit code', async () => {
    const client = await run('spark-submit', { ...dyno, DYNO: 'run.1', SPARK_CONF_DIR: tmpdir() }, ['--wait', '--class', 'A', 'app.jar', '--wait']);
    expect(client.exitCode, client.all).toBe(0);
    expect(client.stdout.split('\n')[0]).toBe('spark-submit --master spark://1.master.demo.app.localspace:7077 --class A app.jar --wait');
    const cluster = await run('spark-submit', { ...dyno, DYNO: 'run.1', SPARK_CONF_DIR: tmpdir(), STUB_EXIT: '3' }, ['--wait', '--deploy-mode', 'cluster', '--class', 'A', 'app.jar']);
    expect(cluster.exitCode, cluster.all).toBe(3);
    expect(cluster.stdout).toMatch(/^spark-submit --properties-file \S+ --master spark:\/\/1\.master\.demo\.app\.localspace:7077 --deploy-mode cluster --class A app\.jar$/m);
  });

  it('a bad config var stops the launcher: every bad var named, no JVM started, no conf written', async () => {
    const conf = path.join(tmpdir(), 'conf');
    const r = await run('spark-master', { ...dyno, SPARK_CONF_DIR: conf, LOG_LEVEL: 'LOUD', SPARK_EXECUTOR_MEMORY: '12 gigs', SPARK_MASTERS: '0' });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('3 config vars are invalid:');
    expect(r.stderr).toContain('LOG_LEVEL: must be one of OFF, FATAL, ERROR, WARN, INFO, DEBUG, TRACE, ALL (example: LOG_LEVEL=WARN)');
    expect(r.stderr).toContain('SPARK_EXECUTOR_MEMORY: must be a JVM size such as 512m or 12g');
    expect(r.stderr).toContain('SPARK_MASTERS: must be between 1 and 9');
    expect(r.stdout).not.toContain('spark-class');
    expect(existsSync(conf)).toBe(false);
  });

  it('SPARK_LOG_FORMAT=json: the launcher’s own lines are JSON (a wait, a refusal), Spark’s log4j2 file is its JSON layout; the bash helpers write the same shape', async () => {
    const conf = tmpdir('sis-conf-');
    const late = { ...dyno, ...masterUp, HEROKU_DNS_APP_NAME: 'json.app.localspace', HEROKU_DNS_DYNO_NAME: '2.worker.json.app.localspace', SPARK_CONF_DIR: conf, SPARK_LOG_FORMAT: 'json' };
    const p = run('spark-worker', late);
    let err = '';
    p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const t0 = Date.now();
    while (!err.includes('waiting for a master') && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 100));
    // then a master answers (its name on 127.0.0.92): the launcher goes on to the JVM
    appendFileSync(hosts, '127.0.0.92 1.master.json.app.localspace\n');
    await listen('127.0.0.92');
    expect((await p).exitCode, err).toBe(0);
    const waiting = JSON.parse(err.split('\n')[0]!);
    expect(waiting).toMatchObject({ level: 'INFO', logger: 'spark-in-space.launch', msg: expect.stringMatching(/^waiting for a master \(1\.master\.json\.app\.localspace:7077/) });
    expect(Date.parse(waiting.ts)).toBeGreaterThan(0);
    expect(readFileSync(path.join(conf, 'log4j2.properties'), 'utf8')).toContain('appender.console.layout.eventTemplateUri = classpath:org/apache/spark/SparkLayout.json');
    const bad = await run('spark-master', { ...dyno, SPARK_CONF_DIR: tmpdir(), SPARK_LOG_FORMAT: 'json', LOG_LEVEL: 'LOUD' });
    expect(bad.exitCode).toBe(1);
    const lines = bad.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'ERROR', logger: 'spark-in-space.launch', msg: expect.stringContaining('LOG_LEVEL: must be one of') });
    const sh = await execa('bash', ['-c', `source ${JSON.stringify(path.join(REPO, 'bin/support/log.sh'))}; log_line spark-in-space.drain-worker drain-worker "$1"`, 'x', 'WARNING: "a"\tb\\c'], {
      env: { SPARK_LOG_FORMAT: 'json' },
    });
    expect(JSON.parse(sh.stderr)).toMatchObject({ level: 'WARN', logger: 'spark-in-space.drain-worker', msg: 'WARNING: "a"\tb\\c' });
    const text = await execa('bash', ['-c', `source ${JSON.stringify(path.join(REPO, 'bin/support/log.sh'))}; log_line spark-in-space.drain-worker drain-worker drained`]);
    expect(text.stderr).toBe('drain-worker: drained');
  });

  it('a dyno outside a DNS-discovery space is told why', async () => {
    const r = await run('spark-worker', { DYNO: 'worker.1', SPARK_CONF_DIR: tmpdir() });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('HEROKU_DNS_APP_NAME: is not set');
  });

  it('a missing SPARK_HOME is explained', async () => {
    const r = await execa(bin('spark-master'), [], { reject: false, env: { ...dyno, SPARK_HOME: '' } });
    expect(r.exitCode).toBe(15); // spark-unfit: the launcher exits with the Problem's own code
    expect(r.stderr).toContain('SPARK_HOME is not set');
  });
});

describe('config CLI', () => {
  const cli = (args: string[], env: Record<string, string>) =>
    execa(process.execPath, [path.join(REPO, 'dist/cli/index.js'), ...args], { reject: false, all: true, env: { SPARK_HOME: stub, ...env }, extendEnv: false });

  it('config check lists every problem and exits 1; a good environment exits 0', async () => {
    const bad = await cli(['config', 'check'], { SPARK_MASTERS: 'abc', KAFKA_ZOOKEEPER_URL: 'zookeeper://zk1', SPARK_MIRROR_URL: 'ftp://x' });
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toContain('3 config vars are invalid:');
    expect(bad.stderr).toContain('KAFKA_ZOOKEEPER_URL (read as SPARK_ZK_ZOOKEEPER_URL): each server must be host:port');
    const good = await cli(['config', 'check'], { ...dyno, LOG_LEVEL: 'warn' });
    expect(good.exitCode, good.all).toBe(0);
    expect(good.stdout).toContain('valid');
    // what is set, not what the defaults fill in
    expect(good.stdout).toMatch(/: .*LOG_LEVEL/);
    expect(good.stdout).not.toContain('SPARK_MASTERS');
  });

  it('config vars lists every var with its phase, secrets marked and legacy names', async () => {
    const r = await cli(['config', 'vars'], {});
    // which processes keep a secret in their environment (src/secrets.ts): the daemons read the cluster secret from a 0600 file;
    // the api dyno keeps it to submit batches (its spark-submit renders that file, then drops it)
    expect(r.stdout).toMatch(/^SPARK_CONNECT_TLS_KEY +run +\[secret; held by: no process \(a 0600 file carries it\)\] /m);
    expect(r.stdout).toMatch(/^SPARK_AUTH_SECRET +run +\[secret; held by: api, api-batch\] /m);
    expect(r.stdout).toMatch(/^SPARK_API_TOKEN +run +\[secret; held by: web, api\] /m);
    expect(r.stdout).toMatch(/^SPARK_HEROKU_ACCESS_TOKEN +run +\[secret; held by: autoscale, graceful-cycling\] /m);
    expect(r.stdout).toMatch(/^SPACE_PROXY_PASSWORD +run +\[secret; held by: web\] /m);
    expect(r.stdout).toMatch(/^SPARK_MASTERS +run .*\[default: 1\]$/m);
    expect(r.stdout).toMatch(/^SPARK_ZK_ZOOKEEPER_URL +run .*\(legacy: KAFKA_ZOOKEEPER_URL\)$/m);
    expect(r.stdout).toMatch(/^SPARK_MIRROR_URL +build /m);
  });

  it('config render writes exactly what a launcher would; master-url prints the URL', async () => {
    const out = tmpdir();
    const viaCli = await cli(['config', 'render', '--out', out, '--type', 'worker'], { ...dyno, SPARK_WORKER_CORES: '2', SPARK_WORKER_MEMORY: '1g' });
    expect(viaCli.exitCode, viaCli.all).toBe(0);
    const conf = tmpdir();
    await run('spark-worker', { ...dyno, ...masterUp, SPARK_CONF_DIR: conf, SPARK_WORKER_CORES: '2', SPARK_WORKER_MEMORY: '1g' });
    for (const f of readdirSync(conf)) expect(readFileSync(path.join(out, f), 'utf8'), f).toBe(readFileSync(path.join(conf, f), 'utf8'));
    const url = await cli(['master-url'], { SPARK_CLUSTER_APP: 'cluster', SPARK_MASTERS: '2' });
    expect(url.stdout).toBe('spark://1.master.cluster.app.localspace:7077,2.master.cluster.app.localspace:7077');
  });

  describe('config_render_without_spark_home', () => {
    const render = (args: string[], cwd: string) =>
      execa(process.execPath, [path.join(REPO, 'dist/cli/index.js'), 'config', 'render', ...args], {
        reject: false,
        all: true,
        cwd,
        env: { PATH: process.env.PATH!, ...dyno, LOG_LEVEL: 'WARN' },
        extendEnv: false,
      });

    it('--spark-version decides the log4j flavour: 1.6.1 → log4j.properties', async () => {
      const out = tmpdir();
      const r = await render(['--out', out, '--type', 'spark-submit', '--spark-version', '1.6.1'], tmpdir());
      expect(r.exitCode, r.all).toBe(0);
      expect(r.stdout).toContain(`Wrote ${out} for Spark 1.6.1 (from --spark-version)`);
      expect(r.stdout).toContain('Command: $SPARK_HOME/bin/spark-submit --master spark://1.master.');
      expect(readdirSync(out).sort()).toEqual(['log4j.properties', 'spark-defaults.conf', 'spark-env.sh']);
      expect(readFileSync(path.join(out, 'log4j.properties'), 'utf8')).toContain('log4j.rootCategory=WARN, console');
    });

    it('else the app’s .spark.version, else the catalog’s default', async () => {
      const app = tmpdir();
      writeFileSync(path.join(app, '.spark.version'), '3.5\n');
      const out = tmpdir();
      const r = await render(['--out', out, '--type', 'worker'], app);
      expect(r.exitCode, r.all).toBe(0);
      expect(r.stdout).toMatch(/for Spark 3\.5\.\d+ \(from \.spark\.version\)/);
      expect(readdirSync(out)).toContain('log4j2.properties');
      const none = await render(['--out', tmpdir()], tmpdir());
      expect(none.exitCode, none.all).toBe(0);
      expect(none.stdout).toContain(`for Spark ${defaultRelease(builtinCatalog()).version} (from the catalog’s default)`);
    });

    it('a version the catalog does not know fails with the supported list', async () => {
      const r = await render(['--out', tmpdir(), '--spark-version', '0.9.9'], tmpdir());
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toContain('Spark 0.9.9 is not in the catalog.');
    });
  });
});
