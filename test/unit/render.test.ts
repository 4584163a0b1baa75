/**
 * Rendered confs: golden files (test/fixtures/render_<scenario>/) for a legacy log4j 1 Spark, a 3.5
 * and a 4.x, and the derivations one by one. UPDATE_GOLDEN=1 rewrites the goldens (review the diff).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig, type Env } from '../../src/config/schema.js';
import { computeConf, renderConf, shellQuote, type Role } from '../../src/render/index.js';
import { cgroupLimitBytes, daemonMemoryMb, workerMemoryMb } from '../../src/render/resources.js';
import { argvFor, DRAIN_WORKER } from '../../src/launch/index.js';
import { masterUrl, dynoName } from '../../src/space/index.js';
import { isProblem } from '../../src/errors.js';
import { problemOf } from '../helpers/problem.js';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures');
const dyno = (type: string, n: number): Env => ({
  DYNO: `${type}.${n}`,
  HEROKU_PRIVATE_IP: `10.0.${type === 'master' ? 1 : 2}.${n}`,
  HEROKU_DNS_DYNO_NAME: `${n}.${type}.demo.app.localspace`,
  HEROKU_DNS_FORMATION_NAME: `${type}.demo.app.localspace`,
  HEROKU_DNS_APP_NAME: 'demo.app.localspace',
});
const L = { memoryMb: 14336, cores: 8 }; // Private-L

function conf(env: Env, role: Role, version = '4.2.0', log4j: 1 | 2 = 2) {
  return computeConf({ settings: parseConfig(env, 'run'), env, role, spark: { version, log4j }, resources: L });
}
const defaultsOf = (c: ReturnType<typeof conf>) => Object.fromEntries(c.defaults);

const scenarios: { name: string; env: Env; role: Role; version: string; log4j: 1 | 2 }[] = [
  {
    name: 'render_legacy_1.6.1_worker',
    role: 'worker',
    version: '1.6.1',
    log4j: 1,
    env: { ...dyno('worker', 2), LOG_LEVEL: 'WARN', BUCKETEER_BUCKET_NAME: 'bucketeer-1', BUCKETEER_AWS_ACCESS_KEY_ID: 'AKIAOLD', BUCKETEER_AWS_SECRET_ACCESS_KEY: 'old/secret' },
  },
  {
    name: 'render_3.5.9_master_ha',
    role: 'master',
    version: '3.5.9',
    log4j: 2,
    env: {
      ...dyno('master', 1),
      SPARK_MASTERS: '3',
      KAFKA_ZOOKEEPER_URL: 'zookeeper://10.1.1.1:2181,zookeeper://10.1.1.2:2181',
      SPARK_EVENTLOG_DIR: 's3a://logs/spark-events',
      SPARK_S3_ENDPOINT: 'http://127.0.0.1:9000',
      SPARK_S3_AWS_ACCESS_KEY_ID: 'AKIATEST',
      SPARK_S3_AWS_SECRET_ACCESS_KEY: 'test/secret',
    },
  },
  {
    name: 'render_4.2.0_driver_auth_proxy',
    role: 'driver',
    version: '4.2.0',
    log4j: 2,
    env: {
      ...dyno('run', 1),
      SPARK_AUTH_SECRET: 's'.repeat(32),
      SPARK_REVERSE_PROXY_URL: 'https://spark.example.com',
      SPARK_EXECUTOR_MEMORY: '4g',
      SPARK_DEFAULTS_EXTRA: 'spark.sql.shuffle.partitions 64',
    },
  },
];

describe('golden confs', () => {
  for (const s of scenarios) {
    it(s.name, async () => {
      const files = renderConf(conf(s.env, s.role, s.version, s.log4j));
      const dir = path.join(FIXTURES, s.name);
      if (process.env.UPDATE_GOLDEN) {
        mkdirSync(dir, { recursive: true });
        for (const f of files) writeFileSync(path.join(dir, f.name), f.content);
      }
      expect(readdirSync(dir).sort()).toEqual(files.map((f) => f.name).sort());
      for (const f of files) expect(f.content, f.name).toBe(readFileSync(path.join(dir, f.name), 'utf8'));
    });
  }

  it('log4j 1 for Spark < 3.3, log4j2 from 3.3', async () => {
    expect(renderConf(conf(dyno('worker', 1), 'worker', '1.6.1', 1)).map((f) => f.name)).toContain('log4j.properties');
    expect(renderConf(conf(dyno('worker', 1), 'worker', '3.5.9', 2)).map((f) => f.name)).toContain('log4j2.properties');
    expect(existsSync(path.join(FIXTURES, 'render_legacy_1.6.1_worker', 'log4j.properties'))).toBe(true);
  });

  it('every rendered file is 0600: a credential may hide in SPARK_DEFAULTS_EXTRA under any name', async () => {
    const withSecret = renderConf(conf({ ...dyno('master', 1), SPARK_AUTH_SECRET: 'x'.repeat(20) }, 'master'));
    expect(withSecret.map((f) => f.mode)).toEqual([0o600, 0o600, 0o600]);
    const azure = renderConf(conf({ ...dyno('master', 1), SPARK_DEFAULTS_EXTRA: 'spark.hadoop.fs.azure.account.key.acct.blob.core.windows.net c2VjcmV0' }, 'master'));
    expect(azure.every((f) => f.mode === 0o600)).toBe(true);
  });

  it('refuses to render a value with a line break: no var adds a line to a file', async () => {
    const c = conf(dyno('master', 1), 'master');
    c.defaults.push(['spark.ui.reverseProxyUrl', 'https://x\nspark.evil true']);
    expect(() => renderConf(c)).toThrow(/spark\.ui\.reverseProxyUrl: holds a line break/);
  });
});

describe('derivations', () => {
  it('master URL lists masters 1..SPARK_MASTERS of the app, or of SPARK_CLUSTER_APP', () => {
    expect(masterUrl(parseConfig({ HEROKU_DNS_APP_NAME: 'demo.app.localspace' }, 'run'))).toBe('spark://1.master.demo.app.localspace:7077');
    expect(masterUrl(parseConfig({ HEROKU_DNS_APP_NAME: 'demo.app.localspace', SPARK_MASTERS: '3' }, 'run'))).toBe(
      'spark://1.master.demo.app.localspace:7077,2.master.demo.app.localspace:7077,3.master.demo.app.localspace:7077',
    );
    expect(masterUrl(parseConfig({ HEROKU_DNS_APP_NAME: 'job.app.localspace', SPARK_CLUSTER_APP: 'cluster' }, 'run'))).toBe('spark://1.master.cluster.app.localspace:7077');
  });

  it('a dyno that needs HEROKU_DNS_APP_NAME says so, naming the var', () => {
    try {
      masterUrl(parseConfig({}, 'run'));
      expect.unreachable();
    } catch (err) {
      expect(isProblem(err, 'config-invalid')).toBe(true);
      expect((err as Error).message).toContain('HEROKU_DNS_APP_NAME: is not set');
    }
    expect(() => dynoName(parseConfig({ DYNO: 'master.1' }, 'run'), { DYNO: 'master.1' })).toThrow(/HEROKU_DNS_DYNO_NAME: is not set/);
  });

  it('ZooKeeper HA: zookeeper:// stripped, recovery dir /<app>', () => {
    const d = defaultsOf(conf({ ...dyno('master', 1), SPARK_ZK_ZOOKEEPER_URL: 'zookeeper://a:2181,zookeeper://b:2181' }, 'master'));
    expect(d['spark.deploy.recoveryMode']).toBe('ZOOKEEPER');
    expect(d['spark.deploy.zookeeper.url']).toBe('a:2181,b:2181');
    expect(d['spark.deploy.zookeeper.dir']).toBe('/demo');
  });

  it('seed defaults: 4 cores, 12g executors, 2g driver', () => {
    const d = defaultsOf(conf(dyno('master', 1), 'master'));
    expect([d['spark.deploy.defaultCores'], d['spark.executor.memory'], d['spark.driver.memory']]).toEqual(['4', '12g', '2g']);
  });

  it('SPARK_AUTH_SECRET: authenticate + network crypto, REST server off', () => {
    const d = defaultsOf(conf({ ...dyno('worker', 1), SPARK_AUTH_SECRET: 'k'.repeat(24) }, 'worker'));
    expect(d).toMatchObject({ 'spark.authenticate': 'true', 'spark.authenticate.secret': 'k'.repeat(24), 'spark.network.crypto.enabled': 'true', 'spark.master.rest.enabled': 'false' });
    const off = defaultsOf(conf({ ...dyno('worker', 1), SPARK_AUTH_SECRET: 'k'.repeat(24), SPARK_NETWORK_CRYPTO: 'false' }, 'worker'));
    expect(off['spark.network.crypto.enabled']).toBeUndefined();
    expect(defaultsOf(conf(dyno('worker', 1), 'worker'))['spark.authenticate']).toBeUndefined();
  });

  it('S3A: keys, endpoint (path style unless told otherwise), region', () => {
    const d = defaultsOf(
      conf({ ...dyno('worker', 1), SPARK_S3_AWS_ACCESS_KEY_ID: 'AKIA1', SPARK_S3_AWS_SECRET_ACCESS_KEY: 's3cr3t', SPARK_S3_ENDPOINT: 'https://r2.example', SPARK_S3_REGION: 'us-east-1' }, 'worker'),
    );
    expect(d).toMatchObject({
      'spark.hadoop.fs.s3a.access.key': 'AKIA1',
      'spark.hadoop.fs.s3a.secret.key': 's3cr3t',
      'spark.hadoop.fs.s3a.endpoint': 'https://r2.example',
      'spark.hadoop.fs.s3a.path.style.access': 'true',
      'spark.hadoop.fs.s3a.endpoint.region': 'us-east-1',
    });
    expect(defaultsOf(conf({ ...dyno('worker', 1), SPARK_S3_ENDPOINT: 'https://r2.example', SPARK_S3_PATH_STYLE: 'false' }, 'worker'))['spark.hadoop.fs.s3a.path.style.access']).toBe('false');
  });

  it('S3A: bucketeer’s legacy vars render exactly as the SPARK_S3_* ones', () => {
    const now = defaultsOf(
      conf({ ...dyno('worker', 1), SPARK_S3_BUCKET_NAME: 'bucket-1', SPARK_S3_AWS_ACCESS_KEY_ID: 'AKIA1', SPARK_S3_AWS_SECRET_ACCESS_KEY: 's3cr3t', SPARK_S3_REGION: 'eu-west-1' }, 'worker'),
    );
    const legacy = defaultsOf(
      conf({ ...dyno('worker', 1), BUCKETEER_BUCKET_NAME: 'bucket-1', BUCKETEER_AWS_ACCESS_KEY_ID: 'AKIA1', BUCKETEER_AWS_SECRET_ACCESS_KEY: 's3cr3t', BUCKETEER_AWS_REGION: 'eu-west-1' }, 'worker'),
    );
    expect(legacy).toEqual(now);
    expect(now['spark.hadoop.fs.s3a.aws.credentials.provider']).toBe('org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider');
  });

  it('S3A without keys: the AWS SDK’s default chain (instance roles, web identity), v2 from Spark 4, v1 on 3.5; no S3 at all: nothing', () => {
    const keyless = { ...dyno('worker', 1), SPARK_S3_BUCKET_NAME: 'bucket-1' };
    expect(defaultsOf(conf(keyless, 'worker'))['spark.hadoop.fs.s3a.aws.credentials.provider']).toBe('software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider');
    expect(defaultsOf(conf(keyless, 'worker', '3.5.9'))['spark.hadoop.fs.s3a.aws.credentials.provider']).toBe('com.amazonaws.auth.DefaultAWSCredentialsProviderChain');
    expect(defaultsOf(conf({ ...dyno('worker', 1), SPARK_EVENTLOG_DIR: 's3a://b/e' }, 'worker'))['spark.hadoop.fs.s3a.aws.credentials.provider']).toBe(
      'software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider',
    );
    const none = defaultsOf(conf(dyno('worker', 1), 'worker'));
    expect(Object.keys(none).filter((k) => k.includes('s3a'))).toEqual([]);
  });

  it('reverse proxy, event logs, and the driver reachable at its private IP', () => {
    const d = defaultsOf(conf({ ...dyno('run', 1), SPARK_REVERSE_PROXY_URL: 'https://p.example', SPARK_AUTH_SECRET: 's'.repeat(32), SPARK_EVENTLOG_DIR: 's3a://b/e' }, 'driver'));
    expect(d).toMatchObject({
      'spark.ui.reverseProxy': 'true',
      'spark.ui.reverseProxyUrl': 'https://p.example',
      'spark.eventLog.enabled': 'true',
      'spark.driver.host': '10.0.2.1',
      'spark.driver.bindAddress': '10.0.2.1',
    });
  });

  it('sql_reflect: SPARK_SQL_REFLECT restricts reflect() on the thrift and connect servers only (spark.sql.reflect.allowList, Spark 4.3+); an older Spark refuses, naming the var', () => {
    const server = (type: string, env: Env, version = '4.3.0') =>
      defaultsOf(computeConf({ settings: parseConfig({ ...dyno(type, 1), ...env }, 'run'), env: dyno(type, 1), role: 'driver', spark: { version, log4j: 2 }, resources: L, process: type }));
    for (const type of ['thrift', 'connect']) {
      expect(server(type, {})['spark.sql.reflect.allowList'], type).toBeUndefined();
      expect(server(type, { SPARK_SQL_REFLECT: 'on' })['spark.sql.reflect.allowList']).toBeUndefined();
      expect(server(type, { SPARK_SQL_REFLECT: 'off' })['spark.sql.reflect.allowList']).toBe('(?!)');
      expect(server(type, { SPARK_SQL_REFLECT: 'java\\.util\\.UUID\\..*, java\\.lang\\.Math\\.abs' })['spark.sql.reflect.allowList']).toBe('java\\.util\\.UUID\\..*,java\\.lang\\.Math\\.abs');
    }
    // the operator's own drivers and the daemons: Spark's default
    expect(server('run', { SPARK_SQL_REFLECT: 'off' })['spark.sql.reflect.allowList']).toBeUndefined();
    const p = problemOf(() => server('thrift', { SPARK_SQL_REFLECT: 'off' }, '4.2.0'));
    expect(p).toMatchObject({ code: 'config-invalid', issues: [{ name: 'SPARK_SQL_REFLECT', problem: expect.stringMatching(/Spark 4\.2\.0 cannot .*4\.3\.0/) }] });
    expect(server('thrift', { SPARK_SQL_REFLECT: 'on' }, '4.2.0')['spark.sql.reflect.allowList']).toBeUndefined();
    expect(problemOf(() => parseConfig({ SPARK_SQL_REFLECT: 'java.util.(' }, 'run'))).toMatchObject({ code: 'config-invalid', issues: [{ name: 'SPARK_SQL_REFLECT' }] });
  });

  it('the SQL servers share the cluster: dynamic allocation with shuffle tracking, 1-core executors, idle ones given back; SPARK_SERVER_* change it; no other dyno gets it', () => {
    const server = (type: string, env: Env = {}) =>
      defaultsOf(computeConf({ settings: parseConfig({ ...dyno(type, 1), ...env }, 'run'), env: dyno(type, 1), role: 'driver', spark: { version: '4.2.0', log4j: 2 }, resources: L, process: type }));
    for (const type of ['thrift', 'connect'])
      expect(server(type)).toMatchObject({
        'spark.dynamicAllocation.enabled': 'true',
        'spark.dynamicAllocation.shuffleTracking.enabled': 'true',
        'spark.dynamicAllocation.shuffleTracking.timeout': '60s',
        'spark.dynamicAllocation.executorIdleTimeout': '60s',
        'spark.dynamicAllocation.minExecutors': '0',
        'spark.dynamicAllocation.initialExecutors': '0',
        'spark.executor.cores': '1',
      });
    // without a cap the master's spark.deploy.defaultCores (SPARK_DEFAULT_CORES) bounds each server
    expect(server('thrift')['spark.cores.max']).toBeUndefined();
    expect(server('thrift', { SPARK_SERVER_IDLE_TIMEOUT: '2m', SPARK_SERVER_MAX_CORES: '3' })).toMatchObject({
      'spark.dynamicAllocation.executorIdleTimeout': '120s',
      'spark.cores.max': '3',
      'spark.dynamicAllocation.maxExecutors': '3',
    });
    const off = server('connect', { SPARK_SERVER_DYNAMIC_ALLOCATION: 'false', SPARK_SERVER_MAX_CORES: '2' });
    expect([off['spark.dynamicAllocation.enabled'], off['spark.cores.max']]).toEqual([undefined, '2']);
    for (const type of ['console', 'run', 'worker']) expect(server(type)['spark.dynamicAllocation.enabled'], type).toBeUndefined();
    expect(problemOf(() => parseConfig({ SPARK_SERVER_IDLE_TIMEOUT: 'soon' }, 'run'))).toMatchObject({
      code: 'config-invalid',
      issues: [{ name: 'SPARK_SERVER_IDLE_TIMEOUT', problem: 'must be a duration such as 30s, 10m or 1h', example: 'SPARK_SERVER_IDLE_TIMEOUT=2m' }],
    });
  });

  it('SPARK_DEFAULTS_EXTRA comes last, verbatim', async () => {
    const files = renderConf(conf({ ...dyno('master', 1), SPARK_DEFAULTS_EXTRA: 'spark.executor.memory 3g' }, 'master'));
    const text = files
      .find((f) => f.name === 'spark-defaults.conf')!
      .content.trim()
      .split('\n');
    expect(text.at(-1)).toBe('spark.executor.memory 3g');
  });

  it('worker offer: dyno memory minus headroom, nproc cores; or the config vars', () => {
    expect(conf(dyno('worker', 1), 'worker').worker).toEqual({ cores: 8, memory: `${workerMemoryMb(L)}m` });
    expect(workerMemoryMb({ memoryMb: 14336, cores: 8 })).toBe(14336 - 1024 - 1434);
    expect(workerMemoryMb({ memoryMb: 1024, cores: 1 })).toBe(256);
    expect(daemonMemoryMb({ memoryMb: 2560, cores: 2 })).toBe(512);
    expect(conf({ ...dyno('worker', 1), SPARK_WORKER_MEMORY: '6g', SPARK_WORKER_CORES: '3' }, 'worker').worker).toEqual({ cores: 3, memory: '6g' });
  });

  it('reads the cgroup limit (v2, then v1), ignoring "max" and absurd values', () => {
    const fake = (files: Record<string, string>) => (p: string) => files[p];
    expect(cgroupLimitBytes(fake({ '/sys/fs/cgroup/memory.max': '1073741824\n' }))).toBe(2 ** 30);
    expect(cgroupLimitBytes(fake({ '/sys/fs/cgroup/memory.max': 'max', '/sys/fs/cgroup/memory/memory.limit_in_bytes': '2684354560' }))).toBe(2684354560);
    expect(cgroupLimitBytes(fake({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712' }))).toBeUndefined();
    expect(cgroupLimitBytes(fake({}))).toBeUndefined();
  });

  it('spark-env.sh quotes values for bash', () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});

describe('launch argv', () => {
  const base = (env: Env, type: Parameters<typeof argvFor>[0], args: string[] = []) => {
    const settings = parseConfig(env, 'run');
    return argvFor(type, { sparkHome: '/s', settings, env, conf: conf(env, type === 'worker' ? 'worker' : 'master'), args });
  };
  it('master binds and advertises its DNS name on 7077/8080', () => {
    expect(base(dyno('master', 2), 'master')).toEqual([
      '/s/bin/spark-class',
      'org.apache.spark.deploy.master.Master',
      '--host',
      '2.master.demo.app.localspace',
      '--port',
      '7077',
      '--webui-port',
      '8080',
    ]);
  });
  it('worker registers with every master, under the drain watcher (SIGTERM → decommission, budget 25 s)', () => {
    const argv = base({ ...dyno('worker', 1), SPARK_MASTERS: '2', SPARK_WORKER_CORES: '2', SPARK_WORKER_MEMORY: '3g' }, 'worker');
    expect(argv).toEqual([
      DRAIN_WORKER,
      '25',
      '--',
      '/s/bin/spark-class',
      'org.apache.spark.deploy.worker.Worker',
      '--host',
      '1.worker.demo.app.localspace',
      '--webui-port',
      '8081',
      '--cores',
      '2',
      '--memory',
      '3g',
      'spark://1.master.demo.app.localspace:7077,2.master.demo.app.localspace:7077',
    ]);
  });
  it('spark-shell and spark-submit get the master URL unless given one', () => {
    expect(base(dyno('run', 1), 'spark-shell')).toEqual([
      'env',
      'SPARK_SUBMIT_OPTS=-Dscala.usejavacp=true',
      '/s/bin/spark-submit',
      '--class',
      'org.apache.spark.repl.Main',
      '--name',
      'Spark shell',
      '--master',
      'spark://1.master.demo.app.localspace:7077',
    ]);
    expect(base(dyno('run', 1), 'spark-submit', ['--master', 'local[2]', 'job.py'])).toEqual(['/s/bin/spark-submit', '--master', 'local[2]', 'job.py']);
  });
  it('worker without decommission: the JVM itself is the dyno process; a drain budget of its own', () => {
    const plain = base({ ...dyno('worker', 1), SPARK_DECOMMISSION: 'false' }, 'worker');
    expect(plain[0]).toBe('/s/bin/spark-class');
    expect(plain).not.toContain(DRAIN_WORKER);
    expect(base({ ...dyno('worker', 1), SPARK_DECOMMISSION_TIMEOUT: '12' }, 'worker').slice(0, 3)).toEqual([DRAIN_WORKER, '12', '--']);
    expect(DRAIN_WORKER).toMatch(/bin\/support\/drain-worker$/);
    expect(existsSync(DRAIN_WORKER)).toBe(true);
  });
  it('console idles', () => {
    expect(base(dyno('console', 1), 'console')).toEqual(['sleep', 'infinity']);
  });
});

describe('graceful decommission (SPARK_DECOMMISSION*)', () => {
  const keys = [
    'spark.decommission.enabled',
    'spark.worker.decommission.signal',
    'spark.storage.decommission.enabled',
    'spark.storage.decommission.rddBlocks.enabled',
    'spark.storage.decommission.shuffleBlocks.enabled',
  ];
  it('on by default for every role: the worker decommissions on PWR (drain-worker sends it), drivers migrate blocks', () => {
    for (const role of ['master', 'worker', 'driver', 'console'] as Role[]) {
      const d = defaultsOf(conf(dyno('worker', 1), role));
      expect(
        keys.map((k) => d[k]),
        role,
      ).toEqual(['true', 'PWR', 'true', 'true', 'true']);
      expect(d['spark.storage.decommission.replicationReattemptInterval']).toBe('5s');
      // its drivers ignore TERM as it does: a killed driver is SIGKILLed after 2 s, not 10
      expect(d['spark.worker.driverTerminateTimeout']).toBe('2s');
      expect(d['spark.executor.decommission.killInterval']).toBe('25s');
      expect(d['spark.stage.ignoreDecommissionFetchFailure']).toBe('true');
      // executors must not act on the dyno-wide SIGTERM themselves: it would race their driver's message
      expect(d['spark.executor.decommission.signal']).toBeUndefined();
      expect(d['spark.storage.decommission.fallbackStorage.path']).toBeUndefined();
    }
    expect(conf(dyno('worker', 1), 'worker').decommission).toEqual({ timeoutS: 25, fallback: undefined });
  });
  it('SPARK_DECOMMISSION=false renders none of it', () => {
    const c = conf({ ...dyno('worker', 1), SPARK_DECOMMISSION: 'false' }, 'worker');
    expect(c.decommission).toBeUndefined();
    expect(c.defaults.filter(([k]) => k.includes('decommission'))).toEqual([]);
  });
  it('Spark before 3.2 has no decommission signal: none rendered; 3.2-3.3 without the fetch-failure key', () => {
    expect(conf(dyno('worker', 1), 'worker', '3.1.3').defaults.filter(([k]) => k.includes('decommission'))).toEqual([]);
    const d = defaultsOf(conf(dyno('worker', 1), 'worker', '3.3.4'));
    expect(d['spark.decommission.enabled']).toBe('true');
    expect(d['spark.stage.ignoreDecommissionFetchFailure']).toBeUndefined();
  });
  it('SPARK_DECOMMISSION_TIMEOUT sets the drain budget and the scheduler’s kill interval', () => {
    const c = conf({ ...dyno('worker', 1), SPARK_DECOMMISSION_TIMEOUT: '10' }, 'driver');
    expect(c.decommission?.timeoutS).toBe(10);
    expect(defaultsOf(c)['spark.executor.decommission.killInterval']).toBe('10s');
  });
  it('SPARK_DECOMMISSION_FALLBACK: a directory (trailing slash added) cleaned up when the app ends', () => {
    const d = defaultsOf(conf({ ...dyno('run', 1), SPARK_DECOMMISSION_FALLBACK: 's3a://bucket/fallback' }, 'driver'));
    expect(d['spark.storage.decommission.fallbackStorage.path']).toBe('s3a://bucket/fallback/');
    expect(d['spark.storage.decommission.fallbackStorage.cleanUp']).toBe('true');
  });
});
