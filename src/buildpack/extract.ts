/**
 * Streaming extraction of a Spark tarball into a staging directory, and the checks that make it
 * safe. Bytes are gunzipped and piped into GNU tar as they arrive (faster than `curl | tar xz`); GNU tar itself
 * strips absolute names, refuses `..` members and defers links that point outside until the end,
 * so nothing is written outside the staging dir. Its complaints, and a walk of the result, then
 * refuse anything a Spark distribution never holds: several top-level entries, links out of the
 * tree, devices. The staging dir lives in the cache and is used only once everything passed.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { createGunzip, type Gunzip, type ZlibOptions } from 'node:zlib';

export interface EntryInfo {
  path: string;
  type: 'Directory' | 'File' | 'SymbolicLink' | 'Other';
  linkpath?: string;
}

export interface TreeState {
  top?: string;
}

/** Pure check of one entry of the unpacked tree; returns why it is refused, or undefined. */
export function checkEntry(e: EntryInfo, state: TreeState): string | undefined {
  const raw = e.path.replace(/\\/g, '/');
  if (raw.startsWith('/') || /^[a-zA-Z]:/.test(raw)) return `entry "${e.path}" has an absolute path`;
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) return `entry "${e.path}" escapes the distribution directory (..)`;
  if (parts.length === 0) return undefined;
  const top = parts[0]!;
  if (state.top === undefined) state.top = top;
  else if (state.top !== top) return `it has more than one top-level entry (${state.top}, ${top}); expected a single directory such as spark-X-bin-hadoop3/`;
  if (parts.length === 1 && e.type !== 'Directory') return `its top-level entry "${top}" is not a directory`;
  if (e.type === 'Other') return `entry "${e.path}" is a device, FIFO or socket, which a Spark distribution never holds`;
  if (e.type === 'SymbolicLink') {
    const link = (e.linkpath ?? '').replace(/\\/g, '/');
    if (link.startsWith('/')) return `link "${e.path}" points to an absolute path (${link})`;
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(parts.join('/')), link));
    if (target === '..' || target.startsWith('../') || target.split('/')[0] !== top) return `link "${e.path}" points outside the distribution (${link})`;
  }
  return undefined;
}

