/**
 * Launchers: pure functions compute the argv of each process type; `prepare` renders the conf
 * dir and returns the argv; bin/* exec it (so SIGTERM reaches the JVM: spark-class execs java).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fail } from '../errors.js';
import { buildpackFile } from '../paths.js';
import { parseConfig, type Env, type Settings } from '../config/schema.js';
import { computeConf, DNS_CACHE_OPTS, renderConf, writeConf, type Conf, type Role, type SparkInfo } from '../render/index.js';
import { detectResources } from '../render/resources.js';
import { dynoName, MASTER_PORT, MASTER_UI_PORT, masterUrl, WORKER_UI_PORT } from '../space/index.js';
import { zookeeperUrl, zooKeeperServer } from '../zookeeper/index.js';
import { needsOf, waitFor } from './await.js';
import { ensureEventLogDir, eventLogDirCommand } from '../eventlog/index.js';

export type ProcessType = 'master' | 'worker' | 'zookeeper' | 'history' | 'console' | 'spark-shell' | 'spark-submit';
export const PROCESS_TYPES: ProcessType[] = ['master', 'worker', 'zookeeper', 'history', 'console', 'spark-shell', 'spark-submit'];

/** bin/support/drain-worker of this buildpack: the worker dyno's process under graceful decommission. */
export const DRAIN_WORKER = buildpackFile(import.meta.url, 'bin/support/drain-worker');

export const roleOf = (p: ProcessType): Role =>
  p === 'master' ? 'master' : p === 'worker' ? 'worker' : p === 'history' ? 'history' : p === 'console' || p === 'zookeeper' ? 'console' : 'driver';

/** The ZooKeeper server class Spark's jars/ carries (zookeeper-3.*.jar, with Curator's client). */
export const ZOOKEEPER_MAIN = 'org.apache.zookeeper.server.quorum.QuorumPeerMain';

