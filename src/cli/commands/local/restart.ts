/** `spark-in-space local restart [DYNO|TYPE]`: like `heroku ps:restart`. */
import { Command } from 'commander';
import { common, control, say, target, running } from './options.js';
import { checkpoint } from '../../check.js';

export function restartCommand(): Command {
  return common(new Command('restart'))
    .description('restart dynos at once, like `heroku ps:restart`: each comes back as a new dyno on a new address')
    .argument('[dyno]', 'a dyno (worker.2) or a process type (worker); default: every dyno')
    .addHelpText(
      'after',
      `
Each selected dyno gets SIGTERM (SIGKILL after 30 s), then starts again on a new private address
under the same DNS name. Returns once they are up again.

Examples:
  $ spark-in-space local restart worker.2
  $ spark-in-space local restart master`,
    )
    .action(async (dyno: string | undefined, raw) => {
      const t = target(raw);
      checkpoint();
      running(t); // no space: say so before announcing anything
      say(`Restarting ${dyno ?? 'every dyno'} of ${t.app}`);
      say((await control(t, { op: 'restart', target: dyno })).message);
    });
}
