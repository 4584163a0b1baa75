/**
 * What `local up` starts, decided and checked before anything runs (the command parses its options
 * and calls planOf): the counts of each type (the table's rules), the catalog's vars, every part of
 * Spark the chosen dynos need, the ports only one space can hold. `--detach` hands the plan whole to
 * the background supervisor (./daemon.ts).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { bindable } from '../net/tcp.js';
import { lookup, parseConfig, type Env, type VarName } from '../config/schema.js';
import { fail, isProblem } from '../errors.js';
import { localMetastorePort, parseProcfile, spaceConfig, subnetFor } from './formation.js';
import { requireJdbcDriver } from '../metastore/check.js';
import { requireConnect, sparkInfo } from '../launch/index.js';
import { postgresHost, postgresUrl } from './postgres.js';
import { LOCAL_CRASH_POLICY, type CrashPolicy } from './lifecycle.js';
import { configEnv, findSparkHome } from './runner.js';
import type { SpaceOptions } from './supervisor.js';
import { PROCESS_TYPES_LIST, specOf, type DynoType } from '../process-types.js';
import { THRIFT_HTTP_PORT } from '../space/index.js';

/** The per-type options `local up` takes beside masters, workers and zookeepers: the table's `localOption`s. */
export const TYPE_OPTIONS = PROCESS_TYPES_LIST.filter((t) => t.localOption);

/** What `local up` starts, decided and checked before anything runs; --detach hands it whole to the background supervisor. */
export type UpPlan = Omit<SpaceOptions, 'config' | 'echo' | 'graceMs' | 'crashPolicy'> & { crashPolicy: CrashPolicy; timeout: number; vars?: Env; postgres?: boolean };

/** What planOf decides from: `local up`'s options, parsed. */
export interface PlanInput {
  app: string;
  appDir: string;
  dir: string;
  sparkHome?: string;
  masters: number;
  workers: number;
  zookeepers: number;
  port: number;
  crashCooldown: number;
  maxCrashCooldown: number;
  timeout: number;
  postgres: boolean;
  /** vars an option sets (--autoscale) */
  autoscale?: Env;
}
/** The `--<type> <n>` counts of the table's local options, where given. */
export type Counted = Pick<PlanInput, 'masters' | 'workers' | 'zookeepers'> & Partial<Record<DynoType, number>>;

function procfileOf(appDir: string): Record<string, string> {
  const file = path.join(appDir, 'Procfile');
  if (!existsSync(file)) fail({ code: 'app-incomplete', message: `${file} is missing: the app needs a Procfile (master: bin/spark-master, worker: bin/spark-worker).` });
  const procfile = parseProcfile(readFileSync(file, 'utf8'));
  for (const t of ['master', 'worker']) if (!procfile[t]) fail({ code: 'app-incomplete', message: `The Procfile has no "${t}" process type.` });
  return procfile;
}

/** How `local up` names the vars its options set, in a refusal. */
const FROM_OPTIONS: Record<string, { name: string; example: string }> = {
  SPARK_MASTERS: { name: 'SPARK_MASTERS (--masters)', example: 'local up --masters 2 --zookeepers 3, or SPARK_ZK_ZOOKEEPER_URL in .env' },
  SPARK_ZOOKEEPERS: { name: 'SPARK_ZOOKEEPERS (--zookeepers)', example: 'local up --zookeepers 3' },
  SPARK_AUTOSCALE_MIN: { name: 'SPARK_AUTOSCALE_MIN (--autoscale MIN:MAX)', example: 'local up --autoscale 1:3' },
  SPARK_AUTOSCALE_MAX: { name: 'SPARK_AUTOSCALE_MAX (--autoscale MIN:MAX)', example: 'local up --autoscale 1:3' },
};

/**
 * The metastore dyno's place in the space: Hive 2.3's service listens on every address of the
 * machine, so each space has a port of its own (SPARK_METASTORE_PORT, unless .env sets one: checked
 * free now, not found taken by a crash-looping dyno); without a database (.env's URL, --postgres)
 * its catalog is Derby in the space's data folder.
 */
