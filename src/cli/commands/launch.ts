/**
 * `spark-in-space launch <type> [-- args]`: what bin/spark-master, bin/spark-worker, bin/console,
 * bin/spark-shell and bin/spark-submit run. Renders the conf and prints the argv NUL-separated;
 * the bash launcher then execs it, so the JVM itself receives SIGTERM.
 */
import { Command } from 'commander';
import { z } from 'zod';
import { prepare, PROCESS_TYPES } from '../../launch/index.js';

const Options = z.object({ type: z.enum(PROCESS_TYPES as [string, ...string[]]) });

export function launchCommand(): Command {
  return new Command('launch')
    .description('render the Spark conf from config vars and print the command of a process type (used by bin/*)')
    .argument('<type>', `process type: ${PROCESS_TYPES.join(', ')}`)
    .argument('[args...]', 'extra arguments for the process')
    .allowUnknownOption()
    .action(async (type: string, args: string[]) => {
      const opts = Options.parse({ type });
      const { argv } = await prepare(opts.type as (typeof PROCESS_TYPES)[number], process.env, args);
      process.stdout.write(`${argv.join('\0')}\0`);
    });
}
