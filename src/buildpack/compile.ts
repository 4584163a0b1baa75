/**
 * `bin/compile BUILD_DIR CACHE_DIR ENV_DIR`: `.spark.version` → a verified, cached, pruned Spark
 * in BUILD_DIR/spark-home, plus `.profile.d/spark.sh`. On any failure BUILD_DIR and the cache are
 * left as they were: downloads are extracted into a staging dir inside the cache, renamed into
 * place only once verified, and installed by copy-then-rename.
 */
import { randomBytes } from 'node:crypto';
import { access, constants, copyFile, mkdir, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { builtinCatalog, parseVersionFile, resolve, withOverrides, type Catalog, type Release } from '../catalog/index.js';
import { parseConfig, type Env, type Settings } from '../config/schema.js';
import { expectedFromPin, type Expected } from '../download/checksum.js';
import { redactUrl, type TransferOptions } from '../download/fetch.js';
import { fail, fsProblem, SparkInSpaceError } from '../errors.js';
import { cacheKey, cleanStaging, entryDir, installEntry, recordFingerprints, stagingRoot, type Manifest } from './cache.js';
import { detectJava, javaProblem } from './java.js';
import type { Output } from '../output.js';
import { installKit, KIT_DIR } from './kit.js';
import { writeAtomic } from '../fs/atomic.js';
import { renderTemplate } from '../render/templates.js';
import type { SparkFeature } from '../spark-features.js';
import { dropNginxRuby, shrinkJdk, shrinkNode, slimSpark, type SlimReport } from './slim.js';
import { estimateSlug, slugAdvice, slugLines, slugMemo, slugVerdict, type SlugEstimate } from './slug.js';
import { PRUNE_VERSION } from './prune.js';
import { resolveS3A, type S3AInstall, type S3AManifest } from '../s3a/install.js';
import { resolveMetastoreJdbc } from './jars.js';
import { handoverJar } from './handover.js';
import { acquireSparkTree, keepPlatforms, sourcesFor, type Source } from './acquire.js';
import { BUILD_INFO, SPARK_HOME_DIR } from './layout.js';

export { BUILD_INFO, SPARK_HOME_DIR } from './layout.js';
export { sourcesFor, verifiedLine } from './acquire.js';

export interface CompileOptions {
  buildDir: string;
  cacheDir: string;
  env: Env;
  out: Output;
  /** the Java major on PATH; `null` means none; undefined means detect */
  java?: number | null;
  /** when set, `<buildpackDir>/export` is written for the next buildpack */
  buildpackDir?: string;
  /** base delay between retries (tests shorten it) */
  backoffMs?: number;
  /**
   * a Heroku slug (bin/compile): shrink what the other buildpacks left and guard the slug's size;
   * `spark-in-space build` (a local slug, only spark-home) skips both
   */
  slug?: boolean;
}

export interface CompileResult {
  release: Release;
  pkg: string;
  sparkHome: string;
  fromCache: boolean;
  manifest: Manifest;
  s3a?: S3AManifest;
  /** the guard's estimate (bin/compile only) */
  slug?: SlugEstimate;
}

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

async function checkDirs(buildDir: string, cacheDir: string): Promise<void> {
  if (!buildDir) fail({ code: 'dir-unusable', role: 'build directory', dir: buildDir, cause: 'no path was given' });
  try {
    if (!(await stat(buildDir)).isDirectory()) throw new Error();
    await access(buildDir, constants.W_OK);
  } catch {
    fail({ code: 'dir-unusable', role: 'build directory', dir: buildDir, cause: 'it does not exist or is not writable' });
  }
  if (!cacheDir) fail({ code: 'cache-unusable', dir: cacheDir, cause: 'no path was given (bin/compile BUILD_DIR CACHE_DIR ENV_DIR)' });
  try {
    await mkdir(cacheDir, { recursive: true });
    const probe = path.join(cacheDir, `.spark-in-space-probe-${process.pid}`);
    await writeFile(probe, '');
    await rm(probe);
  } catch (err) {
    fail(
      fsProblem(err, 'cache', cacheDir) ?? {
        code: 'cache-unusable',
        dir: cacheDir,
        cause: `it cannot be created or written (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      },
    );
  }
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

export function loadCatalog(settings: Settings, appDir: string): Catalog {
  const base = builtinCatalog();
  return settings.SPARK_CATALOG ? withOverrides(base, path.resolve(appDir, settings.SPARK_CATALOG)) : base;
}

/** What a build installs, decided before anything is downloaded. */
interface BuildPlan {
  release: Release;
  pkg: string;
  /** the tarball's file name */
  file: string;
  /** what `.spark.version` asked for (undefined: no file) */
  requested: string | undefined;
  custom: string | undefined;
  /** the checksum known before any download (pinned, or SPARK_DIST_SHA512); else the mirrors' .sha512 */
  staticExpected: Expected | undefined;
  key: string;
  sources: Source[];
  transfer: TransferOptions;
}

/**
 * bin/compile and `spark-in-space build`, step by step: check the dirs, plan the build, say what
 * it is, check Java, take Spark from the cache or download it into the cache, resolve S3A, then
 * install everything into BUILD_DIR (and, for a slug, shrink and guard it). Nothing reaches
 * BUILD_DIR before every download and verification has passed.
 */
export async function compile(opts: CompileOptions): Promise<CompileResult> {
  const { buildDir, cacheDir, out } = opts;
  await checkDirs(buildDir, cacheDir);
  const settings = parseConfig(opts.env, 'build');
  const plan = await planBuild(settings, buildDir, opts, out);
  announce(plan, out);
  if (!settings.SPARK_SKIP_JAVA_CHECK) checkJava(plan.release, opts, out);
  try {
    const { manifest: m, fromCache } = await acquireSparkTree(plan, cacheDir, out);
    // the connector is resolved into the cache before anything is installed: a failure leaves BUILD_DIR as it was
    const distJars = m.files.filter((f) => /^jars\/[^/]+\.jar$/.test(f.path)).map((f) => f.path.slice('jars/'.length));
    const s3a = await resolveS3A({ cacheDir, distJarsDir: path.join(entryDir(cacheDir, m.key), 'spark-home', 'jars'), distJars, settings, env: opts.env, out, transfer: plan.transfer });
    const jdbc = await resolveMetastoreJdbc({ cacheDir, distJarsDir: path.join(entryDir(cacheDir, m.key), 'spark-home', 'jars'), distJars, settings, env: opts.env, out, transfer: plan.transfer });
    const handover = await handoverJar({ cacheDir, jarsDir: path.join(entryDir(cacheDir, m.key), 'spark-home', 'jars'), env: process.env, slugJdk: path.join(buildDir, '.jdk') });
    if ('why' in handover) out.detail(`Masters hand over when ZooKeeper ends a stopped leader's session (within 6 s): no handover factory, ${handover.why}`);
    else out.detail(`Masters hand over at once when stopped: ${handover.jar.name} ${handover.compiled ? 'compiled against this Spark' : 'from the cache'}`);
    const sparkHome = await installAll(plan, m, s3a, settings.SPARK_SLIM, opts, [...(jdbc?.files ?? []), ...('jar' in handover ? [handover.jar] : [])]);
    const slug = opts.slug ? await shrinkAndGuard(buildDir, cacheDir, out, { slim: settings.SPARK_SLIM, s3a: Boolean(s3a), linkJdk: settings.SPARK_JDK_LINK }) : undefined;
    return { release: plan.release, pkg: plan.pkg, sparkHome, fromCache, manifest: m, s3a: s3a?.manifest, slug };
  } finally {
    // this build's staging dirs (not another's running on the same cache meanwhile)
    await cleanStaging(cacheDir).catch(() => {});
    // leave no empty layout dirs behind after a failed first build
    for (const d of [path.dirname(stagingRoot(cacheDir)), path.dirname(path.dirname(stagingRoot(cacheDir)))]) await rmdir(d).catch(() => {});
  }
}

/** Which Spark, from where, verified how, cached under which key. */
async function planBuild(settings: Settings, buildDir: string, opts: CompileOptions, out: Output): Promise<BuildPlan> {
  const catalog = loadCatalog(settings, buildDir);
  const requested = parseVersionFile(await readOptional(path.join(buildDir, '.spark.version')), catalog);
  const custom = settings.SPARK_DIST_URL;
  const resolved = resolve(catalog, requested, settings.SPARK_PACKAGE, Boolean(custom));
  const { release, pkg } = resolved;
  const file = custom ? path.posix.basename(new URL(custom).pathname) || 'spark.tgz' : resolved.file;
  const staticExpected: Expected | undefined =
    custom && settings.SPARK_DIST_SHA512
      ? { algorithm: 'sha512', hex: settings.SPARK_DIST_SHA512, source: 'SPARK_DIST_SHA512' }
      : custom
        ? undefined
        : expectedFromPin(resolved.pin, 'pinned in the catalog');
  const key = cacheKey({
    layout: 1,
    prune: PRUNE_VERSION,
    platforms: [...keepPlatforms()].sort(),
    version: release.version,
    pkg,
    file,
    dist: custom ? redactUrl(custom) : undefined,
    expected: staticExpected ? `${staticExpected.algorithm}:${staticExpected.hex}` : 'published',
  });
  const transfer: TransferOptions = {
    retries: settings.SPARK_DOWNLOAD_RETRIES,
    timeoutMs: settings.SPARK_DOWNLOAD_TIMEOUT * 1000,
    backoffMs: opts.backoffMs ?? 1000,
    userAgent: 'spark-in-space-buildpack',
    note: (text) => out.detail(text),
  };
  return { release, pkg, file, requested, custom, staticExpected, key, sources: sourcesFor(release, file, settings), transfer };
}

/** The build's first lines: which Spark and why. */
function announce(p: BuildPlan, out: Output): void {
  const { release, requested } = p;
  out.step(`Installing Apache Spark ${release.version} (${p.custom ? 'custom distribution' : p.pkg})`);
  out.detail(
    requested === undefined
      ? `No .spark.version: using the default, ${release.version}`
      : requested === release.version
        ? `.spark.version asks for ${requested}`
        : `.spark.version asks for ${requested}: the newest patch is ${release.version}`,
  );
  out.detail(`Scala ${release.scala}, Hadoop ${release.hadoop}, Java ${release.java.min}–${release.java.max}`);
  if (release.inferredFrom)
    out.warn(
      `Spark ${release.version} is newer than this buildpack's catalog: it is built with the facts of ${release.inferredFrom} and checked against the .sha512 the mirrors publish. Update the buildpack to get its own entry.`,
    );
}

/** Refuses a Java this Spark does not run on (SPARK_SKIP_JAVA_CHECK skips it). */
function checkJava(release: Release, opts: CompileOptions, out: Output): void {
  const java = opts.java === undefined ? detectJava() : (opts.java ?? undefined);
  const problem = javaProblem(release, java);
  if (problem) fail(problem);
  if (java !== undefined) out.detail(`Java ${java} on PATH: compatible`);
}

/** Spark (with the S3A jars and SPARK_SLIM applied), the build files and the launcher kit into BUILD_DIR; says what it installed. */
async function installAll(
  p: BuildPlan,
  m: Manifest,
  s3a: S3AInstall | undefined,
  slim: readonly SparkFeature[],
  opts: CompileOptions,
  extraJars: { from: string; name: string }[] = [],
): Promise<string> {
  const { buildDir, cacheDir, out } = opts;
  const { dir: sparkHome, slimmed } = await installTree(cacheDir, m, buildDir, out, [...(s3a?.files ?? []), ...extraJars], slim);
  await writeBuildFiles(buildDir, sparkHome, p.release, p.pkg, m, opts.buildpackDir, s3a?.manifest, slim);
  if (opts.buildpackDir) await installKit(opts.buildpackDir, buildDir, out);
  const s3aBytes = s3a ? s3a.manifest.jars.reduce((n, j) => n + j.size, 0) : 0;
  out.detail(
    `Installed ${mb(m.installedBytes + s3aBytes - slimmed)} in ${SPARK_HOME_DIR}/ (pruned ${mb(m.pruned.bytes)}, ${pct(m.pruned.bytes, m.installedBytes + m.pruned.bytes)} of the distribution${slimmed ? `; SPARK_SLIM ${mb(slimmed)}` : ''}${s3a ? `; S3A connector ${mb(s3aBytes)}` : ''})`,
  );
  out.detail(examplesNote(m.files.map((f) => f.path)));
  return sparkHome;
}

const pct = (part: number, whole: number) => `${whole ? ((100 * part) / whole).toFixed(1) : '0.0'}%`;

async function installTree(
  cacheDir: string,
  m: Manifest,
  buildDir: string,
  out: Output,
  extraJars: { from: string; name: string }[],
  slim: readonly SparkFeature[],
): Promise<{ dir: string; slimmed: number }> {
  const dest = path.join(buildDir, SPARK_HOME_DIR);
  const tmp = path.join(buildDir, `.${SPARK_HOME_DIR}.tmp-${randomBytes(4).toString('hex')}`);
  const old = path.join(buildDir, `.${SPARK_HOME_DIR}.old-${randomBytes(4).toString('hex')}`);
  let how: string;
  let slimmed: number;
  try {
    how = await installEntry(cacheDir, m, tmp);
    for (const j of extraJars) await copyFile(j.from, path.join(tmp, 'jars', j.name));
    slimmed = (
      await slimSpark(
        tmp,
        slim,
        m.files.map((f) => f.path),
        out,
      )
    ).bytes;
    const hadOld = await stat(dest).then(
      () => true,
      () => false,
    );
    if (hadOld) await rename(dest, old);
    await rename(tmp, dest);
    if (hadOld) await rm(old, { recursive: true, force: true });
    // what SPARK_SLIM unlinked, and an earlier build's tree removed here (a build into the same dir),
    // were hard links into the cache (their ctimes changed): what the next build trusts is the cache as it is now
    if ((slimmed || hadOld) && how === 'linked') await recordFingerprints(path.join(entryDir(cacheDir, m.key), 'spark-home'), m);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    const p = fsProblem(err, 'build directory', buildDir);
    throw p ? new SparkInSpaceError(p) : err;
  }
  out.detail(`Installed into ${SPARK_HOME_DIR}/ (${m.files.length} files ${how} from the cache${extraJars.length ? `, ${extraJars.length} jars added (S3A, JDBC, the handover)` : ''})`);
  return { dir: dest, slimmed };
}

/**
 * What the other buildpacks left that no dyno runs (src/buildpack/slim.ts), then the slug-size guard:
 * the whole build dir as Heroku will pack it, its top parts, a warning above 300 MB naming what
 * would bring it under, a failure naming what to drop above 990 MB (Heroku refuses 1 GB, with no breakdown).
 */
async function shrinkAndGuard(buildDir: string, cacheDir: string, out: Output, o: { slim: readonly string[]; s3a: boolean; linkJdk: boolean }): Promise<SlugEstimate> {
  out.step('Shrinking what no dyno runs (the JDK, Node and nginx buildpacks’ build-time files)');
  const reports: SlimReport[] = [];
  const jdk = o.linkJdk ? await shrinkJdk(buildDir, cacheDir, out) : undefined;
  if (!o.linkJdk) out.detail('JDK: .jdk kept whole (SPARK_JDK_LINK=false)');
  if (jdk) reports.push(jdk);
  for (const r of [await shrinkNode(buildDir, out), await dropNginxRuby(buildDir, out)]) if (r) reports.push(r);
  if (!reports.length && o.linkJdk) out.detail('Nothing to shrink: no .jdk with jmods/, no .heroku/node, no vendored Ruby');
  else if (reports.length) out.detail(`Saved ${mb(reports.reduce((n, r) => n + r.before - r.after, 0))} before compression`);
  const t = Date.now();
  const e = await estimateSlug(buildDir, slugMemo(cacheDir));
  const lines = slugLines(e);
  const verdict = slugVerdict(e.compressed);
  if (verdict === 'fail') fail({ code: 'slug-too-large', estimate: lines, advice: slugAdvice(e, { ...o, jdkLinked: Boolean(jdk) }) });
  out.step(lines[0]!);
  for (const l of lines.slice(1)) out.detail(l);
  out.detail(`(estimated in ${((Date.now() - t) / 1000).toFixed(1)} s)`);
  if (verdict === 'warn')
    out.warn(
      [
        `the slug is over 300 MB compressed (about ${mb(e.compressed)}): Heroku accepts it (up to 1 GB), but every dyno start downloads and unpacks it, so dynos boot more slowly. To bring it under 300 MB:`,
        ...slugAdvice(e, { ...o, jdkLinked: Boolean(jdk) }).map((a) => `  - ${a}`),
      ].join('\n'),
    );
  return e;
}

/** Pure: whether `run-example` can work: Apache's binary distributions carry examples/jars, PyPI's layout does not. */
export function examplesNote(files: string[]): string {
  const jar = files.find((f) => /^examples\/jars\/spark-examples[^/]*\.jar$/.test(f));
  return jar ? `Examples jar kept (${jar}): run-example works` : 'This distribution has no examples jar (examples/jars/spark-examples_*.jar): run-example is not available';
}

/** Renders `.profile.d/spark.sh`: relative to $HOME, so the slug runs wherever it is unpacked. */
export function profileScript(): string {
  return renderTemplate('profile.d-spark.sh.ejs', { sparkHomeDir: SPARK_HOME_DIR, kitDir: KIT_DIR });
}

async function writeBuildFiles(
  buildDir: string,
  sparkHome: string,
  release: Release,
  pkg: string,
  m: Manifest,
  buildpackDir: string | undefined,
  s3a: S3AManifest | undefined,
  slim: readonly SparkFeature[],
): Promise<void> {
  const info = {
    version: release.version,
    line: release.line,
    pkg,
    scala: release.scala,
    hadoop: release.hadoop,
    java: release.java,
    log4j: release.log4j,
    restOnByDefault: release.restOnByDefault,
    tarball: m.tarball,
    source: m.source,
    installedBytes: m.installedBytes,
    pruned: m.pruned,
    slim,
    s3a: s3a ? { hadoop: s3a.hadoop, sdk: s3a.sdk, jars: s3a.jars.map((j) => ({ name: j.name, coordinate: j.coordinate, sha1: j.sha1 })) } : undefined,
  };
  await writeAtomic(path.join(sparkHome, BUILD_INFO), `${JSON.stringify(info, null, 2)}\n`);
  await writeAtomic(path.join(buildDir, '.profile.d', 'spark.sh'), profileScript());
  if (buildpackDir) {
    await writeAtomic(path.join(buildpackDir, 'export'), `export SPARK_HOME="${sparkHome}"\nexport PATH="$PATH:${sparkHome}/bin"\n`).catch(() => {});
  }
}
