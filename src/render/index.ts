/**
 * What a launcher writes into the Spark conf dir at every dyno start, as pure functions of the
 * config vars: spark-defaults.conf, spark-env.sh and the log4j file of the installed Spark.
 * Templates live in templates/*.ejs; `writeConf` renders to temp files and renames them in.
 */
import { writeFilesAtomic, type FileToWrite } from '../fs/atomic.js';
import { fail } from '../errors.js';
import path from 'node:path';
import { renderTemplate } from './templates.js';
import type { SparkFeature } from '../spark-features.js';
import type { Env, Settings } from '../config/schema.js';
import { compareVersions } from '../catalog/index.js';
import { CONNECT_BACKEND_PORT, masterUrl } from '../space/index.js';
import { HANDOVER_FACTORY, zookeeperDir, zookeeperUrl } from '../zookeeper/index.js';
import { daemonMemoryMb, workerMemoryMb, type Resources } from './resources.js';
import { specOf, type Role } from '../process-types.js';
import { driverMetastoreConf, metastoreOn } from '../metastore/index.js';

export type { Role } from '../process-types.js';

export interface SparkInfo {
  version: string;
  log4j: 1 | 2;
  /** what SPARK_SLIM left out of this build (the build's record) */
  slim?: SparkFeature[];
  /** the build compiled the master's handover (spark-home/jars/HANDOVER_JAR: src/buildpack/handover.ts) */
  handover?: boolean;
}

export interface ConfInput {
  settings: Settings;
  env: Env;
  role: Role;
  spark: SparkInfo;
  resources: Resources;
  /** the process type, for what only it needs (the Connect server's binding) */
  process?: string;
  /** spark-submit --deploy-mode cluster: the driver runs on a worker, bound to the worker's address */
  clusterMode?: boolean;
  /** class-data sharing for this JVM (src/cds): its options, and the jars to put before the conf dir */
  cds?: { options: string[]; classPath: string };
}

export interface Conf {
  /** spark-defaults.conf, in order; secrets included (the file is 0600) */
  defaults: [string, string][];
  /** extra lines from SPARK_DEFAULTS_EXTRA, appended verbatim */
  extra: string[];
  /** spark-env.sh */
  env: [string, string][];
  /** format: SPARK_LOG_FORMAT where this Spark has it (json: Spark 4's structured logging) */
  log4j: { file: 'log4j.properties' | 'log4j2.properties'; level: string; format: 'text' | 'json' };
  /** worker offer, for argv */
  worker: { cores: number; memory: string };
  /** graceful decommission on SIGTERM: the drain deadline (s), the fallback storage, how long the stopped JVM may take to exit (s) */
  decommission?: { timeoutS: number; fallback?: string; stopWaitS?: number };
  /** a driver dyno: `pyspark < script` runs the script in the shell (spark-env.sh) */
  driver: boolean;
}

export { TEMPLATES } from './templates.js';

/** The AWS SDK's default credential chain: v2 from Spark 4 (Hadoop 3.4+), v1 before. */
export const awsDefaultChain = (sparkVersion: string) =>
  compareVersions(sparkVersion, '4.0.0') >= 0 ? 'software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider' : 'com.amazonaws.auth.DefaultAWSCredentialsProviderChain';

/** A section's entries: `set` skips an undefined value, as Spark would take no line for it. */
type Entries = [string, string][];
function entries(fill: (set: (k: string, v: string | number | boolean | undefined) => void) => void): Entries {
  const out: Entries = [];
  fill((k, v) => {
    if (v !== undefined) out.push([k, String(v)]);
  });
  return out;
}

