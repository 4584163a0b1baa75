/** `spark-in-space local up`: start the formation (foreground, or --detach) with crashed dynos restarted. */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { z } from 'zod';
import { fail } from '../../../errors.js';
import { parseProcfile } from '../../../local/formation.js';
import { LOCAL_CRASH_POLICY } from '../../../local/lifecycle.js';
import { render, report } from '../../../local/report.js';
import { configEnv, findSparkHome } from '../../../local/runner.js';
import { alive, logsDir, readState } from '../../../local/state.js';
import { Supervisor, webUser } from '../../../local/supervisor.js';
import { CONNECT_PORT } from '../../../render/index.js';
import { SPACE_SUFFIX, THRIFT_HTTP_PORT } from '../../../space/index.js';
import { common, Common, Duration, say, target, type Target } from './options.js';

const UpOptions = Common.extend({
  masters: z.coerce.number().int().min(1).max(9).default(1),
  workers: z.coerce.number().int().min(0).max(200).default(2),
  zookeepers: z.coerce
    .number()
    .int()
    .refine((n) => [0, 1, 3, 5].includes(n), 'must be 0, 1 or 3 (5 for a large space): a ZooKeeper ensemble needs an odd size')
    .default(0),
  history: z.coerce.number().int().min(0).max(1, 'must be 0 or 1: one history server reads the whole event log dir').optional(),
  thrift: z.coerce.number().int().min(0).max(1, 'must be 0 or 1: the proxy\'s /cliservice and 1.thrift… reach one Thrift server').default(0),
  connect: z.coerce.number().int().min(0).max(1, 'must be 0 or 1: clients reach 1.connect…').default(0),
  port: z.coerce.number().int().min(1).max(65535).default(5000),
  sparkHome: z.string().optional(),
  detach: z.boolean().default(false),
  supervise: z.boolean().default(false),
  crashCooldown: Duration.default(LOCAL_CRASH_POLICY.cooldownMs),
  maxCrashCooldown: Duration.default(LOCAL_CRASH_POLICY.maxCooldownMs),
  timeout: Duration.default(240_000),
});
type Up = z.output<typeof UpOptions> & Target;

export function upCommand(): Command {
  return common(new Command('up'))
    .description('start the formation: zookeepers, masters, workers (and web, when the Procfile has one), each on its own 127.x address')
    .option('--masters <n>', 'master dynos', '1')
    .option('--workers <n>', 'worker dynos', '2')
    .option('--zookeepers <n>', 'zookeeper dynos (bin/zookeeper): 1 or 3; the masters elect a leader through them', '0')
    .option('--history <n>', 'history dynos (bin/history, Spark\'s history server on SPARK_EVENTLOG_DIR): 0 or 1 (default: 1 when .env sets SPARK_EVENTLOG_DIR)')
    .option('--thrift <n>', 'thrift dynos (bin/thrift, the Thrift JDBC server; beeline through the proxy\'s /cliservice): 0 or 1', '0')
    .option('--connect <n>', 'connect dynos (bin/connect, the Spark Connect server, TLS + SPARK_CONNECT_TOKEN from .env): 0 or 1', '0')
    .option('-p, --port <port>', 'port of the web dyno', '5000')
    .option('--spark-home <dir>', 'Spark to run (default: SPARK_HOME, the local build, or pip’s pyspark)')
    .option('--detach', 'start in the background and return once every dyno is up and every worker ALIVE')
    .option('--crash-cooldown <duration>', 'wait before restarting a dyno that crashed twice in a row; doubles with each crash', '2s')
    .option('--max-crash-cooldown <duration>', 'the longest wait between crash restarts (Heroku: 20 min)', '60s')
    .option('--timeout <duration>', 'with --detach: how long to wait for the space to be healthy', '240s')
    .addOption(new Option('--supervise', 'internal: the background supervisor').hideHelp())
    .addHelpText(
      'after',
      `
Every dyno gets Heroku's environment (DYNO, PORT, HEROKU_PRIVATE_IP, HEROKU_DNS_*), its own loopback
address and a *.app.localspace name that JVMs resolve through a hosts file (and other tools through
the space's DNS server). Config vars come from the environment and from .env in the app dir.

Dynos live as on Heroku: a dyno that exits is restarted at once, then after growing cool-downs;
every restart is a new dyno with a new address under the same name (\`local cycle\` does the daily
restart on demand). Ctrl-C or \`local down\` stops everything (SIGTERM, SIGKILL after 30 s).

On a space that already runs, \`up\` prints its status: exit 0 when healthy, 1 when degraded.

Examples:
  $ spark-in-space local up --workers 2
  $ spark-in-space local up --detach && echo 'sc.parallelize(1L to 1000000L).reduce(_ + _)' | spark-in-space local run bin/spark-shell
  $ spark-in-space local up --detach --crash-cooldown 5s --max-crash-cooldown 5m
  $ spark-in-space local up --detach --masters 2 --zookeepers 3   # HA: kill -9 the leader, the standby takes over
  $ spark-in-space local up --detach --thrift 1 --connect 1      # JDBC and Spark Connect servers on the cluster
  $ spark-in-space local run spark-sql -e 'SELECT 1 + 1'          # any Spark tool, with the cluster's conf

More than one master needs ZooKeeper: --zookeepers runs the space's own ensemble (the Procfile
needs \`zookeeper: bin/zookeeper\`), or SPARK_ZK_ZOOKEEPER_URL in .env names an external one.`,
    )
    .action(async (raw) => {
      const o: Up = { ...UpOptions.parse(raw), ...target(raw) };
      if (readState(o.dir)) return alreadyRunning(o);
      if (o.detach) return detach(o);
      await supervise(o);
    });
}

