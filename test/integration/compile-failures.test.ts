/**
 * Bad input gets one clear message and exit code 1, and leaves BUILD_DIR and CACHE_DIR as they were.
 */
import { chmodSync, mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { catalogFile, compile, makeApp, snapshot, tmpdir } from '../helpers/buildpack.js';
import { startMirror, type Mirror } from '../helpers/mirror.js';
import { publish, sha512, sparkEntries, tgz, type TarEntry } from '../helpers/tarball.js';

const V = '4.2.7';
const mirrors: Mirror[] = [];
afterEach(async () => {
  await Promise.all(mirrors.splice(0).map((m) => m.close()));
});
const unpinned = () => catalogFile([{ version: V, pinned: {} }]);

/** Runs a compile that must fail; checks exit 1, one ` !` block, and untouched dirs. */
async function mustFail(version: string | undefined, vars: Record<string, string>, opts: Parameters<typeof compile>[3] = {}) {
  const app = makeApp(version);
  const cache = tmpdir('sis-cache-');
  const before = [snapshot(app), snapshot(cache)];
  const r = await compile(app, cache, vars, opts);
  expect(r.exitCode, r.all).toBe(1);
  expect(r.stderr).toMatch(/^ ! {5}\S/m);
  expect([snapshot(app), snapshot(cache)]).toEqual(before);
  return r;
}

async function serve(data: Buffer) {
  const root = tmpdir('sis-mirror-');
  publish(root, V, data);
  const m = await startMirror(root);
  mirrors.push(m);
  return { SPARK_MIRROR_URL: m.url, SPARK_CATALOG: unpinned() };
}

describe('version_bad', () => {
  it('an unknown .spark.version (an old line the catalog lacks) lists what is supported', async () => {
    const r = await mustFail('3.4.1', {});
    expect(r.stderr).toContain('Spark 3.4.1 is not in the catalog.');
    expect(r.stderr).toMatch(/Supported: 1\.4\.1, 1\.6\.1, 1\.6\.2_scala_2\.11, 2\.0\.0, 2\.0\.2, 2\.1\.0, 2\.1\.1, 3\.5\.0–3\.5\.\d+ \(or 3\.5\)/);
  });

  for (const [scenario, content] of [
    ['word', 'latest'],
    ['two_versions', '4.2.0\n3.5.9\n'],
    ['too_many_parts', '4.2.0.1'],
    ['v_prefix', 'v4.2.0'],
  ]) {
    it(`a malformed .spark.version (${scenario}) says how to write one`, async () => {
      const app = makeApp();
      writeFileSync(path.join(app, '.spark.version'), content!);
      const r = await compile(app, tmpdir(), {});
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toContain('which is not a Spark version');
      expect(r.stderr).toContain('Supported:');
    });
  }

  it('1.6.2_scala_2.11 was a custom build: it needs SPARK_DIST_URL, and says so', async () => {
    const r = await mustFail('1.6.2_scala_2.11', {});
    expect(r.stderr).toContain('Spark 1.6.2_scala_2.11 cannot be downloaded from Apache');
    expect(r.stderr).toContain('SPARK_DIST_URL');
  });

  it('a flavour the release does not publish lists the ones it does', async () => {
    const r = await mustFail('4.2', { SPARK_PACKAGE: 'hadoop3-scala2.13' });
    expect(r.stderr).toContain('SPARK_PACKAGE=hadoop3-scala2.13 is not published for Spark 4.2.1.');
    expect(r.stderr).toContain('hadoop3, hadoop3-connect, without-hadoop');
  });
});

describe('config_bad', () => {
  it('every bad var is named in one message, with what is wrong and an example, values never echoed', async () => {
    const r = await mustFail(V, {
      SPARK_DIST_URL: 'ftp://user:hunter2@example.com/spark.tgz',
      SPARK_DIST_SHA512: 'not-hex-secret-ish',
      SPARK_DOWNLOAD_RETRIES: 'many',
    });
    expect(r.stderr).toContain('3 config vars are invalid:');
    expect(r.stderr).toContain('SPARK_DIST_URL: must be a http, https, file URL (example: SPARK_DIST_URL=https://');
    expect(r.stderr).toContain('SPARK_DIST_SHA512: must be hexadecimal');
    expect(r.stderr).toContain('SPARK_DOWNLOAD_RETRIES: must be a whole number (example: SPARK_DOWNLOAD_RETRIES=3)');
    expect(r.all).not.toContain('hunter2');
    expect(r.all).not.toContain('not-hex-secret-ish');
  });

  it('a short SPARK_DIST_SHA512 says it must be 128 hex characters', async () => {
    const r = await mustFail(V, { SPARK_DIST_URL: 'http://127.0.0.1:9/x.tgz', SPARK_DIST_SHA512: 'abc123' });
    expect(r.stderr).toContain('SPARK_DIST_SHA512: must be 128 hex characters');
  });

  it('a broken SPARK_CATALOG file names the file and the field', async () => {
    const r = await mustFail(V, { SPARK_CATALOG: catalogFile([{ version: V, pinned: { hadoop3: { sha256: 'xyz' } } }]) });
    expect(r.stderr).toMatch(/The catalog file .*catalog\.json is invalid: releases\.0\.pinned\.hadoop3\.sha256 must be 64 hex characters/);
  });
});

describe('dirs_bad', () => {
  it('an empty CACHE_DIR argument fails clearly', async () => {
    const app = makeApp(V);
    const before = snapshot(app);
    const r = await compile(app, '', {});
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('The build cache (empty path) is not usable');
    expect(snapshot(app)).toEqual(before);
  });

  describe('with a read-only and a full filesystem (tmpfs)', () => {
    const mounts: string[] = [];
    const mount = async (opts: string) => {
      const dir = tmpdir('sis-mnt-');
      await execa('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', dir]);
      mounts.push(dir);
      return dir;
    };
    afterAll(async () => {
      for (const m of mounts) await execa('umount', ['-l', m], { reject: false });
    });

    it('a read-only CACHE_DIR fails clearly', async () => {
      const ro = await mount('ro,size=1m');
      const app = makeApp(V);
      const r2 = await compile(app, ro, {});
      expect(r2.exitCode).toBe(1);
      expect(r2.stderr).toContain(`The build cache ${ro} is not usable: it is not writable (read-only or wrong permissions)`);
    });

    it('a full disk fails with "No space left", leaving nothing behind', async () => {
      const vars = await serve(tgz(sparkEntries(V, { bigFileBytes: 3_000_000 })));
      const small = await mount('size=1m');
      const cache = path.join(small, 'cache');
      mkdirSync(cache);
      const app = makeApp(V);
      const before = snapshot(small);
      const r = await compile(app, cache, vars);
      expect(r.exitCode, r.all).toBe(1);
      expect(r.stderr).toContain(`No space left on the device holding ${cache}. Nothing was installed or cached.`);
      expect(snapshot(small)).toEqual(before);
    });
  });
});

