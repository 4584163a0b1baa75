/**
 * What the jobs commands (`apps`, `drivers`, `kill`, `logs`) share: the same command works on a
 * Heroku app (`-a APP`, through its space proxy, as `status` reads it) and, under `local`, on the
 * local space (`--dir`/`--app`, its dynos directly). Each command is built once per side.
 */
import { Option, type Command } from 'commander';
import * as z from 'zod';
import { fail, type ExitReach } from '../../../errors.js';
import { getApp, getConfigVars, listFormation, type App, type Formation } from '../../../heroku/api.js';
import { localLink, proxyLink, type SparkLink } from '../../../jobs/link.js';
import type { Leader } from '../../../jobs/act.js';
import { masterHosts } from '../../../space/index.js';
import { checkpoint } from '../../check.js';
import { api, appFrom, appOption } from '../heroku/common.js';
import { common, running, target } from '../local/options.js';

export type Side = 'heroku' | 'local';

/** What reaching the master fails on, per side: the local space, or the Platform API and the proxy. */
export const sideReaches = (side: Side): ExitReach[] => (side === 'local' ? ['local-space', 'health'] : ['platform-api', 'proxy', 'health']);

/** How the command is typed on each side (for --help examples). */
export const prefix = (side: Side) => (side === 'local' ? 'spark-in-space local' : 'spark-in-space');
export const appArg = (side: Side) => (side === 'local' ? '' : ' -a my-spark');

const ProxyUrl = z.url({ error: 'must be a URL such as https://my-spark-1234.herokuapp.com' }).optional();

/** Adds the side's options: -a APP and --proxy-url (Heroku), or --dir and --app (local). */
export function withTarget(side: Side, c: Command): Command {
  if (side === 'local') return common(c);
  return c.addOption(appOption()).addOption(new Option('--proxy-url <url>', "the space proxy's URL, when it is reached at another address than the app's web URL").env('SPARK_IN_SPACE_PROXY_URL'));
}

/** Parses the side's options and connects: the local space's dynos, or the Heroku app's proxy with its password. */
export async function linkOf(side: Side, raw: { dir?: string; app?: string; proxyUrl?: string }): Promise<SparkLink> {
  if (side === 'local') {
    const t = target(raw);
    checkpoint();
    return localLink(running(t));
  }
  const app = appFrom(raw.app);
  const proxyUrl = ProxyUrl.parse(raw.proxyUrl);
  checkpoint();
  const h = api();
  const [info, formation, vars] = await Promise.all([
    h.send<App>(getApp(app), `look up the app ${app}`),
    h.send<Formation[]>(listFormation(app), `list the formation of ${app}`),
    h.send<Record<string, string | null>>(getConfigVars(app), `read the config vars of ${app}`),
  ]);
  const masters = formation.find((f) => f.type === 'master');
  if (!masters)
    fail({
      code: 'app-incomplete',
      message: `${app} has no master process type: it is not a Spark cluster of spark-in-space (its jobs run on the app named by its SPARK_CLUSTER_APP${vars.SPARK_CLUSTER_APP ? `, ${vars.SPARK_CLUSTER_APP}` : ''})`,
    });
  if (masters.quantity < 1) fail({ code: 'cluster-unhealthy', app, problems: ['the master process type is scaled to 0 (spark-in-space scale master=1)'] });
  const proxy = proxyUrl ?? info.web_url ?? undefined;
  if (!proxy) fail({ code: 'app-incomplete', message: `${app} has no web URL, so its space proxy cannot be reached: scale web=1, or name the proxy with --proxy-url` });
  const password = process.env.SPACE_PROXY_PASSWORD || vars.SPACE_PROXY_PASSWORD || undefined;
  return proxyLink(proxy, password, masterHosts({ SPARK_CLUSTER_APP: vars.SPARK_CLUSTER_APP || app, SPARK_MASTERS: masters.quantity }));
}

/** --completed N: how many completed ones to list beside the running ones. */
export const Completed = z.coerce.number({ error: 'must be a whole number, e.g. 20' }).int().min(0).max(10_000).default(10);

/** Every line a jobs command prints on stderr: progress and notes, never data. */
export const note = (line: string) => process.stderr.write(`${line}\n`);

/** Prints a listing: `{ master, <key>: rows }` with --json, else the table `render` makes. */
export function printListing<T>(json: boolean, key: 'apps' | 'drivers', leader: Leader, rows: T[], render: (rows: T[], master: string) => string): void {
  const master = { dyno: leader.dyno, status: leader.json.status, url: leader.json.url };
  process.stdout.write(json ? `${JSON.stringify({ master, [key]: rows }, null, 2)}\n` : render(rows, `${leader.dyno} (${leader.json.url ?? 'master'})`));
}
