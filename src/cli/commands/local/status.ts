/** `spark-in-space local status`: dynos (state, restarts, address, uptime) and the master's view; exit 8 when degraded (13 when none runs). */
import { Command } from 'commander';
import * as z from 'zod';
import { render, report, toJson } from '../../../local/report.js';
import { readState } from '../../../local/state.js';
import { PROBLEM_EXIT } from '../../../errors.js';
import { common, Common, say, target } from './options.js';
import { checkpoint } from '../../check.js';

const StatusOptions = Common.extend({ json: z.boolean().default(false) });

export function statusCommand(): Command {
  return common(new Command('status'))
    .description('show each dyno’s state, restarts, address and uptime, and the workers the master sees')
    .option('--json', 'machine-readable')
    .addHelpText(
      'after',
      `
Exit status: 0 when the space is healthy (every dyno up, the master ALIVE, as many workers ALIVE as
worker dynos), 8 when it is degraded, 13 when none runs: usable as a health check in scripts.

Examples:
  $ spark-in-space local status
  $ spark-in-space local status --json | jq .master.aliveWorkers`,
    )
    .action(async (raw) => {
      const o = StatusOptions.parse(raw);
      const t = target(raw);
      checkpoint();
      const s = readState(t.dir);
      process.exitCode = PROBLEM_EXIT['space-not-running'];
      if (!s) {
        if (o.json) process.stdout.write(`${JSON.stringify({ running: false, app: t.app, healthy: false })}\n`);
        else say(`No local space is running for ${t.app} in ${t.appDir}`);
        return;
      }
      const r = await report(s);
      process.stdout.write(o.json ? `${JSON.stringify(toJson(r), null, 2)}\n` : `${render(r).join('\n')}\n`);
      process.exitCode = r.healthy ? 0 : PROBLEM_EXIT['cluster-unhealthy'];
    });
}
