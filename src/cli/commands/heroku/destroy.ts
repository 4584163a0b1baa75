/** `spark-in-space destroy -a A --confirm A`: deletes the app (dynos, config vars, add-ons). */
import { Command } from 'commander';
import * as z from 'zod';
import { exitCodesHelp, fail } from '../../../errors.js';
import { deleteApp, type App } from '../../../heroku/api.js';
import { api, appFrom, appOption, say } from './common.js';

const Options = z.object({ app: z.string().optional(), confirm: z.string().optional() });

export function destroyCommand(): Command {
  return new Command('destroy')
    .description('delete the app: every dyno, its config vars and add-ons (the bucket too). Cannot be undone')
    .addOption(appOption())
    .option('--confirm <app>', 'the app name again, to confirm')
    .addHelpText('after', `\nExample:\n  $ spark-in-space destroy -a my-spark --confirm my-spark\n${exitCodesHelp(['platform-api'])}`)
    .action(async (raw) => {
      const o = Options.parse(raw);
      const app = appFrom(o.app);
      if (o.confirm !== app) fail({ code: 'bad-input', message: `This deletes ${app} and its add-ons for good. Confirm with --confirm ${app}${o.confirm ? ` (you gave "${o.confirm}")` : ''}.` });
      const gone = await api().send<App>(deleteApp(app), `delete ${app}`);
      say(`Deleted ${gone.name}.`);
    });
}