/** Pure: the cluster itself: its master URL, sizes, ZooKeeper recovery, the UI's reverse proxy, authentication. */
export const clusterConf = (s: Settings, version: string, handover = false): Entries =>
  entries((set) => {
    set('spark.master', masterUrl(s));
    set('spark.deploy.defaultCores', s.SPARK_DEFAULT_CORES);
    set('spark.executor.memory', s.SPARK_EXECUTOR_MEMORY);
    set('spark.driver.memory', s.SPARK_DRIVER_MEMORY);
    const zk = zookeeperUrl(s);
    if (zk) {
      // masters elect a leader and keep the workers and applications they know under /<app>
      // with the build's handover factory: Spark's ZooKeeper recovery, and a stopped leader closes its session
      set('spark.deploy.recoveryMode', handover ? 'CUSTOM' : 'ZOOKEEPER');
      if (handover) set('spark.deploy.recoveryMode.factory', HANDOVER_FACTORY);
      set('spark.deploy.zookeeper.url', zk);
      set('spark.deploy.zookeeper.dir', zookeeperDir(s));
      // a new leader waits this long for the workers and drivers it recovered to answer (else the
      // worker timeout, 60 s): one gone for good (a cycled dyno's old incarnation) delays it no longer
      if (compareVersions(version, '4.0.0') >= 0) set('spark.deploy.recoveryTimeout', `${RECOVERY_TIMEOUT_S}s`);
    }
    if (s.SPARK_REVERSE_PROXY_URL) {
      set('spark.ui.reverseProxy', true);
      set('spark.ui.reverseProxyUrl', s.SPARK_REVERSE_PROXY_URL);
    }
    // The REST submission server (6066) ignores spark.authenticate (CVE-2018-11770): always off.
    set('spark.master.rest.enabled', false);
    if (s.SPARK_AUTH_SECRET) {
      set('spark.authenticate', true);
      set('spark.authenticate.secret', s.SPARK_AUTH_SECRET);
    }
    const crypto = s.SPARK_NETWORK_CRYPTO ?? Boolean(s.SPARK_AUTH_SECRET);
    if (crypto) set('spark.network.crypto.enabled', true);
  });

/** Pure: S3 through S3A: keys (or the AWS SDK's default chain), endpoint, path style, region. */
export const s3Conf = (s: Settings, version: string): Entries =>
  entries((set) => {
    if (s.SPARK_S3_AWS_ACCESS_KEY_ID) set('spark.hadoop.fs.s3a.access.key', s.SPARK_S3_AWS_ACCESS_KEY_ID);
    if (s.SPARK_S3_AWS_SECRET_ACCESS_KEY) set('spark.hadoop.fs.s3a.secret.key', s.SPARK_S3_AWS_SECRET_ACCESS_KEY);
    if (s.SPARK_S3_AWS_ACCESS_KEY_ID && s.SPARK_S3_AWS_SECRET_ACCESS_KEY) set('spark.hadoop.fs.s3a.aws.credentials.provider', 'org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider');
    else if (s.SPARK_S3_BUCKET_NAME || s.SPARK_S3_ENDPOINT || s.SPARK_S3_REGION || /^s3a:/.test(s.SPARK_EVENTLOG_DIR ?? ''))
      // S3 without keys: the AWS SDK's own default chain (environment, web identity, profile,
      // container and instance roles); S3A's chain leaves web identity out
      set('spark.hadoop.fs.s3a.aws.credentials.provider', awsDefaultChain(version));
    if (s.SPARK_S3_ENDPOINT) {
      set('spark.hadoop.fs.s3a.endpoint', s.SPARK_S3_ENDPOINT);
      set('spark.hadoop.fs.s3a.path.style.access', s.SPARK_S3_PATH_STYLE ?? true);
      if (s.SPARK_S3_ENDPOINT.startsWith('http:')) set('spark.hadoop.fs.s3a.connection.ssl.enabled', false);
    } else if (s.SPARK_S3_PATH_STYLE !== undefined) set('spark.hadoop.fs.s3a.path.style.access', s.SPARK_S3_PATH_STYLE);
    if (s.SPARK_S3_REGION) set('spark.hadoop.fs.s3a.endpoint.region', s.SPARK_S3_REGION);
  });

/** Pure: event logs, for every application and for the history server. */
export const eventLogConf = (s: Settings): Entries =>
  s.SPARK_EVENTLOG_DIR
    ? [
        ['spark.eventLog.enabled', 'true'],
        ['spark.eventLog.dir', s.SPARK_EVENTLOG_DIR],
        ['spark.history.fs.logDirectory', s.SPARK_EVENTLOG_DIR],
      ]
    : [];

