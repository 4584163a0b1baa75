/** `spark-in-space deploy`: the app (this checkout) as a Spark cluster in a Private Space, like the Heroku Button; again: a new release. */
import path from 'node:path';
import { Command } from 'commander';
import * as z from 'zod';
import { exitCodesHelp } from '../../../errors.js';
import { api, AppName, appOption, say } from './common.js';

const Options = z.object({
  space: z.string().regex(/^[a-z0-9-]{3,30}$/, 'must be a space name such as my-space'),
  app: AppName.optional(),
  team: z.string().min(1).optional(),
  workers: z.coerce.number().int().min(0).max(100).optional(),
  workerSize: z
    .string()
    .regex(/^[a-z0-9-]+$/, 'must be a dyno size such as private-l')
    .optional(),
  masters: z.coerce.number().int().min(1).max(5).optional(),
  sparkVersion: z
    .string()
    .regex(/^\d+\.\d+(\.\d+)?$/, 'must be a Spark version such as 4.2.0 or 4.2')
    .optional(),
  dir: z.string().default('.'),
  json: z.boolean().default(false),
});

export function deployCommand(): Command {
  return new Command('deploy')
    .description('create (or rebuild) a Spark cluster app in a Private Space from this checkout, streaming the build')
    .requiredOption('--space <space>', 'the Private Space (Cedar, with DNS service discovery)')
    .addOption(appOption())
    .option('--team <team>', 'the team that owns the space (when your account has several)')
    .option('--workers <n>', 'worker dynos (default: app.json, 2)')
    .option('--worker-size <size>', 'worker dyno size, e.g. private-l (default: app.json)')
    .option('--masters <n>', 'master dynos; more than 1 needs ZooKeeper (see docs/operations.md)')
    .option('--spark-version <v>', 'the Spark to build (default: .spark.version)')
    .option('--dir <dir>', 'the app to deploy', '.')
    .option('--json', 'print the result as JSON on stdout')
    .addHelpText(
      'after',
      `
A new app is set up from app.json (POST /app-setups: add-ons, generated secrets, buildpacks,
formation); an existing app gets a new build and, with --workers/--worker-size/--masters, a new
formation. The build output streams as it runs. Auth: HEROKU_API_KEY or ~/.netrc (heroku login).

Examples:
  $ spark-in-space deploy --space my-space -a my-spark
  $ spark-in-space deploy --space my-space -a my-spark --workers 4 --worker-size private-l
  $ spark-in-space deploy --space my-space -a my-spark --spark-version 3.5.9   # rebuild with another Spark
${exitCodesHelp(['config', 'platform-api', 'deploy', 'space-dns', 'dyno-size', 'app-files'])}`,
    )
    .action(async (raw) => {
      const o = Options.parse(raw);
      const { deploy } = await import('../../../heroku/deploy.js');
      const result = await deploy({ ...o, dir: path.resolve(o.dir) }, api(), say, (text) => process.stdout.write(o.json ? '' : text));
      if (o.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    });
}
