/**
 * scripts/test-spark-dist is safe when several test files ask for the same distribution at once on
 * an empty cache: one downloads and packs, the other waits, and both get the same valid tarball.
 * A small local sdist stands in for PyPI's pyspark (pip reads it through PIP_FIND_LINKS).
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { REPO, tmpdir } from '../helpers/buildpack.js';

const V = '9.8.7';

/** pyspark-V.tar.gz laid out like PyPI's: setup.py, deps/{bin,jars,sbin}, pyspark/, lib/*.zip. */
async function fakeSdist(dir: string): Promise<void> {
  const root = path.join(tmpdir('sis-sdist-'), `pyspark-${V}`);
  const file = (rel: string, text: string) => {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), text);
  };
  file('setup.py', `from setuptools import setup\nsetup(name="pyspark", version="${V}", packages=["pyspark"])\n`);
  file('PKG-INFO', `Metadata-Version: 2.1\nName: pyspark\nVersion: ${V}\n`);
  file('pyspark/__init__.py', '');
  file('deps/bin/spark-class', '#!/bin/sh\necho spark-class\n');
  file('deps/sbin/start-master.sh', '#!/bin/sh\n');
  file('deps/jars/hadoop-client-api-3.4.1.jar', 'x'.repeat(200_000));
  file(`deps/jars/spark-core_2.13-${V}.jar`, 'y'.repeat(300_000));
  file('lib/py4j-0.10.9.9-src.zip', 'zip');
  await execa('tar', ['czf', path.join(dir, `pyspark-${V}.tar.gz`), '-C', path.dirname(root), `pyspark-${V}`]);
}

describe('test-spark-dist_concurrent', () => {
  it('two callers on an empty cache: one builds, one waits, both get the same verified tarball', async () => {
    const links = tmpdir('sis-links-');
    await fakeSdist(links);
    const cache = tmpdir('sis-tcache-');
    const env = { SPARK_TEST_CACHE: cache, PIP_NO_INDEX: '1', PIP_FIND_LINKS: links };
    const run = () => execa(path.join(REPO, 'scripts/test-spark-dist'), [V], { env, reject: false });
    const [a, b] = await Promise.all([run(), run()]);
    expect(a.exitCode, a.stderr).toBe(0);
    expect(b.exitCode, b.stderr).toBe(0);
    const tgz = path.join(cache, 'mirror', `spark-${V}`, `spark-${V}-bin-hadoop3.tgz`);
    expect(a.stdout.trim()).toBe(tgz);
    expect(b.stdout.trim()).toBe(tgz);
    // exactly one downloaded; the other waited for it (no failing first attempt, no pip noise)
    const logs = `${a.stderr}\n${b.stderr}`;
    expect(logs.match(/downloading pyspark==/g)).toHaveLength(1);
    expect(logs).toContain('waiting for it');
    expect(logs).not.toMatch(/error|bdist_wheel|cannot stat/i);
    // the tarball matches its .sha512 and is a whole Apache-layout distribution
    const check = await execa('sha512sum', ['-c', `spark-${V}-bin-hadoop3.tgz.sha512`], { cwd: path.dirname(tgz) });
    expect(check.stdout).toContain('OK');
    const list = (await execa('tar', ['tzf', tgz])).stdout.split('\n');
    expect(list).toContain(`spark-${V}-bin-hadoop3/bin/spark-class`);
    expect(list).toContain(`spark-${V}-bin-hadoop3/jars/spark-core_2.13-${V}.jar`);
    expect(list).toContain(`spark-${V}-bin-hadoop3/RELEASE`);
    // no temp files left behind beside the results
    expect(readdirSync(path.dirname(tgz)).sort()).toEqual([`spark-${V}-bin-hadoop3.tgz`, `spark-${V}-bin-hadoop3.tgz.sha512`]);
    expect(readdirSync(cache).sort()).toEqual(['locks', 'mirror', 'pypi']);
    expect(readFileSync(path.join(path.dirname(tgz), `spark-${V}-bin-hadoop3.tgz.sha512`), 'utf8')).toMatch(/^[0-9a-f]{128} {2}spark-/);
    // a third call reuses it at once
    const c = await run();
    expect(c.stdout.trim()).toBe(tgz);
    expect(c.stderr).toBe('');
  });

  it('refuses a malformed version with a usage message', async () => {
    const r = await execa(path.join(REPO, 'scripts/test-spark-dist'), ['latest'], { reject: false, env: { SPARK_TEST_CACHE: tmpdir() } });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("'latest' is not a version such as 4.2.0");
  });

  it('a pip failure is reported once, with pip’s words, and leaves no partial file', async () => {
    const cache = tmpdir('sis-tcache-');
    const r = await execa(path.join(REPO, 'scripts/test-spark-dist'), ['9.9.1'], { reject: false, env: { SPARK_TEST_CACHE: cache, PIP_NO_INDEX: '1', PIP_FIND_LINKS: tmpdir() } });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('pip could not download pyspark==9.9.1');
    expect(r.stderr).toMatch(/No matching distribution found for pyspark==9\.9\.1/);
    expect(readdirSync(path.join(cache, 'mirror', 'spark-9.9.1'))).toEqual([]);
  });
});
