/**
 * `bin/compile BUILD_DIR CACHE_DIR ENV_DIR`: `.spark.version` → a verified, cached, pruned Spark
 * in BUILD_DIR/spark-home, plus `.profile.d/spark.sh`. On any failure BUILD_DIR and the cache are
 * left as they were: downloads are extracted into a staging dir inside the cache, renamed into
 * place only once verified, and installed by copy-then-rename.
 */
import { randomBytes } from 'node:crypto';
import { access, constants, copyFile, mkdir, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { APACHE_MIRRORS, builtinCatalog, parseVersionFile, resolve, withOverrides, type Catalog, type Release } from '../catalog/index.js';
import { parseConfig, type Env, type Settings } from '../config/schema.js';
import { expectedFromPin, parseSha512File, StreamHasher, type Expected } from '../download/checksum.js';
import { download, fetchText, NotFound, redactUrl, SinkError, TransferError, type TransferOptions } from '../download/fetch.js';
import { fail, fsProblem, isProblem, SparkInSpaceError, type Attempt } from '../errors.js';
import {
  cacheKey,
  CacheCorrupt,
  commitEntry,
  dropEntry,
  entryDir,
  installEntry,
  LandedHashes,
  newStaging,
  readEntry,
  recordFingerprints,
  scanTree,
  verifyEntry,
  stagingRoot,
  type Manifest,
  type Verified,
} from './cache.js';
import { Extractor, TarballRefused, UnpackFsError } from './extract.js';
import { detectJava, javaProblem } from './java.js';
import type { Output } from '../output.js';
import { DYNO_PLATFORM, hostPlatform, JarRewriteFailed, pruneNatives } from './natives.js';
import { installKit, KIT_DIR } from './kit.js';
import { writeAtomic } from '../fs/atomic.js';
import { renderTemplate } from '../render/templates.js';
import type { SparkFeature } from '../spark-features.js';
import { dropNginxRuby, shrinkJdk, shrinkNode, slimSpark, type SlimReport } from './slim.js';
import { estimateSlug, rememberEstimates, slugAdvice, slugLines, slugMemo, slugVerdict, type SlugEstimate } from './slug.js';
import { prune, PRUNE_VERSION, summarize } from './prune.js';
import { resolveS3A, type S3AInstall, type S3AManifest } from '../s3a/install.js';
import { resolveMetastoreJdbc } from './jars.js';

export const SPARK_HOME_DIR = 'spark-home';
export const BUILD_INFO = '.spark-in-space.json';

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

/** Native libraries kept in jars: the dyno's platform and this build machine's (`local` runs the slug here). */
const keepPlatforms = () => new Set([DYNO_PLATFORM, hostPlatform()]);
const nativesWhy = `native libraries for platforms no dyno runs (kept: ${[...keepPlatforms()].join(', ')})`;

interface Source {
  url: string;
  /** where this source's checksum is published, when not pinned */
  checksumUrl?: string;
}

/** Pure: where to look for a tarball, in order. */
export function sourcesFor(release: Release, file: string, settings: Settings): Source[] {
  if (settings.SPARK_DIST_URL) return [{ url: settings.SPARK_DIST_URL, checksumUrl: withSuffix(settings.SPARK_DIST_URL, '.sha512') }];
  const bases = settings.SPARK_MIRROR_URL ?? (release.archiveOnly ? APACHE_MIRRORS.slice(1) : APACHE_MIRRORS);
  return bases.map((base) => {
    const url = `${base}/spark-${release.version}/${file}`;
    return { url, checksumUrl: `${url}.sha512` };
  });
}

function withSuffix(url: string, suffix: string): string {
  const u = new URL(url);
  u.pathname += suffix;
  return u.toString();
}

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
    const { manifest: m, fromCache } = await sparkTree(plan, cacheDir, out);
    // the connector is resolved into the cache before anything is installed: a failure leaves BUILD_DIR as it was
    const distJars = m.files.filter((f) => /^jars\/[^/]+\.jar$/.test(f.path)).map((f) => f.path.slice('jars/'.length));
    const s3a = await resolveS3A({ cacheDir, distJarsDir: path.join(entryDir(cacheDir, m.key), 'spark-home', 'jars'), distJars, settings, env: opts.env, out, transfer: plan.transfer });
    const jdbc = await resolveMetastoreJdbc({ cacheDir, distJarsDir: path.join(entryDir(cacheDir, m.key), 'spark-home', 'jars'), distJars, settings, env: opts.env, out, transfer: plan.transfer });
    const sparkHome = await installAll(plan, m, s3a, settings.SPARK_SLIM, opts, jdbc?.files ?? []);
    const slug = opts.slug ? await shrinkAndGuard(buildDir, cacheDir, out, { slim: settings.SPARK_SLIM, s3a: Boolean(s3a), linkJdk: settings.SPARK_JDK_LINK }) : undefined;
    return { release: plan.release, pkg: plan.pkg, sparkHome, fromCache, manifest: m, s3a: s3a?.manifest, slug };
  } finally {
    await rm(stagingRoot(cacheDir), { recursive: true, force: true }).catch(() => {});
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

/** What the cache's check did, for the build output: `Verified the cached tree: …`. */
export function verifiedLine(v: Verified): string {
  if (!v.crcChecked && !v.untouched) return 'Verified the cached tree: every file against its SHA-256';
  const parts = [
    v.hashed && `${v.hashed} files against their SHA-256`,
    v.crcChecked && `${v.crcChecked} against the CRC-32 recorded at their last check (read in full: another inode or ctime, as in a restored cache)`,
    v.untouched && `${v.untouched} untouched since their last check (size, inode, mtime, ctime)`,
  ].filter(Boolean);
  return `Verified the cached tree: ${parts.join(', ')}`;
}

/** The verified, pruned Spark tree in the cache: the cached entry when usable and intact, else downloaded into it. */
async function sparkTree(p: BuildPlan, cacheDir: string, out: Output): Promise<{ manifest: Manifest; fromCache: boolean }> {
  const cached = await usableCacheEntry(cacheDir, p.key, p.staticExpected, p.sources, p.transfer, out);
  if (cached) {
    try {
      out.detail(verifiedLine(await verifyEntry(cacheDir, cached)));
      return { manifest: cached, fromCache: true };
    } catch (err) {
      if (!(err instanceof CacheCorrupt)) throw err;
      out.warn(`the cached Spark is damaged (${err.message}); downloading it again`);
      await dropEntry(cacheDir, p.key);
    }
  }
  const manifest = await fetchIntoCache({ cacheDir, key: p.key, release: p.release, pkg: p.pkg, sources: p.sources, staticExpected: p.staticExpected, transfer: p.transfer, out });
  return { manifest, fromCache: false };
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

async function usableCacheEntry(cacheDir: string, key: string, staticExpected: Expected | undefined, sources: Source[], transfer: TransferOptions, out: Output): Promise<Manifest | undefined> {
  const m = await readEntry(cacheDir, key);
  if (!m) {
    out.detail('Not in the build cache: downloading');
    return undefined;
  }
  if (!staticExpected) {
    // Not pinned: the cached copy was verified against the mirror's .sha512 when stored. If the
    // mirror now publishes another checksum, the release was re-rolled: fetch it again.
    const published = await firstPublishedChecksum(sources, { ...transfer, retries: 0, timeoutMs: Math.min(transfer.timeoutMs, 10_000) });
    if (published && published !== m.tarball.sha512) {
      out.detail('The published checksum changed since this Spark was cached: downloading again');
      await dropEntry(cacheDir, key);
      return undefined;
    }
    if (!published) out.detail(`Mirrors unreachable: using the copy verified on ${m.created.slice(0, 10)}`);
  }
  out.detail(`Using the build cache (verified on ${m.created.slice(0, 10)}, SHA-512 ${m.tarball.sha512.slice(0, 16)}…)`);
  return m;
}

async function firstPublishedChecksum(sources: Source[], transfer: TransferOptions): Promise<string | undefined> {
  for (const s of sources) {
    if (!s.checksumUrl) continue;
    try {
      const parsed = parseSha512File(await fetchText(s.checksumUrl, transfer), path.posix.basename(new URL(s.url).pathname));
      if ('hex' in parsed) return parsed.hex;
    } catch {
      /* next mirror */
    }
  }
  return undefined;
}

interface FetchArgs {
  cacheDir: string;
  key: string;
  release: Release;
  pkg: string;
  sources: Source[];
  staticExpected: Expected | undefined;
  transfer: TransferOptions;
  out: Output;
}

/**
 * Tries each source in turn: its checksum (pinned, or the .sha512 published beside it), the
 * download streamed through the hasher into the extractor, the digest checked, then pruned and
 * committed to the cache. A source that cannot be reached is noted and the next one tried.
 */
async function fetchIntoCache(a: FetchArgs): Promise<Manifest> {
  const attempts: Attempt[] = [];
  for (const source of a.sources) {
    const expected = a.staticExpected ?? (await publishedChecksum(source, a, attempts));
    if (!expected) continue;
    const got = await downloadInto(source, expected, a, attempts);
    if (!got) continue;
    return pruneAndCommit(got, source, expected, a);
  }
  return fail({ code: 'download-failed', what: `Spark ${a.release.version} (${a.pkg})`, attempts });
}

/** The .sha512 a mirror publishes beside the tarball; undefined (and an attempt noted) when there is none to read. */
async function publishedChecksum(source: Source, a: FetchArgs, attempts: Attempt[]): Promise<Expected | undefined> {
  const checksumUrl = source.checksumUrl!;
  try {
    const parsed = parseSha512File(await fetchText(checksumUrl, a.transfer), path.posix.basename(new URL(source.url).pathname));
    if ('error' in parsed) fail({ code: 'checksum-file-invalid', url: redactUrl(checksumUrl), problem: parsed.error });
    return { algorithm: 'sha512', hex: parsed.hex, source: redactUrl(checksumUrl) };
  } catch (err) {
    if (isProblem(err)) throw err;
    attempts.push({
      url: redactUrl(checksumUrl),
      cause: err instanceof NotFound ? `${err.message}: no published checksum${a.sources.length === 1 ? ' (set SPARK_DIST_SHA512 to verify this file)' : ''}` : (err as Error).message,
    });
    return undefined;
  }
}

interface Downloaded {
  staging: string;
  /** the extracted distribution's top directory */
  top: string;
  digest: { sha512: string; sha256?: string };
  bytes: number;
  /** the files' digests taken while they landed */
  landed: LandedHashes;
}

/** Streams the tarball through the hasher into a staging dir and checks its digest; undefined (an attempt noted) when the source fails. */
async function downloadInto(source: Source, expected: Expected, a: FetchArgs, attempts: Attempt[]): Promise<Downloaded | undefined> {
  const shown = redactUrl(source.url);
  a.out.detail(`Downloading ${shown}`);
  const staging = await newStaging(a.cacheDir);
  let hasher = new StreamHasher(expected.algorithm === 'sha256');
  // the cache's per-file digests, taken as the files land (instead of reading 400 MB again after)
  // each extractor tells its own hasher: a late name from an aborted one never reaches the next
  const extractInto = (l: LandedHashes) => new Extractor(staging, undefined, (f) => l.add(f));
  let landed = new LandedHashes();
  let extractor = extractInto(landed);
  const sink = {
    write: async (chunk: Uint8Array) => {
      hasher.update(chunk);
      await extractor.write(chunk);
    },
    // a resumed download that cannot continue starts over with an empty staging dir
    restart: async () => {
      extractor.abort();
      await rm(staging, { recursive: true, force: true });
      await mkdir(staging, { recursive: true });
      hasher = new StreamHasher(expected.algorithm === 'sha256');
      landed.stop();
      landed = new LandedHashes();
      extractor = extractInto(landed);
    },
  };
  let top: string;
  try {
    await download(source.url, sink, { ...a.transfer, progress: (total) => a.out.progress('Downloading', total) });
    top = await extractor.end();
  } catch (err) {
    extractor.abort();
    landed.stop();
    await rm(staging, { recursive: true, force: true });
    if (err instanceof NotFound || err instanceof TransferError) {
      attempts.push({ url: shown, cause: err.message });
      return undefined;
    }
    throw asProblem(err instanceof SinkError ? err.inner : err, shown, a.cacheDir);
  }
  const digest = hasher.digest();
  const actual = expected.algorithm === 'sha256' ? digest.sha256! : digest.sha512;
  if (actual !== expected.hex) {
    landed.stop();
    await rm(staging, { recursive: true, force: true });
    fail({ code: 'checksum-mismatch', url: shown, algorithm: expected.algorithm.toUpperCase(), expected: expected.hex, actual, source: expected.source });
  }
  a.out.detail(`Unpacked (inflated by ${extractor.inflatedBy})`);
  a.out.detail(`Verified ${expected.algorithm.toUpperCase()} (${expected.source})`);
  return { staging, top, digest, bytes: hasher.bytes, landed };
}

/** Prunes the verified tree (files no dyno needs, other platforms' natives), lists it and commits it to the cache. */
async function pruneAndCommit(d: Downloaded, source: Source, expected: Expected, a: FetchArgs): Promise<Manifest> {
  const shown = redactUrl(source.url);
  try {
    const report = await prune(d.top);
    const natives = await pruneNatives(d.top, keepPlatforms());
    for (const j of natives.jars) report.removed.push({ path: j.path, bytes: j.bytes, files: 1, why: nativesWhy });
    for (const j of natives.rewritten) report.removed.push({ path: `${j.path} (${j.entries.length} libraries)`, bytes: j.before - j.after, files: 0, why: nativesWhy });
    report.bytes = report.removed.reduce((n, r) => n + r.bytes, 0);
    report.files = report.removed.reduce((n, r) => n + r.files, 0);
    const rules = summarize(report);
    for (const r of rules) a.out.detail(`Pruned ${mb(r.bytes).padStart(9)}  ${r.why}`);
    const manifest: Manifest = {
      key: a.key,
      version: a.release.version,
      pkg: a.pkg,
      source: shown,
      tarball: { sha512: d.digest.sha512, sha256: d.digest.sha256, bytes: d.bytes, verifiedAgainst: expected.source },
      ...(await scanTree(d.top, d.landed)),
      pruned: { bytes: report.bytes, files: report.files, rules },
      created: new Date().toISOString(),
    };
    // what the worker estimated of each file as it landed: the slug guard (shrinkAndGuard) deflates only what pruning rewrote
    await rememberEstimates(slugMemo(a.cacheDir), await d.landed.estimates(d.top, SPARK_HOME_DIR));
    await commitEntry(a.cacheDir, a.key, d.top, manifest);
    return manifest;
  } catch (err) {
    d.landed.stop();
    await rm(d.staging, { recursive: true, force: true });
    throw asProblem(err, shown, a.cacheDir);
  }
}

function asProblem(err: unknown, url: string, dir: string): Error {
  if (err instanceof SparkInSpaceError) return err;
  if (err instanceof TarballRefused) return new SparkInSpaceError({ code: 'tarball-invalid', url, reason: err.message });
  if (err instanceof JarRewriteFailed) return new SparkInSpaceError({ code: 'tarball-invalid', url, reason: `a jar could not be pruned of other platforms' native libraries (${err.message})` });
  if (err instanceof UnpackFsError) return new SparkInSpaceError(fsProblem({ code: err.code }, 'cache', dir)!);
  const fsp = fsProblem(err, 'cache', dir);
  if (fsp) return new SparkInSpaceError(fsp);
  return err as Error;
}

/** Copies the cached tree to BUILD_DIR/spark-home via a temp dir and a rename. */
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
  out.detail(`Installed into ${SPARK_HOME_DIR}/ (${m.files.length} files ${how} from the cache${extraJars.length ? `, ${extraJars.length} S3A jars copied` : ''})`);
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