async function catalogVars(o: PlanInput, config: Env): Promise<Env> {
  const out: Env = {};
  const port = Number(lookup(config, 'SPARK_METASTORE_PORT')?.value ?? localMetastorePort(subnetFor(o.app)));
  if (!lookup(config, 'SPARK_METASTORE_PORT')) out.SPARK_METASTORE_PORT = String(port);
  if (!(await freeEverywhere(port)))
    fail({
      code: 'port-in-use',
      message: `Port ${port} (this space's metastore: Hive's service listens on every address) is taken by another program: stop it, or set SPARK_METASTORE_PORT in .env to a free port, or leave the metastore out (--metastore 0).`,
    });
  if (!lookup(config, 'SPARK_METASTORE_DATABASE_URL') && !o.postgres && !lookup(config, 'SPARK_METASTORE_DERBY_DIR')) out.SPARK_METASTORE_DERBY_DIR = path.join(o.dir, 'data', 'catalog');
  return out;
}

/** Is the port free on every address (how Hive's service binds it)? */
const freeEverywhere = async (port: number): Promise<boolean> => (await bindable(port)) !== undefined;

/**
 * Pure: how many dynos of each type `local up` starts, from its options and the config (history,
 * metastore: 1 when .env sets their var and the Procfile has them; the metastore also beside a
 * thrift or connect dyno, so the servers and every other driver share one catalog).
 */
export function countsOf(o: Counted, procfile: Record<string, string>, config: Env, webRuns: boolean): Record<string, number> {
  const counts: Record<string, number> = { master: o.masters, worker: o.workers };
  if (o.zookeepers) counts.zookeeper = o.zookeepers;
  for (const t of TYPE_OPTIONS) {
    // the table's rule (src/process-types.ts localOption): 1 when .env sets its var, or beside a type it serves
    const { onWhenSet, alsoBeside = [] } = t.localOption!;
    const wanted = Boolean(onWhenSet && lookup(config, onWhenSet as VarName)) || alsoBeside.some((b) => counts[b]);
    const n = o[t.name] ?? (wanted && procfile[t.name] ? 1 : 0);
    if (n) counts[t.name] = n;
  }
  if (webRuns) counts.web = 1;
  return counts;
}

/**
 * The formation `up` starts, checked before anything runs: every type it starts is in the
 * Procfile, and the config is what those types need (parseConfig with their rules: required
 * vars, several masters need ZooKeeper), as each dyno will parse it.
 */
