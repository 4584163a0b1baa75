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
import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
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

/**
 * Receives the tarball's bytes and unpacks them into `dir`: gunzip runs in Node's thread pool
 * (faster than gzip(1)), GNU tar writes the files. `write` applies backpressure; `end` waits for
 * tar, checks what it said, validates the tree, and returns its top directory.
 */
export class Extractor {
  private child: ChildProcessWithoutNullStreams;
  private gunzip: Gunzip;
  private stderr = '';
  private exited: Promise<number | null>;
  private gzipError?: Error;
  private gzipFailed: Promise<false>;
  private broken?: Error;

  constructor(readonly dir: string) {
    this.child = spawn('tar', ['-xf', '-', '-b', '256', '-C', dir, '--no-same-owner', '--delay-directory-restore'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
    });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (d: string) => {
      if (this.stderr.length < 16_384) this.stderr += d;
    });
    this.child.stdout.resume();
    this.child.stdin.on('error', (err) => {
      this.broken ??= err;
    });
    this.gunzip = createGunzip({ chunkSize: 1 << 18, highWaterMark: 1 << 22 } as ZlibOptions);
    this.gzipFailed = new Promise((resolve) => {
      this.gunzip.on('error', (err) => {
        this.gzipError ??= err;
        this.child.stdin.destroy();
        resolve(false);
      });
    });
    this.gunzip.pipe(this.child.stdin);
    this.exited = new Promise((resolve, reject) => {
      this.child.on('error', reject);
      this.child.on('close', (code) => resolve(code));
    });
    this.exited.catch(() => {});
  }

  private async failure(): Promise<Error> {
    if (this.gzipError) return new TarballRefused(`it is not a readable .tgz (${this.gzipError.message})`);
    const code = await this.exited.catch(() => null);
    if (this.gzipError) return new TarballRefused(`it is not a readable .tgz (${(this.gzipError as Error).message})`);
    const fs = /(No space left on device|Read-only file system|Permission denied)/.exec(this.stderr);
    if (fs) {
      const errno = fs[1] === 'No space left on device' ? 'ENOSPC' : fs[1] === 'Read-only file system' ? 'EROFS' : 'EACCES';
      return new UnpackFsError(firstLine(this.stderr), errno);
    }
    return new TarballRefused(tarComplaint(this.stderr, code) ?? `tar stopped early (${firstLine(this.stderr) || `exit ${code}`})`);
  }

  private get failed(): boolean {
    return Boolean(this.broken || this.gzipError || this.child.exitCode !== null);
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.failed) throw await this.failure();
    if (!this.gunzip.write(chunk)) {
      const drained = once(this.gunzip, 'drain').then(() => true);
      const stopped = this.exited.then(
        () => false,
        () => false,
      );
      if (!(await Promise.race([drained, stopped, this.gzipFailed]))) throw await this.failure();
    }
  }

  async end(): Promise<string> {
    if (this.failed) throw await this.failure();
    this.gunzip.end();
    const code = await this.exited;
    if (this.gzipError || this.broken || code !== 0) throw await this.failure();
    const complaint = tarComplaint(this.stderr, code);
    if (complaint) throw new TarballRefused(complaint);
    return validateTree(this.dir);
  }

  abort(): void {
    this.broken ??= new Error('aborted');
    this.gunzip.destroy();
    this.child.stdin.destroy();
    this.child.kill('SIGKILL');
  }
}