/** Pure: where the thrift and connect dynos answer, for the `Ready` lines. */
export function endpointLines(app: string, thrift: boolean, connect: boolean, web?: string): string[] {
  const out: string[] = [];
  if (thrift) {
    if (web) out.push(`JDBC: beeline -u 'jdbc:hive2://${web.replace(/^https?:\/\//, '').replace(/\/$/, '')}/default;transportMode=http;httpPath=cliservice' -n spark -p <password>`);
    out.push(`JDBC in the space: jdbc:hive2://1.thrift.${app}.${SPACE_SUFFIX}:${THRIFT_HTTP_PORT}/default;transportMode=http;httpPath=cliservice`);
  }
  if (connect) out.push(`Spark Connect: spark-in-space local exec -- python … with sc://1.connect.${app}.${SPACE_SUFFIX}:${CONNECT_PORT}/;token=<SPARK_CONNECT_TOKEN> (TLS; local exec trusts the space's certificate)`);
  return out;
}

async function alreadyRunning(o: Up): Promise<void> {
  const r = await report(readState(o.dir)!);
  say(`A local space for ${o.app} is already running${r.healthy ? '' : ', and it is degraded'}:`);
  process.stdout.write(`${render(r).join('\n')}\n`);
  process.exitCode = r.healthy ? 0 : 1;
}

function procfileOf(appDir: string): Record<string, string> {
  const file = path.join(appDir, 'Procfile');
  if (!existsSync(file)) fail({ code: 'usage', message: `${file} is missing: the app needs a Procfile (master: bin/spark-master, worker: bin/spark-worker).` });
  const procfile = parseProcfile(readFileSync(file, 'utf8'));
  for (const t of ['master', 'worker']) if (!procfile[t]) fail({ code: 'usage', message: `The Procfile has no "${t}" process type.` });
  return procfile;
}

/** The formation `up` starts, checked before anything runs (here and before --detach forks). */
function planOf(o: Up): { procfile: Record<string, string>; counts: Record<string, number>; config: ReturnType<typeof configEnv> } {
  const procfile = procfileOf(o.appDir);
  const config = configEnv(o.appDir);
  const counts: Record<string, number> = { master: o.masters, worker: o.workers };
  if (o.zookeepers) {
    if (!procfile.zookeeper) fail({ code: 'usage', message: 'The Procfile has no "zookeeper" process type: add the line `zookeeper: bin/zookeeper` for --zookeepers.' });
    counts.zookeeper = o.zookeepers;
  }
  if (o.masters > 1 && !o.zookeepers && !config.SPARK_ZK_ZOOKEEPER_URL && !config.KAFKA_ZOOKEEPER_URL && !Number(config.SPARK_ZOOKEEPERS))
    fail({ code: 'usage', message: `--masters ${o.masters} needs ZooKeeper to elect a leader: add --zookeepers 3 (or 1), or set SPARK_ZK_ZOOKEEPER_URL in .env.` });
  const history = o.history ?? (config.SPARK_EVENTLOG_DIR && procfile.history ? 1 : 0);
  if (history) {
    if (!procfile.history) fail({ code: 'usage', message: 'The Procfile has no "history" process type: add the line `history: bin/history` for --history.' });
    if (!config.SPARK_EVENTLOG_DIR) fail({ code: 'usage', message: '--history 1 needs SPARK_EVENTLOG_DIR in .env (e.g. SPARK_EVENTLOG_DIR=s3a://my-bucket/spark-events): the history server reads the event logs apps write there.' });
    counts.history = history;
  }
  for (const type of ['thrift', 'connect'] as const) {
    if (!o[type]) continue;
    if (!procfile[type]) fail({ code: 'usage', message: `The Procfile has no "${type}" process type: add the line \`${type}: bin/${type}\` for --${type}.` });
    counts[type] = o[type];
  }
  if (o.connect && !config.SPARK_CONNECT_TOKEN)
    fail({ code: 'usage', message: '--connect 1 needs SPARK_CONNECT_TOKEN in .env (e.g. SPARK_CONNECT_TOKEN=$(openssl rand -hex 32)): clients send it, the server refuses anyone without it.' });
  const web = procfile.web?.split(/\s+/)[0];
  if (web && existsSync(path.resolve(o.appDir, web))) counts.web = 1;
  return { procfile, counts, config };
}

