/**
 * Launchers: pure functions compute the argv of each process type; `prepare` renders the conf
 * dir and returns the argv; bin/* exec it (so SIGTERM reaches the JVM: spark-class execs java).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fail } from '../errors.js';
import { compareVersions } from '../catalog/index.js';
import { buildpackFile } from '../paths.js';
import { parseConfig, type Env, type Settings } from '../config/schema.js';
import { computeConf, DNS_CACHE_OPTS, driverAuthArgs, driverAuthFile, logFormatNote, renderConf, writeConf, type Conf, type Role, type SparkInfo } from '../render/index.js';
import { detectResources } from '../render/resources.js';
import { dynoName, MASTER_PORT, MASTER_UI_PORT, masterUrl, THRIFT_HTTP_PORT, WORKER_UI_PORT } from '../space/index.js';
import { zooKeeperServer } from '../zookeeper/index.js';
import { needsOf, waitFor } from './await.js';
import { prepareConnect } from './connect.js';
import { ensureEventLogDir, eventLogDirCommand } from '../eventlog/index.js';
import { specOf, type ProcessType } from '../process-types.js';
import { METASTORE_MAIN } from '../metastore/index.js';
import { prepareMetastore } from '../metastore/check.js';
import { cdsFor } from '../cds/archive.js';
import { JVM_PACKAGES, missingFeature, primaryResource, slimRefusal, type SparkFeature } from '../spark-features.js';
import { dynoLog } from '../log/index.js';

export { PROCESS_TYPES, type ProcessType } from '../process-types.js';

/** bin/support/drain-worker of this buildpack: the worker dyno's process under graceful decommission. */
export const DRAIN_WORKER = buildpackFile(import.meta.url, 'bin/support/drain-worker');

/** Spark's role of a process (the table's; Spark's tools are drivers). */
export const roleOf = (p: ProcessType): Role => {
  const role = specOf(p)?.role;
  return role && role !== 'proxy' ? role : 'driver';
};

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

