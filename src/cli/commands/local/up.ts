/** `spark-in-space local up`: start the formation (foreground, or --detach) with crashed dynos restarted. */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { bindable } from '../../../net/tcp.js';
import path from 'node:path';
import { Command, Option } from 'commander';
import * as z from 'zod';
import { lookup, parseConfig, VARS, type Env, type VarName } from '../../../config/schema.js';
import { fail, isProblem, PROBLEM_EXIT } from '../../../errors.js';
import { writeAtomicSync } from '../../../fs/atomic.js';
import { localMetastorePort, parseProcfile, spaceConfig, subnetFor } from '../../../local/formation.js';
import { requireJdbcDriver } from '../../../metastore/check.js';
import { requireConnect, sparkInfo } from '../../../launch/index.js';
import { postgresHost, postgresUrl, startSpacePostgres, stopSpacePostgres } from '../../../local/postgres.js';
import { LOCAL_CRASH_POLICY, type CrashPolicy } from '../../../local/lifecycle.js';
import { render, report } from '../../../local/report.js';
import { configEnv, findSparkHome, spaceConfigEnv } from '../../../local/runner.js';
import { alive, logsDir, readState } from '../../../local/state.js';
import { Supervisor, webUser, type SpaceOptions } from '../../../local/supervisor.js';
import { PROCESS_TYPE_TABLE, PROCESS_TYPES_LIST, specOf } from '../../../process-types.js';
import { CONNECT_PORT, SPACE_SUFFIX, THRIFT_HTTP_PORT } from '../../../space/index.js';
import { common, Common, declareOptions, Duration, say, target, type Target } from './options.js';
import { checkpoint } from '../../check.js';

/** The per-type options `local up` takes beside masters, workers and zookeepers: the table's `localOption`s. */
const TYPE_OPTIONS = PROCESS_TYPES_LIST.filter((t) => t.localOption);

/** The types with a `localOption` (a `--<type> <n>` of `local up`). */
type OptionType = 'history' | 'thrift' | 'connect' | 'metastore';

/** `--<type> <n>` of a type with a `localOption` in the table: its help and its limit come from there. */
function typeOption(type: OptionType, dflt?: string) {
  const t = PROCESS_TYPE_TABLE[type];
  const lo = t.localOption!;
  return {
    flags: `--${type} <n>`,
    help: `${type} dynos (bin/${t.launcher}): ${lo.help}; 0 or ${lo.max}`,
    ...(dflt === undefined ? {} : { default: dflt }),
    schema: z.coerce.number().int().min(0).max(lo.max, `must be 0 or ${lo.max}: ${lo.why}`).optional(),
  };
}

/**
 * Every option of `local up`, declared once: commander shows the flag, help and default; zod
 * parses what commander hands over (the defaults too), so a default lives in one place.
 */
