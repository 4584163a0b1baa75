/**
 * Resolves the S3A connector with Ivy (Spark's own `jars/ivy-*.jar`, run on the build's Java),
 * verifies every jar against the SHA-1 its repository publishes beside it, and keeps the result in
 * the build cache under CACHE_DIR/spark-in-space/s3a/<key>/ (jars + manifest, renamed into place
 * last). A second build with the same distribution uses that entry without any network; a
 * damaged entry is detected (size + SHA-256 per jar) and resolved again. The decisions are in
 * plan.ts; this file only runs them.
 */
import { spawn } from 'node:child_process';
import { copyFile, lstat, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Env, Settings } from '../config/schema.js';
import { fetchText, NotFound, redactUrl, type TransferOptions } from '../download/fetch.js';
import { fail, fsProblem, SparkInSpaceError } from '../errors.js';
import type { Output } from '../output.js';
import { cacheKey, CACHE_LAYOUT, CacheCorrupt, commitDir, hashFile, readManifest, stageIn, verifyTree, type TreeManifest } from '../buildpack/cache.js';
import { hadoopVersionOf, ivyModule, ivySettings, jarName, parseIvyReport, S3A_PLAN_VERSION, sdkBundleOf, selectJars, wantS3A, type SdkBundle } from './plan.js';

export interface S3AJar {
  /** file name in jars/ */
  name: string;
  coordinate: string;
  size: number;
  sha256: string;
  sha1: string;
  /** where it was resolved from, redacted */
  origin: string;
}

export interface S3AManifest {
  key: string;
  hadoop: string;
  sdk: string;
  jars: S3AJar[];
  /** resolved, but the distribution already ships the library */
  skipped: string[];
  repository: string;
  created: string;
}

export interface S3AInstall {
  manifest: S3AManifest;
  /** absolute path of each jar in the cache, to copy into spark-home/jars */
  files: { from: string; name: string }[];
  fromCache: boolean;
}

export interface S3AOptions {
  cacheDir: string;
  /** the distribution's jars/ (cached, verified tree) */
  distJarsDir: string;
  distJars: string[];
  settings: Settings;
  env: Env;
  out: Output;
  transfer: TransferOptions;
  /** the java to run Ivy with (default: $JAVA_HOME/bin/java, then java on PATH) */
  java?: string;
}

const S3A_ROOT = (cacheDir: string) => path.join(cacheDir, CACHE_LAYOUT, 's3a');
const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

/** Hides user:password in any URL of a text (Ivy's output names the repository it used). */
export const redactUrls = (text: string) => text.replace(/(\w+:\/\/)[^/@\s"']*@/g, '$1***@').replace(/(\w+:\/\/[^\s"'?]*)\?[^\s"']*/g, '$1?…');

/** Installs (or reuses) the connector when the build wants it; undefined when it does not. */
export async function resolveS3A(o: S3AOptions): Promise<S3AInstall | undefined> {
  const want = wantS3A(o.settings, o.env);
  if (!want.wanted) {
    o.out.detail(`S3A connector: not installed (${want.why})`);
    return undefined;
  }
  const hadoop = hadoopVersionOf(o.distJars);
  if (!hadoop) fail({ code: 's3a-no-hadoop', why: want.why });
  const repository = o.settings.MAVEN_MIRROR_URL ? redactUrl(o.settings.MAVEN_MIRROR_URL) : "the resolver's default repository (Maven Central)";
  const key = cacheKey({ s3a: S3A_PLAN_VERSION, hadoop, dist: [...o.distJars].sort() });
  o.out.step(`Installing the S3A connector for Hadoop ${hadoop}`);
  o.out.detail(`Wanted: ${want.why}`);

  const cached = await usableEntry<S3AManifest>(S3A_ROOT(o.cacheDir), key, o.out);
  if (cached) {
    o.out.detail(`Using the build cache (${cached.jars.length} jars verified on ${cached.created.slice(0, 10)})`);
    return { manifest: cached, files: filesOf(o.cacheDir, cached), fromCache: true };
  }
  const manifest = await resolveIntoCache(o, hadoop, key, repository);
  return { manifest, files: filesOf(o.cacheDir, manifest), fromCache: false };
}

