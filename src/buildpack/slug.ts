/**
 * The slug-size guard: Heroku packs the whole build dir after the last buildpack (tar + gzip) and
 * refuses a slug over 1 GB compressed ("Compiled slug size ... is too large"; 500 MB until March
 * 2026), warning above 300 MB (boot time). We run last, so we estimate the compressed size of everything there and say
 * what it is made of, before Heroku's opaque refusal. The estimate deflates a sample of each large
 * file (jars barely compress, binaries do) and every small file whole.
 */
import { readdirSync, statSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { deflateRaw as deflateRawCb } from 'node:zlib';

const deflate = promisify(deflateRawCb);
import { writeAtomic } from '../fs/atomic.js';

/**
 * Heroku's limit for a compressed slug: 1 GB since March 2026 (Dev Center, "Slug Compiler": it was
 * 500 MB before); the 300 MB boot-time warning stays. Checked 2026-12-07.
 */
export const SLUG_LIMIT = 1000e6;
export const SLUG_WARN = 300e6;
/** we fail a little below Heroku's limit: the estimate is within a few percent */
export const SLUG_FAIL = SLUG_LIMIT - 10e6;

export interface SlugPart {
  path: string;
  bytes: number;
  compressed: number;
}

export interface SlugEstimate {
  compressed: number;
  bytes: number;
  files: number;
  parts: SlugPart[];
}

/** Pure: the part of the slug a file counts towards (what a user can act on). */
export function partOf(rel: string): string {
  const parts = rel.split('/');
  if (parts.length > 2 && (parts[0] === 'spark-home' || parts[0] === '.heroku')) return parts.slice(0, 2).join('/');
  return parts.length > 1 ? parts[0]! : '(files at the top)';
}

/** Pure: what the guard says of a size. */
export function slugVerdict(compressed: number): 'ok' | 'warn' | 'fail' {
  return compressed > SLUG_FAIL ? 'fail' : compressed > SLUG_WARN ? 'warn' : 'ok';
}

/**
 * How the estimate samples, shared with the worker that estimates files as they land
 * (src/buildpack/cache.ts LandedHashes): files up to `small` bytes are deflated whole, together in
 * batches of `batch` bytes; a larger one by `chunks` pieces of `chunk` bytes spread over it (many
 * small samples: a jar's central directory, its compressible end, must not weigh as much as its entries).
 */
export const SLUG_SAMPLING = { small: 1024 * 1024, chunk: 16 * 1024, chunks: 32, batch: 4 * 1024 * 1024, level: 6 } as const;
const { small: SMALL, chunk: CHUNK, chunks: CHUNKS } = SLUG_SAMPLING;
/** a tar header per entry (512 bytes, mostly zeros) compresses to about this */
const HEADER = 64;

/** Pure: where the estimate's CHUNKS samples of a large file start (shared with the landing worker, src/buildpack/hash-worker.ts). */
export const sampleOffsets = (size: number): number[] => Array.from({ length: CHUNKS }, (_, i) => Math.floor(((size - CHUNK) * i) / (CHUNKS - 1)));

/** The bytes the estimate deflates of a large file: CHUNKS pieces spread over it. */
async function samples(file: string, size: number): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const bufs: Buffer[] = [];
    for (const at of sampleOffsets(size)) {
      const b = Buffer.alloc(CHUNK);
      const { bytesRead } = await fh.read(b, 0, CHUNK, at);
      bufs.push(b.subarray(0, bytesRead));
    }
    return Buffer.concat(bufs);
  } finally {
    await fh.close();
  }
}

/** deflate's ratio for `raw`, in zlib's thread pool (several at once use every core) */
const ratioOf = async (raw: Buffer) => (raw.length ? (await deflate(raw, { level: SLUG_SAMPLING.level, chunkSize: 1 << 20 })).length / raw.length : 0);

/** The estimate's memo in the build cache: file ids (slugMemoId) to compressed bytes. */
export const slugMemo = (cacheDir: string) => path.join(cacheDir, 'spark-in-space', 'slug-estimates.json');

/** Pure: a file's id in the memo: its path in the build dir, size and mtime. */
export const slugMemoId = (rel: string, size: number, mtimeMs: number) => `${rel}|${size}|${Math.round(mtimeMs)}`;

/** The memo's entries; none when it is missing or unreadable (it is only a cache). */
const readMemo = (memo: string): Promise<Record<string, number>> =>
  readFile(memo, 'utf8').then(
    (t) => JSON.parse(t) as Record<string, number>,
    () => ({}),
  );

/** Adds estimates made elsewhere (the files of a download, as they landed) to the memo. */
export async function rememberEstimates(memo: string, entries: Record<string, number>): Promise<void> {
  if (!Object.keys(entries).length) return;
  const known = await readMemo(memo);
  await writeAtomic(memo, JSON.stringify({ ...known, ...Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, Math.round(v)])) }));
}

