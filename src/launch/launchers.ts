/**
 * The launcher table: one row per process type a launcher starts (the Procfile types of
 * src/process-types.ts but web, and Spark's tools), typed as a Record over them so the compiler asks
 * for a row for each new type. A row says the type's command line (pure), whether its JVM keeps a
 * class-data archive (src/cds), the part of Spark (SPARK_SLIM) it cannot run without, what it checks
 * of the installed Spark before anything is written, and what it prepares on the dyno once its conf
 * dir is rendered (returning an argv to run before its own, as connect's TLS sidecar). The secrets
 * each may see are src/secrets.ts's SECRETS_OF, by the same names. `prepare` (./index.ts) is one pass
 * over a row.
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fail } from '../errors.js';
import { compareVersions } from '../catalog/index.js';
import { buildpackFile } from '../paths.js';
import type { Env, Settings } from '../config/schema.js';
import { DNS_CACHE_OPTS, driverAuthArgs, driverAuthFile, writeConf, type Conf, type SparkInfo } from '../render/index.js';
import { dynoName, MASTER_PORT, MASTER_UI_PORT, masterUrl, THRIFT_HTTP_PORT, WORKER_UI_PORT } from '../space/index.js';
import { zooKeeperServer } from '../zookeeper/index.js';
import { prepareConnect } from './connect.js';
import { ensureEventLogDir, eventLogDirCommand } from '../eventlog/index.js';
import type { ProcessType } from '../process-types.js';
import { METASTORE_MAIN } from '../metastore/index.js';
import { prepareMetastore } from '../metastore/check.js';
import { primaryResource, type SparkFeature } from '../spark-features.js';
import { dynoLog } from '../log/index.js';
import { javaHomeOf } from '../cds/archive.js';
import { EXECUTOR_ENV, EXECUTOR_JDK_DIR, executorCdsRoot } from '../cds/executor.js';

/** What a row's command line is computed from. */
export interface ArgvInput {
  sparkHome: string;
  settings: Settings;
  env: Env;
  conf: Conf;
  args: string[];
  confDir?: string;
}

/** What a row's preparation has: the conf dir written, the installed Spark, whether the launcher will exec (not a dry run). */
export interface PrepareInput extends ArgvInput {
  confDir: string;
  info: SparkInfo;
  /** `config render` without an installed Spark: nothing that needs the Spark or the dyno is done */
  dryRun: boolean;
  /** the launcher will exec the process (a dyno's start), not only render */
  wait: boolean;
}

export interface Launcher {
  /** Pure: the command line. */
  argv(a: ArgvInput): string[];
  /** its JVM's class-data archive (src/cds): one per type, only when the driver runs here (spark-submit), or none */
  cds: 'own' | 'client-mode' | 'none';
  /** the SPARK_SLIM part it cannot run without (spark-submit: a Python application needs `python`) */
  needs?: SparkFeature | ((args: string[]) => SparkFeature | undefined);
  /** the installed Spark carries what the type needs; before anything is written */
  check?(sparkHome: string, info: SparkInfo): void;
  /** once the conf dir is written: what else the dyno needs; an argv to run before the type's own */
  prepare?(c: PrepareInput): Promise<string[] | void>;
}

/** Pure: the `env` prefix of a worker whose executors get class-data archives: its JAVA_HOME is bin/support/executor-jdk. */
export const executorJdkEnv = (javaHome: string, root: string): string[] => ['env', `JAVA_HOME=${EXECUTOR_JDK}`, `${EXECUTOR_ENV.javaHome}=${javaHome}`, `${EXECUTOR_ENV.root}=${root}`];

/** bin/support/executor-jdk of this buildpack: the JAVA_HOME a worker starts its executors from (src/cds/executor.ts). */
export const EXECUTOR_JDK = path.dirname(path.dirname(buildpackFile(import.meta.url, `${EXECUTOR_JDK_DIR}/bin/java`)));

/** bin/support/drain-worker of this buildpack: the worker dyno's process under graceful decommission. */
export const DRAIN_WORKER = buildpackFile(import.meta.url, 'bin/support/drain-worker');

/** `--deploy-mode cluster` among spark-submit's options: the driver runs on a worker, not here. */
export const isClusterMode = (args: string[]): boolean => args.some((x, i) => x === '--deploy-mode=cluster' || (x === '--deploy-mode' && args[i + 1] === 'cluster'));

/**
 * What of the submitting dyno must not reach a cluster-mode driver. Spark's standalone client sends
 * its whole environment with the driver, and the worker starts the driver with it over its own:
 * the one-off dyno's conf dir, local dirs, address and name would win over the worker's.
 */
