/** `spark-in-space config check|render` and `master-url`. */
import path from 'node:path';
import { Command } from 'commander';
import * as z from 'zod';
import { readFile } from 'node:fs/promises';
import { builtinCatalog, findRelease, parseVersionFile } from '../../catalog/index.js';
import { lookup, parseConfig, VARS, type Env, type VarName } from '../../config/schema.js';
import type { SparkInfo } from '../../render/index.js';
import { prepare, PROCESS_TYPES, type ProcessType } from '../../launch/index.js';
import { masterUrl, SPACE_SUFFIX } from '../../space/index.js';
import { appNameOf } from '../../local/state.js';
import { holdersOf } from '../../secrets.js';

const RenderOptions = z.object({
  out: z.string().min(1),
  type: z.enum(PROCESS_TYPES as [string, ...string[]]).default('master'),
  sparkVersion: z
    .string()
    .regex(/^\d+\.\d+(\.\d+)?$/, 'must be a Spark version such as 4.2.0 or 3.5')
    .optional(),
});

/**
 * Which Spark the conf is for when rendering without SPARK_HOME: --spark-version, else the app's
 * .spark.version, else the catalog's default. It decides the log4j flavour.
 */
async function sparkFor(version: string | undefined, env: Env): Promise<{ info: SparkInfo; from: string } | undefined> {
  if (env.SPARK_HOME && !version) return undefined;
  const catalog = builtinCatalog();
  const file = await readFile('.spark.version', 'utf8').catch(() => undefined);
  const requested = version ?? parseVersionFile(file, catalog);
  const r = findRelease(catalog, requested);
  const from = version ? '--spark-version' : requested ? '.spark.version' : 'the catalog’s default';
  return { info: { version: r.version, log4j: r.log4j }, from };
}

/**
 * Pure: the environment a preview renders with. Outside a dyno, what Heroku would set is assumed
 * (and said): the dyno `<type>.1`, and the app named after the current dir.
 */
export function previewEnv(type: string, env: Env, app: string): { env: Env; assumed: string[] } {
  const assumed: Record<string, string> = {};
  // Spark's tools run in one-off dynos (run.N)
  if (!env.DYNO && !env.HEROKU_DNS_DYNO_NAME) assumed.DYNO = `${type.startsWith('spark-') ? 'run' : type}.1`;
  if (!env.HEROKU_DNS_APP_NAME && !env.SPARK_CLUSTER_APP) assumed.HEROKU_DNS_APP_NAME = `${app}.${SPACE_SUFFIX}`;
  return { env: { ...assumed, ...env }, assumed: Object.entries(assumed).map(([k, v]) => `${k}=${v}`) };
}

export function configCommand(): Command {
  const cmd = new Command('config').description('validate and render config vars');
  cmd
    .command('check')
    .description('validate every config var in the environment; lists every problem (exit 1)')
    .action(() => {
      parseConfig(process.env);
      // what is set (by its name or an old one), not what the defaults fill in
      const names = (Object.keys(VARS) as VarName[]).filter((n) => lookup(process.env, n) !== undefined);
      process.stdout.write(`All ${names.length} config vars set are valid${names.length ? `: ${names.sort().join(', ')}` : ''}.\n`);
    });
  cmd
    .command('render')
    .description('write exactly what a launcher would into DIR (spark-defaults.conf, spark-env.sh, log4j)')
    .requiredOption('--out <dir>', 'the conf dir to write')
    .option('--type <type>', `process type: ${PROCESS_TYPES.join(', ')}`, 'master')
    .option('--spark-version <version>', 'the Spark the conf is for (default: SPARK_HOME’s, else .spark.version, else the catalog’s default)')
    .addHelpText(
      'after',
      `
Needs no Spark installed: without SPARK_HOME the version (and so log4j.properties or
log4j2.properties) comes from --spark-version, .spark.version or the catalog's default.

Examples:
  $ HEROKU_DNS_APP_NAME=my-app.app.localspace LOG_LEVEL=WARN spark-in-space config render --out /tmp/conf
  $ spark-in-space config render --out /tmp/conf --type worker --spark-version 3.5.9`,
    )
    .action(async (raw) => {
      const opts = RenderOptions.parse(raw);
      const out = path.resolve(opts.out);
      const spark = await sparkFor(opts.sparkVersion, process.env);
      const { env, assumed } = previewEnv(opts.type, process.env, appNameOf(process.cwd()));
      const { argv } = await prepare(opts.type as ProcessType, { ...env, SPARK_CONF_DIR: out }, [], spark?.info);
      process.stdout.write(`Wrote ${out}${spark ? ` for Spark ${spark.info.version} (from ${spark.from})` : ''}\n`);
      if (assumed.length) process.stdout.write(`As ${assumed.join(', ')} (set them to render for another dyno)\n`);
      process.stdout.write(`Command: ${argv.join(' ')}\n`);
    });
  cmd
    .command('vars')
    .description('list every config var: phase, legacy names, meaning; for a secret, which processes keep it in their environment')
    .action(() => {
      // a secret's holders (src/secrets.ts): the processes that keep it in their environment; the others never get it
      const secret = (name: string) => `[secret; held by: ${holdersOf(name).join(', ') || 'no process (a 0600 file carries it)'}] `;
      for (const [name, v] of Object.entries(VARS) as [string, { phase: string; doc: string; legacy?: string[]; secret?: boolean; default?: string }][])
        process.stdout.write(
          `${name.padEnd(32)} ${v.phase.padEnd(5)} ${v.secret ? secret(name) : ''}${v.doc}${v.default !== undefined ? ` [default: ${v.default}]` : ''}${v.legacy ? ` (legacy: ${v.legacy.join(', ')})` : ''}\n`,
        );
    });
  return cmd;
}

export function masterUrlCommand(): Command {
  return new Command('master-url').description('print the spark:// URL of the cluster’s masters').action(() => {
    process.stdout.write(`${masterUrl(parseConfig(process.env, 'run'))}\n`);
  });
}