/**
 * Estimates `tar | gzip -6` of `dir`, by part. With `memo` (a file in the build cache), each file's
 * estimate is remembered by path, size and mtime: a warm build, whose files come from the cache or
 * from the other buildpacks' archives unchanged, estimates only what is new. The deflating runs
 * four at a time in zlib's thread pool.
 */
export async function estimateSlug(dir: string, memo?: string): Promise<SlugEstimate> {
  const known = memo ? await readMemo(memo) : {};
  const seen: Record<string, number> = {};
  const parts = new Map<string, SlugPart>();
  let files = 0;
  /** the deflating still to do: a large file's samples, or a batch of small files compressed together */
  const jobs: (() => Promise<void>)[] = [];
  let small: { part: SlugPart; file: string; size: number; id: string }[] = [];
  let smallBytes = 0;
  const count = (part: SlugPart, id: string, compressed: number) => {
    part.compressed += compressed;
    seen[id] = Math.round(compressed);
  };
  const flushSmall = () => {
    if (!small.length) return;
    const batch = small;
    // compressed together, as tar + gzip sees neighbouring small files; shared out by size
    jobs.push(async () => {
      const ratio = await ratioOf(Buffer.concat(await Promise.all(batch.map((x) => readFile(x.file)))));
      for (const x of batch) count(x.part, x.id, x.size * ratio);
    });
    small = [];
    smallBytes = 0;
  };
  // the walk is synchronous (a slug's thousands of stat calls: a few ms so, ten times that as promises); the deflating is not
  const walk = (rel: string) => {
    for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      const key = partOf(child);
      const part = parts.get(key) ?? { path: key, bytes: 0, compressed: 0 };
      parts.set(key, part);
      part.compressed += HEADER;
      if (e.isDirectory()) {
        walk(child);
        continue;
      }
      if (!e.isFile()) continue;
      files++;
      const file = path.join(dir, child);
      const st = statSync(file);
      part.bytes += st.size;
      const id = slugMemoId(child, st.size, st.mtimeMs);
      if (known[id] !== undefined) count(part, id, known[id]);
      else if (st.size <= SMALL) {
        small.push({ part, file, size: st.size, id });
        smallBytes += st.size;
        if (smallBytes > SLUG_SAMPLING.batch) flushSmall();
      } else jobs.push(async () => count(part, id, st.size * (await ratioOf(await samples(file, st.size)))));
    }
  };
  walk('');
  flushSmall();
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < jobs.length) await jobs[next++]!();
    }),
  );
  if (memo) await writeAtomic(memo, JSON.stringify(seen)).catch(() => {});
  const list = [...parts.values()].map((p) => ({ ...p, compressed: Math.round(p.compressed) })).sort((a, b) => b.compressed - a.compressed);
  return { compressed: list.reduce((n, p) => n + p.compressed, 0), bytes: list.reduce((n, p) => n + p.bytes, 0), files, parts: list };
}

const MB = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

/** Pure: the guard's lines: the estimate and the top contributors. */
export function slugLines(e: SlugEstimate, top = 8): string[] {
  return [
    `Slug estimate: ${MB(e.compressed)} compressed (${MB(e.bytes)} in ${e.files} files; Heroku's limit ${MB(SLUG_LIMIT)}, boot-time warning above ${MB(SLUG_WARN)})`,
    ...e.parts.slice(0, top).map((p) => `${MB(p.compressed).padStart(9)}  ${p.path}`),
  ];
}

/** Pure: what to drop, for a slug that is too large, from what it is made of. */
export function slugAdvice(e: SlugEstimate, o: { slim: readonly string[]; s3a: boolean; jdkLinked: boolean }): string[] {
  const of = (p: string) => e.parts.find((x) => x.path === p)?.compressed ?? 0;
  const out: string[] = [];
  const left = ['hive', 'connect', 'python', 'mllib', 'repl'].filter((f) => !o.slim.includes(f));
  if (left.length) out.push(`Leave out the parts of Spark you do not use: SPARK_SLIM=${[...o.slim, ...left].join(',')} (each one's effect: docs/build.md, "Slug size").`);
  if (o.s3a) out.push('Without S3, SPARK_S3A=false drops the S3A connector.');
  if (!o.jdkLinked && of('.jdk') > 60e6) out.push(`.jdk is a full JDK (${MB(of('.jdk'))}) that was not linked into a runtime: see the JDK line above (SPARK_JDK_LINK=true links it).`);
  const own = e.parts.filter((p) => !/^(spark-home|\.jdk|\.heroku|node_modules|\.heroku-buildpack-nginx|bin|dist)/.test(p.path) && p.compressed > 10e6);
  if (own.length) out.push(`Your app's own files: ${own.map((p) => `${p.path} (${MB(p.compressed)})`).join(', ')}; list what dynos do not need in .slugignore.`);
  return out;
}