/** Pure: the command line of a process type. */
export function argvFor(p: ProcessType, a: { sparkHome: string; settings: Settings; env: Env; conf: Conf; args: string[]; confDir?: string }): string[] {
  const bin = (n: string) => path.join(a.sparkHome, 'bin', n);
  switch (p) {
    case 'zookeeper': {
      // the JVM itself, no wrapper: it gets the dyno's SIGTERM; its log4j file is the one rendered for Spark
      const j = plainJvm(a);
      return [j.java, `-Xmx${j.heap}`, `-Xms${j.heap}`, ...DNS_CACHE_OPTS, j.log, '-cp', path.join(a.sparkHome, 'jars', '*'), ZOOKEEPER_MAIN, path.join(j.confDir, 'zoo.cfg'), ...a.args];
    }
    case 'metastore': {
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
    }
    case 'master':
      return [bin('spark-class'), 'org.apache.spark.deploy.master.Master', '--host', dynoName(a.settings, a.env), '--port', String(MASTER_PORT), '--webui-port', String(MASTER_UI_PORT), ...a.args];
    case 'worker':
      return [
        // graceful decommission: the watcher runs the JVM, ends it once drained (bin/support/drain-worker)
        ...(a.conf.decommission ? [DRAIN_WORKER, String(a.conf.decommission.timeoutS), ...(a.conf.decommission.stopWaitS ? [String(a.conf.decommission.stopWaitS)] : []), '--'] : []),
        bin('spark-class'),
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
      ];
    case 'history':
      // Spark's history server on SPARK_EVENTLOG_DIR (spark.history.* rendered), UI on HISTORY_UI_PORT
      return [bin('spark-class'), 'org.apache.spark.deploy.history.HistoryServer', ...a.args];
    case 'console':
      return ['sleep', 'infinity'];
    case 'thrift': {
      // HTTP transport on the dyno's private address; Hive's default path /cliservice (the space proxy's route)
      const host = a.settings.HEROKU_PRIVATE_IP ?? dynoName(a.settings, a.env);
      const hive = [`hive.server2.transport.mode=http`, `hive.server2.thrift.http.port=${THRIFT_HTTP_PORT}`, `hive.server2.thrift.bind.host=${host}`, 'hive.server2.thrift.http.path=cliservice'];
      return [
        bin('spark-submit'),
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
    }
    case 'connect':
      // the token comes from the environment (bin/connect exports SPARK_CONNECT_AUTHENTICATE_TOKEN): never in argv
      return [bin('spark-submit'), '--class', CONNECT_MAIN, '--name', 'Spark Connect server', '--master', masterUrl(a.settings), ...a.args, 'spark-internal'];
    case 'spark-submit':
    case 'spark-shell': {
      const hasMaster = a.args.some((x) => x === '--master' || x.startsWith('--master='));
      const master = hasMaster ? [] : ['--master', masterUrl(a.settings)];
      if (p === 'spark-submit' && isClusterMode(a.args)) {
        // the driver starts on a worker with the worker's own conf dir, dirs and address: the client
        // reads the rendered properties file and skips spark-env.sh (SPARK_ENV_LOADED), and nothing
        // of this dyno goes with the driver
        const props = path.join(a.confDir ?? path.join(a.sparkHome, 'conf'), 'spark-defaults.conf');
        return ['env', ...CLUSTER_SUBMIT_UNSET.flatMap((k) => ['-u', k]), 'SPARK_ENV_LOADED=1', bin('spark-submit'), '--properties-file', props, ...master, ...a.args];
      }
      if (p === 'spark-submit') return [bin('spark-submit'), ...master, ...a.args];
      // What Spark's bin/spark-shell runs, minus its bash wrapper (which would stay the JVM's parent
      // and die on SIGTERM, orphaning the JVM): spark-submit execs spark-class, which execs java.
      const opts = `${a.env.SPARK_SUBMIT_OPTS ?? ''} -Dscala.usejavacp=true`.trim();
      return ['env', `SPARK_SUBMIT_OPTS=${opts}`, bin('spark-submit'), '--class', 'org.apache.spark.repl.Main', '--name', 'Spark shell', ...master, ...a.args];
    }
  }
}

/** The process types whose JVM gets a class-data archive of its own (src/cds): Spark's daemons and client-mode drivers. */
export const cdsKey = (p: ProcessType, clusterMode: boolean): string | undefined =>
  (['master', 'worker', 'history', 'thrift', 'connect', 'spark-shell'] as ProcessType[]).includes(p) || (p === 'spark-submit' && !clusterMode) ? p : undefined;

/** Which Spark is installed: the build's record, else RELEASE, else the spark-core jar's name. */
export function sparkInfo(sparkHome: string): SparkInfo {
  const record = path.join(sparkHome, '.spark-in-space.json');
  let version: string | undefined;
  if (existsSync(record)) {
    const r = JSON.parse(readFileSync(record, 'utf8')) as { version: string; log4j: 1 | 2; slim?: SparkFeature[] };
    return { version: r.version, log4j: r.log4j, slim: r.slim ?? [] };
  }
  const release = path.join(sparkHome, 'RELEASE');
  if (existsSync(release)) version = /Spark (\d+\.\d+\.\d+)/.exec(readFileSync(release, 'utf8'))?.[1];
  if (!version && existsSync(path.join(sparkHome, 'jars')))
    version = readdirSync(path.join(sparkHome, 'jars'))
      .map((f) => /^spark-core_[\d.]+-(\d+\.\d+\.\d+)\.jar$/.exec(f)?.[1])
      .find(Boolean);
  if (!version) fail({ code: 'spark-unfit', message: `${sparkHome} does not look like a Spark distribution (no RELEASE, no jars/spark-core_*.jar).` });
  const [maj, min] = version.split('.').map(Number) as [number, number];
  return { version, log4j: maj < 3 || (maj === 3 && min < 3) ? 1 : 2 };
}

export function sparkHomeFrom(env: Env): string {
  const home = env.SPARK_HOME;
  if (!home || !existsSync(path.join(home, 'bin', 'spark-class')))
    fail({
      code: 'spark-unfit',
      message: home
        ? `SPARK_HOME=${home} has no bin/spark-class: is Spark installed there?`
        : 'SPARK_HOME is not set: on Heroku .profile.d/spark.sh sets it (was the app built with this buildpack?); locally run `spark-in-space build` or set SPARK_HOME.',
    });
  return home;
}

export interface Prepared {
  argv: string[];
  confDir: string;
  conf: Conf;
}

/**
 * Validates the config, renders the conf dir (atomically) and returns the argv to exec. With
 * `spark` given and no SPARK_HOME (`config render` on a laptop), the argv names `$SPARK_HOME`.
 */
export async function prepare(p: ProcessType, env: Env, args: string[], spark?: SparkInfo, o: { wait?: boolean } = {}): Promise<Prepared> {
  // the type's own rules too (required vars, several masters need ZooKeeper): src/config/schema.ts crossChecks
  const settings = parseConfig(env, 'run', { processes: [p] });
  // a dry run (`config render` on a laptop: a Spark version given, none installed): the argv names
  // $SPARK_HOME, and nothing that needs the installed Spark or the dyno (jars, TLS, event logs) is done
  const dryRun = Boolean(spark) && !env.SPARK_HOME;
  const sparkHome = dryRun ? '$SPARK_HOME' : sparkHomeFrom(env);
  const info = spark ?? sparkInfo(sparkHome);
  await requireFeatures(p, args, info.slim ?? []);
  if (p === 'connect' && !dryRun) requireConnect(sparkHome, info);
  const clusterMode = p === 'spark-submit' && isClusterMode(args);
  // class-data sharing (src/cds): a launched JVM (its pid is ours' parent: bash execs it) may record the archive
  const key = cdsKey(p, clusterMode);
  const cds = key && !dryRun && settings.SPARK_CDS ? cdsFor(key, sparkHome, env, { root: settings.SPARK_CDS_DIR, record: Boolean(o.wait), pid: process.ppid }) : undefined;
  if (cds && o.wait) dynoLog('spark-in-space.launch', 'spark-in-space', env)(cds.note);
  const logNote = o.wait ? logFormatNote(settings, info.version) : undefined;
  if (logNote) dynoLog('spark-in-space.launch', 'spark-in-space', env)(logNote);
  const conf = computeConf({ settings, env, role: roleOf(p), spark: info, resources: detectResources(), process: p, clusterMode, cds });
  const confDir = env.SPARK_CONF_DIR ?? path.join(sparkHome, 'conf');
  let argv = argvFor(p, { sparkHome, settings, env, conf, args, confDir });
  await writeConf(confDir, renderConf(conf));
  // TLS in front of the Connect server: its certificate and nginx beside it (src/launch/connect.ts)
  if (p === 'connect' && !dryRun) argv = [...(await prepareConnect(settings, env, confDir)), ...argv];
  if (p === 'zookeeper') await prepareZooKeeper(sparkHome, settings, env, confDir, dryRun);
  // the database checked (reachable, our schema or none) before the service starts; its hive-site.xml (0600)
  if (p === 'metastore') await prepareMetastore(sparkHome, settings, env, confDir, dryRun, conf.defaults);
  // the secret cluster-mode drivers started on this worker read (render: spark.driver.extraJavaOptions)
  if (p === 'worker' && settings.SPARK_AUTH_SECRET && !dryRun) {
    const file = driverAuthFile({ ...env, SPARK_HOME: sparkHome });
    await writeConf(path.dirname(file), [{ name: path.basename(file), content: driverAuthArgs(settings.SPARK_AUTH_SECRET), mode: 0o600 }]);
  }
  // the master (in the background) and the history server (before it polls) create SPARK_EVENTLOG_DIR
  if ((p === 'master' || p === 'history') && o.wait && !dryRun)
    await ensureEventLogDir(eventLogDirCommand(settings, conf, sparkHome), { ...env, SPARK_CONF_DIR: confDir }, p === 'history', dynoLog('spark-in-space.eventlog', 'spark-in-space', env));
  // a worker waits for a master, a master for ZooKeeper: a visible wait, not a crash loop
  const needs = needsOf(p, settings);
  if (needs && o.wait) await waitFor(needs, env);
  return { argv, confDir, conf };
}

/**
 * Renders the driver conf of a one-off dyno (as `.profile.d` does on Heroku): Spark's own tools
 * then find the master, bind to the dyno's address and log as the cluster does. A bad config var
 * warns and the command still runs (it may not need Spark at all).
 */
export async function renderOneOffConf(env: Env, warn: (line: string) => void): Promise<void> {
  try {
    await prepare('spark-submit', env, []);
  } catch (err) {
    warn(`WARNING: no Spark conf rendered for this dyno (Spark's tools will not find the cluster): ${(err as Error).message.split('\n').join(' ')}`);
  }
}

/**
 * A process type or tool whose part of Spark SPARK_SLIM left out refuses before any JVM starts,
 * naming the var (never a ClassNotFoundException); so does a submitted jar that uses MLlib's classes.
 */
async function requireFeatures(p: ProcessType, args: string[], slim: SparkFeature[]): Promise<void> {
  if (!slim.length) return;
  if (p === 'spark-shell' && slim.includes('mllib')) dynoLog('spark-in-space.launch', 'spark-in-space')(`WARNING: ${slimRefusal('MLlib (org.apache.spark.ml, .mllib, .graphx)', 'mllib', slim)}`);
  const left = missingFeature(p, args, slim);
  if (left) fail({ code: 'feature-left-out', tool: p, message: slimRefusal(p === 'thrift' || p === 'connect' ? `the ${p} process type` : p, left, slim) });
  const app = p === 'spark-submit' ? primaryResource(args) : undefined;
  for (const f of slim) {
    const packages = JVM_PACKAGES[f];
    if (!packages || !app || !/\.jar$/.test(app) || !existsSync(app)) continue;
    const uses = await jarUses(app, packages);
    if (uses) fail({ code: 'feature-left-out', tool: p, message: slimRefusal(`${path.basename(app)} (its classes use ${uses.replace(/\/$/, '').replace(/\//g, '.')})`, f, slim) });
  }
}

/**
 * The first of `packages` whose name appears in a class of the jar (its constant pool names the
 * classes it uses); a package the jar carries itself (a fat jar with MLlib inside) does not count.
 */
async function jarUses(jar: string, packages: string[]): Promise<string | undefined> {
  const { default: AdmZip } = await import('adm-zip');
  const entries = new AdmZip(jar).getEntries();
  const wanted = packages.filter((p) => !entries.some((e) => e.entryName.startsWith(p)));
  for (const e of entries) {
    if (!wanted.length) break;
    if (!e.entryName.endsWith('.class')) continue;
    const bytes = e.getData().toString('latin1');
    const hit = wanted.find((p) => bytes.includes(p));
    if (hit) return hit;
  }
  return undefined;
}

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
async function prepareZooKeeper(sparkHome: string, settings: Settings, env: Env, confDir: string, dryRun: boolean): Promise<void> {
  const jars = path.join(sparkHome, 'jars');
  if (!dryRun && !(existsSync(jars) && readdirSync(jars).some((f) => /^zookeeper-3\.[\d.]+\.jar$/.test(f))))
    fail({ code: 'spark-unfit', message: `${jars} has no zookeeper-3.*.jar: this Spark ships no ZooKeeper server. Use an external ensemble (SPARK_ZK_ZOOKEEPER_URL) or Spark 2.0 or newer.` });
  const dataDir = env.ZOOKEEPER_DATA_DIR ?? path.join((env.SPARK_LOCAL_DIRS ?? os.tmpdir()).split(',')[0]!, 'zookeeper');
  const server = zooKeeperServer(settings, env, dataDir);
  await mkdir(dataDir, { recursive: true });
  await writeFile(path.join(dataDir, 'myid'), `${server.myid}\n`);
  await writeConf(confDir, [{ name: 'zoo.cfg', content: server.config, mode: 0o600 }]);
}