const OPTIONS = declareOptions({
  // the formation's counts are the vars the dynos get (SPARK_MASTERS, SPARK_ZOOKEEPERS): their schema's rules
  masters: { flags: '--masters <n>', help: 'master dynos', default: '1', schema: VARS.SPARK_MASTERS.schema },
  workers: { flags: '--workers <n>', help: 'worker dynos', default: '2', schema: z.coerce.number().int().min(0).max(200) },
  zookeepers: { flags: '--zookeepers <n>', help: 'zookeeper dynos (bin/zookeeper): 1 or 3; the masters elect a leader through them', default: '0', schema: VARS.SPARK_ZOOKEEPERS.schema },
  // history's default depends on .env (1 with SPARK_EVENTLOG_DIR): worked out in countsOf
  history: typeOption('history'),
  thrift: typeOption('thrift', '0'),
  connect: typeOption('connect', '0'),
  // the metastore's default depends on .env (1 with a database URL): worked out in countsOf
  metastore: typeOption('metastore'),
  postgres: {
    flags: '--postgres',
    help: "start a PostgreSQL for the space's catalog (the machine's postgresql; data under .spark-in-space/local/<app>/postgres, kept by down) and a metastore dyno on it",
    schema: z.boolean().default(false),
  },
  port: { flags: '-p, --port <port>', help: 'port of the web dyno', default: '5000', schema: z.coerce.number().int().min(1).max(65535) },
  sparkHome: { flags: '--spark-home <dir>', help: 'Spark to run (default: SPARK_HOME, the local build, or pip’s pyspark)', schema: z.string().optional() },
  detach: { flags: '--detach', help: 'start in the background and return once every dyno is up and every worker ALIVE', schema: z.boolean().default(false) },
  crashCooldown: {
    flags: '--crash-cooldown <duration>',
    help: 'wait before restarting a dyno that crashed twice in a row; doubles with each crash',
    default: `${LOCAL_CRASH_POLICY.cooldownMs / 1000}s`,
    schema: Duration,
  },
  maxCrashCooldown: {
    flags: '--max-crash-cooldown <duration>',
    help: 'the longest wait between crash restarts (Heroku: 20 min)',
    default: `${LOCAL_CRASH_POLICY.maxCooldownMs / 1000}s`,
    schema: Duration,
  },
  timeout: { flags: '--timeout <duration>', help: 'with --detach: how long to wait for the space to be healthy', default: '240s', schema: Duration },
  autoscale: {
    flags: '--autoscale <min:max>',
    help: 'autoscale the workers between min and max (SPARK_AUTOSCALE_MIN/MAX; or set them in .env): the leading master adds workers for waiting work and stops idle ones',
    schema: z
      .string()
      .regex(/^\d+:\d+$/, 'must be MIN:MAX such as 1:3')
      .transform((v) => ({ SPARK_AUTOSCALE_MIN: v.split(':')[0]!, SPARK_AUTOSCALE_MAX: v.split(':')[1]! }))
      .optional(),
  },
});
const UpOptions = Common.extend(OPTIONS.shape).extend({ supervise: z.string().optional() });
type Up = z.output<typeof UpOptions> & Target;
type Counted = Pick<Up, 'masters' | 'workers' | 'zookeepers'> & Partial<Record<OptionType, number>>;

/** What `local up` starts, decided and checked before anything runs; --detach hands it whole to the background supervisor. */
export type UpPlan = Omit<SpaceOptions, 'config' | 'echo' | 'graceMs' | 'crashPolicy'> & { crashPolicy: CrashPolicy; timeout: number; vars?: Env; postgres?: boolean };

export function upCommand(): Command {
  return OPTIONS.declare(common(new Command('up')))
    .description('start the formation: zookeepers, masters, workers (and web, when the Procfile has one), each on its own 127.x address')
    .addOption(new Option('--supervise <plan>', 'internal: the background supervisor, with the plan `local up --detach` wrote').hideHelp())
    .addHelpText(
      'after',
      `
Every dyno gets Heroku's environment (DYNO, PORT, HEROKU_PRIVATE_IP, HEROKU_DNS_*), its own loopback
address and a *.app.localspace name that JVMs resolve through a hosts file (and other tools through
the space's DNS server). Config vars come from the environment and from .env in the app dir.

Dynos live as on Heroku: a dyno that exits is restarted at once, then after growing cool-downs;
every restart is a new dyno with a new address under the same name (\`local cycle\` does the daily
restart on demand). Ctrl-C or \`local down\` stops everything (SIGTERM, SIGKILL after 30 s).

On a space that already runs, \`up\` prints its status: exit 0 when healthy, 8 when degraded.

Examples:
  $ spark-in-space local up --workers 2
  $ spark-in-space local up --detach && echo 'sc.parallelize(1L to 1000000L).reduce(_ + _)' | spark-in-space local run bin/spark-shell
  $ spark-in-space local up --detach --crash-cooldown 5s --max-crash-cooldown 5m
  $ spark-in-space local up --detach --masters 2 --zookeepers 3   # HA: kill -9 the leader, the standby takes over
  $ spark-in-space local up --detach --workers 1 --autoscale 1:3   # workers follow the work (SPARK_AUTOSCALE_*)
  $ spark-in-space local up --detach --thrift 1 --connect 1      # JDBC and Spark Connect servers on the cluster
  $ spark-in-space local run spark-sql -e 'SELECT 1 + 1'          # any Spark tool, with the cluster's conf
  $ spark-in-space local up --detach --postgres --thrift 1       # one catalog (Hive metastore on a PostgreSQL of the space)

More than one master needs ZooKeeper: --zookeepers runs the space's own ensemble (the Procfile
needs \`zookeeper: bin/zookeeper\`), or SPARK_ZK_ZOOKEEPER_URL in .env names an external one.`,
    )
    .action(async (raw) => {
      const o: Up = { ...UpOptions.parse(raw), ...target(raw) };
      checkpoint();
      if (o.supervise) return supervise(JSON.parse(readFileSync(o.supervise, 'utf8')) as UpPlan, false);
      if (readState(o.dir)) return alreadyRunning(o);
      const plan = await planOf(o);
      // the space's PostgreSQL first, here: a machine that cannot run it is told so (exit 16), not a dead supervisor
      if (plan.postgres) await startSpacePostgres(plan.dir, subnetFor(plan.app), say);
      if (o.detach) return detach(plan);
      await supervise(plan, true);
    });
}