/** Pure: graceful decommission's settings (`decommission`: decommissionOf's, with the worker's stop wait). */
export const decommissionConf = (decommission: Conf['decommission'], version: string): Entries =>
  entries((set) => {
    if (!decommission) return;
    // Heroku sends SIGTERM to every process of a dyno, then SIGKILL 30 s later: bin/support/drain-worker
    // turns it into the worker's decommission signal (the JVM and its executors ignore TERM), and
    // ends the worker once its executors have handed over their blocks, or at the deadline.
    set('spark.decommission.enabled', true);
    set('spark.worker.decommission.signal', 'PWR');
    // a driver this worker runs ignores TERM too (inherited): Spark's kill of it (`kill driver-…`, a
    // supervised relaunch) sends TERM, then SIGKILL after this wait, which would only delay the kill
    set('spark.worker.driverTerminateTimeout', '2s');
    set('spark.storage.decommission.enabled', true);
    set('spark.storage.decommission.rddBlocks.enabled', true);
    set('spark.storage.decommission.shuffleBlocks.enabled', true);
    // a block that failed to move is retried within the budget (Spark's default waits 30 s)
    set('spark.storage.decommission.replicationReattemptInterval', '5s');
    // the scheduler may speculate tasks of an executor known to go within the budget
    set('spark.executor.decommission.killInterval', `${decommission.timeoutS}s`);
    if (compareVersions(version, '3.4.0') >= 0) set('spark.stage.ignoreDecommissionFetchFailure', true);
    if (decommission.fallback) {
      set('spark.storage.decommission.fallbackStorage.path', decommission.fallback);
      set('spark.storage.decommission.fallbackStorage.cleanUp', true);
    }
  });

/** Pure: what only a driver of this dyno, or a cluster-mode driver, needs in its own conf. */
export const driverConf = (i: Pick<ConfInput, 'settings' | 'env' | 'role' | 'clusterMode' | 'cds'>): Entries =>
  entries((set) => {
    const { settings: s, env, role, clusterMode, cds } = i;
    // A standalone cluster-mode driver needs spark.authenticate.secret in its own conf, which the
    // worker strips from the driver's -D options: the java launcher reads it from the argument file
    // every worker renders (0600), so it is in no command line. Hive's client (a metastore) reflects
    // into java.net, which the worker's driver JVM does not open as spark-submit's own JVM does.
    const driverOpts = [clusterMode && s.SPARK_AUTH_SECRET ? `@${driverAuthFile(env)}` : undefined, clusterMode && metastoreOn(s) ? '--add-opens=java.base/java.net=ALL-UNNAMED' : undefined].filter(
      Boolean,
    );
    // a driver of this dyno with a class-data archive: Spark's launcher puts extraClassPath before the conf dir
    const driverCds = role === 'driver' && !clusterMode && cds?.options.length ? cds : undefined;
    if (driverCds) set('spark.driver.extraClassPath', driverCds.classPath);
    driverOpts.push(...(driverCds?.options ?? []));
    if (driverOpts.length) set('spark.driver.extraJavaOptions', driverOpts.join(' '));
    if (role === 'driver' && s.HEROKU_PRIVATE_IP && !clusterMode) {
      // executors connect back to the driver: its private IP is reachable from every dyno in the space
      set('spark.driver.host', s.HEROKU_PRIVATE_IP);
      set('spark.driver.bindAddress', s.HEROKU_PRIVATE_IP);
    }
  });

