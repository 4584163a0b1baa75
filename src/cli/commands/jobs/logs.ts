/**
 * `logs ID` / `local logs ID`: a cluster-mode driver's output, or an application's executors', read
 * from the workers that keep them; --follow streams until it ends (Ctrl-C stops following only).
 */
import { Command } from 'commander';
import * as z from 'zod';
import { exitCodesHelp } from '../../../errors.js';
import { jobId } from '../../../jobs/index.js';
import { logSources, printLogs } from '../../../jobs/act.js';
import type { SparkLink } from '../../../jobs/link.js';
import { appArg, linkOf, note, prefix, withTarget, type Side, sideReaches } from './target.js';

export const JobLogOptions = z.object({
  executor: z.string().regex(/^\d+$/, 'must be an executor id, a whole number such as 0').optional(),
  stderr: z.boolean().default(false),
  follow: z.boolean().default(false),
});

/** The options a job's logs take (also on `local logs`, which prints the space's log without an id). */
export const jobLogOptions = (c: Command) =>
  c
    .option('--executor <n>', "an application's executor (default: every executor, each line prefixed)")
    .option('--stderr', 'stderr (Spark’s own log lines) instead of stdout (what the program prints)')
    .option('--follow', 'keep printing new lines until the driver or application ends (Ctrl-C stops following only)');

/** Prints (and follows) a job's logs: shared by `logs ID` and `local logs ID`. */
export async function jobLogs(link: SparkLink, id: string, raw: z.input<typeof JobLogOptions>): Promise<void> {
  const o = JobLogOptions.parse(raw);
  const job = jobId(id);
  const { sources } = await logSources(link, job, o.executor);
  let stopped = false;
  const stop = () => {
    if (stopped) process.exit(130);
    stopped = true;
  };
  process.on('SIGINT', stop);
  try {
    const end = await printLogs(link, job, sources, {
      type: o.stderr ? 'stderr' : 'stdout',
      follow: o.follow,
      write: (s) => process.stdout.write(s),
      warn: note,
      stopped: () => stopped,
    });
    if (end === 'stopped') {
      note(`Stopped following; ${id} still runs.`);
      process.exitCode = 130;
    }
  } finally {
    process.off('SIGINT', stop);
  }
}

export function logsCommand(side: Side): Command {
  return jobLogOptions(withTarget(side, new Command('logs')))
    .description("a cluster-mode driver's output, or an application's executors', from the workers that keep them")
    .argument('<id>', 'a driver (driver-…) or an application (app-…) id')
    .addHelpText(
      'after',
      `
A driver's log is on the worker dyno it runs on, an executor's on its own; a worker dyno's logs go
with it (a restart is a new dyno). stdout is what the program prints, --stderr Spark's log lines.
A client-mode driver (spark-shell, a one-off spark-submit) prints in its own terminal: its
executors' logs are here.

Examples:
  $ ${prefix(side)} logs driver-20261204213538-0000${appArg(side)}
  $ ${prefix(side)} logs driver-20261204213538-0000${appArg(side)} --stderr --follow
  $ ${prefix(side)} logs app-20261204213455-0000${appArg(side)} --executor 0 --stderr
${exitCodesHelp([...sideReaches(side), 'job'])}`,
    )
    .action(async (id: string, raw) => {
      const link = await linkOf(side, raw);
      await jobLogs(link, id, raw);
    });
}