const filesOf = (cacheDir: string, m: S3AManifest) => m.jars.map((j) => ({ from: path.join(S3A_ROOT(cacheDir), m.key, 'jars', j.name), name: j.name }));

/** The jars of a connector entry as a cached tree's listing (verified like every cache entry). */
const jarsTree = (m: { jars: S3AJar[] }): TreeManifest => ({
  files: m.jars.map((j) => ({ path: `jars/${j.name}`, size: j.size, sha256: j.sha256, mode: 0o644 })),
  links: [],
  dirs: ['jars'],
  installedBytes: m.jars.reduce((s, j) => s + j.size, 0),
});

/** A cached jar set (`root`/<key>: jars + manifest), verified; undefined (and removed) when missing or damaged. */
export async function usableEntry<M extends { key: string; jars: S3AJar[] }>(root: string, key: string, out: Output, what = 'S3A connector'): Promise<M | undefined> {
  const dir = path.join(root, key);
  const m = await readManifest<M>(dir, key, (x) => Array.isArray(x.jars));
  if (!m) return undefined;
  try {
    await verifyTree(dir, jarsTree(m));
  } catch (err) {
    if (!(err instanceof CacheCorrupt)) throw err;
    out.warn(`the cached ${what} is damaged (${path.basename(err.file)} ${err.kind === 'missing' ? 'is missing' : 'does not match its checksum'}); resolving it again`);
    await rm(dir, { recursive: true, force: true });
    return undefined;
  }
  return m;
}

export function javaCommand(o: { java?: string; env: Env }): string {
  if (o.java) return o.java;
  return o.env.JAVA_HOME || process.env.JAVA_HOME ? `${o.env.JAVA_HOME || process.env.JAVA_HOME}/bin/java` : 'java';
}

interface IvyRun {
  code: number;
  output: string;
}

/** Runs Ivy's command line; reports progress every few seconds; never echoes its raw output. */
export async function runIvy(java: string, ivyJar: string, home: string, args: string[], out: Output, what: string): Promise<IvyRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(java, ['-Xmx256m', `-Divy.home=${home}`, `-Duser.home=${home}`, '-cp', ivyJar, 'org.apache.ivy.Main', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let found = 0;
    let downloaded = 0;
    const started = Date.now();
    const onData = (b: Buffer) => {
      const text = b.toString();
      output += text;
      found += (text.match(/^\s*found \S+/gm) ?? []).length;
      downloaded += (text.match(/\[SUCCESSFUL \]/g) ?? []).length;
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const tick = setInterval(() => out.detail(`${what}: ${found} modules found, ${downloaded} jars downloaded (${Math.round((Date.now() - started) / 1000)} s)`), 10_000);
    // a repository that stops answering must not hang the build forever
    const limit = setTimeout(() => child.kill('SIGKILL'), 15 * 60_000);
    child.on('error', (err) => {
      clearInterval(tick);
      clearTimeout(limit);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearInterval(tick);
      clearTimeout(limit);
      resolve({ code: code ?? (signal ? 128 : 1), output });
    });
  });
}

/** The lines of Ivy's output that say what went wrong, URLs redacted. */
export function ivyProblems(output: string): string[] {
  const lines = output.split('\n').map((l) => l.trim());
  const picked = lines.filter(
    (l) => /UNRESOLVED|not found|invalid (sha1|md5)|problem|ERROR|FAILED|Connection|timed out|refused|server access error/i.test(l) && !/^:: (resolving|loading|retrieving)/.test(l),
  );
  return [...new Set(picked)].slice(0, 12).map(redactUrls);
}

/**
 * Resolves the connector into a staging dir of the cache, then commits it: Ivy resolves (two
 * runs: hadoop-aws's POM names the SDK, then the connector and the SDK modules it loads), every
 * kept jar is checked against its published SHA-1, the manifest is written last.
 */