/** Pure: every setting a launcher derives, section by section (spark-defaults.conf keeps this order). */
export function computeConf({ settings: s, env, role, spark, resources, process: type, clusterMode, cds }: ConfInput): Conf {
  const recording = cds?.options.some((o) => o.startsWith('-XX:ArchiveClassesAtExit='));
  const decommissioning = decommissionOf(s, spark.version);
  // a worker recording its class-data archive writes it as it exits: a few seconds, not the usual one
  const decommission = decommissioning && recording && role === 'worker' ? { ...decommissioning, stopWaitS: CDS_STOP_WAIT_S } : decommissioning;
  const logFormat = logFormatFor(s, spark.version);
  const d: Entries = [
    ...clusterConf(s, spark.version, spark.handover),
    ...s3Conf(s, spark.version),
    ...eventLogConf(s),
    ...decommissionConf(decommission, spark.version),
    ...(role === 'worker' ? ([['spark.worker.cleanup.enabled', 'true']] as Entries) : []),
    ...(s.SPARK_PROMETHEUS !== false ? prometheusConf(spark.version) : []),
    // the context of each line (executor, stage, task ids) as JSON fields: Spark fills it only when this is on
    ...(logFormat === 'json' ? ([['spark.log.structuredLogging.enabled', 'true']] as Entries) : []),
    ...(specOf(type ?? '')?.sharedServer ? [...sharedServerConf(s), ...reflectConf(s, spark.version)] : []),
    // one catalog for every driver (a worker's conf serves its cluster-mode drivers): the metastore service
    ...driverMetastoreConf(s),
    // the gRPC server listens inside the dyno; the dyno's nginx serves it with TLS on CONNECT_PORT
    ...(type === 'connect'
      ? ([
          ['spark.connect.grpc.binding.address', connectBackendHost(s, env)],
          ['spark.connect.grpc.binding.port', String(CONNECT_BACKEND_PORT)],
        ] as Entries)
      : []),
    ...driverConf({ settings: s, env, role, clusterMode, cds }),
  ];

  const e: [string, string][] = [];
  if (s.HEROKU_PRIVATE_IP) e.push(['SPARK_LOCAL_IP', s.HEROKU_PRIVATE_IP]);
  if (s.HEROKU_DNS_DYNO_NAME) e.push(['SPARK_PUBLIC_DNS', s.HEROKU_DNS_DYNO_NAME]);
  e.push(['SPARK_DAEMON_MEMORY', env.SPARK_DAEMON_MEMORY ?? `${daemonMemoryMb(resources)}m`]);
  // A cycled dyno comes back on a new IP under the same name: daemons look names up again after
  // 5 s (the JVM's default keeps an answer 30 s; a failed lookup is kept 10 s, java.security's).
  // a daemon with a class-data archive: SPARK_DAEMON_CLASSPATH comes before the conf dir (src/cds)
  const daemonCds = role !== 'driver' && role !== 'console' && cds?.options.length ? cds : undefined;
  const light = role === 'master' || role === 'worker' ? LIGHT_DAEMON_OPTS : [];
  e.push(['SPARK_DAEMON_JAVA_OPTS', [...light, env.SPARK_DAEMON_JAVA_OPTS, ...DNS_CACHE_OPTS, ...(daemonCds?.options ?? [])].filter(Boolean).join(' ')]);
  if (daemonCds) e.push(['SPARK_DAEMON_CLASSPATH', [daemonCds.classPath, env.SPARK_DAEMON_CLASSPATH].filter(Boolean).join(':')]);
  if (env.SPARK_WORKER_DIR) e.push(['SPARK_WORKER_DIR', env.SPARK_WORKER_DIR]);

  const level = s.LOG_LEVEL;
  return {
    defaults: d,
    extra: s.SPARK_DEFAULTS_EXTRA ?? [],
    env: e,
    log4j: {
      file: spark.log4j === 1 ? 'log4j.properties' : 'log4j2.properties',
      level,
      format: logFormat,
    },
    worker: {
      cores: s.SPARK_WORKER_CORES ?? resources.cores,
      memory: s.SPARK_WORKER_MEMORY ?? `${workerMemoryMb(resources)}m`,
    },
    decommission,
    driver: role === 'driver',
  };
}

/**
 * The java argument file holding `-Dspark.authenticate.secret` for cluster-mode drivers: the same
 * path on every dyno ($SPARK_HOME/conf on Heroku, where every slug has /app/spark-home; the local
 * space's own dir under `local`, where each dyno's conf dir differs).
 */
export const driverAuthFile = (env: Env) => path.join(env.SPARK_IN_SPACE_SHARED_DIR ?? path.join(env.SPARK_HOME ?? '.', 'conf'), 'driver-auth.args');

/** Pure: that file's content (double-quoted: the launcher's argument-file syntax). */
export const driverAuthArgs = (secret: string) => `"-Dspark.authenticate.secret=${secret.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"\n`;

export { CONNECT_BACKEND_PORT, CONNECT_PORT } from '../space/index.js';
/**
 * Where the Connect server listens behind the TLS terminator: the dyno's own loopback on Heroku
 * (nothing else in the space reaches it); under `local` every dyno shares one loopback, so its own address.
 */
export const connectBackendHost = (s: Settings, env: Env) => (env.SPARK_IN_SPACE_LOCAL && s.HEROKU_PRIVATE_IP ? s.HEROKU_PRIVATE_IP : '127.0.0.1');

