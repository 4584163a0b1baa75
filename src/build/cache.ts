/**
 * The build cache: a verified, pruned Spark tree per key, under CACHE_DIR/spark-in-space/v1/<key>/.
 * An entry is complete only when its manifest exists (written last, by rename); every file's
 * size and SHA-256 is checked on install, so a corrupt or partial entry is replaced, never used.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, copyFile, link, lstat, mkdir, readdir, readFile, readlink, rename, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const CACHE_LAYOUT = 'spark-in-space/v1';

export interface FileRecord {
  path: string;
  size: number;
  sha256: string;
  mode: number;
}

export interface Manifest {
  key: string;
  version: string;
  pkg: string;
  source: string;
  tarball: { sha512: string; sha256?: string; bytes: number; verifiedAgainst: string };
  files: FileRecord[];
  links: { path: string; target: string }[];
  dirs: string[];
  pruned: { bytes: number; files: number; rules: { why: string; bytes: number; files: number }[] };
  installedBytes: number;
  created: string;
}

export function cacheKey(parts: Record<string, unknown>): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);
}

export const entryDir = (cacheDir: string, key: string) => path.join(cacheDir, CACHE_LAYOUT, key);
export const stagingRoot = (cacheDir: string) => path.join(cacheDir, CACHE_LAYOUT, 'tmp');

export async function newStaging(cacheDir: string): Promise<string> {
  const dir = path.join(stagingRoot(cacheDir), `${Date.now()}-${randomBytes(4).toString('hex')}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** A file's digest, read in 1 MB chunks (the cache's SHA-256; the S3A jars' SHA-1 too). */
export async function hashFile(file: string, algo: 'sha1' | 'sha256' = 'sha256'): Promise<string> {
  const h = createHash(algo);
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Runs `fn` over items with a small pool (disk work overlaps hashing). */
async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** Lists a tree: files with size, hash and mode; symlinks; directories. */
export async function scanTree(root: string): Promise<Pick<Manifest, 'files' | 'links' | 'dirs' | 'installedBytes'>> {
  const files: { path: string; size: number; mode: number }[] = [];
  const links: { path: string; target: string }[] = [];
  const dirs: string[] = [];
  async function walk(rel: string): Promise<void> {
    for (const e of await readdir(path.join(root, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      const abs = path.join(root, child);
      if (e.isSymbolicLink()) links.push({ path: child, target: await readlink(abs) });
      else if (e.isDirectory()) {
        dirs.push(child);
        await walk(child);
      } else if (e.isFile()) {
        const st = await lstat(abs);
        files.push({ path: child, size: st.size, mode: st.mode & 0o777 });
      }
    }
  }
  await walk('');
  const hashed: FileRecord[] = files.map((f) => ({ ...f, sha256: '' }));
  await pool(hashed, 4, async (f) => {
    f.sha256 = await hashFile(path.join(root, f.path));
  });
  return { files: hashed, links, dirs, installedBytes: files.reduce((s, f) => s + f.size, 0) };
}

/** Moves a staged tree + manifest into the cache atomically (manifest renamed in last). */
export async function commitEntry(cacheDir: string, key: string, stagedTree: string, manifest: Manifest): Promise<string> {
  const holder = path.dirname(stagedTree);
  await rename(stagedTree, path.join(holder, 'spark-home'));
  const tmp = path.join(holder, 'manifest.json.tmp');
  await writeFile(tmp, JSON.stringify(manifest));
  await rename(tmp, path.join(holder, 'manifest.json'));
  const dest = entryDir(cacheDir, key);
  await rm(dest, { recursive: true, force: true });
  await rename(holder, dest);
  return dest;
}

export async function readEntry(cacheDir: string, key: string): Promise<Manifest | undefined> {
  try {
    const m = JSON.parse(await readFile(path.join(entryDir(cacheDir, key), 'manifest.json'), 'utf8')) as Manifest;
    return m.key === key && Array.isArray(m.files) ? m : undefined;
  } catch {
    return undefined;
  }
}

export async function dropEntry(cacheDir: string, key: string): Promise<void> {
  await rm(entryDir(cacheDir, key), { recursive: true, force: true });
}

export class CacheCorrupt extends Error {}

/** Checks every file of a cache entry against its manifest (size, SHA-256). Throws CacheCorrupt. */
export async function verifyEntry(cacheDir: string, m: Manifest): Promise<void> {
  await verifyTree(path.join(entryDir(cacheDir, m.key), 'spark-home'), m);
}

/** A cached tree's listing: what scanTree records. */
export type TreeManifest = Pick<Manifest, 'files' | 'links' | 'dirs' | 'installedBytes'>;

/** Checks every file of a cached tree against its listing (size, SHA-256) and its links. Throws CacheCorrupt. */
export async function verifyTree(src: string, m: TreeManifest): Promise<void> {
  await pool(m.files, 4, async (f) => {
    const file = path.join(src, f.path);
    const st = await lstat(file).catch(() => undefined);
    if (!st?.isFile()) throw new CacheCorrupt(`${f.path} is missing`);
    if (st.size !== f.size) throw new CacheCorrupt(`${f.path} has ${st.size} bytes, expected ${f.size}`);
    if ((await hashFile(file)) !== f.sha256) throw new CacheCorrupt(`${f.path} does not match its checksum`);
  });
  for (const l of m.links) {
    const target = await readlink(path.join(src, l.path)).catch(() => undefined);
    if (target !== l.target) throw new CacheCorrupt(`link ${l.path} is missing or changed`);
  }
}

/**
 * Puts a (verified) cache entry's tree at `dest`, which must not exist. Files are hard-linked
 * when cache and build dir share a filesystem (a Spark tree is ~500 MB; a build that changes a
 * file in place is caught by the next build's verification) and copied otherwise.
 */
export async function installEntry(cacheDir: string, m: Manifest, dest: string): Promise<'linked' | 'copied'> {
  return installTreeFrom(path.join(entryDir(cacheDir, m.key), 'spark-home'), m, dest);
}

/** Puts a cached tree at `dest` (hard links when on one filesystem, copies otherwise). */
export async function installTreeFrom(src: string, m: TreeManifest, dest: string): Promise<'linked' | 'copied'> {
  await mkdir(dest, { recursive: true });
  for (const d of m.dirs) await mkdir(path.join(dest, d), { recursive: true });
  let how: 'linked' | 'copied' = 'linked';
  const first = m.files[0];
  if (first) {
    try {
      await link(path.join(src, first.path), path.join(dest, first.path));
    } catch {
      how = 'copied';
      await copyFile(path.join(src, first.path), path.join(dest, first.path));
    }
  }
  await pool(m.files.slice(1), 4, async (f) => {
    if (how === 'linked') await link(path.join(src, f.path), path.join(dest, f.path));
    else await copyFile(path.join(src, f.path), path.join(dest, f.path));
  });
  if (how === 'copied')
    for (const f of m.files) {
      await chmod(path.join(dest, f.path), f.mode);
      // as linked files keep theirs: a JVM's CDS archive is checked against its runtime's files
      const st = await stat(path.join(src, f.path));
      await utimes(path.join(dest, f.path), st.atime, st.mtime);
    }
  for (const l of m.links) await symlink(l.target, path.join(dest, l.path));
  return how;
}
