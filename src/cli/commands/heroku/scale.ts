/** `spark-in-space scale worker=N [master=N]`: PATCH /apps/{app}/formation; warns when SPARK_MASTERS disagrees with the masters. */
import { Command } from 'commander';
import * as z from 'zod';
import { VARS } from '../../../config/schema.js';
import { exitCodesHelp, fail } from '../../../errors.js';
import { getConfigVars, getDynoSize, listFormation, updateFormation, type Formation, type FormationUpdate } from '../../../heroku/api.js';
import { PRIVATE_SIZES } from '../../../heroku/appjson.js';
import { api, appFrom, appOption, say } from './common.js';

/** Pure: `worker=3`, `master=2`, `worker=4:private-l` → formation updates; anything else is bad input. */
export function parseScale(args: string[]): FormationUpdate[] {
  if (!args.length) fail({ code: 'bad-input', message: 'Say what to scale: e.g. spark-in-space scale worker=3 -a my-spark' });
  const seen = new Set<string>();
  return args.map((a) => {
    const m = /^([a-z][a-z0-9_-]*)=(-?\d+)?(?::([a-z0-9-]+))?$/.exec(a);
    if (!m || (m[2] === undefined && !m[3])) return fail({ code: 'bad-input', message: `"${a}" is not TYPE=N[:SIZE] (e.g. worker=3 or worker=3:private-l)` });
    const [, type, n, size] = m;
    if (seen.has(type!)) fail({ code: 'bad-input', message: `${type} is given twice` });
    seen.add(type!);
    const quantity = n === undefined ? undefined : Number(n);
    if (quantity !== undefined && (quantity < 0 || quantity > 100)) fail({ code: 'bad-input', message: `${type}=${n}: a dyno count is 0 to 100` });
    if (type === 'master' && quantity === 0) fail({ code: 'bad-input', message: 'master=0 would stop the cluster; use `heroku ps:scale master=0` if you mean it' });
    return { type: type!, ...(quantity !== undefined ? { quantity } : {}), ...(size ? { dyno_size: { name: size } } : {}) };
  });
}

/** Pure: the warning when the master dynos and SPARK_MASTERS (what clients list in the master URL) disagree. */
export function mastersWarning(masters: number | undefined, sparkMasters: string | null | undefined): string | undefined {
  if (masters === undefined) return undefined;
  const configured = Number(sparkMasters ?? VARS.SPARK_MASTERS.default);
  if (configured === masters) return undefined;
  return `SPARK_MASTERS is ${configured} but there are now ${masters} master dynos: workers and drivers list masters 1..SPARK_MASTERS. Set it (a release restarts every dyno): heroku config:set SPARK_MASTERS=${masters}${masters > 1 ? ' (more than 1 master needs ZooKeeper: SPARK_ZOOKEEPERS with zookeeper dynos, or SPARK_ZK_ZOOKEEPER_URL)' : ''}`;
}

const Options = z.object({ app: z.string().optional(), json: z.boolean().default(false) });

export function scaleCommand(): Command {
  return new Command('scale')
    .description('change how many dynos (and which size) each process type runs')
    .argument('<type=n...>', 'e.g. worker=4, master=2, worker=4:private-l')
    .addOption(appOption())
    .option('--json', 'print the new formation as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ spark-in-space scale worker=4 -a my-spark
  $ spark-in-space scale worker=2:private-l-ram -a my-spark
  $ spark-in-space scale master=2 zookeeper=3 -a my-spark   # then: heroku config:set SPARK_MASTERS=2 SPARK_ZOOKEEPERS=3
${exitCodesHelp(['platform-api', 'dyno-size'])}`,
    )
    .action(async (args: string[], raw) => {
      const o = Options.parse(raw);
      const app = appFrom(o.app);
      const updates = parseScale(args);
      const h = api();
      const current = await h.send<Formation[]>(listFormation(app), `list the formation of ${app}`);
      const unknown = updates.filter((u) => !current.some((f) => f.type === u.type));
      if (unknown.length) fail({ code: 'bad-input', message: `${app} has no process type ${unknown.map((u) => u.type).join(', ')}; it has ${current.map((f) => f.type).join(', ') || 'none'}` });
      for (const size of new Set(updates.flatMap((u) => (u.dyno_size ? [u.dyno_size.name] : []))))
        if (!(await h.find(getDynoSize(size), `check the dyno size ${size}`))) fail({ code: 'dyno-size-unknown', size, known: [...PRIVATE_SIZES] });
      const after = await h.send<Formation[]>(updateFormation(app, updates), `scale ${app}`);
      const vars = await h.send<Record<string, string | null>>(getConfigVars(app), `read the config vars of ${app}`);
      const warning = mastersWarning(updates.find((u) => u.type === 'master')?.quantity, vars.SPARK_MASTERS);
      if (warning) say(`Warning: ${warning}`);
      if (o.json) process.stdout.write(`${JSON.stringify(after.map((f) => ({ type: f.type, quantity: f.quantity, size: f.dyno_size?.name ?? f.size })))}\n`);
      else for (const f of after) process.stdout.write(`${f.type}=${f.quantity}:${f.dyno_size?.name ?? f.size ?? '?'}\n`);
    });
}
