/** `drivers` / `local drivers`: cluster-mode drivers (spark-submit --deploy-mode cluster): running, then the newest completed. */
import { Command } from 'commander';
import * as z from 'zod';
import { exitCodesHelp } from '../../../errors.js';
import { renderDrivers } from '../../../jobs/index.js';
import { listDrivers } from '../../../jobs/act.js';
import { appArg, Completed, linkOf, prefix, printListing, withTarget, type Side, sideReaches } from './target.js';

const Options = z.object({ json: z.boolean().default(false), completed: Completed });

export function driversCommand(side: Side): Command {
  return withTarget(side, new Command('drivers'))
    .description('cluster-mode drivers: id, main class, state, worker, start time, --supervise')
    .option('--json', 'as JSON (for scripts)')
    .option('--completed <n>', 'how many completed drivers to list', '10')
    .addHelpText(
      'after',
      `
A cluster-mode driver runs on a worker dyno (WORKER), not in the dyno that submitted it. SUPERVISE
(--supervise: the master relaunches it when its worker dies, under a new id) is read from its launch
command on its worker: "?" when that worker is gone.

Examples:
  $ ${prefix(side)} drivers${appArg(side)}
  $ ${prefix(side)} drivers${appArg(side)} --json | jq -r '.drivers[] | select(.state == "FAILED") | .id'
  $ ${prefix(side)} logs driver-20261204213538-0000${appArg(side)} --follow
${exitCodesHelp(sideReaches(side))}`,
    )
    .action(async (raw) => {
      const o = Options.parse(raw);
      const link = await linkOf(side, raw);
      const { leader, drivers } = await listDrivers(link, o.completed);
      printListing(o.json, 'drivers', leader, drivers, renderDrivers);
    });
}
