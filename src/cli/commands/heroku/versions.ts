/** `spark-in-space versions` / `versions set V`: the catalog, and the app's .spark.version with system.properties' Java kept in range. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import * as z from 'zod';
import { builtinCatalog, compareVersions, defaultRelease, findRelease, parseVersionFile, type Release } from '../../../catalog/index.js';
import { suggestedJava, systemPropertiesLine } from '../../../buildpack/java.js';
import { exitCodesHelp, fail } from '../../../errors.js';
import { say } from './common.js';

/** Pure: the Java major for `release`: the current one when it is in range, else 17 (this project's) when allowed, else the highest it supports. */
export function javaFor(release: Release, current: number | undefined): number {
  return current !== undefined && current >= release.java.min && current <= release.java.max ? current : suggestedJava(release);
}

const JAVA_LINE = /^java\.runtime\.version[ \t]*=[ \t]*(\S+)[ \t]*$/m;
/** Pure: the Java major system.properties asks for (`1.8` → 8). */
export function javaOf(text: string | undefined): number | undefined {
  const v = text && JAVA_LINE.exec(text)?.[1];
  if (!v) return undefined;
  const n = Number(v.startsWith('1.') ? v.slice(2) : v.split('.')[0]);
  return Number.isFinite(n) ? n : undefined;
}
/** Pure: system.properties with `java.runtime.version` set, every other line kept. */
export function withJava(text: string | undefined, java: number): string {
  const line = systemPropertiesLine(java);
  if (text && JAVA_LINE.test(text)) return text.replace(JAVA_LINE, line);
  return `${text ? `${text.replace(/\n?$/, '\n')}` : ''}${line}\n`;
}

const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8') : undefined);

export function versionsCommand(): Command {
  const cmd = new Command('versions')
    .description("the Spark versions the buildpack builds, and the app's own (.spark.version)")
    .option('--dir <dir>', 'the app', '.')
    .option('--json', 'machine-readable')
    .addHelpText(
      'after',
      `\nExamples:\n  $ spark-in-space versions\n  $ spark-in-space versions set 4.2.0\n  $ spark-in-space versions set 3.5   # the newest 3.5.x, with Java 17\n${exitCodesHelp(['config', 'platform-api'])}`,
    )
    .action((raw) => {
      const o = z.object({ dir: z.string(), json: z.boolean().default(false) }).parse(raw);
      const catalog = builtinCatalog();
      const file = path.join(path.resolve(o.dir), '.spark.version');
      const requested = parseVersionFile(read(file), catalog);
      const current = findRelease(catalog, requested);
      const releases = [...catalog.releases].sort((a, b) => compareVersions(b.version, a.version));
      const def = defaultRelease(catalog).version;
      if (o.json) {
        process.stdout.write(
          `${JSON.stringify({ app: { requested: requested ?? null, version: current.version }, default: def, releases: releases.map((r) => ({ version: r.version, line: r.line, scala: r.scala, java: r.java, current: r.version === current.version, needsDistUrl: Boolean(r.needsDistUrl) })) }, null, 2)}\n`,
        );
        return;
      }
      process.stdout.write(`This app: Spark ${current.version}${requested ? ` (.spark.version: ${requested})` : ' (no .spark.version: the default)'}\n\n`);
      for (const r of releases)
        process.stdout.write(
          `${r.version === current.version ? '*' : ' '} ${r.version.padEnd(18)} scala ${r.scala.padEnd(5)} java ${r.java.min}-${r.java.max}${r.version === def ? '  default' : ''}${r.needsDistUrl ? '  needs SPARK_DIST_URL' : ''}\n`,
        );
    });
  cmd
    .command('set')
    .description('write .spark.version, and the Java of system.properties when the new Spark needs another')
    .argument('<version>', 'an exact release (4.2.0) or a line (4.2: its newest patch at every build)')
    .option('--dir <dir>', 'the app (default: .)')
    .action(async (version: string, _raw, self: Command) => {
      // --dir may be parsed by `versions` itself (it has the option too): read both levels
      const o = z.object({ dir: z.string().default('.') }).parse(self.optsWithGlobals());
      const dir = path.resolve(o.dir);
      const catalog = builtinCatalog();
      if (!/^\d+\.\d+(\.\d+(_[a-z0-9_.]+)?)?$/.test(version))
        fail({
          code: 'bad-input',
          message: `"${version.slice(0, 40)}" is not a Spark version: give an exact release (spark-in-space versions set 4.2.0) or a line (4.2: its newest patch at every build).`,
        });
      const wanted = parseVersionFile(version, catalog)!;
      const release = findRelease(catalog, wanted);
      if (release.inferredFrom) say(`Note: Spark ${release.version} is newer than this catalog: it will build with the facts of ${release.inferredFrom}, checked against the mirrors' .sha512.`);
      if (release.needsDistUrl) say(`Note: ${release.version} needs SPARK_DIST_URL: ${release.needsDistUrl}`);
      const propsFile = path.join(dir, 'system.properties');
      const props = read(propsFile);
      const java = javaFor(release, javaOf(props));
      // the project's atomic writer (temp file, then rename), loaded when run, not for --help
      const { writeFilesAtomic: writeConf } = await import('../../../fs/atomic.js');
      const nextProps = withJava(props, java);
      await writeConf(dir, [{ name: '.spark.version', content: `${wanted}\n`, mode: 0o644 }, ...(nextProps !== props ? [{ name: 'system.properties', content: nextProps, mode: 0o644 }] : [])]);
      process.stdout.write(
        `.spark.version: ${wanted}${wanted !== release.version ? ` (today ${release.version})` : ''}\nsystem.properties: ${systemPropertiesLine(java)}${javaOf(props) === java ? ' (unchanged)' : ''}\nCommit both and deploy (spark-in-space deploy) or git push.\n`,
      );
    });
  return cmd;
}
