/**
 * Class-data sharing (src/cds): which archive a start uses, adopts or records; what the fingerprint
 * covers; the options and class path the rendered conf carries for daemons and drivers; executors'
 * class path, key and the worker's JAVA_HOME.
 */
import { describe, expect, it } from 'vitest';
import { cdsJavaOptions, fingerprint, partPid, planCds, type CdsInputs, type CdsState } from '../../src/cds/index.js';
import { parseConfig, type Env } from '../../src/config/schema.js';
import { CDS_STOP_WAIT_S, computeConf, type Role } from '../../src/render/index.js';
import { argvFor, cdsKey, DRAIN_WORKER } from '../../src/launch/index.js';
import { dynoEnv, formation, parseProcfile } from '../../src/local/formation.js';
import { EXECUTOR_ENV, EXECUTOR_MAIN, executorCdsKey, executorCdsRoot, executorClassPath, isExecutor, withArchive } from '../../src/cds/executor.js';
import { EXECUTOR_JDK, executorJdkEnv } from '../../src/launch/launchers.js';
import { existsSync } from 'node:fs';
import path from 'node:path';

const DIR = '/cache/cds/fp';
const none: CdsState = { archive: false, parts: [] };
const dead = () => false;
const live = () => true;

describe('planCds', () => {
  it('uses the archive there is, and drops finished recordings and a gone recorder’s claim', () => {
    const p = planCds(DIR, 'worker', { archive: true, parts: [{ pid: 7, file: `${DIR}/worker.7.jsa.part` }], recorder: 7 }, { pid: 9, record: true }, dead);
    expect(p).toEqual({ kind: 'use', archive: `${DIR}/worker.jsa`, drop: [`${DIR}/worker.7.jsa.part`, `${DIR}/worker.recording`] });
    expect(cdsJavaOptions(p)).toEqual([`-XX:SharedArchiveFile=${DIR}/worker.jsa`]);
  });
  it('adopts a recording whose writer has exited, never one still being written', () => {
    const parts = [
      { pid: 7, file: `${DIR}/worker.7.jsa.part` },
      { pid: 8, file: `${DIR}/worker.8.jsa.part` },
    ];
    const p = planCds(DIR, 'worker', { archive: false, parts }, { pid: 9, record: true }, (pid) => pid === 7);
    expect(p).toEqual({ kind: 'use', archive: `${DIR}/worker.jsa`, adopt: `${DIR}/worker.8.jsa.part`, drop: [] });
    // the writer still runs: this start neither adopts nor records (the writer holds the claim)
    expect(planCds(DIR, 'worker', { archive: false, parts: [parts[0]!], recorder: 7 }, { pid: 9, record: true }, live).kind).toBe('none');
  });
  it('records when nobody does, one process at a time; a claim of a process gone is void', () => {
    const p = planCds(DIR, 'master', none, { pid: 42, record: true }, live);
    expect(p).toEqual({ kind: 'record', part: `${DIR}/master.42.jsa.part`, drop: [] });
    expect(cdsJavaOptions(p)).toEqual([`-XX:ArchiveClassesAtExit=${DIR}/master.42.jsa.part`]);
    const busy = planCds(DIR, 'master', { ...none, recorder: 41 }, { pid: 42, record: true }, live);
    expect(busy).toMatchObject({ kind: 'none', why: expect.stringContaining('pid 41') });
    expect(cdsJavaOptions(busy)).toEqual([]);
    expect(planCds(DIR, 'master', { ...none, recorder: 41 }, { pid: 42, record: true }, dead).kind).toBe('record');
  });
  it('a start that may not record (a one-off’s conf) only uses', () => {
    expect(planCds(DIR, 'spark-submit', none, { pid: 42, record: false }, live)).toMatchObject({ kind: 'none', why: expect.stringContaining('no class-data archive') });
  });
  it('reads the pid of a recording’s name, for its own key only', () => {
    expect(partPid('spark-shell', 'spark-shell.123.jsa.part')).toBe(123);
    expect(partPid('spark-shell', 'spark-submit.123.jsa.part')).toBeUndefined();
    expect(partPid('worker', 'worker.jsa')).toBeUndefined();
  });
});

