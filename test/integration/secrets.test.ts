/**
 * The launchers apply the secrets table (src/secrets.ts): every one of them, run as on a dyno that
 * holds every secret (Heroku gives every dyno every config var), execs its process with only the
 * secrets its type may see. A stub SPARK_HOME whose tools print the secret-bearing variables of their
 * environment; the sidecars and the proxy through bin/support/launch.sh's `run_as`. Real JVMs: the
 * e2e in test/e2e/metastore.test.ts.
 */
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, buildpackDir, tmpdir } from '../helpers/buildpack.js';

const TOKEN = 'HRKU-5ecret-platform-token-0123456789';
const DB = 'postgres://meta:db-password-0123@db.internal:5432/meta';
const EVERY_SECRET: Record<string, string> = {
  SPARK_HEROKU_ACCESS_TOKEN: TOKEN,
  SPARK_METASTORE_DATABASE_URL: DB,
  DATABASE_URL: DB,
  HEROKU_POSTGRESQL_PINK_URL: DB,
  SPACE_PROXY_PASSWORD: 'proxy-password-0123456789',
  SPARK_CONNECT_TOKEN: 'connect-token-0123456789abcdef',
  SPARK_S3_AWS_ACCESS_KEY_ID: 'AKIASPARKINSPACE01',
  SPARK_S3_AWS_SECRET_ACCESS_KEY: 's3-secret-key-0123456789abcdef',
  AWS_ACCESS_KEY_ID: 'AKIAAWSDEFAULTCHAIN',
  AWS_SECRET_ACCESS_KEY: 'aws-chain-secret-0123456789',
  SPARK_AUTH_SECRET: 'cluster-secret-0123456789abcdef',
  // the app's own copy of the token under another name
  APP_HEROKU_TOKEN_COPY: TOKEN,
};
/** What the stub prints: the names of these that it holds. */
const NAMES = [...Object.keys(EVERY_SECRET), 'SPARK_CONNECT_AUTHENTICATE_TOKEN'];
const AWS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'];
// an address no other test file listens on (they run side by side)
const IP = '127.0.0.91';
const dyno = (type: string) => ({
  DYNO: `${type}.1`,
  HEROKU_PRIVATE_IP: IP,
  HEROKU_DNS_DYNO_NAME: `1.${type}.secrets.app.localspace`,
  HEROKU_DNS_FORMATION_NAME: `${type}.secrets.app.localspace`,
  HEROKU_DNS_APP_NAME: 'secrets.app.localspace',
});

let stub: string;
let java: string;
let hosts: string;
/** marks what this file starts: the graceful-cycling watcher outlives its launcher (it waits for its master) */
const MARK = `SIS_SECRETS_TEST=${process.pid}`;
const servers: net.Server[] = [];

beforeAll(async () => {
  stub = tmpdir('sis-stub-secrets-');
  mkdirSync(path.join(stub, 'bin'));
  mkdirSync(path.join(stub, 'jars'));
  writeFileSync(path.join(stub, 'RELEASE'), 'Spark 4.2.0 built for Hadoop 3.5.0\n');
  // the Connect server's jar and ZooKeeper's, as a distribution carries them (the launchers look for them)
  for (const j of ['spark-connect_2.13-4.2.0.jar', 'zookeeper-3.9.4.jar']) writeFileSync(path.join(stub, 'jars', j), '');
  const print = `#!/bin/bash\necho "ran $(basename "$0")"\nfor v in ${NAMES.join(' ')}; do [ -n "\${!v+x}" ] && echo "HOLDS $v"; done\nexit 0\n`;
  // ZooKeeper's and the metastore's JVM start without Spark's scripts: a java that prints too
  java = tmpdir('sis-stub-java-');
  mkdirSync(path.join(java, 'bin'));
  for (const f of [path.join(stub, 'bin', 'spark-class'), path.join(stub, 'bin', 'spark-submit'), path.join(java, 'bin', 'java')]) {
    writeFileSync(f, print);
    chmodSync(f, 0o755);
  }
  // a master the worker's launcher finds, and a metastore the SQL servers' find (they wait for them), on an address of their own
  hosts = path.join(tmpdir('sis-hosts-'), 'hosts');
  writeFileSync(hosts, `${IP} 1.master.secrets.app.localspace\n${IP} 1.metastore.secrets.app.localspace\n`);
  for (const port of [7077, 9083])
    await new Promise<void>((resolve, reject) => {
      const s = net.createServer((c) => c.end()).once('error', reject);
      servers.push(s);
      s.listen(port, IP, () => resolve());
    });
});
afterAll(() => {
  servers.forEach((s) => s.close());
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p)))
    try {
      if (readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(MARK)) process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone already
    }
});

const held = (out: string) =>
  out
    .split('\n')
    .filter((l) => l.startsWith('HOLDS '))
    .map((l) => l.slice(6))
    .sort();

/**
 * Runs a launcher as a dyno would. Its output goes to a file: a sidecar it starts in the background
 * (graceful cycling) keeps the dyno's stdout open after the launcher's own process has ended.
 */
