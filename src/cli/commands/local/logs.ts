/** `spark-in-space local logs`: the space's log (every dyno's lines and the platform's events), like `heroku logs`. */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import readline from 'node:readline';
import { Command } from 'commander';
import * as z from 'zod';
import { spaceLog } from '../../../local/state.js';
import { common, Common, running, say, target } from './options.js';
import { checkpoint } from '../../check.js';
import { localLink } from '../../../jobs/link.js';
import { jobLogOptions, jobLogs } from '../jobs/logs.js';

const LogsOptions = Common.extend({
  dyno: z
    .string()
    .regex(/^[a-z][a-z0-9_-]*(\.\d+)?$/, 'must be a dyno (worker.1) or a process type (worker)')
    .optional(),
  num: z.coerce.number().int().min(0).max(1_000_000).default(100),
  tail: z.boolean().default(false),
});

/** Pure: does a log line (`HH:MM:SS.mmm name | text`) belong to the dyno or type? `heroku[worker.1]` events count. */
export function lineOf(line: string, dyno: string | undefined): boolean {
  if (!dyno) return true;
  const name = /^\S+ (\S+)/.exec(line)?.[1]?.replace(/^heroku\[(.*)\]$/, '$1');
  return name === dyno || (!dyno.includes('.') && name?.startsWith(`${dyno}.`) === true);
}

export function logsCommand(): Command {
  return jobLogOptions(common(new Command('logs')))
    .description('print the space’s last log lines (every dyno’s output, crashes, restarts, one-off dynos), or with an id a driver’s or an application’s logs')
    .argument('[id]', 'a cluster-mode driver (driver-…) or an application (app-…): its logs from its workers, as `spark-in-space logs ID`')
    .option('--dyno <name>', 'one dyno (worker.1) or every dyno of a type (worker)')
    .option('-n, --num <lines>', 'how many of the last lines', '100')
    .option('-t, --tail', 'keep following')
    .addHelpText(
      'after',
      `
Lines read \`HH:MM:SS <dyno> | <text>\`; the platform's own events (starts, exits, crashes, restarts,
cycles, scaling, one-off dynos) read \`heroku[<dyno>]\`. Logs are kept per app, across restarts.

With an id, the logs of a cluster-mode driver (its worker keeps them) or of an application's
executors: --stderr for Spark's log lines, --executor N for one executor, --follow until it ends.

Examples:
  $ spark-in-space local logs --dyno worker -n 50
  $ spark-in-space local logs --tail
  $ spark-in-space local logs driver-20261204213538-0000 --follow
  $ spark-in-space local logs app-20261204213455-0000 --executor 0 --stderr`,
    )
    .action(async (id: string | undefined, raw) => {
      const o = LogsOptions.parse(raw);
      if (id) {
        const t = target(raw);
        checkpoint();
        await jobLogs(localLink(running(t)), id, { ...raw, follow: raw.follow || raw.tail });
        return;
      }
      checkpoint();
      const file = spaceLog(target(raw).dir);
      if (!existsSync(file)) {
        say(`No logs yet at ${file}`);
        process.exitCode = 1;
        return;
      }
      const lines = readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l && lineOf(l, o.dyno));
      if (o.num) process.stdout.write(`${lines.slice(-o.num).join('\n')}\n`);
      if (!o.tail) return;
      const tail = spawn('tail', ['-n', '0', '-F', file], { stdio: ['ignore', 'pipe', 'inherit'] });
      readline.createInterface({ input: tail.stdout }).on('line', (l) => lineOf(l, o.dyno) && process.stdout.write(`${l}\n`));
      await new Promise<void>((resolve) => {
        process.on('SIGINT', () => tail.kill());
        tail.on('exit', () => resolve());
      });
    });
}