describe('tarball_hostile', () => {
  const top = `spark-${V}-bin-hadoop3`;
  const good = sparkEntries(V);
  const cases: [string, TarEntry[], RegExp][] = [
    ['two_top_dirs', [...good, { name: 'other/', type: 'dir' }, { name: 'other/x', content: 'x' }], /more than one top-level entry/],
    ['top_level_file', [{ name: 'README', content: 'x' }, ...good], /top-level entry "README" is not a directory|more than one top-level/],
    ['dotdot', [...good, { name: `${top}/../../escaped`, content: 'x' }], /escapes the distribution directory/],
    ['absolute', [...good, { name: '/tmp/sis-absolute-escape', content: 'x' }], /absolute path/],
    ['symlink_absolute', [...good, { name: `${top}/conf/passwd`, type: 'symlink', linkname: '/etc/passwd' }], /points to an absolute path/],
    ['symlink_relative_out', [...good, { name: `${top}/conf/up`, type: 'symlink', linkname: '../../..' }], /points outside the distribution/],
    [
      'symlink_then_write_through',
      [...good, { name: `${top}/evil`, type: 'symlink', linkname: '/tmp' }, { name: `${top}/evil/sis-pwned`, content: 'x' }],
      /absolute path|not a readable|tar could not/,
    ],
    ['fifo', [...good, { name: `${top}/bin/pipe`, type: 'fifo' }], /device, FIFO or socket/],
    ['empty', [], /empty|not a readable/],
  ];
  for (const [scenario, entries, message] of cases) {
    it(`refuses a tarball with ${scenario}`, async () => {
      const vars = await serve(tgz(entries));
      const r = await mustFail(V, vars);
      expect(r.stderr).toContain('is not a valid distribution');
      expect(r.stderr).toMatch(message);
    });
  }

  it('refuses bytes that are not gzip', async () => {
    const r = await mustFail(V, await serve(Buffer.from('<html>mirror error page</html>\n'.repeat(50))));
    expect(r.stderr).toMatch(/not a readable \.tgz/);
  });

  it('refuses a truncated tarball (with a matching checksum)', async () => {
    const full = tgz(sparkEntries(V, { bigFileBytes: 200_000 }));
    const r = await mustFail(V, await serve(full.subarray(0, Math.floor(full.length / 2))));
    expect(r.stderr).toMatch(/not a readable/);
  });
  // the build inflates with igzip, else pigz, else Node's zlib (src/buildpack/extract.ts): each one
  // unpacks a good tarball, refuses bytes that are not gzip and a truncated one, and lets tar's own
  // refusal of a hostile entry through
  for (const inflate of ['igzip', 'pigz', 'zlib']) {
    it(`inflated by ${inflate}: a good tarball installs; not gzip, truncated, hostile are refused`, async () => {
      const opts = { env: { SPARK_IN_SPACE_INFLATE: inflate } };
      const good = await compile(makeApp(V), tmpdir('sis-cache-'), await serve(tgz(sparkEntries(V, { bigFileBytes: 200_000 }))), opts);
      expect(good.exitCode, good.all).toBe(0);
      expect(good.stdout).toContain(`inflated by ${inflate}`);
      expect((await mustFail(V, await serve(Buffer.from('<html>mirror error page</html>\n'.repeat(50))), opts)).stderr).toMatch(/not a readable \.tgz/);
      const full = tgz(sparkEntries(V, { bigFileBytes: 200_000 }));
      expect((await mustFail(V, await serve(full.subarray(0, Math.floor(full.length / 2))), opts)).stderr).toMatch(/not a readable/);
      const top = `spark-${V}-bin-hadoop3`;
      expect((await mustFail(V, await serve(tgz([...sparkEntries(V), { name: `${top}/../../escaped`, content: 'x' }])), opts)).stderr).toMatch(/escapes the distribution directory/);
    });
  }
});

