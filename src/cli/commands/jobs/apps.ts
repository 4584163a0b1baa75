/** `apps` / `local apps`: the cluster's applications (running, then the newest completed); `apps show ID`: one in detail. */
import { Command } from 'commander';
import * as z from 'zod';
import { exitCodesHelp, fail } from '../../../errors.js';
import { jobId, renderAppDetail, renderApps } from '../../../jobs/index.js';
import { listApps, showApp } from '../../../jobs/act.js';
import { appArg, Completed, linkOf, prefix, printListing, withTarget, type Side, sideReaches } from './target.js';

const Options = z.object({ json: z.boolean().default(false), completed: Completed });

function showCommand(side: Side): Command {
  return withTarget(side, new Command('show'))
    .description('one application: its executors and workers, stages running and failed (from its driver), links')
    .argument('<app-id>', 'e.g. app-20261204213455-0000')
    .option('--json', 'as JSON (for scripts)')
    .addHelpText(
      'after',
      `
Executors come from the leading master; stages from the driver's own REST API (/api/v1), reached
${side === 'local' ? "at the driver dyno's address" : 'through the space proxy'} while the application runs.

Examples:
  $ ${prefix(side)} apps show app-20261204213455-0000${appArg(side)}
  $ ${prefix(side)} apps show app-20261204213455-0000${appArg(side)} --json | jq '.executors | length'
${exitCodesHelp([...sideReaches(side), 'job'])}`,
    )
    .action(async (id: string, raw) => {
      const o = Options.pick({ json: true }).parse(raw);
      const app = jobId(id);
      if (app.kind !== 'app') fail({ code: 'bad-input', message: `${id} is a driver, not an application: see \`drivers\`, or \`logs ${id}\`` });
      const link = await linkOf(side, raw);
      const d = await showApp(link, app);
      process.stdout.write(o.json ? `${JSON.stringify(d, null, 2)}\n` : renderAppDetail(d));
    });
}

export function appsCommand(side: Side): Command {
  return (
    withTarget(side, new Command('apps'))
      .description('the applications on the cluster: running, then the newest completed (id, name, user, cores, state, duration, driver)')
      .option('--json', 'as JSON (for scripts)')
      .option('--completed <n>', 'how many completed applications to list', '10')
      // `apps show ID -a APP`: the options after `show` are show's
      .enablePositionalOptions()
      .addHelpText(
        'after',
        `
Read from the leading master's /json (with several masters, the one ALIVE)${
          side === 'local' ? ' of the local space.' : ",\nthrough the space proxy as the user spark with SPACE_PROXY_PASSWORD (the app's, or your shell's)."
        }
DRIVER is the dyno the driver runs in (run.1 for a one-off, thrift.1 for the Thrift server,
worker.2 for a cluster-mode driver), while it runs.

Examples:
  $ ${prefix(side)} apps${appArg(side)}
  $ ${prefix(side)} apps${appArg(side)} --json | jq -r '.apps[] | select(.state == "RUNNING") | .id'
  $ ${prefix(side)} apps show app-20261204213455-0000${appArg(side)}
${exitCodesHelp([...sideReaches(side), 'job'])}`,
      )
      .addCommand(showCommand(side))
      .action(async (raw) => {
        const o = Options.parse(raw);
        const link = await linkOf(side, raw);
        const { leader, apps } = await listApps(link, o.completed);
        printListing(o.json, 'apps', leader, apps, renderApps);
      })
  );
}