/**
 * Pure: Prometheus text on every UI. The PrometheusServlet sink (off by default in Spark) at
 * /metrics/prometheus of workers and drivers, /metrics/master/prometheus and
 * /metrics/applications/prometheus of the master; executors' /metrics/executors/prometheus
 * (spark.ui.prometheus.enabled, on by default from 4.0). Nothing before 3.0.
 */
export function prometheusConf(version: string): [string, string][] {
  // PrometheusServlet came with Spark 3.0: an older daemon would fail on an unknown sink class
  if (compareVersions(version, '3.0.0') < 0) return [];
  const sink = 'spark.metrics.conf.*.sink.prometheusServlet';
  return [
    [`${sink}.class`, 'org.apache.spark.metrics.sink.PrometheusServlet'],
    [`${sink}.path`, '/metrics/prometheus'],
    ['spark.metrics.conf.master.sink.prometheusServlet.path', '/metrics/master/prometheus'],
    ['spark.metrics.conf.applications.sink.prometheusServlet.path', '/metrics/applications/prometheus'],
    ...(compareVersions(version, '4.0.0') < 0 ? ([['spark.ui.prometheus.enabled', 'true']] as [string, string][]) : []),
  ];
}

/**
 * Pure: what lets a long-running server (thrift, connect) share the cluster. Dynamic allocation
 * with shuffle tracking (standalone has no external shuffle service): no executor while idle, one
 * core each as queries need them, each given back SPARK_SERVER_IDLE_TIMEOUT after its last task
 * (its shuffle files too: a server's old query results are not worth a held core). SPARK_SERVER_MAX_CORES
 * caps each server, so a busy one leaves cores to batch jobs and to the other server. (An idle
 * server's first query waits for an executor's start: src/cds/executor.ts. Spark's backlog timeout
 * before it asks is counted in whole seconds, at least 1: 1 s is the default, and the least.)
 */
export function sharedServerConf(s: Settings): [string, string][] {
  const out: [string, string][] = [];
  if (s.SPARK_SERVER_MAX_CORES !== undefined) out.push(['spark.cores.max', String(s.SPARK_SERVER_MAX_CORES)]);
  if (!s.SPARK_SERVER_DYNAMIC_ALLOCATION) return out;
  const idle = `${Math.max(1, Math.round(s.SPARK_SERVER_IDLE_TIMEOUT / 1000))}s`;
  out.push(
    ['spark.dynamicAllocation.enabled', 'true'],
    ['spark.dynamicAllocation.shuffleTracking.enabled', 'true'],
    ['spark.dynamicAllocation.shuffleTracking.timeout', idle],
    ['spark.dynamicAllocation.executorIdleTimeout', idle],
    ['spark.dynamicAllocation.minExecutors', '0'],
    ['spark.dynamicAllocation.initialExecutors', '0'],
    ['spark.executor.cores', '1'],
  );
  if (s.SPARK_SERVER_MAX_CORES !== undefined) out.push(['spark.dynamicAllocation.maxExecutors', String(s.SPARK_SERVER_MAX_CORES)]);
  return out;
}

/** The allow list that refuses every reflect()/java_method() call: a pattern nothing fully matches. */
export const REFLECT_NONE = '(?!)';

/**
 * Pure: what a shared SQL server's users may call with reflect()/java_method() (SPARK_SQL_REFLECT):
 * static Java methods run in the server's JVM. Spark 4.3 can refuse them (spark.sql.reflect.allowList,
 * a static conf no session can change); an older Spark cannot, so a restriction asked of it refuses to start.
 */
export function reflectConf(s: Pick<Settings, 'SPARK_SQL_REFLECT'>, version: string): [string, string][] {
  const r = s.SPARK_SQL_REFLECT;
  if (r === undefined || r === 'on') return [];
  if (compareVersions(version, '4.3.0') < 0)
    fail({
      code: 'config-invalid',
      issues: [
        {
          name: 'SPARK_SQL_REFLECT',
          problem: `restricts reflect(), but Spark ${version} cannot (spark.sql.reflect.allowList came with Spark 4.3.0): set .spark.version to 4.3.0 or newer, or leave it on`,
          example: 'SPARK_SQL_REFLECT=on',
        },
      ],
    });
  return [['spark.sql.reflect.allowList', r === 'off' ? REFLECT_NONE : r.join(',')]];
}

