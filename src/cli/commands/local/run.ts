/** `spark-in-space local run CMD`: a one-off dyno in the running space, like `heroku run`. */
import { Command } from 'commander';
import { runOneOff } from '../../../local/oneoff.js';
import { common, target } from './options.js';
import { checkpoint } from '../../check.js';

export function runCommand(): Command {
  return common(new Command('run'))
    .description('run a one-off dyno (e.g. bin/spark-shell) in the running space; stdin, output and exit code pass through')
    .argument('<command...>', 'the command, e.g. bin/spark-shell')
    .allowUnknownOption()
    .passThroughOptions()
    .addHelpText(
      'after',
      `
The one-off dyno (run.N) gets its own address and name in the space and the app's config vars, and
runs in the app dir, as \`heroku run\` would. It needs a running space with a master accepting
connections, and says so at once otherwise.

Examples:
  $ echo 'sc.parallelize(1L to 1000000L).reduce(_ + _)' | spark-in-space local run bin/spark-shell
  $ spark-in-space local run bin/spark-submit --class com.example.Job target/job.jar`,
    )
    .action(async (command: string[], raw) => {
      const t = target(raw);
      checkpoint();
      process.exitCode = await runOneOff(t, command);
    });
}
