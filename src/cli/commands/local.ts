/** `spark-in-space local up|status|run|logs|down`: the app's formation on this machine, as a Private Space would run it. */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { z } from 'zod';
import { alive, configEnv, readState, webUser, runOneOff, stateDir, stopGroups, supervise, waitForWorkers, type LocalOptions } from '../../local/runner.js';

const appName = (dir: string) =>
  path
    .basename(path.resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, 30) || 'app';

const UpOptions = z.object({
  dir: z.string().default('.'),
  app: z.string().regex(/^[a-z][a-z0-9-]{0,29}$/, 'must be a Heroku app name (lowercase letters, digits, dashes)').optional(),
  masters: z.coerce.number().int().min(1).max(9).default(1),
  workers: z.coerce.number().int().min(0).max(20).default(2),
  port: z.coerce.number().int().min(1).max(65535).default(5000),
  sparkHome: z.string().optional(),
  detach: z.boolean().default(false),
  supervise: z.boolean().default(false),
});

const say = (line: string) => process.stdout.write(`-----> ${line}\n`);

function options(raw: z.input<typeof UpOptions>): LocalOptions & { detach: boolean; supervise: boolean } {
  const o = UpOptions.parse(raw);
  const appDir = path.resolve(o.dir);
  return { appDir, app: o.app ?? appName(appDir), masters: o.masters, workers: o.workers, port: o.port, sparkHome: o.sparkHome, detach: o.detach, supervise: o.supervise };
}

const common = (c: Command) =>
  c
    .option('-d, --dir <dir>', 'the app directory (Procfile, .env, .spark.version)', '.')
    .option('-a, --app <name>', 'app name (default: the directory’s name)')
    .option('--spark-home <dir>', 'Spark to run (default: SPARK_HOME, the local build, or pip’s pyspark)');

