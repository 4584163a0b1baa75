/**
 * The worker thread of LandedHashes (./cache.ts): hashes each file it is sent, with its fingerprint
 * before and after the read, and estimates its share of the slug as ./slug.ts does (its sampling,
 * imported): a large file's samples deflated, small files deflated together in batches.
 * Messages in: a file's path, or null (flush, then answer null). Out: a file's digest, a batch's estimates, null.
 */
import { createHash } from 'node:crypto';
import { closeSync, lstatSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { deflateRawSync } from 'node:zlib';
import { sampleOffsets, SLUG_SAMPLING } from './slug.js';

interface Fingerprint {
  size: number;
  ino: string;
  mtimeNs: string;
  ctimeNs: string;
}

const fp = (f: string): Fingerprint | undefined => {
  try {
    const s = lstatSync(f, { bigint: true });
    return s.isFile() ? { size: Number(s.size), ino: String(s.ino), mtimeNs: String(s.mtimeNs), ctimeNs: String(s.ctimeNs) } : undefined;
  } catch {
    return undefined;
  }
};
const buf = Buffer.allocUnsafe(1 << 20);
const ratio = (raw: Buffer) => (raw.length ? deflateRawSync(raw, { level: SLUG_SAMPLING.level }).length / raw.length : 0);
let batch: { file: string; data: Buffer }[] = [];
let batchBytes = 0;
const port = parentPort!;
const flush = () => {
  if (!batch.length) return;
  const r = ratio(Buffer.concat(batch.map((b) => b.data)));
  port.postMessage({ estimates: batch.map((b) => ({ file: b.file, compressed: b.data.length * r })) });
  batch = [];
  batchBytes = 0;
};
const samples = (fd: number, size: number) =>
  Buffer.concat(
    sampleOffsets(size).map((at) => {
      const b = Buffer.alloc(SLUG_SAMPLING.chunk);
      return b.subarray(0, readSync(fd, b, 0, b.length, at));
    }),
  );

port.on('message', (file: string | null) => {
  if (file === null) {
    flush();
    port.postMessage(null);
    return;
  }
  const before = fp(file);
  if (!before) return;
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const h = createHash('sha256');
    const small: Buffer[] | undefined = before.size <= SLUG_SAMPLING.small ? [] : undefined;
    for (let n: number; (n = readSync(fd, buf, 0, buf.length, null)) > 0;) {
      h.update(buf.subarray(0, n));
      small?.push(Buffer.from(buf.subarray(0, n)));
    }
    const compressed = small ? undefined : before.size * ratio(samples(fd, before.size));
    port.postMessage({ file, fp: before, after: fp(file), sha256: h.digest('hex'), compressed });
    if (small) {
      batch.push({ file, data: Buffer.concat(small) });
      batchBytes += before.size;
      if (batchBytes > SLUG_SAMPLING.batch) flush();
    }
  } catch {
    // a file gone or unreadable: scanTree hashes it (or finds it gone) itself
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
});