describe('custom_dist', () => {
  it('SPARK_DIST_URL with SPARK_DIST_SHA512 installs a custom build (legacy 1.6.2_scala_2.11 on Java 8)', async () => {
    const version = '1.6.2_scala_2.11';
    const data = tgz(sparkEntries(version));
    const root = tmpdir('sis-custom-');
    const { file } = publish(root, version, data, { format: 'none', file: 'spark-custom.tgz' });
    const m = await startMirror(root);
    mirrors.push(m);
    const java8 = fakeJava('1.8.0_412');
    const app = makeApp(version);
    const vars = { SPARK_DIST_URL: `${m.url}/spark-${version}/${file}?token=s3cr3t-token`, SPARK_DIST_SHA512: sha512(data).toUpperCase() };
    const r = await compile(app, tmpdir(), vars, { env: { PATH: `${java8}:${process.env.PATH}` } });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain('custom distribution');
    expect(r.stdout).toContain('Verified SHA512 (SPARK_DIST_SHA512)');
    expect(r.all).not.toContain('s3cr3t-token');
    expect(r.stdout).toContain(`${m.url}/spark-${version}/spark-custom.tgz?…`);
    const info = JSON.parse(await import('node:fs').then((fs) => fs.readFileSync(path.join(app, 'spark-home/.spark-in-space.json'), 'utf8')));
    expect(info.log4j).toBe(1);
  });

  it('SPARK_DIST_URL without a checksum anywhere is refused: unverified code never runs', async () => {
    const root = tmpdir('sis-custom-');
    const { file } = publish(root, V, tgz(sparkEntries(V)), { format: 'none' });
    const m = await startMirror(root);
    mirrors.push(m);
    const r = await mustFail('4.2.0', { SPARK_DIST_URL: `http://user:pa55word@127.0.0.1:${m.port}/spark-${V}/${file}` });
    expect(r.stderr).toContain('no published checksum (set SPARK_DIST_SHA512 to verify this file)');
    expect(r.all).not.toContain('pa55word');
    expect(r.stderr).toContain(`http://***@127.0.0.1:${m.port}/`);
  });

  it('SPARK_DIST_URL with a .sha512 beside it needs no SPARK_DIST_SHA512, and sends URL credentials as Basic auth', async () => {
    const root = tmpdir('sis-custom-');
    const { file } = publish(root, V, tgz(sparkEntries(V)));
    const m = await startMirror(root);
    mirrors.push(m);
    const r = await compile(makeApp('4.2.0'), tmpdir(), { SPARK_DIST_URL: `http://u:p@127.0.0.1:${m.port}/spark-${V}/${file}` });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).not.toContain('u:p@');
    expect(m.requests.filter((q) => q.path.endsWith('.tgz')).map((q) => q.authorization)).toEqual([`Basic ${Buffer.from('u:p').toString('base64')}`]);
  });
});

