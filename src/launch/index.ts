/**
 * Launchers: pure functions compute the argv of each process type; `prepare` renders the conf
 * dir and returns the argv; bin/* exec it (so SIGTERM reaches the JVM: spark-class execs java).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fail } from '../errors.js';
import { parseConfig, type Env } from '../config/schema.js';
import { computeConf, logFormatNote, renderConf, writeConf, type Conf, type Role, type SparkInfo } from '../render/index.js';
import { detectResources } from '../render/resources.js';
import { needsOf, waitFor } from './await.js';
import { specOf, type ProcessType } from '../process-types.js';
import { cdsFor } from '../cds/archive.js';
import { JVM_PACKAGES, primaryResource, slimRefusal, type SparkFeature } from '../spark-features.js';
import { launchLog } from '../log/index.js';
import { cdsKey, isClusterMode, LAUNCHERS, missingFeature } from './launchers.js';
import { HANDOVER_JAR } from '../zookeeper/index.js';

export { PROCESS_TYPES, type ProcessType } from '../process-types.js';
export {
  argvFor,
  cdsKey,
  CLUSTER_SUBMIT_UNSET,
  CONNECT_MAIN,
  DRAIN_WORKER,
  isClusterMode,
  LAUNCHERS,
  missingFeature,
  requireConnect,
  THRIFT_MAIN,
  ZOOKEEPER_MAIN,
  type Launcher,
} from './launchers.js';

/** Spark's role of a process (the table's; Spark's tools are drivers). */
export const roleOf = (p: ProcessType): Role => {
  const role = specOf(p)?.role;
  return role && role !== 'proxy' && role !== 'service' ? role : 'driver';
};

/** Which Spark is installed: the build's record, else RELEASE, else the spark-core jar's name. */
export function sparkInfo(sparkHome: string): SparkInfo {
  const record = path.join(sparkHome, '.spark-in-space.json');
  let version: string | undefined;
  if (existsSync(record)) {
    const r = JSON.parse(readFileSync(record, 'utf8')) as { version: string; log4j: 1 | 2; slim?: SparkFeature[] };
    return { version: r.version, log4j: r.log4j, slim: r.slim ?? [], handover: existsSync(path.join(sparkHome, 'jars', HANDOVER_JAR)) };
  }
  const release = path.join(sparkHome, 'RELEASE');
  if (existsSync(release)) version = /Spark (\d+\.\d+\.\d+)/.exec(readFileSync(release, 'utf8'))?.[1];
  if (!version && existsSync(path.join(sparkHome, 'jars')))
    version = readdirSync(path.join(sparkHome, 'jars'))
      .map((f) => /^spark-core_[\d.]+-(\d+\.\d+\.\d+)\.jar$/.exec(f)?.[1])
      .find(Boolean);
  if (!version) fail({ code: 'spark-unfit', message: `${sparkHome} does not look like a Spark distribution (no RELEASE, no jars/spark-core_*.jar).` });
  const [maj, min] = version.split('.').map(Number) as [number, number];
  return { version, log4j: maj < 3 || (maj === 3 && min < 3) ? 1 : 2, handover: existsSync(path.join(sparkHome, 'jars', HANDOVER_JAR)) };
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
  const row = LAUNCHERS[p];
  const say = launchLog(env);
  await requireFeatures(p, args, info.slim ?? []);
  if (!dryRun) row.check?.(sparkHome, info);
  const clusterMode = p === 'spark-submit' && isClusterMode(args);
  // class-data sharing (src/cds): a launched JVM (its pid is ours' parent: bash execs it) may record the archive
  const key = cdsKey(p, clusterMode);
  const cds = key && !dryRun && settings.SPARK_CDS ? cdsFor(key, sparkHome, env, { root: settings.SPARK_CDS_DIR, record: Boolean(o.wait), pid: process.ppid }) : undefined;
  if (cds && o.wait) say(cds.note);
  const logNote = o.wait ? logFormatNote(settings, info.version) : undefined;
  if (logNote) say(logNote);
  const conf = computeConf({ settings, env, role: roleOf(p), spark: info, resources: detectResources(), process: p, clusterMode, cds });
  const confDir = env.SPARK_CONF_DIR ?? path.join(sparkHome, 'conf');
  const own = row.argv({ sparkHome, settings, env, conf, args, confDir });
  await writeConf(confDir, renderConf(conf));
  // what the type prepares on the dyno (its row): a sidecar's argv to run before its own
  const before = (await row.prepare?.({ sparkHome, settings, env, conf, args, confDir, info, dryRun, wait: Boolean(o.wait) })) ?? [];
  const argv = [...before, ...own];
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
  if (p === 'spark-shell' && slim.includes('mllib')) launchLog()(`WARNING: ${slimRefusal('MLlib (org.apache.spark.ml, .mllib, .graphx)', 'mllib', slim)}`);
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