/**
 * Pure: the log format a process gets. Spark's structured logging (JSON lines with its SparkLayout.json)
 * came with Spark 4.0; an older Spark logs text, and `logFormatNote` says why.
 */
export const logFormatFor = (s: Pick<Settings, 'SPARK_LOG_FORMAT'>, version: string): 'text' | 'json' =>
  s.SPARK_LOG_FORMAT === 'json' && compareVersions(version, STRUCTURED_LOGGING_SINCE) >= 0 ? 'json' : 'text';
export const STRUCTURED_LOGGING_SINCE = '4.0.0';
/** Pure: the warning a process logs when SPARK_LOG_FORMAT asks for what its Spark cannot do. */
export const logFormatNote = (s: Pick<Settings, 'SPARK_LOG_FORMAT'>, version: string): string | undefined =>
  s.SPARK_LOG_FORMAT === 'json' && logFormatFor(s, version) === 'text'
    ? `WARNING: SPARK_LOG_FORMAT=json is not available on Spark ${version} (Spark's structured logging came with ${STRUCTURED_LOGGING_SINCE}): Spark's own lines stay text, ours are JSON`
    : undefined;

/** How long a new leader master waits for recovered workers and drivers (spark.deploy.recoveryTimeout, 4.0+). */
export const RECOVERY_TIMEOUT_S = 15;
/** The JVM's DNS cache, shortened: names of the space follow dynos to their new addresses. */
export const DNS_CACHE_OPTS = ['-Dsun.net.inetaddr.ttl=5'];

/**
 * The master's and the workers' JIT: C1 only. They schedule, heartbeat, launch and serve pages, and
 * never compute; C2's compilations are most of the CPU their start costs, and a worker the autoscaler
 * adds registers in half the time (bench:autoscale). Before SPARK_DAEMON_JAVA_OPTS, which may undo it
 * (`-XX:TieredStopAtLevel=4`). Executors and drivers (the thrift and connect servers too) keep C2.
 */
export const LIGHT_DAEMON_OPTS = ['-XX:TieredStopAtLevel=1'];

/**
 * Pure: graceful decommission, unless SPARK_DECOMMISSION=false or the Spark predates the
 * decommission signals (3.2).
 */
export function decommissionOf(s: Settings, version: string): Conf['decommission'] {
  if (s.SPARK_DECOMMISSION === false || compareVersions(version, '3.2.0') < 0) return undefined;
  return { timeoutS: s.SPARK_DECOMMISSION_TIMEOUT, fallback: s.SPARK_DECOMMISSION_FALLBACK };
}

/** How long drain-worker lets a worker JVM that records its class-data archive take to exit (its usual wait: 2 s). */
export const CDS_STOP_WAIT_S = 10;

/** Single-quotes a value for bash. */
export const shellQuote = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;

/**
 * Pure (given the templates): file name → content and mode. Every file is 0600: spark-defaults.conf
 * may hold secrets under any name (SPARK_DEFAULTS_EXTRA), and only the dyno's own user reads them.
 * A value with a line break is refused here too (the schema refuses control characters first).
 */
export function renderConf(conf: Conf): (FileToWrite & { content: string })[] {
  for (const [k, v] of [...conf.defaults, ...conf.env])
    if (/[\r\n]/.test(`${k}${v}`))
      fail({ code: 'config-invalid', issues: [{ name: k, problem: 'holds a line break: refusing to render it (it would add a line to a conf file)', example: 'one line per value' }] });
  return [
    { name: 'spark-defaults.conf', content: renderTemplate('spark-defaults.conf.ejs', { defaults: conf.defaults, extra: conf.extra }), mode: 0o600 },
    { name: 'spark-env.sh', content: renderTemplate('spark-env.sh.ejs', { env: conf.env, shellQuote, driver: conf.driver }), mode: 0o600 },
    { name: conf.log4j.file, content: renderTemplate(`${conf.log4j.file}.ejs`, { level: conf.log4j.level, format: conf.log4j.format }), mode: 0o600 },
  ];
}

/** Writes the conf files atomically (src/fs/atomic.ts): a JVM starting meanwhile never reads half a file. */
export const writeConf = writeFilesAtomic;