export function localCommand(): Command {
  const cmd = new Command('local')
    .description('run the app’s formation on this machine the way a Private Space would')
    .enablePositionalOptions();

  common(cmd.command('up'))
    .description('start masters and workers (and web, when bin/space-proxy exists), each on its own 127.x address')
    .option('--masters <n>', 'master dynos', '1')
    .option('--workers <n>', 'worker dynos', '2')
    .option('-p, --port <port>', 'port of the web dyno', '5000')
    .option('--detach', 'start in the background and return once the workers are registered')
    .option('--supervise', 'internal: the background supervisor')
    .addHelpText(
      'after',
      `
Every dyno gets Heroku's environment (DYNO, PORT, HEROKU_PRIVATE_IP, HEROKU_DNS_*), its own loopback
address and a *.app.localspace name that JVMs resolve through a hosts file. Config vars come from
the environment and from .env in the app dir. Ctrl-C or \`local down\` stops everything.

Examples:
  $ spark-in-space local up --workers 2
  $ spark-in-space local up --detach && echo 'sc.parallelize(1L to 1000000L).reduce(_ + _)' | spark-in-space local run bin/spark-shell`,
    )
    .action(async (raw) => {
      const o = options(raw);
      if (o.detach) return detach(o);
      const code = await supervise(o, say, !o.supervise);
      process.exit(code);
    });

  common(cmd.command('status'))
    .description('show the dynos of the running local space and the workers the master sees')
    .option('--json', 'machine-readable')
    .action(async (raw) => {
      const o = options(raw);
      const s = readState(o.appDir);
      if (!s) {
        if (raw.json) process.stdout.write(`${JSON.stringify({ running: false })}\n`);
        else say(`No local space is running for ${o.appDir}`);
        process.exitCode = raw.json ? 0 : 1;
        return;
      }
      let master: { status?: string; aliveworkers?: number; workers?: unknown[] } = {};
      try {
        master = (await (await fetch(`${s.masterUi}/json`, { signal: AbortSignal.timeout(3000) })).json()) as typeof master;
      } catch {
        /* master down */
      }
      const dynos = s.dynos.map((d) => ({ ...d, up: alive(d.pid) }));
      if (raw.json) {
        process.stdout.write(`${JSON.stringify({ running: true, app: s.app, masterUi: s.masterUi, master, dynos }, null, 2)}\n`);
        return;
      }
      say(`Local space ${s.app} (since ${s.started}), master UI ${s.masterUi}: ${master.status ?? 'unreachable'}, ${master.aliveworkers ?? 0} workers ALIVE`);
      for (const d of dynos) process.stdout.write(`       ${d.name.padEnd(10)} ${d.up ? 'up  ' : 'down'} ${d.ip.padEnd(15)} ${d.dns}\n`);
    });

  common(cmd.command('run'))
    .description('run a one-off dyno (e.g. bin/spark-shell); stdin, output and exit code pass through')
    .argument('<command...>', 'the command, e.g. bin/spark-shell')
    .allowUnknownOption()
    .passThroughOptions()
    .action(async (command: string[], raw) => {
      process.exitCode = await runOneOff(options(raw), command);
    });

  common(cmd.command('logs'))
    .description('print the logs of the local space (all dynos, or one)')
    .option('--dyno <name>', 'one dyno, e.g. worker.1')
    .option('-t, --tail', 'keep following')
    .action(async (raw) => {
      const o = options(raw);
      const file = path.join(stateDir(o.appDir), 'logs', raw.dyno ? `${raw.dyno}.log` : 'local.log');
      if (!existsSync(file)) {
        say(`No logs at ${file}`);
        process.exitCode = 1;
        return;
      }
      if (!raw.tail) return void process.stdout.write(readFileSync(file));
      await new Promise<void>((resolve) => spawn('tail', ['-n', '+1', '-f', file], { stdio: 'inherit' }).on('exit', () => resolve()));
    });

  common(cmd.command('down'))
    .description('stop the local space gracefully (SIGTERM, SIGKILL after 30 s); no JVM is left behind')
    .action(async (raw) => {
      const o = options(raw);
      const s = readState(o.appDir);
      if (!s) {
        say('No local space is running');
        return;
      }
      say(`Stopping ${s.app} (${s.dynos.length} dynos)`);
      process.kill(s.supervisor, 'SIGTERM');
      const deadline = Date.now() + 40_000;
      while (alive(s.supervisor) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      await stopGroups(s.dynos.map((d) => d.pid), 1000);
      say('Stopped');
    });
  return cmd;
}

async function detach(o: LocalOptions): Promise<void> {
  if (readState(o.appDir)) {
    say(`A local space for ${o.app} is already running`);
    return;
  }
  const dir = stateDir(o.appDir);
  mkdirSync(path.join(dir, 'logs'), { recursive: true });
  const out = openSync(path.join(dir, 'logs', 'supervisor.log'), 'a');
  const cli = fileURLToPath(new URL('../index.js', import.meta.url));
  const args = [cli, 'local', 'up', '--supervise', '--dir', o.appDir, '--app', o.app, '--masters', String(o.masters), '--workers', String(o.workers), '--port', String(o.port)];
  if (o.sparkHome) args.push('--spark-home', o.sparkHome);
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', out, out], env: process.env });
  child.unref();
  closeSync(out);
  say(`Starting ${o.app}: ${o.masters} master(s), ${o.workers} worker(s) in the background`);
  const deadline = Date.now() + 240_000;
  let s = readState(o.appDir);
  while (!s && alive(child.pid!) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    s = readState(o.appDir);
  }
  const failed = () => {
    process.stderr.write(readFileSync(path.join(dir, 'logs', 'supervisor.log'), 'utf8').split('\n').slice(-30).join('\n'));
    process.exitCode = 1;
  };
  if (!s) return failed();
  const ready = await waitForWorkers(s.masterUi, o.workers, Math.max(1000, deadline - Date.now()), () => alive(child.pid!));
  if (ready.alive < o.workers) return failed();
  say(`Ready: master UI ${s.masterUi}, ${ready.alive} workers ALIVE`);
  if (s.web) process.stdout.write(`       web (space proxy): ${s.web} (${webUser(configEnv(o.appDir))})\n`);
  process.stdout.write(`       spark-in-space local run bin/spark-shell   # a one-off dyno\n       spark-in-space local down                  # stop\n`);
}