/** Pure: where the space's catalog is, for the `Ready` lines (nothing to say without SQL servers or a metastore). */
export function catalogLine(plan: Pick<UpPlan, 'counts' | 'vars' | 'postgres' | 'dir'>, config: Env): string | undefined {
  const port = plan.vars?.SPARK_METASTORE_PORT ?? lookup(config, 'SPARK_METASTORE_PORT')?.value ?? '9083';
  const derby = plan.vars?.SPARK_METASTORE_DERBY_DIR ?? lookup(config, 'SPARK_METASTORE_DERBY_DIR')?.value;
  if (plan.counts.metastore) {
    const where = plan.postgres
      ? `the space's PostgreSQL (${path.join(plan.dir, 'postgres')})`
      : lookup(config, 'SPARK_METASTORE_DATABASE_URL')
        ? `the PostgreSQL of ${lookup(config, 'SPARK_METASTORE_DATABASE_URL')!.from}`
        : `Derby in ${derby} (kept by down and cycle; on Heroku the catalog needs PostgreSQL)`;
    return `catalog: one for every driver, the metastore dyno (port ${port}) on ${where}`;
  }
  if (plan.counts.thrift || plan.counts.connect)
    return `catalog: none shared (no metastore dyno): the thrift and connect servers keep one each, one-off drivers share ${path.join(plan.dir, 'data', 'metastore')} one at a time`;
  return undefined;
}

/** Pure: where the thrift and connect dynos answer, for the `Ready` lines. */
export function endpointLines(app: string, thrift: boolean, connect: boolean, web?: string): string[] {
  const out: string[] = [];
  if (thrift) {
    if (web) out.push(`JDBC: beeline -u 'jdbc:hive2://${web.replace(/^https?:\/\//, '').replace(/\/$/, '')}/default;transportMode=http;httpPath=cliservice' -n spark -p <password>`);
    out.push(`JDBC in the space: jdbc:hive2://1.thrift.${app}.${SPACE_SUFFIX}:${THRIFT_HTTP_PORT}/default;transportMode=http;httpPath=cliservice`);
  }
  if (connect)
    out.push(
      `Spark Connect: spark-in-space local exec -- python … with sc://1.connect.${app}.${SPACE_SUFFIX}:${CONNECT_PORT}/;token=<SPARK_CONNECT_TOKEN> (TLS; local exec trusts the space's certificate)`,
    );
  return out;
}

