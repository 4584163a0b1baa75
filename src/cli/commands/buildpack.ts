/** `spark-in-space buildpack compile`: what bin/compile runs (bin/detect and bin/release are plain bash). */
import { Command } from 'commander';
import * as z from 'zod';
import { readEnvDir } from '../../config/envdir.js';

const Dirs = z.object({
  buildDir: z.string(),
  cacheDir: z.string(),
  envDir: z.string().optional(),
});

export function buildpackCommand(): Command {
  const cmd = new Command('buildpack').description("Heroku's classic buildpack API (bin/compile calls this)");
  cmd
    .command('compile')
    .argument('<build-dir>', 'the app being built')
    .argument('<cache-dir>', 'kept between builds: verified Spark trees live here')
    .argument('[env-dir]', 'one file per config var')
    .option('--buildpack-dir <dir>', 'where to write `export` for the next buildpack')
    .description(
      "install the Spark of .spark.version into <build-dir>/spark-home and write .profile.d/spark.sh; then shrink what the other buildpacks left that no dyno runs and check the slug's size",
    )
    .action(async (buildDir: string, cacheDir: string, envDir: string | undefined, options: { buildpackDir?: string }) => {
      const dirs = Dirs.parse({ buildDir, cacheDir, envDir });
      const [{ compile }, { consoleOutput }] = await Promise.all([import('../../buildpack/compile.js'), import('../../output.js')]);
      const env = await readEnvDir(dirs.envDir);
      await compile({
        buildDir: dirs.buildDir,
        cacheDir: dirs.cacheDir,
        env,
        out: consoleOutput(),
        buildpackDir: options.buildpackDir,
        slug: true,
        backoffMs: process.env.SPARK_IN_SPACE_BACKOFF_MS ? Number(process.env.SPARK_IN_SPACE_BACKOFF_MS) : undefined,
      });
    });
  return cmd;
}
