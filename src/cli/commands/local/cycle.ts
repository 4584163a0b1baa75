/** `spark-in-space local cycle [DYNO|TYPE] [--every DURATION]`: Heroku's daily restart, on demand or on a schedule. */
import { Command } from 'commander';
import * as z from 'zod';
import { common, Common, control, Duration, say, target, running } from './options.js';
import { checkpoint } from '../../check.js';

const CycleOptions = Common.extend({
  every: z.union([z.literal('off').transform(() => 0), Duration.refine((ms) => ms >= 10_000, 'must be at least 10s (or off)')]).optional(),
});

export function cycleCommand(): Command {
  return common(new Command('cycle'))
    .description('the daily restart: one dyno at a time, each back on a new address under the same name before the next')
    .argument('[dyno]', 'a dyno (master.1) or a process type (worker); default: every dyno')
    .option('--every <duration>', 'keep cycling on a schedule (e.g. 10m; Heroku: about 24h); "off" stops it')
    .addHelpText(
      'after',
      `
On Heroku every dyno restarts about once a day: SIGTERM, SIGKILL 30 s later, and the new dyno has a
new private IP under the same DNS name. \`cycle\` does exactly that, one dyno at a time, waiting for
each to be up again (a master answering, a worker ALIVE on the master) before the next. The hosts
files, the DNS server and the space topology follow at once; JVMs cache names for up to 30 s.

Examples:
  $ spark-in-space local cycle master.1
  $ spark-in-space local cycle worker
  $ spark-in-space local cycle --every 15m      # a daily restart, compressed
  $ spark-in-space local cycle --every off`,
    )
    .action(async (dyno: string | undefined, raw) => {
      const o = CycleOptions.parse(raw);
      const t = target(raw);
      checkpoint();
      running(t); // no space: say so before announcing anything
      if (o.every === undefined) say(`Cycling ${dyno ?? 'every dyno'} of ${t.app}, one at a time`);
      say((await control(t, { op: 'cycle', target: dyno, everyMs: o.every })).message);
    });
}
