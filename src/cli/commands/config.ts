/** `spark-in-space config check|render` and `master-url`. */
import path from 'node:path';
import { Command } from 'commander';
import { z } from 'zod';
import { parseConfig, VARS } from '../../config/schema.js';
import { prepare, PROCESS_TYPES, type ProcessType } from '../../launch/index.js';
import { masterUrl } from '../../space/index.js';

const RenderOptions = z.object({ out: z.string().min(1), type: z.enum(PROCESS_TYPES as [string, ...string[]]).default('master') });

export function configCommand(): Command {
  const cmd = new Command('config').description('validate and render config vars');
  cmd
    .command('check')
    .description('validate every config var in the environment; lists every problem (exit 1)')
    .action(() => {
      const settings = parseConfig(process.env);
      const names = Object.keys(settings);
      process.stdout.write(`All ${names.length} config vars set are valid${names.length ? `: ${names.sort().join(', ')}` : ''}.\n`);
    });
  cmd
    .command('render')
    .description('write exactly what a launcher would into DIR (spark-defaults.conf, spark-env.sh, log4j)')
    .requiredOption('--out <dir>', 'the conf dir to write')
    .option('--type <type>', `process type: ${PROCESS_TYPES.join(', ')}`, 'master')
    .action(async (raw) => {
      const opts = RenderOptions.parse(raw);
      const out = path.resolve(opts.out);
      const { argv } = await prepare(opts.type as ProcessType, { ...process.env, SPARK_CONF_DIR: out }, []);
      process.stdout.write(`Wrote ${out}\nCommand: ${argv.join(' ')}\n`);
    });
  cmd
    .command('vars')
    .description('list every config var: phase, legacy names, meaning')
    .action(() => {
      for (const [name, v] of Object.entries(VARS) as [string, { phase: string; doc: string; legacy?: string[]; secret?: boolean }][])
        process.stdout.write(
          `${name.padEnd(32)} ${v.phase.padEnd(5)} ${v.secret ? '[secret] ' : ''}${v.doc}${v.legacy ? ` (legacy: ${v.legacy.join(', ')})` : ''}\n`,
        );
    });
  return cmd;
}

export function masterUrlCommand(): Command {
  return new Command('master-url').description('print the spark:// URL of the cluster’s masters').action(() => {
    process.stdout.write(`${masterUrl(parseConfig(process.env, 'run'))}\n`);
  });
}