export const CLUSTER_SUBMIT_UNSET = [
  'SPARK_CONF_DIR',
  'SPARK_LOCAL_DIRS',
  'SPARK_LOCAL_IP',
  'SPARK_LOCAL_HOSTNAME',
  'SPARK_PUBLIC_DNS',
  'SPARK_WORKER_DIR',
  'SPARK_SUBMIT_OPTS',
  'DYNO',
  'PORT',
  'HEROKU_PRIVATE_IP',
  'HEROKU_DNS_DYNO_NAME',
  'HEROKU_DNS_FORMATION_NAME',
];

/** Spark's Thrift JDBC/ODBC server (HTTP transport) and the Spark Connect server, as spark-submit runs them. */
export const THRIFT_MAIN = 'org.apache.spark.sql.hive.thriftserver.HiveThriftServer2';
export const CONNECT_MAIN = 'org.apache.spark.sql.connect.service.SparkConnectServer';

/** The ZooKeeper server class Spark's jars/ carries (zookeeper-3.*.jar, with Curator's client). */
export const ZOOKEEPER_MAIN = 'org.apache.zookeeper.server.quorum.QuorumPeerMain';

/** A JVM started without Spark's scripts (ZooKeeper, the metastore): its java, the daemon heap, the log4j file rendered for Spark. */
function plainJvm(a: { sparkHome: string; env: Env; conf: Conf; confDir?: string }) {
  const confDir = a.confDir ?? path.join(a.sparkHome, 'conf');
  const java = a.env.JAVA_HOME ? path.join(a.env.JAVA_HOME, 'bin', 'java') : 'java';
  const heap = a.conf.env.find(([k]) => k === 'SPARK_DAEMON_MEMORY')?.[1] ?? '512m';
  const log =
    a.conf.log4j.file === 'log4j2.properties' ? `-Dlog4j2.configurationFile=${path.join(confDir, 'log4j2.properties')}` : `-Dlog4j.configuration=file:${path.join(confDir, 'log4j.properties')}`;
  return { confDir, java, heap, log };
}

const sparkBin = (a: ArgvInput, n: string) => path.join(a.sparkHome, 'bin', n);

/** The Connect server needs its jar (in the distribution from Spark 4.0); its token is a required var of the table. */
export function requireConnect(sparkHome: string, info: SparkInfo): void {
  const jars = path.join(sparkHome, 'jars');
  if (!(existsSync(jars) && readdirSync(jars).some((f) => /^spark-connect_[\d.]+-.*\.jar$/.test(f))))
    fail({
      code: 'spark-unfit',
      message:
        compareVersions(info.version, '4.0.0') < 0
          ? `Spark ${info.version} ships no Connect server (${jars} has no spark-connect_*.jar; distributions carry it from 4.0): set .spark.version to 4.0.0 or newer for a connect dyno.`
          : `${jars} has no spark-connect_*.jar: this Spark ${info.version} distribution lacks the Connect server it should carry (a custom or trimmed SPARK_DIST_URL?).`,
    });
}

/**
 * zoo.cfg in the conf dir; myid in the data dir on the dyno's own disk (empty after a restart on
 * Heroku: the server syncs from the quorum).
 */
async function prepareZooKeeper(c: PrepareInput): Promise<void> {
  const jars = path.join(c.sparkHome, 'jars');
  if (!c.dryRun && !(existsSync(jars) && readdirSync(jars).some((f) => /^zookeeper-3\.[\d.]+\.jar$/.test(f))))
    fail({ code: 'spark-unfit', message: `${jars} has no zookeeper-3.*.jar: this Spark ships no ZooKeeper server. Use an external ensemble (SPARK_ZK_ZOOKEEPER_URL) or Spark 2.0 or newer.` });
  const dataDir = c.env.ZOOKEEPER_DATA_DIR ?? path.join((c.env.SPARK_LOCAL_DIRS ?? os.tmpdir()).split(',')[0]!, 'zookeeper');
  const server = zooKeeperServer(c.settings, c.env, dataDir);
  await mkdir(dataDir, { recursive: true });
  await writeFile(path.join(dataDir, 'myid'), `${server.myid}\n`);
  await writeConf(c.confDir, [{ name: 'zoo.cfg', content: server.config, mode: 0o600 }]);
}

/** The master (in the background) and the history server (before it polls) create SPARK_EVENTLOG_DIR. */
async function prepareEventLogDir(c: PrepareInput, waitForIt: boolean): Promise<void> {
  if (!c.wait || c.dryRun) return;
  await ensureEventLogDir(eventLogDirCommand(c.settings, c.conf, c.sparkHome), { ...c.env, SPARK_CONF_DIR: c.confDir }, waitForIt, dynoLog('spark-in-space.eventlog', 'spark-in-space', c.env));
}

