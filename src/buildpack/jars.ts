/**
 * The metastore's PostgreSQL JDBC driver, by Maven coordinates (src/metastore POSTGRES_JDBC), only
 * when the app has a metastore database (SPARK_METASTORE_DATABASE_URL or DATABASE_URL at build):
 * resolved with Ivy from the resolver's default repository or MAVEN_MIRROR_URL, its SHA-1 checked
 * against the one published beside it, and cached under CACHE_DIR/spark-in-space/jars/<key>/ exactly
 * as the S3A connector is (src/s3a/install.ts, whose steps this reuses).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { lookup, type Env } from '../config/schema.js';
import { redactUrl } from '../download/fetch.js';
import { fail, SparkInSpaceError } from '../errors.js';
import { POSTGRES_JDBC } from '../metastore/index.js';
import { ivySettings, parseIvyReport } from '../s3a/plan.js';
import { inStaging, ivyFailure, javaCommand, runIvy, usableEntry, verifiedJars, type S3AJar, type S3AOptions } from '../s3a/install.js';
import { cacheKey, CACHE_LAYOUT, commitDir } from './cache.js';

/** Bumped when what we resolve or how we keep it changes. */
const JARS_PLAN_VERSION = 1;

export interface JarSet {
  key: string;
  what: string;
  jars: S3AJar[];
  repository: string;
  created: string;
}

const JARS_ROOT = (cacheDir: string) => path.join(cacheDir, CACHE_LAYOUT, 'jars');
const FIX =
  'Nothing was installed. Set MAVEN_MIRROR_URL to a reachable Maven-layout repository, or build without a metastore database (unset SPARK_METASTORE_DATABASE_URL, DATABASE_URL and SPARK_METASTORE_JDBC).';

/** Pure: does the build want the metastore's JDBC driver, and why (for the build output)? */
export function wantMetastoreJdbc(env: Env, asked?: boolean): { wanted: boolean; why: string } {
  const found = lookup(env, 'SPARK_METASTORE_DATABASE_URL');
  if (found) return { wanted: true, why: `${found.from} is set: the metastore dyno keeps the catalog in PostgreSQL` };
  if (asked) return { wanted: true, why: 'SPARK_METASTORE_JDBC=true (a database URL comes later: an add-on attached after this build, local up --postgres)' };
  return { wanted: false, why: 'no SPARK_METASTORE_DATABASE_URL or DATABASE_URL' };
}

/** Pure: the Ivy module of one jar without its dependencies (the driver needs none at run time). */
export function singleJarModule(c: { org: string; name: string; rev: string }): string {
  return [
    '<ivy-module version="2.0">',
    '  <info organisation="spark-in-space" module="metastore-jdbc"/>',
    '  <dependencies>',
    `    <dependency org="${c.org}" name="${c.name}" rev="${c.rev}" conf="default->master" transitive="false"/>`,
    '  </dependencies>',
    '</ivy-module>',
    '',
  ].join('\n');
}

/** Installs (or reuses) the PostgreSQL JDBC driver when the build wants it; undefined when it does not. */
export async function resolveMetastoreJdbc(o: S3AOptions): Promise<{ manifest: JarSet; files: { from: string; name: string }[] } | undefined> {
  const want = wantMetastoreJdbc(o.env, o.settings.SPARK_METASTORE_JDBC);
  if (!want.wanted) return undefined;
  const c = POSTGRES_JDBC;
  const what = `${c.org}:${c.name}:${c.rev}`;
  const repository = o.settings.MAVEN_MIRROR_URL ? redactUrl(o.settings.MAVEN_MIRROR_URL) : "the resolver's default repository (Maven Central)";
  const key = cacheKey({ jars: JARS_PLAN_VERSION, what });
  o.out.step(`Installing the PostgreSQL JDBC driver for the metastore (${c.rev})`);
  o.out.detail(`Wanted: ${want.why}`);
  const filesOf = (m: JarSet) => m.jars.map((j) => ({ from: path.join(JARS_ROOT(o.cacheDir), m.key, 'jars', j.name), name: j.name }));
  const cached = await usableEntry<JarSet>(JARS_ROOT(o.cacheDir), key, o.out, 'PostgreSQL JDBC driver');
  if (cached) {
    o.out.detail(`Using the build cache (verified on ${cached.created.slice(0, 10)})`);
    return { manifest: cached, files: filesOf(cached) };
  }
  const ivyJar = o.distJars.find((n) => /^ivy-\d[\w.-]*\.jar$/.test(n));
  if (!ivyJar) fail({ code: 's3a-resolve-failed', what, repository, lines: ['the distribution has no jars/ivy-*.jar to resolve Maven coordinates with'], fix: FIX });
  await mkdir(JARS_ROOT(o.cacheDir), { recursive: true });
  return inStaging(JARS_ROOT(o.cacheDir), o.cacheDir, async (staging) => {
    const ivyCache = path.join(staging, 'ivy-cache');
    await mkdir(ivyCache, { recursive: true, mode: 0o700 });
    const settingsFile = path.join(staging, 'ivysettings.xml');
    // 0600: a mirror URL may carry a password
    await writeFile(settingsFile, ivySettings({ mirror: o.settings.MAVEN_MIRROR_URL, cacheDir: ivyCache }), { mode: 0o600 });
    await writeFile(path.join(staging, 'ivy.xml'), singleJarModule(c));
    o.out.detail(`Resolving ${what} from ${repository}`);
    const java = javaCommand(o);
    const run = await runIvy(
      java,
      path.join(o.distJarsDir, ivyJar!),
      path.join(staging, 'home'),
      ['-settings', settingsFile, '-ivy', path.join(staging, 'ivy.xml'), '-confs', 'default'],
      o.out,
      'Resolving the JDBC driver',
    ).catch((err: NodeJS.ErrnoException) =>
      err.code === 'ENOENT' ? fail({ code: 's3a-needs-java', java, what: 'the PostgreSQL JDBC driver', fix: ', or unset the metastore database URL' }) : Promise.reject(err),
    );
    if (run.code !== 0) {
      const e = ivyFailure(run.output, what, repository);
      throw e.problem.code === 's3a-resolve-failed' ? new SparkInSpaceError({ ...e.problem, fix: FIX }) : e;
    }
    const resolved = parseIvyReport(await readFile(path.join(ivyCache, 'spark-in-space-metastore-jdbc-default.xml'), 'utf8')).filter((r) => r.name === c.name);
    if (!resolved.length) fail({ code: 's3a-resolve-failed', what, repository, lines: ['Ivy reported success but resolved no jar'], fix: FIX });
    const jars = await verifiedJars(resolved, path.join(staging, 'entry', 'jars'), o, repository);
    o.out.detail(`Verified the SHA-1 of ${jars.map((j) => j.name).join(', ')} against the checksum published beside it`);
    const manifest: JarSet = { key, what, jars, repository, created: new Date().toISOString() };
    await commitDir(path.join(staging, 'entry'), manifest, path.join(JARS_ROOT(o.cacheDir), key));
    return { manifest, files: filesOf(manifest) };
  });
}
