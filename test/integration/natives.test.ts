/**
 * Native pruning on real files (src/buildpack/natives.ts): jars rewritten without other platforms'
 * libraries keep every other entry byte for byte; per-platform jars go whole; a jar that cannot be
 * rewritten is left as it was.
 */
import { readFileSync, readdirSync, statSync, writeFileSync, mkdirSync, chmodSync } from 'node:fs';
import path from 'node:path';
import AdmZip from 'adm-zip';
import { describe, expect, it } from 'vitest';
import { tmpdir } from '../helpers/buildpack.js';
import { pruneNatives, rewriteJar } from '../../src/buildpack/natives.js';

function jar(file: string, entries: Record<string, string | Buffer>): void {
  const z = new AdmZip();
  for (const [name, data] of Object.entries(entries)) z.addFile(name, Buffer.isBuffer(data) ? data : Buffer.from(data));
  z.writeZip(file);
}

const entriesOf = (file: string) => Object.fromEntries(new AdmZip(file).getEntries().map((e) => [e.entryName, e.getData().toString('hex')]));

describe('natives_prune', () => {
  it('keeps the dyno’s libraries and every class, drops the others, removes foreign classifier jars, leaves other jars alone', async () => {
    const root = tmpdir('sis-natives-');
    const jars = path.join(root, 'jars');
    mkdirSync(jars);
    const big = Buffer.alloc(200_000, 7);
    jar(path.join(jars, 'rocksdbjni-9.8.4.jar'), {
      'org/rocksdb/RocksDB.class': 'class bytes',
      'librocksdbjni-linux64.so': Buffer.alloc(50_000, 1),
      'librocksdbjni-linux-aarch64.so': big,
      'librocksdbjni-osx-arm64.jnilib': big,
      'librocksdbjni-win64.dll': big,
      'META-INF/MANIFEST.MF': 'Manifest-Version: 1.0\n',
    });
    chmodSync(path.join(jars, 'rocksdbjni-9.8.4.jar'), 0o644);
    jar(path.join(jars, 'zstd-jni-1.5.7-7.jar'), { 'linux/amd64/libzstd-jni-1.5.7-7.so': 'x64', 'linux/aarch64/libzstd-jni-1.5.7-7.so': 'arm', 'com/github/luben/zstd/Zstd.class': 'c' });
    jar(path.join(jars, 'netty-tcnative-boringssl-static-2.0.76.Final-osx-aarch_64.jar'), { 'META-INF/native/libnetty.jnilib': 'mac' });
    jar(path.join(jars, 'netty-tcnative-boringssl-static-2.0.76.Final-linux-x86_64.jar'), { 'META-INF/native/libnetty.so': 'linux' });
    jar(path.join(jars, 'some-lib-1.0.jar'), { 'linux/aarch64/libfoo.so': 'untouched' });
    const untouched = readFileSync(path.join(jars, 'some-lib-1.0.jar'));
    const rocksBefore = entriesOf(path.join(jars, 'rocksdbjni-9.8.4.jar'));

    const r = await pruneNatives(root, new Set(['linux-x64-glibc']));
    expect(r.jars.map((j) => j.path)).toEqual(['jars/netty-tcnative-boringssl-static-2.0.76.Final-osx-aarch_64.jar']);
    expect(r.rewritten.map((j) => j.path).sort()).toEqual(['jars/rocksdbjni-9.8.4.jar', 'jars/zstd-jni-1.5.7-7.jar']);
    const rocks = entriesOf(path.join(jars, 'rocksdbjni-9.8.4.jar'));
    expect(Object.keys(rocks).sort()).toEqual(['META-INF/MANIFEST.MF', 'librocksdbjni-linux64.so', 'org/rocksdb/RocksDB.class']);
    for (const [k, v] of Object.entries(rocks)) expect(v, k).toBe(rocksBefore[k]);
    expect(statSync(path.join(jars, 'rocksdbjni-9.8.4.jar')).mode & 0o777).toBe(0o644);
    expect(Object.keys(entriesOf(path.join(jars, 'zstd-jni-1.5.7-7.jar'))).sort()).toEqual(['com/github/luben/zstd/Zstd.class', 'linux/amd64/libzstd-jni-1.5.7-7.so']);
    expect(readFileSync(path.join(jars, 'some-lib-1.0.jar'))).toEqual(untouched);
    expect(readdirSync(jars).sort()).toEqual(['netty-tcnative-boringssl-static-2.0.76.Final-linux-x86_64.jar', 'rocksdbjni-9.8.4.jar', 'some-lib-1.0.jar', 'zstd-jni-1.5.7-7.jar']);

    // a second pass finds nothing to do
    const again = await pruneNatives(root, new Set(['linux-x64-glibc']));
    expect(again).toEqual({ jars: [], rewritten: [] });
  });

  it('a corrupt jar fails the rewrite and is left exactly as it was, with no temp file behind', async () => {
    const dir = tmpdir('sis-natives-');
    const file = path.join(dir, 'rocksdbjni-9.8.4.jar');
    writeFileSync(file, Buffer.from('PK\x03\x04 this is not a zip archive at all'));
    const before = readFileSync(file);
    await expect(rewriteJar(file, new Set(['librocksdbjni-win64.dll']))).rejects.toThrow();
    expect(readFileSync(file)).toEqual(before);
    expect(readdirSync(dir)).toEqual(['rocksdbjni-9.8.4.jar']);
  });
});