/** Pure: reads GNU tar's complaints; returns why the archive is refused, or undefined. */
export function tarComplaint(stderr: string, exitCode: number | null): string | undefined {
  const stripped = /Removing leading [`'"]([^'"]*)['"] from/.exec(stderr);
  if (stripped) {
    return stripped[1]!.includes('..') ? `an entry escapes the distribution directory (${stripped[1]})` : 'it has entries with absolute paths';
  }
  const dotdot = /^tar: (.+): Member name contains '\.\.'/m.exec(stderr);
  if (dotdot) return `entry "${dotdot[1]}" escapes the distribution directory (..)`;
  if (/not in gzip format|unexpected end of file|invalid compressed data|crc error/i.test(stderr)) return `it is not a readable .tgz (${firstLine(stderr)})`;
  if (/This does not look like a tar archive|Skipping to next header|Unexpected EOF in archive/i.test(stderr)) return `it is not a readable tar archive (${firstLine(stderr)})`;
  if (exitCode !== 0 && stderr && !/No space left|Permission denied|Read-only file system/.test(stderr)) return `tar could not unpack it (${firstLine(stderr)})`;
  return undefined;
}

const firstLine = (s: string) =>
  s
    .trim()
    .split('\n')[0]
    ?.replace(/^tar: /, '')
    .slice(0, 200) ?? '';

export class TarballRefused extends Error {}

/** An fs failure while unpacking (disk full, read-only): mapped by the caller. */
export class UnpackFsError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** Walks an unpacked tree and applies `checkEntry` to everything in it. Returns the top dir. */
export async function validateTree(dir: string): Promise<string> {
  const state: TreeState = {};
  async function walk(rel: string): Promise<void> {
    for (const e of await readdir(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      const info: EntryInfo = e.isSymbolicLink()
        ? { path: child, type: 'SymbolicLink', linkpath: await readlink(path.join(dir, child)) }
        : e.isDirectory()
          ? { path: child, type: 'Directory' }
          : e.isFile()
            ? { path: child, type: 'File' }
            : { path: child, type: 'Other' };
      const reason = checkEntry(info, state);
      if (reason) throw new TarballRefused(reason);
      if (info.type === 'Directory') await walk(child);
    }
  }
  await walk('');
  if (!state.top) throw new TarballRefused('it is empty');
  const top = path.join(dir, state.top);
  if (!(await lstat(top)).isDirectory()) throw new TarballRefused(`its top-level entry "${state.top}" is not a directory`);
  return top;
}

/** What inflates the tarball: ISA-L's igzip, else pigz (both a process of their own), else Node's zlib. */
export type Inflater = 'igzip' | 'pigz' | 'zlib';

/** Pure: the fastest inflater present (`available` says which commands are); SPARK_IN_SPACE_INFLATE forces one (tests, benchmarks). */
export function chooseInflater(available: (cmd: string) => boolean, forced?: string): Inflater {
  if (forced === 'igzip' || forced === 'pigz' || forced === 'zlib') return forced;
  return available('igzip') ? 'igzip' : available('pigz') ? 'pigz' : 'zlib';
}

const onPath = (cmd: string) => (process.env.PATH ?? '').split(':').some((d) => d && existsSync(path.join(d, cmd)));

/**
 * Receives the tarball's bytes and unpacks them into `dir`: an inflater (igzip or pigz, a process
 * whose output goes straight into tar's input; else Node's zlib in its thread pool) and GNU tar
 * writing the files. `write` applies backpressure; `end` waits for tar, checks what it said,
 * validates the tree, and returns its top directory.
 */
export class Extractor {
  private child: ChildProcessWithoutNullStreams;
  /** where the compressed bytes go */
  private input: Writable;
  private gunzip?: Gunzip;
  private inflater?: ChildProcessWithoutNullStreams;
  private inflaterStderr = '';
  /** resolves once the inflater (when there is one) has exited and its verdict is known */
  private inflaterDone: Promise<void> = Promise.resolve();
  private stderr = '';
  private exited: Promise<number | null>;
  private gzipError?: Error;
  private gzipFailed: Promise<false>;
  private broken?: Error;
  readonly inflatedBy: Inflater;

  /**
   * `onLanded` hears of each member once tar has written it whole (tar names the members as it
   * starts them: a member is complete when the next one is named, the last when tar ends), so the
   * files can be read while the rest of the download still arrives.
   */
  constructor(
    readonly dir: string,
    inflatedBy: Inflater = chooseInflater(onPath, process.env.SPARK_IN_SPACE_INFLATE),
    private readonly onLanded?: (file: string) => void,
  ) {
    this.inflatedBy = inflatedBy;
    let markGzipFailed!: (v: false) => void;
    this.gzipFailed = new Promise((resolve) => (markGzipFailed = resolve));
    const gzipFailed = (err: Error) => {
      this.gzipError ??= err;
      this.child?.stdin?.destroy();
      markGzipFailed(false);
    };
    if (inflatedBy !== 'zlib') {
      this.inflater = spawn(inflatedBy, ['-dc'], { stdio: ['pipe', 'pipe', 'pipe'] });
      this.inflater.stderr.setEncoding('utf8');
      this.inflater.stderr.on('data', (d: string) => {
        if (this.inflaterStderr.length < 4096) this.inflaterStderr += d;
      });
      this.inflater.stdin.on('error', (err) => {
        this.broken ??= err;
      });
      const inflater = this.inflater;
      this.inflaterDone = new Promise((resolve) =>
        inflater.on('close', (code) => {
          if (code !== 0) gzipFailed(new Error(firstLine(this.inflaterStderr.replace(/^\w+: /, '')) || `${inflatedBy} exited with ${code}`));
          resolve();
        }),
      );
      inflater.on('error', (err) => gzipFailed(err));
    }
    const verbose = onLanded ? ['-v', '--quoting-style=literal'] : [];
    this.child = spawn('tar', ['-xf', '-', '-b', '256', '-C', dir, '--no-same-owner', '--delay-directory-restore', ...verbose], {
      stdio: [this.inflater ? this.inflater.stdout : 'pipe', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
    }) as ChildProcessWithoutNullStreams;
    // tar has its own copy of the inflater's output now: the parent's must go, or the inflater's
    // 'close' would wait for a reader that never reads
    this.inflater?.stdout.destroy();
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (d: string) => {
      if (this.stderr.length < 16_384) this.stderr += d;
    });
    if (onLanded) this.followMembers();
    else this.child.stdout.resume();
    if (!this.inflater) {
      this.child.stdin.on('error', (err) => {
        this.broken ??= err;
      });
      this.gunzip = createGunzip({ chunkSize: 1 << 18, highWaterMark: 1 << 22 } as ZlibOptions);
      this.gunzip.on('error', gzipFailed);
      this.gunzip.pipe(this.child.stdin);
    }
    this.input = this.inflater ? this.inflater.stdin : (this.gunzip as Gunzip);
    this.exited = new Promise((resolve, reject) => {
      this.child.on('error', reject);
      this.child.on('close', (code) => resolve(code));
    });
    this.exited.catch(() => {});
  }

  /** the member tar is writing now (not yet whole) */
  private current?: string;

  private followMembers(): void {
    let partial = '';
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (d: string) => {
      const lines = (partial + d).split('\n');
      partial = lines.pop()!;
      for (const name of lines) {
        if (this.current !== undefined) this.onLanded!(path.join(this.dir, this.current));
        this.current = name;
      }
    });
  }

  private async failure(): Promise<Error> {
    const code = await this.exited.catch(() => null);
    // the inflater's verdict may come after tar stopped reading
    await this.inflaterDone;
    const fs = /(No space left on device|Read-only file system|Permission denied)/.exec(this.stderr);
    if (fs) {
      const errno = fs[1] === 'No space left on device' ? 'ENOSPC' : fs[1] === 'Read-only file system' ? 'EROFS' : 'EACCES';
      return new UnpackFsError(firstLine(this.stderr), errno);
    }
    const tarSays = tarComplaint(this.stderr, code);
    // tar's own refusal (a hostile entry) wins over the inflater's broken pipe it caused; a tar
    // that only saw its input end early is the inflater's failure
    if (this.gzipError && (!tarSays || /not a readable|could not unpack/.test(tarSays))) return new TarballRefused(`it is not a readable .tgz (${this.gzipError.message})`);
    return new TarballRefused(tarSays ?? `tar stopped early (${firstLine(this.stderr) || `exit ${code}`})`);
  }

  private get failed(): boolean {
    return Boolean(this.broken || this.gzipError || this.child.exitCode !== null || (this.inflater && this.inflater.exitCode !== null));
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.failed) throw await this.failure();
    if (!this.input.write(chunk)) {
      const drained = once(this.input, 'drain').then(() => true);
      const stopped = this.exited.then(
        () => false,
        () => false,
      );
      if (!(await Promise.race([drained, stopped, this.gzipFailed]))) throw await this.failure();
    }
  }

  async end(): Promise<string> {
    if (this.failed) throw await this.failure();
    this.input.end();
    const code = await this.exited;
    await this.inflaterDone;
    if (this.gzipError || this.broken || code !== 0) throw await this.failure();
    const complaint = tarComplaint(this.stderr, code);
    if (complaint) throw new TarballRefused(complaint);
    if (this.current !== undefined) this.onLanded!(path.join(this.dir, this.current));
    this.current = undefined;
    return validateTree(this.dir);
  }

  abort(): void {
    this.broken ??= new Error('aborted');
    this.gunzip?.destroy();
    this.input.destroy();
    this.inflater?.kill('SIGKILL');
    this.child.stdin?.destroy();
    this.child.kill('SIGKILL');
  }
}
