/** `spark-in-space status`: the formation and dynos (Platform API) plus the master's /json through the space proxy; exit 8 when unhealthy. */
import { Command, Option } from 'commander';
import * as z from 'zod';
import { exitCodesHelp, fail } from '../../../errors.js';
import { call, getApp, getConfigVars, listApps, listDynos, listFormation, type App, type Dyno, type Formation } from '../../../heroku/api.js';
import { renderStatus, statusReport, tokenReachWarning, type MasterJson } from '../../../heroku/status.js';
import { COOKIE, USER } from '../../../proxy/index.js';
import { AUTOSCALE_PORT, MASTER_UI_PORT, masterHosts } from '../../../space/index.js';
import { coresLeft, type AutoscaleReport } from '../../../autoscale/index.js';
import { VARS } from '../../../config/schema.js';
import { api, appFrom, appOption } from './common.js';

const Options = z.object({
  app: z.string().optional(),
  json: z.boolean().default(false),
  proxyUrl: z.url({ error: 'must be a URL such as https://my-spark-1234.herokuapp.com' }).optional(),
});

/**
 * GET <proxy><path> with the proxy's basic auth, from the proxy's default backend (master.1) or, with
 * `backend`, from that one (the proxy's backend cookie); the password never reaches a message.
 */
async function proxyText(proxy: string, password: string | undefined, backend: string | undefined, path: string): Promise<string | { error: string }> {
  if (!password) return { error: 'no proxy password (the app has no SPACE_PROXY_PASSWORD: set SPACE_PROXY_PASSWORD in your shell to the password of the user spark)' };
  try {
    const headers: Record<string, string> = { Authorization: `Basic ${Buffer.from(`${USER}:${password}`).toString('base64')}` };
    if (backend) headers.Cookie = `${COOKIE}=${backend}`;
    const res = await fetch(new URL(path, proxy), { headers, signal: AbortSignal.timeout(15_000) });
    if (res.status === 401) return { error: 'the proxy refused the password (HTTP 401)' };
    if (!res.ok) return { error: `HTTP ${res.status} from ${new URL(path, proxy).href}` };
    return await res.text();
  } catch (err) {
    return { error: `${(err as Error).message}${(err as { cause?: Error }).cause ? ` (${(err as { cause?: Error }).cause!.message})` : ''}` };
  }
}

async function masterJson(proxy: string, password: string | undefined, backend?: string, path = '/json/'): Promise<MasterJson | { error: string }> {
  const text = await proxyText(proxy, password, backend, path);
  if (typeof text !== 'string') return text;
  try {
    return JSON.parse(text) as MasterJson;
  } catch {
    return { error: `${new URL(path, proxy).href} answered with what is not JSON` };
  }
}