/** Pure: the command line of a process type. */
export function argvFor(p: ProcessType, a: { sparkHome: string; settings: Settings; env: Env; conf: Conf; args: string[]; confDir?: string }): string[] {
  const bin = (n: string) => path.join(a.sparkHome, 'bin', n);
  switch (p) {
    case 'zookeeper': {
      // the JVM itself, no wrapper: it gets the dyno's SIGTERM; its log4j file is the one rendered for Spark
      const confDir = a.confDir ?? path.join(a.sparkHome, 'conf');
      const java = a.env.JAVA_HOME ? path.join(a.env.JAVA_HOME, 'bin', 'java') : 'java';
      const heap = a.conf.env.find(([k]) => k === 'SPARK_DAEMON_MEMORY')?.[1] ?? '512m';
      const log = a.conf.log4j.file === 'log4j2.properties' ? `-Dlog4j2.configurationFile=${path.join(confDir, 'log4j2.properties')}` : `-Dlog4j.configuration=file:${path.join(confDir, 'log4j.properties')}`;
      return [java, `-Xmx${heap}`, `-Xms${heap}`, ...DNS_CACHE_OPTS, log, '-cp', path.join(a.sparkHome, 'jars', '*'), ZOOKEEPER_MAIN, path.join(confDir, 'zoo.cfg'), ...a.args];
    }
    case 'master':
      return [bin('spark-class'), 'org.apache.spark.deploy.master.Master', '--host', dynoName(a.settings, a.env), '--port', String(MASTER_PORT), '--webui-port', String(MASTER_UI_PORT), ...a.args];
    case 'worker':
      return [
        // graceful decommission: the watcher runs the JVM, ends it once drained (bin/support/drain-worker)
        ...(a.conf.decommission ? [DRAIN_WORKER, String(a.conf.decommission.timeoutS), '--'] : []),
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
    case 'spark-submit':
    case 'spark-shell': {
      const hasMaster = a.args.some((x) => x === '--master' || x.startsWith('--master='));
      const master = hasMaster ? [] : ['--master', masterUrl(a.settings)];
      if (p === 'spark-submit') return [bin('spark-submit'), ...master, ...a.args];
      // What Spark's bin/spark-shell runs, minus its bash wrapper (which would stay the JVM's parent
      // and die on SIGTERM, orphaning the JVM): spark-submit execs spark-class, which execs java.
      const opts = `${a.env.SPARK_SUBMIT_OPTS ?? ''} -Dscala.usejavacp=true`.trim();
      return ['env', `SPARK_SUBMIT_OPTS=${opts}`, bin('spark-submit'), '--class', 'org.apache.spark.repl.Main', '--name', 'Spark shell', ...master, ...a.args];
    }
  }
}

/** Which Spark is installed: the build's record, else RELEASE, else the spark-core jar's name. */
export function sparkInfo(sparkHome: string): SparkInfo {
  const record = path.join(sparkHome, '.spark-in-space.json');
  let version: string | undefined;
  if (existsSync(record)) {
    const r = JSON.parse(readFileSync(record, 'utf8')) as { version: string; log4j: 1 | 2 };
    return { version: r.version, log4j: r.log4j };
  }
  const release = path.join(sparkHome, 'RELEASE');
  if (existsSync(release)) version = /Spark (\d+\.\d+\.\d+)/.exec(readFileSync(release, 'utf8'))?.[1];
  if (!version && existsSync(path.join(sparkHome, 'jars')))
    version = readdirSync(path.join(sparkHome, 'jars'))
      .map((f) => /^spark-core_[\d.]+-(\d+\.\d+\.\d+)\.jar$/.exec(f)?.[1])
      .find(Boolean);
  if (!version) fail({ code: 'usage', message: `${sparkHome} does not look like a Spark distribution (no RELEASE, no jars/spark-core_*.jar).` });
  const [maj, min] = version.split('.').map(Number) as [number, number];
  return { version, log4j: maj < 3 || (maj === 3 && min < 3) ? 1 : 2 };
}

export function sparkHomeFrom(env: Env): string {
  const home = env.SPARK_HOME;
  if (!home || !existsSync(path.join(home, 'bin', 'spark-class')))
    fail({
      code: 'usage',
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
  const settings = parseConfig(env, 'run');
  if (p === 'master' && (settings.SPARK_MASTERS ?? 1) > 1 && !zookeeperUrl(settings))
    fail({
      code: 'config-invalid',
      issues: [
        {
          name: 'SPARK_MASTERS',
          problem: `is ${settings.SPARK_MASTERS}, but more than one master needs ZooKeeper to elect a leader (else every master would take work on its own): set SPARK_ZK_ZOOKEEPER_URL, or run zookeeper dynos and set SPARK_ZOOKEEPERS`,
          example: 'SPARK_ZOOKEEPERS=3',
        },
      ],
    });
  if (p === 'history' && !settings.SPARK_EVENTLOG_DIR)
    fail({
      code: 'config-invalid',
      issues: [
        {
          name: 'SPARK_EVENTLOG_DIR',
          problem: 'is not set: the history server shows the event logs applications write there, so every app and the history dyno need the same directory',
          example: 'SPARK_EVENTLOG_DIR=s3a://my-bucket/spark-events',
        },
      ],
    });
  const sparkHome = spark && !env.SPARK_HOME ? '$SPARK_HOME' : sparkHomeFrom(env);
  const info = spark ?? sparkInfo(sparkHome);
  const conf = computeConf({ settings, env, role: roleOf(p), spark: info, resources: detectResources() });
  const confDir = env.SPARK_CONF_DIR ?? path.join(sparkHome, 'conf');
  const argv = argvFor(p, { sparkHome, settings, env, conf, args, confDir });
  await writeConf(confDir, await renderConf(conf));
  if (p === 'zookeeper') await prepareZooKeeper(sparkHome, settings, env, confDir);
  // the master (in the background) and the history server (before it polls) create SPARK_EVENTLOG_DIR
  if ((p === 'master' || p === 'history') && o.wait && !sparkHome.startsWith('$'))
    await ensureEventLogDir(eventLogDirCommand(settings, conf, sparkHome), { ...env, SPARK_CONF_DIR: confDir }, p === 'history', (l) => process.stderr.write(`spark-in-space: ${l}\n`));
  // a worker waits for a master, a master for ZooKeeper: a visible wait, not a crash loop
  const needs = needsOf(p, settings);
  if (needs && o.wait) await waitFor(needs, env);
  return { argv, confDir, conf };
}

/**
 * zoo.cfg in the conf dir; myid in the data dir on the dyno's own disk (empty after a restart on
 * Heroku: the server syncs from the quorum).
 */
async function prepareZooKeeper(sparkHome: string, settings: Settings, env: Env, confDir: string): Promise<void> {
  const jars = path.join(sparkHome, 'jars');
  if (!sparkHome.startsWith('$') && !(existsSync(jars) && readdirSync(jars).some((f) => /^zookeeper-3\.[\d.]+\.jar$/.test(f))))
    fail({ code: 'usage', message: `${jars} has no zookeeper-3.*.jar: this Spark ships no ZooKeeper server. Use an external ensemble (SPARK_ZK_ZOOKEEPER_URL) or Spark 2.0 or newer.` });
  const dataDir = env.ZOOKEEPER_DATA_DIR ?? path.join((env.SPARK_LOCAL_DIRS ?? os.tmpdir()).split(',')[0]!, 'zookeeper');
  let server;
  try {
    server = zooKeeperServer(settings, env, dataDir);
  } catch (err) {
    fail({ code: 'config-invalid', issues: [{ name: 'SPARK_ZOOKEEPERS', problem: (err as Error).message, example: 'SPARK_ZOOKEEPERS=3' }] });
  }
  await mkdir(dataDir, { recursive: true });
  await writeFile(path.join(dataDir, 'myid'), `${server.myid}\n`);
  await writeConf(confDir, [{ name: 'zoo.cfg', content: server.config, mode: 0o600 }]);
}
