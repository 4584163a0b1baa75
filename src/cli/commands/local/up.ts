/** `spark-in-space local up`: start the formation (foreground, or --detach) with crashed dynos restarted. */
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import * as z from 'zod';
import { VARS } from '../../../config/schema.js';
import { PROBLEM_EXIT } from '../../../errors.js';
import { subnetFor } from '../../../local/formation.js';
import { startSpacePostgres } from '../../../local/postgres.js';
import { LOCAL_CRASH_POLICY } from '../../../local/lifecycle.js';
import { render, report } from '../../../local/report.js';
import { readState } from '../../../local/state.js';
import { PROCESS_TYPE_TABLE, type LocalOptionType, type ProcessTypeSpec } from '../../../process-types.js';
import { TYPE_OPTIONS as TYPE_OPTION_ROWS } from '../../../local/plan.js';
import { common, Common, declareOptions, Duration, say, target, type Target } from './options.js';
import { checkpoint } from '../../check.js';
import { planOf, type UpPlan } from '../../../local/plan.js';
import { detach, supervise } from '../../../local/daemon.js';

export { countsOf, type UpPlan } from '../../../local/plan.js';
export { catalogLine, endpointLines } from '../../../local/daemon.js';

/** `--<type> <n>` of a type with a `localOption` in the table: its help, limit and default come from there. */
function typeOption(type: LocalOptionType) {
  const t = PROCESS_TYPE_TABLE[type];
  const lo: ProcessTypeSpec['localOption'] & object = t.localOption;
  return {
    flags: `--${type} <n>`,
    help: `${type} dynos (bin/${t.launcher}): ${lo.help}; 0 or ${lo.max}`,
    // no default: the table's rule (onWhenSet, alsoBeside) decides, in countsOf
    ...(lo.default === undefined ? {} : { default: String(lo.default) }),
    schema: z.coerce.number().int().min(0).max(lo.max, `must be 0 or ${lo.max}: ${lo.why}`).optional(),
  };
}

/** One `--<type> <n>` per row of the table with a `localOption`, in the table's order. */
const TYPE_OPTIONS = Object.fromEntries(TYPE_OPTION_ROWS.map((t) => [t.name, typeOption(t.name as LocalOptionType)])) as Record<LocalOptionType, ReturnType<typeof typeOption>>;

/**
 * Every option of `local up`, declared once: commander shows the flag, help and default; zod
 * parses what commander hands over (the defaults too), so a default lives in one place.
 */
const OPTIONS = declareOptions({
  // the formation's counts are the vars the dynos get (SPARK_MASTERS, SPARK_ZOOKEEPERS): their schema's rules
  masters: { flags: '--masters <n>', help: 'master dynos', default: '1', schema: VARS.SPARK_MASTERS.schema },
  workers: { flags: '--workers <n>', help: 'worker dynos', default: '2', schema: z.coerce.number().int().min(0).max(200) },
  zookeepers: { flags: '--zookeepers <n>', help: 'zookeeper dynos (bin/zookeeper): 1 or 3; the masters elect a leader through them', default: '0', schema: VARS.SPARK_ZOOKEEPERS.schema },
  ...TYPE_OPTIONS,
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

async function alreadyRunning(o: Up): Promise<void> {
  const r = await report(readState(o.dir)!);
  say(`A local space for ${o.app} is already running${r.healthy ? '' : ', and it is degraded'}:`);
  process.stdout.write(`${render(r).join('\n')}\n`);
  process.exitCode = r.healthy ? 0 : PROBLEM_EXIT['cluster-unhealthy'];
}
