import { describe, expect, it } from 'vitest';
import { builtinCatalog, compareVersions, defaultRelease, findRelease, parseVersionFile, resolve, supportedList } from '../../src/catalog/index.js';
import { problemOf } from '../helpers/problem.js';

const cat = builtinCatalog();

describe('catalog', () => {
  it('defaults to the newest release with a pinned checksum: 4.2.0', () => {
    const d = defaultRelease(cat);
    expect(d.version).toBe('4.2.0');
    expect(d.pinned.hadoop3?.sha256).toBe('cc1232a4a23858300ba9c887b7ac5a9128b4a1819cea2fa8ee2bc6ce98ced72b');
    const newerUnpinned = cat.releases.filter((r) => compareVersions(r.version, d.version) > 0);
    expect(newerUnpinned.map((r) => r.version)).toEqual(['4.2.1', '4.3.0']);
    expect(newerUnpinned.every((r) => Object.keys(r.pinned).length === 0)).toBe(true);
  });

  it.each([
    ['3.5', '3.5.9'],
    ['4.0', '4.0.5'],
    ['4.1', '4.1.4'],
    ['4.2', '4.2.1'],
    ['1.6', '1.6.1'],
    ['2.0', '2.0.2'],
  ])('X.Y means the newest patch of the line: %s → %s', (line, version) => {
    expect(findRelease(cat, line).version).toBe(version);
  });

  it.each([
    ['1.4.1', 'spark-1.4.1-bin-hadoop2.6.tgz', 1],
    ['1.6.1', 'spark-1.6.1-bin-hadoop2.6.tgz', 1],
    ['2.0.0', 'spark-2.0.0-bin-hadoop2.7.tgz', 1],
    ['2.1.1', 'spark-2.1.1-bin-hadoop2.7.tgz', 1],
    ['3.5.9', 'spark-3.5.9-bin-hadoop3.tgz', 2],
    ['4.0.4', 'spark-4.0.4-bin-hadoop3.tgz', 2],
  ])('%s resolves to %s (log4j %i)', (v, file, log4j) => {
    const r = resolve(cat, v, undefined);
    expect(r.file).toBe(file);
    expect(r.release.log4j).toBe(log4j);
  });

  it('knows the flavours of each line', () => {
    expect(resolve(cat, '3.5.3', 'hadoop3-scala2.13').file).toBe('spark-3.5.3-bin-hadoop3-scala2.13.tgz');
    expect(resolve(cat, '4.1.2', 'hadoop3-connect').file).toBe('spark-4.1.2-bin-hadoop3-connect.tgz');
    expect(resolve(cat, '4.1.2', 'without-hadoop').file).toBe('spark-4.1.2-bin-without-hadoop.tgz');
    expect(problemOf(() => resolve(cat, '4.1.2', 'hadoop3-scala2.13'))).toMatchObject({ code: 'package-unavailable' });
  });

  it('records Java ranges, Scala, Hadoop and the REST default per line', () => {
    expect(findRelease(cat, '1.6.1')).toMatchObject({ java: { min: 7, max: 8 }, scala: '2.10' });
    expect(findRelease(cat, '3.5.9')).toMatchObject({ java: { min: 8, max: 17 }, scala: '2.12', hadoop: '3.3.4', restOnByDefault: false });
    expect(findRelease(cat, '4.0.5')).toMatchObject({ java: { min: 17, max: 21 }, scala: '2.13', hadoop: '3.4.1', restOnByDefault: false });
    expect(findRelease(cat, '4.1.4')).toMatchObject({ hadoop: '3.4.2', restOnByDefault: true });
    expect(findRelease(cat, '4.2.0')).toMatchObject({ hadoop: '3.5.0', restOnByDefault: true });
  });

  it('pins exactly the published checksums (spark.md)', () => {
    const pinned = cat.releases.filter((r) => Object.keys(r.pinned).length).map((r) => r.version);
    expect(pinned).toEqual(['3.5.0', '3.5.1', '3.5.3', '4.0.0', '4.0.1', '4.1.1', '4.1.2', '4.2.0']);
    expect(findRelease(cat, '3.5.0').pinned.hadoop3?.sha512).toMatch(/^8883c67e0a13/);
  });

  it('marks old patches archive-only and the newest of a line current', () => {
    expect(findRelease(cat, '3.5.8').archiveOnly).toBe(true);
    expect(findRelease(cat, '3.5.9').archiveOnly).toBe(false);
    expect(findRelease(cat, '2.1.1').archiveOnly).toBe(true);
  });

  it('knows 4.3.0 (out Oct 2026); a newer patch or line is inferred from its line or the newest, an older unknown line is not', () => {
    expect(findRelease(cat, '4.3.0')).toMatchObject({ line: '4.3', scala: '2.13', java: { min: 17, max: 21 }, archiveOnly: false, restOnByDefault: true });
    expect(findRelease(cat, '4.3.0').inferredFrom).toBeUndefined();
    expect(findRelease(cat, '4.3')).toMatchObject({ version: '4.3.0' });
    const patch = findRelease(cat, '4.3.2');
    expect(patch).toMatchObject({ line: '4.3', pinned: {}, archiveOnly: false, packages: { hadoop3: 'spark-4.3.2-bin-hadoop3.tgz', 'hadoop3-connect': 'spark-4.3.2-bin-hadoop3-connect.tgz' } });
    expect(patch.inferredFrom).toBe('the 4.3 line (4.3.0)');
    expect(findRelease(cat, '5.0.0')).toMatchObject({ line: '5.0', scala: '2.13', packages: { hadoop3: 'spark-5.0.0-bin-hadoop3.tgz' } });
    expect(findRelease(cat, '5.0.0').inferredFrom).toMatch(/^the newest line this catalog knows, 4\.3 \(4\.3\.0\)$/);
    expect(findRelease(cat, '3.5.12')).toMatchObject({ scala: '2.12', java: { min: 8, max: 17 }, log4j: 2 });
    expect(resolve(cat, '4.3.2', undefined)).toMatchObject({ file: 'spark-4.3.2-bin-hadoop3.tgz', pin: undefined });
    for (const unknown of ['3.4.1', '2.4.8', '0.9.0', '4.4', '4.2.1_custom'])
      expect(
        problemOf(() => findRelease(cat, unknown)),
        unknown,
      ).toMatchObject({ code: 'version-unknown' });
    expect(defaultRelease(cat).version).toBe('4.2.0');
  });

  it('an unknown version lists what is supported', () => {
    const p = problemOf(() => findRelease(cat, '3.4.1'));
    expect(p).toMatchObject({ code: 'version-unknown', requested: '3.4.1' });
    expect(supportedList(cat)).toContain('1.6.2_scala_2.11');
    expect(supportedList(cat)).toContain('4.0.0–4.0.5 (or 4.0)');
  });

  it('1.6.2_scala_2.11 needs SPARK_DIST_URL', () => {
    expect(problemOf(() => resolve(cat, '1.6.2_scala_2.11', undefined))).toMatchObject({ code: 'version-needs-dist-url' });
    expect(resolve(cat, '1.6.2_scala_2.11', undefined, true).release.scala).toBe('2.11');
  });

  it('parses .spark.version: trims, skips comments and blank lines, refuses junk', () => {
    expect(parseVersionFile('4.2.0\n', cat)).toBe('4.2.0');
    expect(parseVersionFile('# pinned for prod\n\n  3.5 \n', cat)).toBe('3.5');
    expect(parseVersionFile('', cat)).toBeUndefined();
    expect(parseVersionFile(undefined, cat)).toBeUndefined();
    for (const bad of ['latest', '4', '4.2.0.1', '4.2.0\n3.5.9', 'v4.2.0', '4.2.0; rm -rf /']) expect(problemOf(() => parseVersionFile(bad, cat))).toMatchObject({ code: 'version-malformed' });
  });

  it('orders versions numerically', () => {
    expect(['4.10.0', '4.2.0', '1.6.2_scala_2.11', '1.6.1'].sort(compareVersions)).toEqual(['1.6.1', '1.6.2_scala_2.11', '4.2.0', '4.10.0']);
  });
});