/** spark-submit and spark-shell: the cluster's master unless the user named one. */
const masterArgs = (a: ArgvInput) => (a.args.some((x) => x === '--master' || x.startsWith('--master=')) ? [] : ['--master', masterUrl(a.settings)]);

export const LAUNCHERS: Record<ProcessType, Launcher> = {
  master: {
    argv: (a) => [
      sparkBin(a, 'spark-class'),
      'org.apache.spark.deploy.master.Master',
      '--host',
      dynoName(a.settings, a.env),
      '--port',
      String(MASTER_PORT),
      '--webui-port',
      String(MASTER_UI_PORT),
      ...a.args,
    ],
    cds: 'own',
    prepare: (c) => prepareEventLogDir(c, false),
  },
  worker: {
    argv: (a) => [
      // graceful decommission: the watcher runs the JVM, ends it once drained (bin/support/drain-worker)
      ...(a.conf.decommission ? [DRAIN_WORKER, String(a.conf.decommission.timeoutS), ...(a.conf.decommission.stopWaitS ? [String(a.conf.decommission.stopWaitS)] : []), '--'] : []),
      sparkBin(a, 'spark-class'),
      'org.apache.spark.deploy.worker.Worker',
      '--host',
      dynoName(a.settings, a.env),
      '--webui-port',
      String(WORKER_UI_PORT),
      '--cores',
      String(a.conf.worker.cores),
      '--memory',
      a.conf.worker.memory,
      ...a.args,
      masterUrl(a.settings),
    ],
    cds: 'own',
    async prepare(c) {
      if (c.dryRun) return;
      // the secret cluster-mode drivers started on this worker read (render: spark.driver.extraJavaOptions)
      if (c.settings.SPARK_AUTH_SECRET) {
        const file = driverAuthFile({ ...c.env, SPARK_HOME: c.sparkHome });
        await writeConf(path.dirname(file), [{ name: path.basename(file), content: driverAuthArgs(c.settings.SPARK_AUTH_SECRET), mode: 0o600 }]);
      }
      // executors start from a class-data archive of this dyno's (src/cds/executor.ts): the worker starts them with its JAVA_HOME's java
      const javaHome = c.settings.SPARK_CDS ? javaHomeOf(c.env) : undefined;
      return javaHome ? executorJdkEnv(javaHome, executorCdsRoot(c.settings.SPARK_CDS_DIR)) : undefined;
    },
  },
  console: { argv: () => ['sleep', 'infinity'], cds: 'none' },
  zookeeper: {
    // the JVM itself, no wrapper: it gets the dyno's SIGTERM; its log4j file is the one rendered for Spark
    argv(a) {
      const j = plainJvm(a);
      return [j.java, `-Xmx${j.heap}`, `-Xms${j.heap}`, ...DNS_CACHE_OPTS, j.log, '-cp', path.join(a.sparkHome, 'jars', '*'), ZOOKEEPER_MAIN, path.join(j.confDir, 'zoo.cfg'), ...a.args];
    },
    cds: 'none',
    prepare: prepareZooKeeper,
  },
  history: {
    // Spark's history server on SPARK_EVENTLOG_DIR (spark.history.* rendered), UI on HISTORY_UI_PORT
    argv: (a) => [sparkBin(a, 'spark-class'), 'org.apache.spark.deploy.history.HistoryServer', ...a.args],
    cds: 'own',
    prepare: (c) => prepareEventLogDir(c, true),
  },
  thrift: {
    argv(a) {
      // HTTP transport on the dyno's private address; Hive's default path /cliservice (the space proxy's route)
      const host = a.settings.HEROKU_PRIVATE_IP ?? dynoName(a.settings, a.env);
      const hive = [`hive.server2.transport.mode=http`, `hive.server2.thrift.http.port=${THRIFT_HTTP_PORT}`, `hive.server2.thrift.bind.host=${host}`, 'hive.server2.thrift.http.path=cliservice'];
      return [
        sparkBin(a, 'spark-submit'),
        '--class',
        THRIFT_MAIN,
        '--name',
        'Thrift JDBC/ODBC Server',
        '--master',
        masterUrl(a.settings),
        ...a.args,
        'spark-internal',
        ...hive.flatMap((h) => ['--hiveconf', h]),
      ];
    },
    cds: 'own',
    needs: 'hive',
  },
  connect: {
    // the token comes from the environment (bin/connect exports SPARK_CONNECT_AUTHENTICATE_TOKEN): never in argv
    argv: (a) => [sparkBin(a, 'spark-submit'), '--class', CONNECT_MAIN, '--name', 'Spark Connect server', '--master', masterUrl(a.settings), ...a.args, 'spark-internal'],
    cds: 'own',
    needs: 'connect',
    check: requireConnect,
    // TLS in front of the Connect server: its certificate and nginx beside it (./connect.ts)
    prepare: async (c) => (c.dryRun ? undefined : prepareConnect(c.settings, c.env, c.confDir)),
  },
  metastore: {
    argv(a) {
      // Hive's metastore service from Spark's jars, the JVM itself too; its hive-site.xml (0600) in the conf dir, first on the classpath
      const j = plainJvm(a);
      // a local catalog on Derby (no database URL): derby.log beside its database, not in the working dir
      const derby =
        a.settings.SPARK_METASTORE_DATABASE_URL || !a.settings.SPARK_METASTORE_DERBY_DIR ? [] : [`-Dderby.stream.error.file=${path.join(a.settings.SPARK_METASTORE_DERBY_DIR, 'derby.log')}`];
      return [
        j.java,
        `-Xmx${j.heap}`,
        ...DNS_CACHE_OPTS,
        ...derby,
        j.log,
        '-cp',
        `${j.confDir}:${path.join(a.sparkHome, 'jars', '*')}`,
        METASTORE_MAIN,
        '-p',
        String(a.settings.SPARK_METASTORE_PORT),
        ...a.args,
      ];
    },
    cds: 'none',
    // the database checked (reachable, our schema or none) before the service starts; its hive-site.xml (0600)
    prepare: (c) => prepareMetastore(c.sparkHome, c.settings, c.env, c.confDir, c.dryRun, c.conf.defaults),
  },
  'spark-shell': {
    // What Spark's bin/spark-shell runs, minus its bash wrapper (which would stay the JVM's parent
    // and die on SIGTERM, orphaning the JVM): spark-submit execs spark-class, which execs java.
    argv(a) {
      const opts = `${a.env.SPARK_SUBMIT_OPTS ?? ''} -Dscala.usejavacp=true`.trim();
      return ['env', `SPARK_SUBMIT_OPTS=${opts}`, sparkBin(a, 'spark-submit'), '--class', 'org.apache.spark.repl.Main', '--name', 'Spark shell', ...masterArgs(a), ...a.args];
    },
    cds: 'own',
    needs: 'repl',
  },
  'spark-submit': {
    argv(a) {
      if (!isClusterMode(a.args)) return [sparkBin(a, 'spark-submit'), ...masterArgs(a), ...a.args];
      // the driver starts on a worker with the worker's own conf dir, dirs and address: the client
      // reads the rendered properties file and skips spark-env.sh (SPARK_ENV_LOADED), and nothing
      // of this dyno goes with the driver
      const props = path.join(a.confDir ?? path.join(a.sparkHome, 'conf'), 'spark-defaults.conf');
      return ['env', ...CLUSTER_SUBMIT_UNSET.flatMap((k) => ['-u', k]), 'SPARK_ENV_LOADED=1', sparkBin(a, 'spark-submit'), '--properties-file', props, ...masterArgs(a), ...a.args];
    },
    cds: 'client-mode',
    // a Python application (or its --py-files) needs PySpark
    needs(args) {
      const app = primaryResource(args);
      return (app && /\.py$/.test(app)) || args.some((a) => a === '--py-files' || a.startsWith('--py-files=')) ? 'python' : undefined;
    },
  },
};

/** Pure: the command line of a process type (its row's). */
export const argvFor = (p: ProcessType, a: ArgvInput): string[] => LAUNCHERS[p].argv(a);

/** The process types whose JVM gets a class-data archive of its own (src/cds): Spark's daemons and client-mode drivers. */
export const cdsKey = (p: ProcessType, clusterMode: boolean): string | undefined => {
  const cds = LAUNCHERS[p].cds;
  return cds === 'own' || (cds === 'client-mode' && !clusterMode) ? p : undefined;
};

/** Pure: the part SPARK_SLIM left out that stops this process type or tool, given the build's record. */
export function missingFeature(p: string, args: string[], slim: readonly SparkFeature[]): SparkFeature | undefined {
  const needs = Object.hasOwn(LAUNCHERS, p) ? LAUNCHERS[p as ProcessType].needs : undefined;
  const part = typeof needs === 'function' ? needs(args) : needs;
  return part && slim.includes(part) ? part : undefined;
}