async function resolveIntoCache(o: S3AOptions, hadoop: string, key: string, repository: string): Promise<S3AManifest> {
  const ivyJar = o.distJars.find((n) => /^ivy-\d[\w.-]*\.jar$/.test(n));
  if (!ivyJar) fail({ code: 's3a-resolve-failed', what: `hadoop-aws ${hadoop}`, repository, lines: ['the distribution has no jars/ivy-*.jar to resolve Maven coordinates with'] });
  return inStaging(S3A_ROOT(o.cacheDir), o.cacheDir, async (staging) => {
    const { sdk, keep, skipped } = await ivyResolve(o, path.join(o.distJarsDir, ivyJar!), hadoop, staging, repository);
    const jars = await verifiedJars(keep, path.join(staging, 'entry', 'jars'), o, repository);
    const total = jars.reduce((n, j) => n + j.size, 0);
    o.out.detail(`Verified the SHA-1 of ${jars.length} jars against the checksums published beside them`);
    if (skipped.length)
      o.out.detail(
        `Kept Spark's own ${skipped
          .map((x) => x.name)
          .sort()
          .join(', ')} (not added again)`,
      );
    o.out.detail(`S3A connector: ${jars.length} jars, ${mb(total)} (instead of the ${sdk.name}'s hundreds of MB)`);
    const manifest: S3AManifest = {
      key,
      hadoop,
      sdk: `${sdk.org}:${sdk.name}:${sdk.rev}`,
      jars,
      skipped: skipped.map((x) => `${x.org}:${x.name}:${x.rev}`),
      repository,
      created: new Date().toISOString(),
    };
    await commitDir(path.join(staging, 'entry'), manifest, path.join(S3A_ROOT(o.cacheDir), key));
    return manifest;
  });
}

/**
 * Runs `fn` in a new staging dir under `root` (a cache area), removed afterwards whatever happens;
 * a file-system failure (full, read-only) becomes the cache's Problem.
 */
export async function inStaging<T>(root: string, cacheDir: string, fn: (staging: string) => Promise<T>): Promise<T> {
  const staging = await stageIn(root);
  try {
    return await fn(staging);
  } catch (err) {
    if (err instanceof SparkInSpaceError) throw err;
    const p = fsProblem(err, 'cache', cacheDir);
    if (p) throw new SparkInSpaceError(p);
    throw err;
  } finally {
    await rm(staging, { recursive: true, force: true }).catch(() => {});
  }
}

type Resolved = ReturnType<typeof parseIvyReport>[number];

/** Ivy's two runs in `staging`: the SDK hadoop-aws was built against, then the jars to add (and Spark's own, kept). */
async function ivyResolve(o: S3AOptions, ivy: string, hadoop: string, staging: string, repository: string): Promise<{ sdk: SdkBundle; keep: Resolved[]; skipped: Resolved[] }> {
  const java = javaCommand(o);
  const ivyCache = path.join(staging, 'ivy-cache');
  await mkdir(ivyCache, { recursive: true, mode: 0o700 });
  const settingsFile = path.join(staging, 'ivysettings.xml');
  // 0600: a mirror URL may carry a password
  await writeFile(settingsFile, ivySettings({ mirror: o.settings.MAVEN_MIRROR_URL, cacheDir: ivyCache }), { mode: 0o600 });
  o.out.detail(`Resolving org.apache.hadoop:hadoop-aws:${hadoop} from ${repository}`);
  const run = (args: string[], what: string) =>
    runIvy(java, ivy, path.join(staging, 'home'), ['-settings', settingsFile, ...args], o.out, what).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') fail({ code: 's3a-needs-java', java });
      throw err;
    });

  // 1. hadoop-aws's own POM says which AWS SDK it was built against
  const first = await run(['-dependency', 'org.apache.hadoop', 'hadoop-aws', hadoop, '-notransitive', '-confs', 'default'], 'Resolving hadoop-aws');
  if (first.code !== 0) throw ivyFailure(first.output, `org.apache.hadoop:hadoop-aws:${hadoop}`, repository);
  const pom = await readFile(path.join(ivyCache, 'org.apache.hadoop', 'hadoop-aws', `ivy-${hadoop}.xml`), 'utf8');
  const sdk = sdkBundleOf(pom);
  if (!sdk) return fail({ code: 's3a-resolve-failed', what: `hadoop-aws ${hadoop}`, repository, lines: ['its POM names no AWS SDK bundle; this Hadoop version is not supported for S3A'] });
  o.out.detail(`hadoop-aws ${hadoop} is built against the AWS SDK ${sdk.generation === 2 ? 'v2' : 'v1'} ${sdk.rev}: resolving only the modules S3A loads, not the ${sdk.name}`);

  // 2. the connector, its dependencies and the SDK modules, without the bundle
  const moduleFile = path.join(staging, 'ivy.xml');
  await writeFile(moduleFile, ivyModule(hadoop, sdk));
  const second = await run(['-ivy', moduleFile, '-confs', 'default'], 'Resolving the AWS SDK modules');
  if (second.code !== 0) throw ivyFailure(second.output, `the S3A connector for Hadoop ${hadoop}`, repository);
  const resolved = parseIvyReport(await readFile(path.join(ivyCache, 'spark-in-space-s3a-connector-default.xml'), 'utf8'));
  if (!resolved.some((r) => r.name === 'hadoop-aws')) fail({ code: 's3a-resolve-failed', what: `hadoop-aws ${hadoop}`, repository, lines: ['Ivy reported success but resolved no hadoop-aws jar'] });
  return { sdk, ...selectJars(resolved, o.distJars) };
}

