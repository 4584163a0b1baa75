/**
 * The build's unpacking with real GNU tar (and each inflater): every member is reported once it is
 * whole, and the cache's digests taken then (LandedHashes, a worker thread) are used by scanTree
 * only for files untouched since — a file rewritten afterwards (as pruning rewrites jars) is hashed again.
 * The slug estimate's shares taken then are the guard's own, and a rewritten file's is taken again.
 */
import { mkdirSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { LandedHashes, scanTree } from '../../src/buildpack/cache.js';
import { Extractor, type Inflater } from '../../src/buildpack/extract.js';
import { estimateSlug, rememberEstimates } from '../../src/buildpack/slug.js';
import { tmpdir } from '../helpers/buildpack.js';
import { sha256 } from '../helpers/tarball.js';

/** a small tree of files of several sizes (one larger than a pipe's buffer), a link and an empty dir, packed by tar + gzip */
async function tarball(): Promise<{ data: Buffer; files: Record<string, Buffer> }> {
  const src = tmpdir('sis-landed-src-');
  const top = path.join(src, 'spark-9.9.9-bin-hadoop3');
  const files: Record<string, Buffer> = {
    'bin/spark-class': Buffer.from('#!/bin/sh\necho spark\n'),
    'jars/big.jar': Buffer.alloc(3 * 1024 * 1024 + 17, 7),
    // incompressible, as a jar's entries are: the estimate's samples must see it
    'jars/random.jar': randomBytes(2 * 1024 * 1024 + 5),
    'jars/empty.jar': Buffer.alloc(0),
    'python/lib/a b.zip': Buffer.from('with a space in its name'),
    RELEASE: Buffer.from('Spark 9.9.9\n'),
  };
  for (const [rel, b] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(top, rel)), { recursive: true });
    writeFileSync(path.join(top, rel), b);
  }
  mkdirSync(path.join(top, 'conf'));
  symlinkSync('big.jar', path.join(top, 'jars/current.jar'));
  const { stdout } = await execa('bash', ['-c', `tar -C "${src}" -cf - spark-9.9.9-bin-hadoop3 | gzip -1`], { encoding: 'buffer' });
  return { data: Buffer.from(stdout), files };
}

/** the tarball unpacked in one piece by Node's zlib, each file handed to a LandedHashes as it lands */
async function unpacked(): Promise<{ files: Record<string, Buffer>; top: string; landed: LandedHashes }> {
  const { data, files } = await tarball();
  const landed = new LandedHashes();
  const ex = new Extractor(tmpdir('sis-landed-'), 'zlib', (file) => landed.add(file));
  await ex.write(data);
  return { files, top: await ex.end(), landed };
}

describe('extract_landed', () => {
  for (const inflater of ['igzip', 'pigz', 'zlib'] as Inflater[]) {
    it(`${inflater}: each member is reported once, whole, while the download still arrives; the worker's digests are the files'`, async () => {
      const { data, files } = await tarball();
      const dir = tmpdir('sis-landed-');
      const seen: { file: string; size?: number }[] = [];
      const landed = new LandedHashes();
      const ex = new Extractor(dir, inflater, (file) => {
        seen.push({ file, size: statSync(file, { throwIfNoEntry: false })?.size });
        landed.add(file);
      });
      // in small pieces, as a download arrives
      for (let i = 0; i < data.length; i += 4096) await ex.write(data.subarray(i, i + 4096));
      const top = await ex.end();
      expect(path.basename(top)).toBe('spark-9.9.9-bin-hadoop3');
      const byFile = new Map(seen.map((s) => [path.relative(top, s.file), s.size]));
      expect(seen.length).toBe(byFile.size); // once each
      for (const [rel, b] of Object.entries(files)) expect(byFile.get(rel), rel).toBe(b.length); // whole when reported
      expect(byFile.has('jars/current.jar')).toBe(true);
      expect(byFile.has('conf')).toBe(true);
      const hashes = await landed.settled();
      for (const [rel, b] of Object.entries(files)) expect(hashes.get(path.join(top, rel))?.sha256, rel).toBe(sha256(b));
      expect(hashes.has(path.join(top, 'jars/current.jar'))).toBe(false); // a link: not a file of the listing
    });
  }

  it('scanTree takes a landed digest only for a file untouched since: one rewritten after it landed (same size) is hashed again', async () => {
    const { files, top, landed } = await unpacked();
    await landed.settled();
    // as pruning rewrites a jar: other bytes, the same size
    const rewritten = Buffer.alloc(files['jars/big.jar']!.length, 9);
    writeFileSync(path.join(top, 'jars/big.jar'), rewritten);
    const listing = await scanTree(top, landed);
    const got = Object.fromEntries(listing.files.map((f) => [f.path, f.sha256]));
    expect(got['jars/big.jar']).toBe(sha256(rewritten));
    for (const rel of ['bin/spark-class', 'RELEASE', 'python/lib/a b.zip', 'jars/empty.jar']) expect(got[rel], rel).toBe(sha256(readFileSync(path.join(top, rel))));
    expect(listing.links).toEqual([{ path: 'jars/current.jar', target: 'big.jar' }]);
    // and the same listing as a scan that never saw the download
    expect(await scanTree(top)).toEqual(listing);
  });

  it("the slug estimate taken as files land is the guard's own; a file rewritten afterwards is estimated again", async () => {
    const { files, top, landed } = await unpacked();
    const entries = await landed.estimates(top, 'spark-home');
    // every regular file, the small ones (deflated together) too, keyed by its path in the build dir
    expect(
      Object.keys(entries)
        .map((id) => id.split('|')[0])
        .sort(),
    ).toEqual(
      Object.keys(files)
        .map((rel) => `spark-home/${rel}`)
        .sort(),
    );
    // installed as the build does (same files, same mtimes), then as pruning does: one jar rewritten, same size
    const build = tmpdir('sis-landed-build-');
    renameSync(top, path.join(build, 'spark-home'));
    const fresh = await estimateSlug(build);
    const memo = path.join(tmpdir('sis-landed-cache-'), 'slug-estimates.json');
    await rememberEstimates(memo, entries);
    const fromLanded = await estimateSlug(build, memo);
    expect(Math.abs(fromLanded.compressed - fresh.compressed) / fresh.compressed).toBeLessThan(0.01);
    expect(fromLanded.compressed).toBeGreaterThan(files['jars/random.jar']!.length); // the random jar counts whole
    // the guard used every landed share: what it remembers afterwards is exactly those ids
    expect(Object.keys(JSON.parse(readFileSync(memo, 'utf8')) as object).sort()).toEqual(Object.keys(entries).sort());
    writeFileSync(path.join(build, 'spark-home/jars/random.jar'), Buffer.alloc(files['jars/random.jar']!.length, 1));
    const after = await estimateSlug(build, memo);
    // the rewritten jar now compresses to almost nothing: its landed share (its old bytes) is not used
    expect(fresh.compressed - after.compressed).toBeGreaterThan(files['jars/random.jar']!.length * 0.9);
  });
});
