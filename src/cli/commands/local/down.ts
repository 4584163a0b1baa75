/** `spark-in-space local down`: stop the running space gracefully; no JVM is left behind. */
import { Command } from 'commander';
import { request } from '../../../local/control.js';
import { stopGroups } from '../../../local/runner.js';
import { alive, readState } from '../../../local/state.js';
import { common, say, target } from './options.js';

export function downCommand(): Command {
  return common(new Command('down'))
    .description('stop the local space gracefully (SIGTERM, SIGKILL after 30 s); no JVM is left behind')
    .action(async (raw) => {
      const t = target(raw);
      const s = readState(t.dir);
      if (!s) return void say(`No local space is running for ${t.app}`);
      say(`Stopping ${s.app} (${s.dynos.length} dynos)`);
      await request(s.control, { op: 'stop' }).catch(() => process.kill(s.supervisor, 'SIGTERM'));
      const deadline = Date.now() + 45_000;
      while (alive(s.supervisor) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      // whatever a dead supervisor left behind
      await stopGroups(s.dynos.map((d) => d.pid), 1000);
      say('Stopped');
    });
}
