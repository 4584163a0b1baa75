/** `spark-in-space local scale worker=N …`: like `heroku ps:scale`, on the running space. */
import { Command } from 'commander';
import { fail } from '../../../errors.js';
import { parseScale, scaleChanges } from '../../../local/lifecycle.js';
import { report } from '../../../local/report.js';
import { readState } from '../../../local/state.js';
import { common, Common, control, Duration, running, say, target } from './options.js';
import { checkpoint } from '../../check.js';

const ScaleOptions = Common.extend({ wait: Duration.default(240_000) });

export function scaleCommand(): Command {
  return common(new Command('scale'))
    .description('change how many dynos of a type run, like `heroku ps:scale`, and wait until the space is healthy')
    .argument('<changes...>', 'TYPE=N (worker=3), TYPE+N or TYPE-N')
    .option('--wait <duration>', 'how long to wait for the new formation to be healthy', '240s')
    .addHelpText(
      'after',
      `
Scaling up starts the next numbers (worker.3, worker.4) on new addresses; scaling down stops the
highest numbers (SIGTERM, SIGKILL after 30 s). Returns once every dyno is up and as many workers
are ALIVE on the master as there are worker dynos (exit 1 if that takes longer than --wait).

Examples:
  $ spark-in-space local scale worker=3
  $ spark-in-space local scale worker-1`,
    )
    .action(async (changes: string[], raw) => {
      const o = ScaleOptions.parse(raw);
      const t = target(raw);
      const want = <T>(f: () => T): T => {
        try {
          return f();
        } catch (err) {
          return fail({ code: 'bad-input', message: `${(err as Error).message}. Example: spark-in-space local scale worker=3` });
        }
      };
      want(() => scaleChanges(changes));
      checkpoint();
      const formation = running(t).formation;
      const wanted = want(() => parseScale(changes, formation));
      say(
        `Scaling ${t.app}: ${Object.entries(wanted)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')}`,
      );
      say((await control(t, { op: 'scale', want: wanted })).message);
      const deadline = Date.now() + o.wait;
      for (;;) {
        const s = readState(t.dir);
        const r = s && (await report(s));
        if (r?.healthy) return void say(`Healthy: ${r.master?.aliveWorkers ?? 0} workers ALIVE`);
        if (!r) return fail({ code: 'space-not-running', message: 'The local space stopped while scaling: see `spark-in-space local logs`.' });
        if (Date.now() > deadline) return fail({ code: 'cluster-unhealthy', app: t.app, problems: [`not healthy after scaling: ${r.problems.join('; ')}`] });
        await new Promise((res) => setTimeout(res, 500));
      }
    });
}
