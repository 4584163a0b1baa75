/** `spark-in-space ui [dyno]`: the space proxy URL that shows the master's, a worker's, the history server's or an application's UI. */
import { Command } from 'commander';
import * as z from 'zod';
import { exitCodesHelp, fail } from '../../../errors.js';
import { getApp, type App } from '../../../heroku/api.js';
import { DRIVER_UI_PORT, SPACE_SUFFIX } from '../../../space/index.js';
import { isNodeService, specOf } from '../../../process-types.js';
import { api, appFrom, appOption, say } from './common.js';

/**
 * Pure: the proxy URL of a UI. No dyno (or `master`): the proxy's default backend, the master.
 * `master.N`, `worker.N`, `history.N`: /set-backend/<dyno's space name>:<UI port>. Any other dyno
 * (`run.1`, `console.1`): the driver UI (4040) of the application it runs, as /_dynos links it.
 * The proxy serves Spark's /proxy/<id>/ links for workers only, so an application id is refused
 * here with the way that works.
 */
export function uiUrl(webUrl: string, app: string, dyno: string | undefined): string {
  const base = webUrl.replace(/\/+$/, '');
  if (!dyno || dyno === 'master') return `${base}/`;
  if (/^app-\d+-\d+$/.test(dyno))
    return fail({
      code: 'bad-input',
      message: `An application's UI is its driver's: name the dyno that runs the driver (e.g. spark-in-space ui run.1 -a ${app}); the master's page lists the applications.`,
    });
  const m = /^([a-z][a-z0-9_-]*)\.(\d+)$/.exec(dyno);
  if (!m || (specOf(m[1]!) && isNodeService(specOf(m[1]!)!)))
    return fail({ code: 'bad-input', message: `"${dyno}" is not a dyno with a UI: give master.N, worker.N, history.N, or the dyno running a driver (run.N, console.N)` });
  // the type's own UI (the table's uiPort), else the driver UI of what the dyno runs
  const port = specOf(m[1]!)?.uiPort ?? DRIVER_UI_PORT;
  return `${base}/set-backend/${m[2]}.${m[1]}.${app}.${SPACE_SUFFIX}:${port}`;
}

const Options = z.object({ app: z.string().optional(), open: z.boolean().default(false), json: z.boolean().default(false) });

export function uiCommand(): Command {
  return new Command('ui')
    .description("print (or --open) the space proxy URL of the master's, a worker's, the history server's or a driver's UI")
    .argument('[dyno]', 'master (default), master.N, worker.N, history.N, or the dyno running a driver (run.N)')
    .addOption(appOption())
    .option('--open', 'open it in the browser')
    .option('--json', 'print {"url": …}')
    .addHelpText(
      'after',
      `
The proxy asks for the user spark and the app's SPACE_PROXY_PASSWORD
(heroku config:get SPACE_PROXY_PASSWORD -a my-spark).

Examples:
  $ spark-in-space ui -a my-spark --open
  $ spark-in-space ui worker.2 -a my-spark
  $ spark-in-space ui run.1 -a my-spark        # the UI of the driver in one-off dyno run.1
  $ spark-in-space ui thrift.1 -a my-spark     # the Thrift JDBC server's driver UI (connect.1: Spark Connect's)
${exitCodesHelp(['platform-api'])}`,
    )
    .action(async (dyno: string | undefined, raw) => {
      const o = Options.parse(raw);
      const app = appFrom(o.app);
      const info = await api().send<App>(getApp(app), `look up the app ${app}`);
      if (!info.web_url) fail({ code: 'bad-input', message: `${app} has no web URL: scale its web dyno (the space proxy) up: spark-in-space scale web=1 -a ${app}` });
      const url = uiUrl(info.web_url, app, dyno);
      process.stdout.write(o.json ? `${JSON.stringify({ url })}\n` : `${url}\n`);
      if (o.open) {
        const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
        const { execa } = await import('execa');
        const r = await execa(opener, [url], { reject: false, stdio: 'ignore', detached: true });
        if (r.failed) say(`Could not open a browser (${opener}): open the URL above yourself.`);
      }
    });
}
