/**
 * Acquiring a verified Spark tree: the cache's entry when usable and intact, else downloaded from
 * the sources in order (checksum pinned, given, or published beside the tarball), verified while it
 * streams, unpacked into a staging dir, pruned (./prune.ts, ./natives.ts) and committed to the cache.
 * Nothing reaches the build dir from here: ./compile.ts installs the tree once this has returned.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { APACHE_MIRRORS, type Release } from '../catalog/index.js';
import type { Settings } from '../config/schema.js';
import { parseSha512File, StreamHasher, type Expected } from '../download/checksum.js';
import { download, fetchText, NotFound, redactUrl, SinkError, TransferError, type TransferOptions } from '../download/fetch.js';
import { fail, fsProblem, isProblem, SparkInSpaceError, type Attempt } from '../errors.js';
import { CacheCorrupt, commitEntry, dropEntry, LandedHashes, newStaging, readEntry, scanTree, verifyEntry, type Manifest, type Verified } from './cache.js';
import { Extractor, TarballRefused, UnpackFsError } from './extract.js';
import type { Output } from '../output.js';
import { DYNO_PLATFORM, hostPlatform, JarRewriteFailed, pruneNatives } from './natives.js';
import { rememberEstimates, slugMemo } from './slug.js';
import { prune, summarize } from './prune.js';
import { SPARK_HOME_DIR } from './layout.js';

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
/** Native libraries kept in jars: the dyno's platform and this build machine's (`local` runs the slug here). */
export const keepPlatforms = () => new Set([DYNO_PLATFORM, hostPlatform()]);
const nativesWhy = `native libraries for platforms no dyno runs (kept: ${[...keepPlatforms()].join(', ')})`;

export interface Source {
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

/** What acquiring needs of the build's plan: the release, its package, the cache key, where to look and what checksum to expect. */
export interface AcquirePlan {
  release: Release;
  pkg: string;
  key: string;
  sources: Source[];
  staticExpected: Expected | undefined;
  transfer: TransferOptions;
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
export async function acquireSparkTree(p: AcquirePlan, cacheDir: string, out: Output): Promise<{ manifest: Manifest; fromCache: boolean }> {
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
