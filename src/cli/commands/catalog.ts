/** `spark-in-space catalog`: the Spark versions `.spark.version` accepts. */
import { Command } from 'commander';
import * as z from 'zod';
import { compareVersions, defaultRelease } from '../../catalog/index.js';
import { parseConfig } from '../../config/schema.js';

const Options = z.object({ json: z.boolean().default(false) });

export function catalogCommand(): Command {
  return new Command('catalog')
    .description('list the Spark versions .spark.version accepts, their flavours, Java range and pins')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nSPARK_CATALOG=FILE adds releases or pins checksums (see docs/build.md).')
    .action(async (raw) => {
      const opts = Options.parse(raw);
      const { loadCatalog } = await import('../../buildpack/compile.js');
      const catalog = loadCatalog(parseConfig(process.env, 'build'), process.cwd());
      const def = defaultRelease(catalog).version;
      const releases = [...catalog.releases].sort((a, b) => compareVersions(a.version, b.version));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ default: def, releases }, null, 2)}\n`);
        return;
      }
      for (const r of releases) {
        const flags = [r.version === def ? 'default' : '', Object.keys(r.pinned).length ? 'pinned' : '', r.needsDistUrl ? 'needs SPARK_DIST_URL' : ''].filter(Boolean);
        process.stdout.write(
          `${r.version.padEnd(18)} scala ${r.scala.padEnd(5)} java ${`${r.java.min}-${r.java.max}`.padEnd(6)} ${Object.keys(r.packages).join(',').padEnd(42)} ${flags.join(', ')}\n`,
        );
      }
    });
}