async function supervise(o: Up): Promise<void> {
  const { procfile, counts, config } = planOf(o);
  const sup = new Supervisor({
    appDir: o.appDir,
    app: o.app,
    dir: o.dir,
    sparkHome: findSparkHome(o.appDir, o.sparkHome),
    config,
    procfile,
    counts,
    port: o.port,
    crashPolicy: { ...LOCAL_CRASH_POLICY, cooldownMs: o.crashCooldown, maxCooldownMs: Math.max(o.crashCooldown, o.maxCrashCooldown) },
    echo: !o.supervise,
  });
  // Signals are handled before the first JVM starts, so Ctrl-C at any moment leaves none behind.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => void sup.stop());
  await sup.start();
  if (await sup.ready(o.timeout)) {
    const s = sup.snapshot();
    say(`Ready: ${s.dynos.length} dynos up, master URL ${s.masterUrl}, master UI ${sup.masterUi()}`);
    if (s.web) say(`web (space proxy): ${s.web} (${webUser(config, o.dir)})`);
  } else say('Not every dyno is up yet: see `spark-in-space local status` and `local logs`');
  await sup.stopped;
  process.exit(0);
}

async function detach(o: Up): Promise<void> {
  const { counts } = planOf(o);
  mkdirSync(logsDir(o.dir), { recursive: true });
  const logFile = path.join(logsDir(o.dir), 'supervisor.log');
  const out = openSync(logFile, 'a');
  // this very entry (dist/cli.mjs, the bundle `bin` installs, or dist/cli/index.js)
  const cli = process.argv[1]!;
  const args = [cli, 'local', 'up', '--supervise', '--dir', o.appDir, '--app', o.app, '--masters', String(o.masters), '--workers', String(o.workers), '--zookeepers', String(o.zookeepers), '--port', String(o.port)];
  args.push('--crash-cooldown', `${o.crashCooldown}ms`, '--max-crash-cooldown', `${o.maxCrashCooldown}ms`, '--timeout', `${o.timeout}ms`);
  if (o.sparkHome) args.push('--spark-home', o.sparkHome);
  if (o.history !== undefined) args.push('--history', String(o.history));
  args.push('--thrift', String(o.thrift), '--connect', String(o.connect));
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', out, out], env: process.env });
  child.unref();
  closeSync(out);
  say(`Starting ${o.app}: ${o.masters} master(s), ${o.workers} worker(s)${o.zookeepers ? `, ${o.zookeepers} zookeeper(s)` : ''}${counts.history ? ', a history server' : ''} in the background`);
  const deadline = Date.now() + o.timeout;
  const failed = (why: string) => {
    process.stderr.write(`${readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n')}\n`);
    fail({ code: 'usage', message: `${why} The supervisor's log is above (${logFile}); \`spark-in-space local logs\` has every dyno's.` });
  };
  let s = readState(o.dir);
  while (!s && alive(child.pid) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    s = readState(o.dir);
  }
  if (!s) return failed('The local space did not start.');
  let last = await report(s);
  while (!last.healthy && alive(child.pid) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    const now = readState(o.dir);
    if (now) last = await report(now);
  }
  if (!last.healthy) return failed(`The local space is not healthy after ${Math.round(o.timeout / 1000)} s: ${last.problems.join('; ')}.`);
  say(`Ready: master UI ${last.masterUi}, ${last.master?.aliveWorkers ?? 0} workers ALIVE, master URL ${last.masterUrl}`);
  if (last.web) process.stdout.write(`       web (space proxy): ${last.web} (${webUser(configEnv(o.appDir), o.dir)})\n`);
  for (const line of endpointLines(o.app, o.thrift > 0, o.connect > 0, last.web)) process.stdout.write(`       ${line}\n`);
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