async function alreadyRunning(o: Up): Promise<void> {
  const r = await report(readState(o.dir)!);
  say(`A local space for ${o.app} is already running${r.healthy ? '' : ', and it is degraded'}:`);
  process.stdout.write(`${render(r).join('\n')}\n`);
  process.exitCode = r.healthy ? 0 : PROBLEM_EXIT['cluster-unhealthy'];
}

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
async function catalogVars(o: Up, config: Env): Promise<Env> {
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
    const n = o[t.name as OptionType] ?? (wanted && procfile[t.name] ? 1 : 0);
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
async function planOf(o: Up): Promise<UpPlan> {
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

async function supervise(plan: UpPlan, foreground: boolean): Promise<void> {
  // the space's PostgreSQL (already started by `up`): its URL reaches the dynos' environment only
  if (plan.postgres) await startSpacePostgres(plan.dir, subnetFor(plan.app), foreground ? say : () => {});
  const config = spaceConfigEnv(plan.appDir, plan.dir, plan);
  const sup = new Supervisor({ ...plan, config, echo: foreground });
  // Signals are handled before the first JVM starts, so Ctrl-C at any moment leaves none behind.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => void sup.stop());
  await sup.start();
  if (await sup.ready(plan.timeout)) {
    const s = sup.snapshot();
    say(`Ready: ${s.dynos.length} dynos up, master URL ${s.masterUrl}, master UI ${sup.masterUi()}`);
    if (s.web) say(`web (space proxy): ${s.web} (${webUser(config, plan.dir)})`);
    const catalog = catalogLine(plan, config);
    if (catalog) say(catalog);
  } else say('Not every dyno is up yet: see `spark-in-space local status` and `local logs`');
  await sup.stopped;
  if (plan.postgres) await stopSpacePostgres(plan.dir);
  process.exit(0);
}

async function detach(plan: UpPlan): Promise<void> {
  const counts = plan.counts;
  mkdirSync(logsDir(plan.dir), { recursive: true });
  const logFile = path.join(logsDir(plan.dir), 'supervisor.log');
  // the plan, whole (no config values: the supervisor reads .env and the environment itself)
  const planFile = path.join(plan.dir, 'plan.json');
  writeAtomicSync(planFile, `${JSON.stringify(plan, null, 2)}\n`);
  const out = openSync(logFile, 'a');
  // this very entry (dist/cli.mjs, the bundle `bin` installs, or dist/cli/index.js)
  const child = spawn(process.execPath, [process.argv[1]!, 'local', 'up', '--dir', plan.appDir, '--app', plan.app, '--supervise', planFile], {
    detached: true,
    stdio: ['ignore', out, out],
    env: process.env,
  });
  child.unref();
  closeSync(out);
  say(
    `Starting ${plan.app} in the background: ${Object.entries(counts)
      .map(([t, n]) => `${t}=${n}`)
      .join(' ')}${plan.postgres ? ' (and its PostgreSQL)' : ''}`,
  );
  const deadline = Date.now() + plan.timeout;
  const failed = (why: string) => {
    process.stderr.write(`${readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n')}\n`);
    fail({ code: 'cluster-unhealthy', app: plan.app, problems: [`${why} The supervisor's log is above (${logFile}); \`spark-in-space local logs\` has every dyno's.`] });
  };
  let s = readState(plan.dir);
  while (!s && alive(child.pid) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    s = readState(plan.dir);
  }
  if (!s) return failed('The local space did not start.');
  let last = await report(s);
  while (!last.healthy && alive(child.pid) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    const now = readState(plan.dir);
    if (now) last = await report(now);
  }
  if (!last.healthy) return failed(`The local space is not healthy after ${Math.round(plan.timeout / 1000)} s: ${last.problems.join('; ')}.`);
  say(`Ready: master UI ${last.masterUi}, ${last.master?.aliveWorkers ?? 0} workers ALIVE, master URL ${last.masterUrl}`);
  if (last.web) process.stdout.write(`       web (space proxy): ${last.web} (${webUser(configEnv(plan.appDir), plan.dir)})\n`);
  for (const line of endpointLines(plan.app, Boolean(counts.thrift), Boolean(counts.connect), last.web)) process.stdout.write(`       ${line}\n`);
  const catalog = catalogLine(plan, configEnv(plan.appDir));
  if (catalog) process.stdout.write(`       ${catalog}\n`);
  process.stdout.write(
    [
      '       spark-in-space local run bin/spark-shell   # a one-off dyno in the space',
      '       spark-in-space local exec -- python job.py # a driver on this machine',
      '       spark-in-space local status                # dynos, restarts, workers',
      '       spark-in-space local down                  # stop',
      '',
    ].join('\n'),
  );
}