/** 3. Every kept jar against the SHA-1 published beside it (Ivy checks too; we refuse a missing one), copied into `jarsDir`. */
export async function verifiedJars(keep: Resolved[], jarsDir: string, o: { transfer: TransferOptions }, repository: string): Promise<S3AJar[]> {
  await mkdir(jarsDir, { recursive: true });
  const jars: S3AJar[] = [];
  for (const r of keep) {
    const coordinate = `${r.org}:${r.name}:${r.rev}`;
    const shown = redactUrl(r.origin);
    let published: string;
    try {
      published = (await fetchText(`${r.origin}.sha1`, { ...o.transfer, retries: Math.max(o.transfer.retries, 1) })).trim().split(/\s+/)[0]!.toLowerCase();
    } catch (err) {
      return fail({
        code: 's3a-resolve-failed',
        what: coordinate,
        repository,
        lines: [`${shown}.sha1: ${err instanceof NotFound ? 'no published checksum, so the jar cannot be verified' : (err as Error).message}`],
      });
    }
    const sha1 = await hashFile(r.file, 'sha1');
    if (!/^[0-9a-f]{40}$/.test(published)) fail({ code: 'checksum-file-invalid', url: `${shown}.sha1`, problem: 'it holds no SHA-1 digest' });
    if (sha1 !== published) fail({ code: 'checksum-mismatch', url: shown, algorithm: 'SHA-1', expected: published, actual: sha1, source: `${shown}.sha1` });
    const name = jarName(r);
    await copyFile(r.file, path.join(jarsDir, name));
    const st = await lstat(path.join(jarsDir, name));
    jars.push({ name, coordinate, size: st.size, sha1, sha256: await hashFile(path.join(jarsDir, name), 'sha256'), origin: shown });
  }
  return jars;
}

export function ivyFailure(output: string, what: string, repository: string): SparkInSpaceError {
  const bad = /(?:\[FAILED\s*\]\s*(\S+?)!(\S+?):\s*)?invalid sha1: expected=(\w+) computed=(\w+)/i.exec(output);
  if (bad) {
    // `[FAILED     ] org#name;rev!name.jar: invalid sha1: …`, and the URL Ivy fetched it from
    const rev = bad[1]?.split(';')[1];
    const file = bad[2] && rev ? bad[2].replace(/\.jar$/, `-${rev}.jar`) : undefined;
    const url = file ? output.match(new RegExp(`downloading (\\S+/${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}) `))?.[1] : undefined;
    return new SparkInSpaceError({
      code: 'checksum-mismatch',
      url: url ? redactUrl(url) : what,
      algorithm: 'SHA-1',
      expected: bad[3]!.toLowerCase(),
      actual: bad[4]!.toLowerCase(),
      source: 'the .sha1 published beside it',
    });
  }
  return new SparkInSpaceError({ code: 's3a-resolve-failed', what, repository, lines: ivyProblems(output) });
}
