import { createHash, type Hash } from 'node:crypto';
import type { Pin } from '../catalog/index.js';

export type Algorithm = 'sha256' | 'sha512';

export interface Expected {
  algorithm: Algorithm;
  hex: string;
  /** where the value comes from, for messages: "pinned in the catalog", "SPARK_DIST_SHA512", a URL */
  source: string;
}

/**
 * Parses a `.sha512` file in either of Apache's formats:
 * - `sha512sum` form: `<128 lowercase hex>  spark-X.tgz`
 * - `gpg --print-md` form: `spark-X.tgz: E61D9330 125746A2 ...` in uppercase groups, wrapped over lines.
 * Returns the lowercase hex digest, or an error string.
 */
export function parseSha512File(text: string, file?: string): { hex: string } | { error: string } {
  const body = text.replace(/^\uFEFF/, '').trim();
  if (!body) return { error: 'it is empty' };
  // sha512sum form: first token is the digest (optionally followed by "  file" or " *file")
  const sum = /^([0-9a-fA-F]{128})(?:\s+\*?(\S+))?\s*$/m.exec(body);
  if (sum && body.split(/\r?\n/).filter((l) => l.trim()).length === 1) {
    const named = sum[2];
    if (file && named && named.replace(/^.*\//, '') !== file) return { error: `it is for ${named}, not ${file}` };
    return { hex: sum[1]!.toLowerCase() };
  }
  // gpg --print-md form: "<file>: <hex groups...>" possibly wrapped; the name may itself wrap
  const colon = body.indexOf(':');
  if (colon > 0) {
    const named = body.slice(0, colon).replace(/\s+/g, '');
    const hex = body.slice(colon + 1).replace(/\s+/g, '');
    if (/^[0-9a-fA-F]{128}$/.test(hex)) {
      if (file && named && named.replace(/^.*\//, '') !== file) return { error: `it is for ${named}, not ${file}` };
      return { hex: hex.toLowerCase() };
    }
  }
  return { error: 'it holds no SHA-512 digest in sha512sum or gpg --print-md form' };
}

/** The checksum a pin asks for: SHA-512 when published, else SHA-256. */
export function expectedFromPin(pin: Pin | undefined, source: string): Expected | undefined {
  if (pin?.sha512) return { algorithm: 'sha512', hex: pin.sha512, source };
  if (pin?.sha256) return { algorithm: 'sha256', hex: pin.sha256, source };
  return undefined;
}

/** Hashes a stream as it passes: always SHA-512 (recorded in the cache), plus SHA-256 when asked. */
export class StreamHasher {
  private sha512: Hash = createHash('sha512');
  private sha256?: Hash;
  bytes = 0;
  constructor(withSha256: boolean) {
    if (withSha256) this.sha256 = createHash('sha256');
  }
  update(chunk: Uint8Array): void {
    this.sha512.update(chunk);
    this.sha256?.update(chunk);
    this.bytes += chunk.length;
  }
  digest(): { sha512: string; sha256?: string } {
    return { sha512: this.sha512.digest('hex'), sha256: this.sha256?.digest('hex') };
  }
}
