/**
 * The launchers of the ways to send work, without a JVM (a stub SPARK_HOME whose tools print their
 * arguments and environment): bin/thrift, bin/connect's refusals, cluster-mode bin/spark-submit's
 * clean environment, and .profile.d rendering the driver conf of a one-off dyno.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { bin, buildpackDir, dynoVars, tmpdir } from '../helpers/buildpack.js';
import { profileScript } from '../../src/buildpack/compile.js';

const dyno = (type: string) => dynoVars(type);
const SECRET = 'cluster-secret-0123456789abcdef';
let stub: string;

beforeAll(() => {
  stub = tmpdir('sis-stub-endpoints-');
  mkdirSync(path.join(stub, 'bin'));
  mkdirSync(path.join(stub, 'jars'));
  writeFileSync(path.join(stub, 'RELEASE'), 'Spark 4.2.0 built for Hadoop 3.5.0\n');
  // spark-submit prints its arguments and what of the environment would go with a driver
  writeFileSync(
    path.join(stub, 'bin', 'spark-submit'),
    '#!/bin/bash\necho "spark-submit $*"\nfor v in SPARK_CONF_DIR SPARK_LOCAL_DIRS SPARK_LOCAL_IP DYNO HEROKU_PRIVATE_IP SPARK_ENV_LOADED SPARK_HOME; do echo "$v=${!v-unset}"; done\n',
  );
  for (const b of ['spark-submit', 'spark-class']) {
    if (b === 'spark-class') writeFileSync(path.join(stub, 'bin', b), '#!/bin/sh\necho "spark-class $*"\n');
    chmodSync(path.join(stub, 'bin', b), 0o755);
  }
});

const run = (launcher: string, env: Record<string, string>, args: string[] = []) => execa(bin(launcher), args, { reject: false, all: true, env: { SPARK_HOME: stub, ...env } });

describe('bin/thrift', () => {
  it('execs spark-submit with the Thrift server in HTTP mode on the private address', async () => {
    const conf = tmpdir('sis-conf-');
    const r = await run('thrift', { ...dyno('thrift'), SPARK_CONF_DIR: conf });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(
      'spark-submit --class org.apache.spark.sql.hive.thriftserver.HiveThriftServer2 --name Thrift JDBC/ODBC Server --master spark://1.master.demo.app.localspace:7077 spark-internal ' +
        '--hiveconf hive.server2.transport.mode=http --hiveconf hive.server2.thrift.http.port=10001 --hiveconf hive.server2.thrift.bind.host=10.0.7.1 --hiveconf hive.server2.thrift.http.path=cliservice',
    );
    expect(readFileSync(path.join(conf, 'spark-defaults.conf'), 'utf8')).toContain('spark.driver.bindAddress 10.0.7.1');
  });
});

describe('bin/connect', () => {
  it('refuses a Spark without the Connect jar, saying why (before 4.0: which version has it)', async () => {
    const r = await run('connect', { ...dyno('connect'), SPARK_CONF_DIR: tmpdir('sis-conf-'), SPARK_CONNECT_TOKEN: 'a-token-of-24-characters' });
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/has no spark-connect_\*\.jar: this Spark 4\.2\.0 distribution lacks the Connect server/);
    const old = tmpdir('sis-stub-35-');
    mkdirSync(path.join(old, 'bin'));
    symlinkSync(path.join(stub, 'bin', 'spark-submit'), path.join(old, 'bin', 'spark-class'));
    writeFileSync(path.join(old, 'RELEASE'), 'Spark 3.5.9 built for Hadoop 3.3.4\n');
    const r35 = await run('connect', { ...dyno('connect'), SPARK_HOME: old, SPARK_CONF_DIR: tmpdir('sis-conf-'), SPARK_CONNECT_TOKEN: 'a-token-of-24-characters' });
    expect(r35.exitCode).not.toBe(0);
    expect(r35.stderr).toMatch(/Spark 3\.5\.9 ships no Connect server .*set \.spark\.version to 4\.0\.0 or newer/);
  });

  it('refuses to start without SPARK_CONNECT_TOKEN, naming it with an example; a bad token is named, never echoed', async () => {
    writeFileSync(path.join(stub, 'jars', 'spark-connect_2.13-4.2.0.jar'), '');
    const none = await run('connect', { ...dyno('connect'), SPARK_CONF_DIR: tmpdir('sis-conf-') });
    expect(none.exitCode).not.toBe(0);
    expect(none.stderr).toContain('SPARK_CONNECT_TOKEN');
    expect(none.stderr).toContain('SPARK_CONNECT_TOKEN=$(openssl rand -hex 32)');
    const bad = await run('connect', { ...dyno('connect'), SPARK_CONF_DIR: tmpdir('sis-conf-'), SPARK_CONNECT_TOKEN: 'bad token; with-a-secret-part' });
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stderr).toContain('SPARK_CONNECT_TOKEN');
    expect(bad.all).not.toContain('with-a-secret-part');
  });
});

describe('bin/spark-submit --deploy-mode cluster', () => {
  it('the client runs with nothing of the one-off dyno, reads the rendered properties, and the driver gets the secret from the argument file', async () => {
    const conf = tmpdir('sis-conf-');
    const env = { ...dyno('run'), SPARK_CONF_DIR: conf, SPARK_LOCAL_DIRS: '/tmp/run-1', SPARK_AUTH_SECRET: SECRET };
    const r = await run('spark-submit', env, ['--deploy-mode', 'cluster', '--supervise', '--class', 'Job', 'job.jar']);
    expect(r.exitCode, r.all).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`spark-submit --properties-file ${conf}/spark-defaults.conf --master spark://1.master.demo.app.localspace:7077 --deploy-mode cluster --supervise --class Job job.jar`);
    expect(lines.slice(1)).toEqual(['SPARK_CONF_DIR=unset', 'SPARK_LOCAL_DIRS=unset', 'SPARK_LOCAL_IP=unset', 'DYNO=unset', 'HEROKU_PRIVATE_IP=unset', 'SPARK_ENV_LOADED=1', `SPARK_HOME=${stub}`]);
    const props = readFileSync(path.join(conf, 'spark-defaults.conf'), 'utf8');
    expect(props).toContain(`spark.driver.extraJavaOptions @${stub}/conf/driver-auth.args`);
    expect(props).not.toMatch(/spark\.driver\.(host|bindAddress)/);
    expect(r.all).not.toContain(SECRET);
  });

  it('every worker renders that argument file (0600) where cluster-mode drivers look for it', async () => {
    const home = tmpdir('sis-stub-home-');
    mkdirSync(path.join(home, 'bin'), { recursive: true });
    symlinkSync(path.join(stub, 'bin', 'spark-class'), path.join(home, 'bin', 'spark-class'));
    writeFileSync(path.join(home, 'RELEASE'), 'Spark 4.2.0 built for Hadoop 3.5.0\n');
    // a stand-in master the worker's launcher finds (it waits for one) through the JVMs' hosts file
    const hosts = path.join(tmpdir('sis-hosts-'), 'hosts');
    writeFileSync(hosts, '127.0.0.79 1.master.demo.app.localspace\n');
    const master = net.createServer((c) => c.end());
    await new Promise<void>((r) => master.listen(7077, '127.0.0.79', () => r()));
    try {
      const r = await execa(bin('spark-worker'), [], {
        reject: false,
        all: true,
        env: { SPARK_HOME: home, ...dyno('worker'), SPARK_CONF_DIR: tmpdir('sis-conf-'), SPARK_AUTH_SECRET: SECRET, JAVA_TOOL_OPTIONS: `-Djdk.net.hosts.file=${hosts}` },
      });
      expect(r.all).toContain('spark-class org.apache.spark.deploy.worker.Worker');
      expect(r.all).not.toContain(SECRET);
    } finally {
      master.close();
    }
    const file = path.join(home, 'conf', 'driver-auth.args');
    expect(readFileSync(file, 'utf8')).toBe(`"-Dspark.authenticate.secret=${SECRET}"\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});

describe('.profile.d in a one-off dyno', () => {
  const appHome = () => {
    const home = tmpdir('sis-app-home-');
    for (const d of ['bin', 'dist', 'templates']) symlinkSync(path.join(buildpackDir(), d), path.join(home, d));
    mkdirSync(path.join(home, '.profile.d'));
    writeFileSync(path.join(home, '.profile.d', 'spark.sh'), profileScript());
    return home;
  };
  const source = (home: string, env: Record<string, string>) =>
    execa('bash', ['-c', 'source "$HOME/.profile.d/spark.sh" && echo "PATH=$PATH"'], { reject: false, all: true, env: { PATH: process.env.PATH!, HOME: home, SPARK_HOME: stub, ...env } });

  it('run.N: the driver conf rendered (master, bind address), Spark’s bin/ on PATH', async () => {
    const conf = tmpdir('sis-conf-');
    const r = await source(appHome(), { ...dyno('run'), SPARK_CONF_DIR: conf });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain(`:${stub}/bin`);
    const props = readFileSync(path.join(conf, 'spark-defaults.conf'), 'utf8');
    expect(props).toContain('spark.master spark://1.master.demo.app.localspace:7077');
    expect(props).toContain('spark.driver.bindAddress 10.0.7.1');
  });

  it('run.N: a bare `spark-submit --deploy-mode cluster` is the launcher: the client runs clean (client mode too)', async () => {
    const home = appHome();
    const conf = tmpdir('sis-conf-');
    const env = { PATH: process.env.PATH!, HOME: home, SPARK_HOME: stub, ...dyno('run'), SPARK_CONF_DIR: conf, SPARK_LOCAL_DIRS: '/tmp/run-1' };
    const r = await execa('bash', ['-c', 'source "$HOME/.profile.d/spark.sh" && echo "PATH=$PATH" && spark-submit --deploy-mode cluster --class Job job.jar'], { reject: false, all: true, env });
    expect(r.exitCode, r.all).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^PATH=${home}/bin/support/path:`));
    expect(lines[1]).toBe(`spark-submit --properties-file ${conf}/spark-defaults.conf --master spark://1.master.demo.app.localspace:7077 --deploy-mode cluster --class Job job.jar`);
    expect(lines).toContain('SPARK_CONF_DIR=unset');
    expect(lines).toContain('SPARK_LOCAL_IP=unset');
    expect(lines).toContain('SPARK_ENV_LOADED=1');
    // client mode through the same name: the launcher again (the one-off's conf, its own environment)
    const c = await execa('bash', ['-c', 'source "$HOME/.profile.d/spark.sh" && spark-submit --class Job job.jar'], { reject: false, all: true, env });
    expect(c.exitCode, c.all).toBe(0);
    expect(c.stdout.split('\n')[0]).toBe('spark-submit --master spark://1.master.demo.app.localspace:7077 --class Job job.jar');
    expect(c.stdout).toContain(`SPARK_CONF_DIR=${conf}`);
  });

  it('a bad config var: a warning naming it, and the dyno still starts', async () => {
    const conf = tmpdir('sis-conf-');
    const r = await source(appHome(), { ...dyno('run'), SPARK_CONF_DIR: conf, SPARK_MASTERS: 'two' });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stderr).toMatch(/WARNING: no Spark conf rendered for this dyno.*SPARK_MASTERS/);
    expect(r.stdout).toContain(`:${stub}/bin`);
  });

  it('other dynos (worker.N, web.N): nothing rendered at login, their launchers do it', async () => {
    const conf = tmpdir('sis-conf-');
    const r = await source(appHome(), { ...dyno('worker'), SPARK_CONF_DIR: conf });
    expect(r.exitCode, r.all).toBe(0);
    expect(existsSync(path.join(conf, 'spark-defaults.conf'))).toBe(false);
    expect(r.stdout).not.toContain('support/path');
  });
});