describe('fingerprint', () => {
  const base: CdsInputs = {
    java: '/usr/lib/jvm/java-17/bin/java',
    modules: { size: 100, mtimeMs: 1 },
    jars: [
      { name: 'a.jar', size: 1, mtimeMs: 1 },
      { name: 'b.jar', size: 2, mtimeMs: 2 },
    ],
    sparkHome: '/app/spark-home',
  };
  it('changes with anything the JVM checks an archive against', () => {
    const fp = fingerprint(base);
    expect(fingerprint({ ...base })).toBe(fp);
    for (const changed of [
      { ...base, java: '/opt/jdk/bin/java' },
      { ...base, modules: { size: 101, mtimeMs: 1 } },
      { ...base, sparkHome: '/tmp/build/spark-home' },
      { ...base, jars: [...base.jars].reverse() }, // jars/* expands in directory order
      { ...base, jars: [base.jars[0]!, { ...base.jars[1]!, mtimeMs: 3 }] },
      { ...base, jars: [base.jars[0]!] },
    ])
      expect(fingerprint(changed)).not.toBe(fp);
  });
});

describe('the conf of a start with an archive', () => {
  const env = (type: string): Env => ({ DYNO: `${type}.1`, HEROKU_PRIVATE_IP: '10.0.0.1', HEROKU_DNS_APP_NAME: 'demo.app.localspace' });
  const conf = (type: string, role: Role, cds?: { options: string[]; classPath: string }, clusterMode = false) =>
    computeConf({ settings: parseConfig(env(type), 'run'), env: env(type), role, spark: { version: '4.2.0', log4j: 2 }, resources: { memoryMb: 2048, cores: 2 }, process: type, clusterMode, cds });
  const use = { options: ['-XX:SharedArchiveFile=/c/fp/master.jsa'], classPath: '/app/spark-home/jars/*' };
  it('a daemon: the archive in SPARK_DAEMON_JAVA_OPTS, the jars before the conf dir in SPARK_DAEMON_CLASSPATH', () => {
    const e = Object.fromEntries(conf('master', 'master', use).env);
    expect(e.SPARK_DAEMON_JAVA_OPTS).toContain('-XX:SharedArchiveFile=/c/fp/master.jsa');
    expect(e.SPARK_DAEMON_CLASSPATH).toBe('/app/spark-home/jars/*');
    expect(Object.fromEntries(conf('master', 'master', use).defaults)['spark.driver.extraClassPath']).toBeUndefined();
  });
  it('a client-mode driver: spark.driver.extraClassPath and extraJavaOptions; a cluster-mode submit carries none', () => {
    const d = Object.fromEntries(conf('thrift', 'driver', use).defaults);
    expect(d['spark.driver.extraClassPath']).toBe('/app/spark-home/jars/*');
    expect(d['spark.driver.extraJavaOptions']).toBe('-XX:SharedArchiveFile=/c/fp/master.jsa');
    const c = Object.fromEntries(conf('spark-submit', 'driver', use, true).defaults);
    expect(c['spark.driver.extraClassPath']).toBeUndefined();
    expect(c['spark.driver.extraJavaOptions']).toBeUndefined();
    expect(cdsKey('spark-submit', true)).toBeUndefined();
    expect(cdsKey('spark-submit', false)).toBe('spark-submit');
    expect(cdsKey('zookeeper', false)).toBeUndefined();
  });
  it('no archive (none yet, SPARK_CDS=false, no SPARK_CDS_DIR): the class path and options as before', () => {
    for (const cds of [undefined, { options: [], classPath: '/app/spark-home/jars/*' }]) {
      const c = conf('worker', 'worker', cds);
      expect(Object.fromEntries(c.env).SPARK_DAEMON_CLASSPATH).toBeUndefined();
      expect(Object.fromEntries(c.env).SPARK_DAEMON_JAVA_OPTS).not.toMatch(/SharedArchiveFile|ArchiveClassesAtExit/);
    }
    expect(parseConfig({ SPARK_CDS: 'false' }, 'run').SPARK_CDS).toBe(false);
    expect(parseConfig({}, 'run').SPARK_CDS).toBe(true);
    expect(() => parseConfig({ SPARK_CDS_DIR: 'relative/dir' }, 'run')).toThrow(/SPARK_CDS_DIR[\s\S]*absolute path/);
  });
  it('a draining worker that records its archive gets time to write it at exit', () => {
    const recording = { options: ['-XX:ArchiveClassesAtExit=/c/fp/worker.9.jsa.part'], classPath: '/app/spark-home/jars/*' };
    const c = conf('worker', 'worker', recording);
    expect(c.decommission?.stopWaitS).toBe(CDS_STOP_WAIT_S);
    const settings = parseConfig(env('worker'), 'run');
    const argv = argvFor('worker', { sparkHome: '/app/spark-home', settings, env: env('worker'), conf: c, args: [] });
    expect(argv.slice(0, 4)).toEqual([DRAIN_WORKER, String(c.decommission!.timeoutS), String(CDS_STOP_WAIT_S), '--']);
    expect(conf('worker', 'worker', use).decommission?.stopWaitS).toBeUndefined();
  });
});

