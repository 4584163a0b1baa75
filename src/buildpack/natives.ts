/**
 * Native libraries for platforms no dyno runs, as data. Spark's jars carry JNI libraries for a dozen
 * platforms (rocksdbjni alone: 14 of them, 70 MB); a dyno is Linux x86-64 with glibc. The build keeps
 * the dyno's platform and the build machine's own (so a slug built on a laptop still runs `local`
 * there), and drops the rest: entries inside jars (the jar is rewritten, its other entries copied
 * byte for byte and checked) and per-platform jars whole (netty's classifier jars).
 */
import { chmod, lstat, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import AdmZip from 'adm-zip';

/** `<os>-<arch>` plus `-<libc>` on Linux: `linux-x64-glibc`, `darwin-arm64`, `win32-x64`. */
export type Platform = string;

/** Heroku's dynos (Cedar and Fir stacks on x86-64: Ubuntu, glibc). */
export const DYNO_PLATFORM: Platform = 'linux-x64-glibc';

const OS: Record<string, string> = { linux: 'linux', osx: 'darwin', darwin: 'darwin', mac: 'darwin', win: 'win32', windows: 'win32', freebsd: 'freebsd', aix: 'aix', sunos: 'sunos' };
const ARCH: Record<string, string> = {
  amd64: 'x64',
  x86_64: 'x64',
  x64: 'x64',
  aarch64: 'arm64',
  arm64: 'arm64',
  aarch_64: 'arm64',
  x86: 'ia32',
  i386: 'ia32',
  x86_32: 'ia32',
};

function platform(os: string, arch: string, libc = 'glibc'): Platform {
  const o = OS[os.toLowerCase()] ?? os.toLowerCase();
  const a = ARCH[arch.toLowerCase()] ?? arch.toLowerCase();
  return o === 'linux' ? `${o}-${a}-${libc}` : `${o}-${a}`;
}

/** The platform this build runs on (kept beside the dyno's). */
export function hostPlatform(p: NodeJS.Platform = process.platform, arch: string = process.arch, glibc = hasGlibc()): Platform {
  return p === 'linux' ? `linux-${arch}-${glibc ? 'glibc' : 'musl'}` : `${p}-${arch}`;
}

function hasGlibc(): boolean {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return Boolean(header?.glibcVersionRuntime);
}

/** Jars whose native entries are sorted by platform (others are left alone). */
const NATIVE_JARS = /^(rocksdbjni|zstd-jni|snappy-java|leveldbjni-all|jline|lz4-java|commons-crypto)-[\d.]/;
const LIB = /\.(so|dylib|jnilib|dll|a)$/;

/** Pure: the platform a native entry of a jar is for; undefined when it is not one we can place (kept). */
export function entryPlatform(jar: string, entry: string): Platform | undefined {
  if (!NATIVE_JARS.test(jar) || !LIB.test(entry)) return undefined;
  // rocksdbjni: librocksdbjni-linux64.so, -linux64-musl, -linux-aarch64, -osx-arm64.jnilib, -win64.dll
  const rocks = /^librocksdbjni-(.+)\.(so|jnilib|dll)$/.exec(entry);
  if (rocks) {
    const tag = rocks[1]!;
    const musl = tag.endsWith('-musl') ? 'musl' : 'glibc';
    const t = tag.replace(/-musl$/, '');
    if (t === 'linux64') return platform('linux', 'x64', musl);
    if (t === 'linux32') return platform('linux', 'ia32', musl);
    if (t === 'win64') return platform('win', 'x64');
    const m = /^(linux|osx)-(.+)$/.exec(t);
    return m ? platform(m[1]!, m[2]!, musl) : `other-${t}`;
  }
  // leveldbjni: META-INF/native/linux64/libleveldbjni.so, linux64/aarch64/, osx/ (universal), windows64/
  const level = /^META-INF\/native\/(linux64|linux32|osx|windows64|windows32)\/(?:(aarch64)\/)?[^/]+$/.exec(entry);
  if (level) {
    const [, dir, sub] = level;
    if (dir === 'osx') return 'darwin-universal';
    const arch = sub ?? (dir!.endsWith('64') ? 'x64' : 'ia32');
    return platform(dir!.startsWith('linux') ? 'linux' : 'win', arch);
  }
  // <os>/<arch>/lib… anywhere in the path: zstd-jni, snappy-java, jline, lz4-java, commons-crypto
  const parts = entry.split('/');
  for (let i = parts.length - 3; i >= 0; i--) {
    const os = parts[i]!.toLowerCase();
    if (!(os in OS)) continue;
    const arch = parts[i + 1]!;
    if (/^android/i.test(arch)) return `android-${arch.replace(/^android-?/i, '')}`;
    const musl = /-musl$/i.test(arch);
    return platform(os, arch.replace(/-musl$/i, ''), musl ? 'musl' : 'glibc');
  }
  return undefined;
}

/** Pure: the platform a per-platform jar is for (netty's classifier jars); undefined for others. */
export function jarPlatform(jar: string): Platform | undefined {
  const m =
    /^netty-(?:tcnative-boringssl-static|transport-native-(?:epoll|kqueue|io_uring)|incubator-transport-native-io_uring|resolver-dns-native-macos)-.+-(linux|osx|windows)-(x86_64|aarch_64|riscv64|s390_64|ppcle_64|loongarch_64)\.jar$/.exec(
      jar,
    );
  return m ? platform(m[1]!, m[2]!) : undefined;
}

/** A platform is kept when it is one of `keep`; a universal macOS library when any macOS is. */
export function kept(p: Platform, keep: Set<Platform>): boolean {
  if (keep.has(p)) return true;
  if (p === 'darwin-universal') return [...keep].some((k) => k.startsWith('darwin-'));
  return false;
}

export interface NativePrune {
  /** whole jars removed */
  jars: { path: string; bytes: number; platform: Platform }[];
  /** jars rewritten without other platforms' entries */
  rewritten: { path: string; before: number; after: number; entries: string[] }[];
}

export class JarRewriteFailed extends Error {}

/**
 * Rewrites `file` without `drop`, then checks the result before it replaces the original: the
 * archive reopens, holds exactly the other entries, each with its original CRC and size. `opened`:
 * the jar as the caller already read it (rocksdbjni's is 72 MB: read once, not twice).
 */
export async function rewriteJar(file: string, drop: Set<string>, opened?: AdmZip): Promise<{ before: number; after: number }> {
  const st = await lstat(file);
  const before = st.size;
  const mode = st.mode & 0o777;
  const zip = opened ?? new AdmZip(file);
  const original = new Map(zip.getEntries().map((e) => [e.entryName, { crc: e.header.crc, size: e.header.size }]));
  for (const name of drop) zip.deleteFile(name);
  const tmp = `${file}.tmp-natives`;
  try {
    await zip.writeZipPromise(tmp, { overwrite: true });
    const check = new AdmZip(tmp);
    const entries = check.getEntries();
    const expected = [...original.keys()].filter((n) => !drop.has(n));
    if (entries.length !== expected.length) throw new JarRewriteFailed(`${path.basename(file)}: ${entries.length} entries after rewriting, expected ${expected.length}`);
    for (const e of entries) {
      const o = original.get(e.entryName);
      if (!o || drop.has(e.entryName) || o.crc !== e.header.crc || o.size !== e.header.size) throw new JarRewriteFailed(`${path.basename(file)}: entry ${e.entryName} changed while rewriting`);
    }
    // the dyno's own library must come out whole: read it back through the CRC check
    for (const e of entries) if (LIB.test(e.entryName) && !check.readFile(e)) throw new JarRewriteFailed(`${path.basename(file)}: ${e.entryName} is unreadable`);
    await chmod(tmp, mode);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return { before, after: (await lstat(file)).size };
}

/** Drops other platforms' natives below `root`/jars (the distribution's tree, before it is cached). */
export async function pruneNatives(root: string, keep: Set<Platform>): Promise<NativePrune> {
  const out: NativePrune = { jars: [], rewritten: [] };
  const dir = path.join(root, 'jars');
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names.sort()) {
    const file = path.join(dir, name);
    const whole = jarPlatform(name);
    if (whole) {
      if (!kept(whole, keep)) {
        out.jars.push({ path: `jars/${name}`, bytes: (await lstat(file)).size, platform: whole });
        await rm(file);
      }
      continue;
    }
    if (!NATIVE_JARS.test(name)) continue;
    const zip = new AdmZip(file);
    const drop = new Set(
      zip
        .getEntries()
        .map((e) => e.entryName)
        .filter((e) => {
          const p = entryPlatform(name, e);
          return p !== undefined && !kept(p, keep);
        }),
    );
    if (!drop.size) continue;
    const r = await rewriteJar(file, drop, zip);
    out.rewritten.push({ path: `jars/${name}`, ...r, entries: [...drop] });
  }
  return out;
}
