/** `spark-in-space local down [DYNO|TYPE]`: stop the running space, or some of its dynos, gracefully. */
import { Command } from 'commander';
import { request } from '../../../local/control.js';
import { stopSpacePostgres } from '../../../local/postgres.js';
import { stopGroups } from '../../../local/runner.js';
import { alive, readState } from '../../../local/state.js';
import { common, control, say, target, running } from './options.js';
import { checkpoint } from '../../check.js';

export function downCommand(): Command {
  return common(new Command('down'))
    .description('stop the local space gracefully (SIGTERM, SIGKILL after 30 s), or only some of its dynos; no JVM is left behind')
    .argument('[dyno]', 'stop only this dyno (worker.2) or process type (worker); the rest runs on')
    .addHelpText(
      'after',
      `
Every dyno gets SIGTERM, as on Heroku, and SIGKILL 30 s later. A worker drains first: its
executors finish their running tasks and hand their cached blocks and shuffle files to the other
workers' executors (SPARK_DECOMMISSION, on by default), then it exits.

With a dyno, only that dyno stops, and it stays down (unlike \`heroku ps:stop\`, which restarts
it) until \`local restart DYNO\`: a way to see what losing one worker costs a running job.

Examples:
  $ spark-in-space local down
  $ spark-in-space local down worker.2     # drain and stop worker.2 only
  $ spark-in-space local restart worker.2  # and bring it back`,
    )
    .action(async (dyno: string | undefined, raw) => {
      const t = target(raw);
      checkpoint();
      if (dyno) {
        running(t); // no space: say so before announcing anything
        say(`Stopping ${dyno} of ${t.app}`);
        return void say((await control(t, { op: 'stop', target: dyno })).message);
      }
      const s = readState(t.dir);
      if (!s) return void say(`No local space is running for ${t.app}`);
      say(`Stopping ${s.app} (${s.dynos.length} dynos)`);
      await request(s.control, { op: 'stop' }).catch(() => process.kill(s.supervisor, 'SIGTERM'));
      const deadline = Date.now() + 45_000;
      while (alive(s.supervisor) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      // whatever a dead supervisor left behind
      await stopGroups(
        s.dynos.map((d) => d.pid),
        1000,
      );
      // the space's PostgreSQL (local up --postgres), if the supervisor did not stop it; its data stays
      if (await stopSpacePostgres(t.dir)) say('Stopped the space’s PostgreSQL (its data is kept)');
      say('Stopped');
    });
}