describe('local spaces', () => {
  const f = formation('demo', parseProcfile('master: x\nworker: x\n'), { master: 1, worker: 1 });
  const envOf = (config: Env) => dynoEnv(f.dynos[0]!, { app: 'demo', config, stateDir: '/tmp/s', sparkHome: '/h', port: 5000 });
  it('keep the archives in the user’s cache unless .env says otherwise (empty: off)', () => {
    expect(envOf({}).SPARK_CDS_DIR).toMatch(/spark-in-space\/cds$/);
    expect(envOf({ SPARK_CDS_DIR: '/x' }).SPARK_CDS_DIR).toBe('/x');
    expect(envOf({ SPARK_CDS_DIR: '' }).SPARK_CDS_DIR).toBe('');
  });
});

describe('executors’ class-data archives (src/cds/executor.ts), as pure decisions', () => {
  const home = '/app/spark-home';
  it('Spark’s executor class path (the conf dir, Spark’s named jars, jars/*) becomes the jars first, the conf dir after them', () => {
    expect(executorClassPath(`/app/conf/:${home}/jars/slf4j-api-2.0.17.jar:${home}/jars/*`)).toEqual({
      kind: 'ok',
      sparkHome: home,
      classPath: `${home}/jars/slf4j-api-2.0.17.jar:${home}/jars/*:/app/conf/`,
      jars: `${home}/jars/slf4j-api-2.0.17.jar:${home}/jars/*`,
    });
    expect(executorClassPath(`/app/conf:${home}/jars/*`)).toMatchObject({ kind: 'ok', classPath: `${home}/jars/*:/app/conf`, jars: `${home}/jars/*` });
    // already jars first (a driver's spark.executor.extraClassPath=jars/*): kept
    expect(executorClassPath(`${home}/jars/*:/app/conf`)).toMatchObject({ kind: 'ok', classPath: `${home}/jars/*:/app/conf` });
  });

  it('an app’s own entries before Spark’s jars are left where they are, without an archive; so is a class path without Spark', () => {
    expect(executorClassPath(`/app/lib/guava.jar:/app/conf:${home}/jars/*`)).toEqual({
      kind: 'keep',
      why: "its class path puts /app/lib/guava.jar:/app/conf before Spark's jars (spark.executor.extraClassPath)",
    });
    expect(executorClassPath('/app/conf:/opt/x.jar')).toEqual({ kind: 'keep', why: 'its class path has no Spark jars/*' });
  });

  it('another jar order is another archive; the options go first, the class path in place', () => {
    expect(executorCdsKey(`${home}/jars/*`)).toMatch(/^executor-[0-9a-f]{8}$/);
    expect(executorCdsKey(`${home}/jars/*`)).not.toBe(executorCdsKey(`${home}/jars/a.jar:${home}/jars/*`));
    expect(withArchive(['-cp', 'old', '-Xmx1g', EXECUTOR_MAIN], 'new', ['-XX:SharedArchiveFile=/a.jsa'])).toEqual(['-XX:SharedArchiveFile=/a.jsa', '-cp', 'new', '-Xmx1g', EXECUTOR_MAIN]);
    expect(isExecutor(['-cp', 'x', EXECUTOR_MAIN, '--driver-url', 'u'])).toBe(true);
    expect(isExecutor(['-cp', 'x', 'org.apache.spark.deploy.worker.DriverWrapper'])).toBe(false);
  });

  it('a worker’s launcher points JAVA_HOME at the executor JDK, with the real one and the archives’ root beside it (SPARK_CDS_DIR, else the dyno’s temp dir)', () => {
    expect(executorJdkEnv('/usr/lib/jvm/17', '/tmp/spark-in-space-cds')).toEqual([
      'env',
      `JAVA_HOME=${EXECUTOR_JDK}`,
      'SPARK_IN_SPACE_JAVA_HOME=/usr/lib/jvm/17',
      'SPARK_IN_SPACE_EXECUTOR_CDS=/tmp/spark-in-space-cds',
    ]);
    expect(existsSync(path.join(EXECUTOR_JDK, 'bin', 'java'))).toBe(true);
    expect(executorCdsRoot('/var/cds')).toBe('/var/cds');
    expect(executorCdsRoot(undefined, '/tmp')).toBe('/tmp/spark-in-space-cds');
    expect(Object.values(EXECUTOR_ENV)).toEqual(['SPARK_IN_SPACE_JAVA_HOME', 'SPARK_IN_SPACE_EXECUTOR_CDS']);
  });
});
