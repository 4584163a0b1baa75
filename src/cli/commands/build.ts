/** `spark-in-space build`: the buildpack's compile, run on this machine (what `local` starts from). */
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import * as z from 'zod';
import { checkpoint } from '../check.js';
import { userCacheDir } from '../../paths.js';

const Options = z.object({
  app: z.string().default('.'),
  out: z.string().optional(),
  cache: z.string().optional(),
});

export const defaultCacheDir = () => userCacheDir('build-cache');

export function buildCommand(): Command {
  return new Command('build')
    .description("install the Spark of the app's .spark.version, exactly as `git push` would, into a local slug dir")
    .option('--app <dir>', 'the app (reads its .spark.version)', '.')
    .option('--out <dir>', 'where the slug goes (default: <app>/.spark-in-space/slug)')
    .option('--cache <dir>', `build cache (default: ${defaultCacheDir()})`)
    .addHelpText(
      'after',
      `
Config vars come from the app's .env and the environment (SPARK_MIRROR_URL, SPARK_DIST_URL, SPARK_DIST_SHA512, SPARK_PACKAGE,
SPARK_S3A and MAVEN_MIRROR_URL for the S3A connector, ...).

Examples:
  $ spark-in-space build
  $ SPARK_MIRROR_URL=http://127.0.0.1:8000 spark-in-space build --app ../my-job
  $ SPARK_S3A=true spark-in-space build          # with the S3A connector (s3a:// paths)`,
    )
    .action(async (raw) => {
      const opts = Options.parse(raw);
      checkpoint();
      // loaded when run, not for --help (bench/cli.ts)
      const [{ compile }, { consoleOutput }, { configEnv }] = await Promise.all([import('../../buildpack/compile.js'), import('../../output.js'), import('../../local/runner.js')]);
      const app = path.resolve(opts.app);
      const out = path.resolve(opts.out ?? path.join(app, '.spark-in-space', 'slug'));
      await mkdir(out, { recursive: true });
      await copyFile(path.join(app, '.spark.version'), path.join(out, '.spark.version')).catch(() => {});
      // the app's config vars, as Heroku hands them to a build: .env, then the environment
      const result = await compile({ buildDir: out, cacheDir: path.resolve(opts.cache ?? defaultCacheDir()), env: configEnv(app), out: consoleOutput() });
      process.stdout.write(`\nSPARK_HOME=${result.sparkHome}\n`);
    });
}
