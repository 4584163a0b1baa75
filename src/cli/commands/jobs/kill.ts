/** `kill` / `local kill`: ends an application or a cluster-mode driver through the leading master, and confirms it. */
import { Command } from 'commander';
import { exitCodesHelp } from '../../../errors.js';
import { jobId } from '../../../jobs/index.js';
import { kill } from '../../../jobs/act.js';
import { appArg, linkOf, prefix, withTarget, type Side, sideReaches } from './target.js';

export function killCommand(side: Side): Command {
  return withTarget(side, new Command('kill'))
    .description('kill an application or a cluster-mode driver; exit 0 once the master says KILLED')
    .argument('<id>', 'an application (app-…) or a driver (driver-…) id: see `apps`, `drivers`')
    .addHelpText(
      'after',
      `
Uses the master's own kill endpoints (its UI's kill links; spark.ui.killEnabled, on by default)${side === 'local' ? '' : ',\nthrough the space proxy: behind its basic auth, and refused when a browser sends it from another site'}.
Then watches the master for up to 15 s: exit 0 when it says KILLED, 19 when the application or
driver had already ended or was not killed. Killing a driver kills its application too; a
supervised driver is not relaunched after a kill.

Examples:
  $ ${prefix(side)} kill app-20261204213455-0000${appArg(side)}
  $ ${prefix(side)} kill driver-20261204213538-0000${appArg(side)}
${exitCodesHelp([...sideReaches(side), 'job', 'kill'])}`,
    )
    .action(async (id: string, raw) => {
      const job = jobId(id);
      const link = await linkOf(side, raw);
      const r = await kill(link, job);
      process.stdout.write(`${id} KILLED (the master ${r.leader.dyno} confirmed it in ${(r.ms / 1000).toFixed(1)} s)\n`);
    });
}