function fakeJava(version: string): string {
  const dir = tmpdir('sis-java-');
  writeFileSync(path.join(dir, 'java'), `#!/bin/sh\necho 'openjdk version "${version}" 2024-01-01' >&2\n`);
  chmodSync(path.join(dir, 'java'), 0o755);
  return dir;
}

describe('java_check', () => {
  let java11: string;
  beforeAll(() => {
    java11 = fakeJava('11.0.22');
  });

  it('Spark 4 on Java 11 is refused with the system.properties line that fixes it', async () => {
    const r = await mustFail('4.2.0', {}, { env: { PATH: `${java11}:${process.env.PATH}`, JAVA_HOME: '' } });
    expect(r.stderr).toContain('Spark 4.2.0 does not run on Java 11; it needs Java 17–21.');
    expect(r.stderr).toContain('java.runtime.version=17');
  });

  it('Spark 1.6 on Java 17 is refused and told to use 1.8', async () => {
    const java17 = fakeJava('17.0.15');
    const r = await mustFail('1.6.1', {}, { env: { PATH: `${java17}:${process.env.PATH}`, JAVA_HOME: '' } });
    expect(r.stderr).toContain('Spark 1.6.1 does not run on Java 17; it needs Java 7–8.');
    expect(r.stderr).toContain('java.runtime.version=1.8');
  });

  it("a JDK's release file answers for its java (no JVM started): one saying 11 is refused though its java would say 17", async () => {
    // <home>/bin/java (reached through a link, as /usr/bin/java is) and <home>/release, as every JDK since 9 has
    const home = fakeJava('17.0.15');
    mkdirSync(path.join(home, 'bin'));
    renameSync(path.join(home, 'java'), path.join(home, 'bin/java'));
    writeFileSync(path.join(home, 'release'), 'IMPLEMENTOR="Azul Systems, Inc."\nJAVA_VERSION="11.0.22"\n');
    const onPath = tmpdir('sis-java-path-');
    symlinkSync(path.join(home, 'bin/java'), path.join(onPath, 'java'));
    const r = await mustFail('4.2.0', {}, { env: { PATH: `${onPath}:${process.env.PATH}`, JAVA_HOME: '' } });
    expect(r.stderr).toContain('Spark 4.2.0 does not run on Java 11; it needs Java 17–21.');
  });

  it('SPARK_SKIP_JAVA_CHECK=true lets the build go on', async () => {
    const vars = await serve(tgz(sparkEntries(V)));
    const r = await compile(makeApp(V), tmpdir(), { ...vars, SPARK_SKIP_JAVA_CHECK: 'true' }, { env: { PATH: `${java11}:${process.env.PATH}`, JAVA_HOME: '' } });
    expect(r.exitCode, r.all).toBe(0);
  });
});