const run = async (launcher: string, type: string, args: string[] = [], extra: Record<string, string> = {}) => {
  const out = path.join(tmpdir('sis-out-'), 'out');
  const r = await execa('bash', ['-c', 'out="$1"; shift; "$@" >"$out" 2>&1', 'run', out, bin(launcher), ...args], {
    reject: false,
    all: true,
    env: {
      SPARK_HOME: stub,
      SPARK_CONF_DIR: tmpdir('sis-conf-'),
      JAVA_TOOL_OPTIONS: `-Djdk.net.hosts.file=${hosts}`,
      ...dyno(type),
      ...EVERY_SECRET,
      // nothing leaves the machine: the graceful-cycling watcher would call this API once its master is ALIVE
      HEROKU_API_URL: 'http://127.0.0.1:9',
      [MARK.split('=')[0]!]: MARK.split('=')[1]!,
      ...extra,
    },
  });
  const all = readFileSync(out, 'utf8');
  return { exitCode: r.exitCode, all, stdout: all };
};

describe('each launcher execs its process with only the secrets its type may see (src/secrets.ts)', () => {
  const cases: [launcher: string, type: string, expected: string[], args?: string[], extra?: () => Record<string, string>][] = [
    ['spark-master', 'master', []],
    ['spark-master-with-graceful-cycling', 'master', []],
    ['spark-worker', 'worker', AWS],
    ['history', 'history', AWS, [], () => ({ SPARK_EVENTLOG_DIR: `file:${tmpdir('sis-events-')}` })],
    ['thrift', 'thrift', AWS],
    ['zookeeper', 'zookeeper', [], [], () => ({ SPARK_ZOOKEEPERS: '1', ZOOKEEPER_DATA_DIR: tmpdir('sis-zk-'), JAVA_HOME: java })],
  ];
  for (const [launcher, type, expected, args, extra] of cases)
    it(`secret_env_${launcher}: ${expected.length ? expected.join(', ') : 'no secret'}`, async () => {
      const r = await run(launcher, type, args, extra?.());
      expect(r.exitCode, r.all).toBe(0);
      expect(r.stdout).toMatch(/^ran (spark-class|spark-submit|java)/m);
      expect(held(r.stdout)).toEqual([...expected].sort());
      // the launcher's own output names no secret's value
      for (const v of Object.values(EVERY_SECRET)) expect(r.all).not.toContain(v);
    });

  it('secret_env_connect: the Connect server keeps its token (the variable Spark reads) and S3, nothing else; nginx beside it too', async () => {
    const r = await run('connect', 'connect');
    expect(r.exitCode, r.all).toBe(0);
    expect(held(r.stdout)).toEqual([...AWS, 'SPARK_CONNECT_AUTHENTICATE_TOKEN', 'SPARK_CONNECT_TOKEN'].sort());
  });

  it('secret_env_one_off: spark-submit and spark-shell in client mode are the operator’s own: today’s environment', async () => {
    for (const launcher of ['spark-submit', 'spark-shell']) {
      const r = await run(launcher, 'run', ['--class', 'X', 'app.jar']);
      expect(r.exitCode, r.all).toBe(0);
      expect(held(r.stdout), launcher).toEqual(Object.keys(EVERY_SECRET).sort());
    }
  });

  it('secret_env_cluster_driver: a cluster-mode client sends its environment with the driver, so it runs with S3 credentials only (--wait too)', async () => {
    for (const wait of [[], ['--wait']]) {
      const r = await run('spark-submit', 'run', [...wait, '--deploy-mode', 'cluster', '--class', 'X', 'app.jar']);
      expect(held(r.stdout), r.all).toEqual(AWS);
    }
  });

  it('secret_env_sidecars: the autoscaler and graceful cycling hold the Platform API token (and its copy), nothing else; the proxy its password', async () => {
    const launch = path.join(buildpackDir(), 'bin', 'support', 'launch.sh');
    const asHolder = (holder: string) =>
      execa('bash', ['-c', `source "${launch}"; run_as ${holder} bash -c 'for v in ${NAMES.join(' ')}; do [ -n "\${!v+x}" ] && echo "HOLDS $v"; done; echo "WITHHELD=$SPARK_IN_SPACE_WITHHELD"'`], {
        reject: false,
        all: true,
        env: { ...dyno('master'), ...EVERY_SECRET },
      });
    for (const holder of ['autoscale', 'graceful-cycling']) {
      const r = await asHolder(holder);
      expect(r.exitCode, r.all).toBe(0);
      expect(held(r.stdout), holder).toEqual(['APP_HEROKU_TOKEN_COPY', 'SPARK_HEROKU_ACCESS_TOKEN']);
    }
    const web = await asHolder('web');
    expect(held(web.stdout)).toEqual(['SPACE_PROXY_PASSWORD']);
    // names, never values, of what was withheld
    expect(web.stdout).toMatch(/^WITHHELD=.*\bSPARK_HEROKU_ACCESS_TOKEN\b/m);
    for (const v of Object.values(EVERY_SECRET)) expect(web.all).not.toContain(v);
    const bad = await asHolder('nobody');
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/unknown secret holder "nobody" \(one of master, worker/);
  });

  it('secret_env_refuses: a launcher that cannot remove a secret starts nothing', async () => {
    // no `env` to run: the exec fails and no process starts with the secret
    const r = await execa(
      'bash',
      [
        '-c',
        `PATH=/nonexistent; source "${path.join(buildpackDir(), 'bin', 'support', 'launch.sh')}"; NODE="${process.execPath}"; LAUNCH_ENTRY="${path.join(buildpackDir(), 'dist', 'launch.mjs')}"; exec_answer exec-as master -- /bin/echo STARTED`,
      ],
      {
        reject: false,
        all: true,
        env: { ...EVERY_SECRET },
      },
    );
    expect(r.exitCode).not.toBe(0);
    expect(r.stdout).not.toContain('STARTED');
  });
});