export function statusCommand(): Command {
  return new Command('status')
    .description('is the cluster healthy? dynos, workers ALIVE/DEAD, cores and memory, running apps (exit 8 when not)')
    .addOption(appOption())
    .option('--json', 'the report as JSON (for scripts)')
    .addOption(new Option('--proxy-url <url>', "the space proxy's URL, when it is reached at another address than the app's web URL (a custom domain, a tunnel)").env('SPARK_IN_SPACE_PROXY_URL'))
    .addHelpText(
      'after',
      `
The master's /json is read through the app's space proxy (the web dyno) as the user spark, with the
app's SPACE_PROXY_PASSWORD (or SPACE_PROXY_PASSWORD from your shell when the app uses
SPACE_PROXY_BASIC_AUTH). With several masters (ZooKeeper HA) each is read by name and the report is
about the one ALIVE (the others say STANDBY). Healthy: every dyno of the formation up, a master
ALIVE, as many workers ALIVE as worker dynos, and no application waiting over a minute for its
first executor (applications that hold no core and ask for some are listed either way). With
SPARK_HEROKU_ACCESS_TOKEN set, a warning names the other apps that token may access.

Examples:
  $ spark-in-space status -a my-spark
  $ spark-in-space status -a my-spark --json | jq .master.cores
  $ until spark-in-space status -a my-spark >/dev/null; do sleep 10; done   # wait until healthy
${exitCodesHelp(['platform-api', 'health', 'proxy'])}`,
    )
    .action(async (raw) => {
      const o = Options.parse(raw);
      const app = appFrom(o.app);
      const h = api();
      const [info, formation, dynos, vars] = await Promise.all([
        h.send<App>(getApp(app), `look up the app ${app}`),
        h.send<Formation[]>(listFormation(app), `list the formation of ${app}`),
        h.send<Dyno[]>(listDynos(app), `list the dynos of ${app}`),
        h.send<Record<string, string | null>>(getConfigVars(app), `read the config vars of ${app}`),
      ]);
      const proxy = o.proxyUrl ?? info.web_url ?? undefined;
      const password = process.env.SPACE_PROXY_PASSWORD || vars.SPACE_PROXY_PASSWORD || undefined;
      // one master: the proxy's default backend; several (HA): each by name, the report is about the ALIVE one
      const hosts = masterHosts({ SPARK_CLUSTER_APP: vars.SPARK_CLUSTER_APP || app, SPARK_MASTERS: formation.find((f) => f.type === 'master')?.quantity ?? 1 });
      const master = !proxy
        ? { error: 'the app has no web URL (no web dyno?)' }
        : hosts.length > 1
          ? await Promise.all(hosts.map(async (h, i) => ({ dyno: `master.${i + 1}`, ...(await masterJson(proxy, password, `${h}:${MASTER_UI_PORT}`)) })))
          : await masterJson(proxy, password);
      // applications holding no core: their pages on the leader say whether they ask for any
      const leadAt = Array.isArray(master)
        ? Math.max(
            0,
            master.findIndex((m) => !('error' in m) && m.status === 'ALIVE'),
          )
        : -1;
      const leadJson = Array.isArray(master) ? master[leadAt] : master;
      const defaultCores = Number(vars.SPARK_DEFAULT_CORES) || Number(VARS.SPARK_DEFAULT_CORES.default);
      const left =
        proxy && leadJson && !('error' in leadJson)
          ? Object.fromEntries(
              await Promise.all(
                (leadJson.activeapps ?? [])
                  .filter((a) => (a.cores ?? 0) === 0)
                  .map(async (a) => {
                    const page = await proxyText(proxy, password, leadAt >= 0 ? `${hosts[leadAt]}:${MASTER_UI_PORT}` : undefined, `/app/?appId=${encodeURIComponent(a.id)}`);
                    return [a.id, typeof page === 'string' ? coresLeft(page, defaultCores) : undefined] as const;
                  }),
              ),
            )
          : {};
      const report = statusReport(app, formation, dynos, master, proxy, left);
      // the leading master's autoscaler (SPARK_AUTOSCALE_MAX), through the proxy like the master
      if (proxy && vars.SPARK_AUTOSCALE_MAX) {
        const alive = Array.isArray(master) ? master.findIndex((m) => !('error' in m) && m.status === 'ALIVE') : 0;
        const lead = hosts[Math.max(0, alive)];
        const a = (await masterJson(proxy, password, `${lead}:${AUTOSCALE_PORT}`, '/')) as unknown as AutoscaleReport | { error: string };
        report.autoscale = 'policy' in a ? a : undefined;
      }
      // what the app's own Platform API token (on its master dyno) reaches: one GET /apps with it
      if (vars.SPARK_HEROKU_ACCESS_TOKEN) {
        const r = await call(listApps(), { baseUrl: h.auth.baseUrl, token: vars.SPARK_HEROKU_ACCESS_TOKEN, attempts: 2 });
        const warning = tokenReachWarning(app, r.ok && Array.isArray(r.body) ? { names: (r.body as App[]).map((a) => a.name) } : { status: r.status });
        if (warning) report.warnings = [...(report.warnings ?? []), warning];
      }
      process.stdout.write(o.json ? `${JSON.stringify(report, null, 2)}\n` : renderStatus(report));
      if (!report.healthy) fail({ code: 'cluster-unhealthy', app, problems: report.problems });
    });
}