export async function planOf(o: PlanInput & Counted): Promise<UpPlan> {
  const procfile = procfileOf(o.appDir);
  // vars the options set (--autoscale) win over .env's, as `heroku config:set` would
  const vars: Env = { ...o.autoscale };
  const dotenv = configEnv(o.appDir);
  if (o.postgres && lookup(dotenv, 'SPARK_METASTORE_DATABASE_URL'))
    fail({
      code: 'bad-input',
      message: `--postgres starts a PostgreSQL for the space, but .env or the environment already names one (${lookup(dotenv, 'SPARK_METASTORE_DATABASE_URL')!.from}): drop one of them.`,
    });
  // with --postgres the database URL exists once the space's PostgreSQL runs (the supervisor's env): a stand-in for the checks
  const config = { ...dotenv, ...vars, ...(o.postgres ? { SPARK_METASTORE_DATABASE_URL: postgresUrl(postgresHost(subnetFor(o.app)), 5432, 'x') } : {}) };
  const web = procfile.web?.split(/\s+/)[0];
  const counts = countsOf(o, procfile, config, Boolean(web && existsSync(path.resolve(o.appDir, web))));
  if (counts.metastore) Object.assign(vars, await catalogVars(o, config));
  if (o.postgres && !counts.metastore)
    fail(
      procfile.metastore
        ? { code: 'bad-input', message: '--postgres is for the metastore dyno, and --metastore 0 leaves it out: drop one of them.' }
        : { code: 'app-incomplete', message: 'The Procfile has no "metastore" process type, which --postgres is for: add the line `metastore: bin/metastore`.' },
    );
  for (const type of Object.keys(counts))
    if (!procfile[type]) fail({ code: 'app-incomplete', message: `The Procfile has no "${type}" process type: add the line \`${type}: bin/${specOf(type)?.launcher ?? type}\` for --${type}.` });
  try {
    parseConfig(spaceConfig({ ...config, ...vars }, counts), 'run', { processes: Object.keys(counts) });
  } catch (err) {
    // SPARK_MASTERS and SPARK_ZOOKEEPERS of a local space come from its options: say so
    if (!isProblem(err, 'config-invalid') || err.problem.code !== 'config-invalid') throw err;
    fail({ code: 'config-invalid', issues: err.problem.issues.map((i) => ({ ...i, ...FROM_OPTIONS[i.name] })) });
  }
  const sparkHome = findSparkHome(o.appDir, o.sparkHome);
  // what a dyno needs of the Spark it runs: said now, not by a dyno crash-looping until --timeout
  preflight(sparkHome, counts, { ...config, ...vars }, Boolean(o.postgres));
  // Spark's Thrift server over HTTP listens on every address of the machine (no bind host): a second
  // space's would fail, and its clients would silently reach the first space's server
  if (counts.thrift && !(await freeEverywhere(THRIFT_HTTP_PORT)))
    fail({
      code: 'port-in-use',
      message: `Port ${THRIFT_HTTP_PORT} is taken: Spark's Thrift server (HTTP) listens on it on every address of this machine, so one local space at a time can run a thrift dyno (another space runs one?). Stop it (spark-in-space local down in that app), or start this space without --thrift.`,
    });
  // a command that is a path must be there: else its dyno crash-loops until --timeout saying only "No such file"
  for (const type of Object.keys(counts).filter((t) => counts[t])) {
    const exe = procfile[type]!.trim().split(/\s+/)[0]!;
    if (exe.includes('/') && !existsSync(path.resolve(o.appDir, exe)))
      fail({ code: 'app-incomplete', message: `The Procfile's "${type}" runs ${exe}, which is not in ${o.appDir}: fix the line (the launchers are bin/<launcher> of this buildpack's checkout).` });
  }
  return {
    app: o.app,
    appDir: o.appDir,
    dir: o.dir,
    sparkHome,
    procfile,
    counts,
    port: o.port,
    crashPolicy: { ...LOCAL_CRASH_POLICY, cooldownMs: o.crashCooldown, maxCooldownMs: Math.max(o.crashCooldown, o.maxCrashCooldown) },
    timeout: o.timeout,
    vars,
    postgres: o.postgres,
  };
}

/**
 * The parts of Spark the chosen dynos need, checked before anything starts: the PostgreSQL JDBC
 * driver for a metastore on a database (.env's URL or --postgres), the Connect server's jar, the
 * Thrift server's, and S3A for an s3a:// event log dir (pip's pyspark carries none of the first and last).
 */
function preflight(sparkHome: string, counts: Record<string, number | undefined>, config: Env, postgres: boolean): void {
  const jars = existsSync(path.join(sparkHome, 'jars')) ? readdirSync(path.join(sparkHome, 'jars')) : [];
  if (counts.metastore && (postgres || lookup(config, 'SPARK_METASTORE_DATABASE_URL'))) requireJdbcDriver(sparkHome);
  if (counts.connect) requireConnect(sparkHome, sparkInfo(sparkHome));
  if (counts.thrift && !jars.some((j) => /^spark-hive-thriftserver_[\d.]+-.*\.jar$/.test(j)))
    fail({
      code: 'spark-unfit',
      message: `${path.join(sparkHome, 'jars')} has no spark-hive-thriftserver_*.jar: this Spark carries no Thrift server (SPARK_SLIM left hive out?). Start the space without --thrift, or build with the hive part.`,
    });
  const eventLog = lookup(config, 'SPARK_EVENTLOG_DIR')?.value ?? '';
  if (/^s3a:/i.test(eventLog) && !jars.some((j) => /^hadoop-aws-[\d.]+\.jar$/.test(j)))
    fail({
      code: 'spark-unfit',
      message: `SPARK_EVENTLOG_DIR is on S3 (${eventLog.split('/').slice(0, 3).join('/')}/…), but ${path.join(sparkHome, 'jars')} has no S3A connector (hadoop-aws-*.jar): build with S3 set (spark-in-space build installs it when an S3 var is set, or SPARK_S3A=true), or use a file: dir locally.`,
    });
}
