import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { expectedFromPin, parseSha512File, StreamHasher } from '../../src/download/checksum.js';
import { gpgForm } from '../helpers/tarball.js';

const hex = createHash('sha512').update('spark').digest('hex');

describe('.sha512 files', () => {
  it('parses the sha512sum form', () => {
    expect(parseSha512File(`${hex}  spark-3.5.9-bin-hadoop3.tgz\n`, 'spark-3.5.9-bin-hadoop3.tgz')).toEqual({ hex });
    expect(parseSha512File(`${hex} *spark-3.5.9-bin-hadoop3.tgz`, 'spark-3.5.9-bin-hadoop3.tgz')).toEqual({ hex });
    expect(parseSha512File(`${hex}\n`, 'x.tgz')).toEqual({ hex });
  });

  it('parses the gpg --print-md form, wrapped over lines in uppercase groups', () => {
    const text = gpgForm('spark-2.1.1-bin-hadoop2.7.tgz', hex);
    expect(text.split('\n').length).toBeGreaterThan(2);
    expect(parseSha512File(text, 'spark-2.1.1-bin-hadoop2.7.tgz')).toEqual({ hex });
  });

  it('parses a real-looking gpg line as Apache published it for 1.6.1', () => {
    const groups = hex.toUpperCase().match(/.{8}/g)!;
    const text = `spark-1.6.1-bin-hadoop2.6.tgz: ${groups.slice(0, 6).join(' ')}\n                               ${groups.slice(6, 12).join(' ')}\n                               ${groups.slice(12).join(' ')}\n`;
    expect(parseSha512File(text, 'spark-1.6.1-bin-hadoop2.6.tgz')).toEqual({ hex });
  });

  it('refuses a checksum for another file, an empty file and junk', () => {
    expect(parseSha512File(`${hex}  spark-other.tgz`, 'spark-3.5.9-bin-hadoop3.tgz')).toEqual({ error: 'it is for spark-other.tgz, not spark-3.5.9-bin-hadoop3.tgz' });
    expect(parseSha512File('', 'x')).toEqual({ error: 'it is empty' });
    expect(parseSha512File('<html>404</html>', 'x')).toHaveProperty('error');
    expect(parseSha512File(`${hex.slice(0, 100)}  x`, 'x')).toHaveProperty('error');
  });

  it('a pin prefers SHA-512 and falls back to SHA-256', () => {
    expect(expectedFromPin({ sha256: 'a'.repeat(64), sha512: 'b'.repeat(128) }, 'pin')).toEqual({ algorithm: 'sha512', hex: 'b'.repeat(128), source: 'pin' });
    expect(expectedFromPin({ sha256: 'a'.repeat(64) }, 'pin')?.algorithm).toBe('sha256');
    expect(expectedFromPin(undefined, 'pin')).toBeUndefined();
  });

  it('hashes a stream in chunks exactly like one buffer', () => {
    const h = new StreamHasher(true);
    h.update(Buffer.from('spa'));
    h.update(Buffer.from('rk'));
    expect(h.digest()).toEqual({ sha512: hex, sha256: createHash('sha256').update('spark').digest('hex') });
    expect(h.bytes).toBe(5);
  });
});

describe('cache_verified_line: what the build says of the cache check', () => {
  it('names how each file was checked: SHA-256, the recorded CRC-32 (a restored cache), or not read (untouched)', async () => {
    const { verifiedLine } = await import('../../src/buildpack/compile.js');
    expect(verifiedLine({ hashed: 891, crcChecked: 0, untouched: 0 })).toBe('Verified the cached tree: every file against its SHA-256');
    expect(verifiedLine({ hashed: 0, crcChecked: 891, untouched: 0 })).toMatch(/^Verified the cached tree: 891 against the CRC-32 recorded at their last check \(/);
    expect(verifiedLine({ hashed: 0, crcChecked: 0, untouched: 891 })).toBe('Verified the cached tree: 891 untouched since their last check (size, inode, mtime, ctime)');
    const mixed = verifiedLine({ hashed: 2, crcChecked: 3, untouched: 886 });
    expect(mixed).toMatch(/^Verified the cached tree: 2 files against their SHA-256, 3 against the CRC-32 .*, 886 untouched since/);
    expect(mixed).not.toMatch(/\b0 /);
  });
});
