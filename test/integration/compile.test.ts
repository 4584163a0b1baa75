/**
 * bin/compile against a real HTTP mirror on 127.0.0.1, with small synthetic distributions.
 * Every successful build is run a second time against the cache (Heroku's python buildpack way).
 */
import { appendFileSync, closeSync, cpSync, existsSync, lstatSync, openSync, readFileSync, readdirSync, renameSync, statSync, truncateSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { catalogFile, compile, makeApp, read, snapshot, tmpdir } from '../helpers/buildpack.js';
import { startMirror, type Mirror } from '../helpers/mirror.js';
import { gpgForm, publish, sha256, sha512, sparkEntries, tgz } from '../helpers/tarball.js';

// A release the built-in catalog does not have, added by a test catalog (production pins stay as they are).
const V = '4.2.7';
const mirrors: Mirror[] = [];
afterEach(async () => {
  await Promise.all(mirrors.splice(0).map((m) => m.close()));
});

async function mirrorWith(data: Buffer, opts: Parameters<typeof publish>[3] = {}, faults = {}) {
  const root = tmpdir('sis-mirror-');
  const pub = publish(root, V, data, opts);
  const m = await startMirror(root, faults);
  mirrors.push(m);
  return { root, pub, m };
}

const unpinned = () => catalogFile([{ version: V, pinned: {} }]);
const cacheEntries = (cache: string) => {
  const dir = path.join(cache, 'spark-in-space/v1');
  return existsSync(dir) ? readdirSync(dir).filter((d) => d !== 'tmp') : [];
};

describe('compile_from_mirror', () => {
  it('installs a verified, pruned spark-home, then builds again from the cache with the mirror down', async () => {
    const data = tgz(sparkEntries(V));
    const { m } = await mirrorWith(data);
    const app = makeApp(V);
    const cache = tmpdir('sis-cache-');
    const vars = { SPARK_MIRROR_URL: m.url, SPARK_CATALOG: unpinned() };

    const first = await compile(app, cache, vars);
    expect(first.exitCode, first.all).toBe(0);
    expect(first.stdout).toContain(`-----> Installing Apache Spark ${V} (hadoop3)`);
    expect(first.stdout).toMatch(/^ {7}Verified SHA512 \(http:\/\/127\.0\.0\.1:\d+\/spark-4\.2\.7\/spark-4\.2\.7-bin-hadoop3\.tgz\.sha512\)$/m);
    const home = path.join(app, 'spark-home');
    const { stdout } = await execa(path.join(home, 'bin/spark-submit'), ['--version']);
    expect(stdout).toContain(`version ${V}`);
    // pruned: R, data, Windows scripts, Kubernetes jars, Python tests; kept: the rest
    for (const gone of ['R', 'data', 'bin/spark-submit.cmd', `jars/spark-kubernetes_2.13-${V}.jar`, 'jars/kubernetes-model-core-7.0.jar', 'python/pyspark/tests'])
      expect(existsSync(path.join(home, gone)), gone).toBe(false);
    for (const kept of ['bin/spark-class', `jars/spark-core_2.13-${V}.jar`, 'python/lib/pyspark.zip', 'conf/spark-env.sh.template']) expect(existsSync(path.join(home, kept)), kept).toBe(true);
    expect(lstatSync(path.join(home, 'jars/current.jar')).isSymbolicLink()).toBe(true);
    expect(lstatSync(path.join(home, 'bin/spark-submit')).mode & 0o111).not.toBe(0);
    const profile = read(app, '.profile.d/spark.sh');
    expect(profile).toContain('$HOME/spark-home');
    expect(profile).not.toContain('/app');
    const info = JSON.parse(read(home, '.spark-in-space.json'));
    expect(info).toMatchObject({ version: V, pkg: 'hadoop3', log4j: 2, tarball: { sha512: sha512(data) } });
    expect(info.pruned.bytes).toBeGreaterThan(8192);
    // the cache's digests (taken while the files landed, or after pruning) are those of the bytes it holds
    const [entry] = cacheEntries(cache);
    const manifest = JSON.parse(readFileSync(path.join(cache, 'spark-in-space/v1', entry!, 'manifest.json'), 'utf8')) as { files: { path: string; sha256: string }[] };
    expect(manifest.files.length).toBeGreaterThan(3);
    for (const f of manifest.files) expect(f.sha256, f.path).toBe(sha256(readFileSync(path.join(cache, 'spark-in-space/v1', entry!, 'spark-home', f.path))));

    await m.close();
    const app2 = makeApp(V);
    const second = await compile(app2, cache, vars);
    expect(second.exitCode, second.all).toBe(0);
    expect(second.stdout).toContain('Using the build cache');
    expect(second.stdout).toContain('Mirrors unreachable');
    expect(snapshot(path.join(app2, 'spark-home'))).toEqual(snapshot(home));
  });

  it('sources SPARK_HOME from $HOME in .profile.d, wherever the slug is unpacked', async () => {
    const { m } = await mirrorWith(tgz(sparkEntries(V)));
    const app = makeApp(V);
    expect((await compile(app, tmpdir(), { SPARK_MIRROR_URL: m.url, SPARK_CATALOG: unpinned() })).exitCode).toBe(0);
    const { stdout } = await execa('bash', ['-c', 'source .profile.d/spark.sh && echo "$SPARK_HOME" && spark-submit --version'], {
      cwd: app,
      env: { HOME: app },
    });
    expect(stdout.split('\n')[0]).toBe(path.join(app, 'spark-home'));
    expect(stdout).toContain(`version ${V}`);
  });
});

describe('compile_newer_release', () => {
  it('a release newer than the catalog builds from the mirrors, checked against their .sha512, with a visible note; again from the cache', async () => {
    const data = tgz(sparkEntries(V));
    const { m } = await mirrorWith(data);
    const app = makeApp(V);
    const cache = tmpdir('sis-cache-');
    const first = await compile(app, cache, { SPARK_MIRROR_URL: m.url });
    expect(first.exitCode, first.all).toBe(0);
    expect(first.stderr).toContain(`Warning: Spark ${V} is newer than this buildpack's catalog: it is built with the facts of the 4.2 line (4.2.1)`);
    expect(first.stdout).toMatch(/Verified SHA512 \(http:\/\/127\.0\.0\.1:\d+\/spark-4\.2\.7\/spark-4\.2\.7-bin-hadoop3\.tgz\.sha512\)/);
    expect(JSON.parse(read(path.join(app, 'spark-home'), '.spark-in-space.json'))).toMatchObject({ version: V, line: '4.2', scala: '2.13' });
    const app2 = makeApp(V);
    const second = await compile(app2, cache, { SPARK_MIRROR_URL: m.url });
    expect(second.exitCode, second.all).toBe(0);
    expect(second.stdout).toContain('Using the build cache');
    expect(snapshot(path.join(app2, 'spark-home'))).toEqual(snapshot(path.join(app, 'spark-home')));
  });

  it('a newer release whose .sha512 does not match fails and installs nothing; an older unknown line is refused', async () => {
    const { m } = await mirrorWith(tgz(sparkEntries(V)), { checksum: sha512(Buffer.from('tampered')) });
    const app = makeApp(V);
    const before = snapshot(app);
    const r = await compile(app, tmpdir(), { SPARK_MIRROR_URL: m.url });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/Checksum mismatch for http:\/\/127\.0\.0\.1:\d+\/spark-4\.2\.7\//);
    expect(snapshot(app)).toEqual(before);
    const asked = m.requests.length;
    const old = await compile(makeApp('3.4.1'), tmpdir(), { SPARK_MIRROR_URL: m.url });
    expect(old.exitCode).toBe(1);
    expect(old.stderr).toContain('Spark 3.4.1 is not in the catalog.');
    expect(m.requests.length).toBe(asked);
  });
});

describe('compile_checksums', () => {
  it('accepts the gpg --print-md .sha512 form (older releases)', async () => {
    const data = tgz(sparkEntries(V));
    const { m } = await mirrorWith(data, { format: 'gpg' });
    const app = makeApp(V);
    const r = await compile(app, tmpdir(), { SPARK_MIRROR_URL: m.url, SPARK_CATALOG: unpinned() });
    expect(r.exitCode, r.all).toBe(0);
    expect(gpgForm('x.tgz', sha512(data))).toMatch(/^x\.tgz: [0-9A-F]{8} /);
  });

  it('a checksum mismatch fails, installs nothing and leaves the cache clean', async () => {
    const { m } = await mirrorWith(tgz(sparkEntries(V)), { checksum: sha512(Buffer.from('something else')) });
    const app = makeApp(V);
    const cache = tmpdir('sis-cache-');
    const before = [snapshot(app), snapshot(cache)];
    const r = await compile(app, cache, { SPARK_MIRROR_URL: m.url, SPARK_CATALOG: unpinned() });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^ ! {5}Checksum mismatch for http:\/\/127\.0\.0\.1:\d+\/spark-4\.2\.7\/spark-4\.2\.7-bin-hadoop3\.tgz/m);
    expect([snapshot(app), snapshot(cache)]).toEqual(before);
  });

  it('a pinned checksum wins over the mirror .sha512: a right pin with a wrong .sha512 succeeds', async () => {
    const data = tgz(sparkEntries(V));
    const { m } = await mirrorWith(data, { checksum: sha512(Buffer.from('tampered')) });
    const app = makeApp(V);
    const cache = tmpdir('sis-cache-');
    const vars = { SPARK_MIRROR_URL: m.url, SPARK_CATALOG: catalogFile([{ version: V, pinned: { hadoop3: { sha256: sha256(data) } } }]) };
    const r = await compile(app, cache, vars);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain('Verified SHA256 (pinned in the catalog)');
    expect(m.requests.some((q) => q.path.endsWith('.sha512'))).toBe(false);
    await m.close();
    const again = await compile(makeApp(V), cache, vars);
    expect(again.exitCode, again.all).toBe(0);
    expect(again.stdout).toContain('Using the build cache');
  });

  it('a wrong pin fails even when the mirror .sha512 matches the file', async () => {
    const data = tgz(sparkEntries(V));
    const { m } = await mirrorWith(data);
    const app = makeApp(V);
    const cache = tmpdir('sis-cache-');
    const r = await compile(app, cache, {
      SPARK_MIRROR_URL: m.url,
      SPARK_CATALOG: catalogFile([{ version: V, pinned: { hadoop3: { sha512: sha512(Buffer.from('x')) } } }]),
    });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('(pinned in the catalog)');
    expect(cacheEntries(cache)).toEqual([]);
    expect(existsSync(path.join(app, 'spark-home'))).toBe(false);
  });

  it('a changed pin misses the cache', async () => {
    const data = tgz(sparkEntries(V));
    const { m } = await mirrorWith(data);
    const cache = tmpdir('sis-cache-');
    const pinA = catalogFile([{ version: V, pinned: { hadoop3: { sha512: sha512(data) } } }]);
    const pinB = catalogFile([{ version: V, pinned: { hadoop3: { sha256: sha256(data) } } }]);
    expect((await compile(makeApp(V), cache, { SPARK_MIRROR_URL: m.url, SPARK_CATALOG: pinA })).exitCode).toBe(0);
    const r = await compile(makeApp(V), cache, { SPARK_MIRROR_URL: m.url, SPARK_CATALOG: pinB });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain('Not in the build cache');
    expect(cacheEntries(cache)).toHaveLength(2);
  });
});

describe('compile_network', () => {
  it('resumes with Range after the server drops the connection mid-body, and verifies', async () => {
    const data = tgz(sparkEntries(V, { bigFileBytes: 3_000_000 }));
    const file = `/spark-${V}/spark-${V}-bin-hadoop3.tgz`;
    const { m } = await mirrorWith(data, {}, { drop: { [file]: { afterBytes: 1_000_000, times: 2 } } });
    const app = makeApp(V);
    const cache = tmpdir('sis-cache-');
    const r = await compile(app, cache, { SPARK_MIRROR_URL: m.url, SPARK_CATALOG: unpinned() });
    expect(r.exitCode, r.all).toBe(0);
    const gets = m.requests.filter((q) => q.path === file);
    expect(gets.map((q) => q.status)).toEqual([200, 206, 206]);
    // each resume starts where the client's kept bytes end: at most what the server sent (1 MB a
    // connection), less when the drop cut off bytes still buffered for a busy inflater; the SHA-512
    // below proves the pieces join up
    const from = gets.slice(1).map((g) => Number(/^bytes=(\d+)-$/.exec(g.range ?? '')?.[1]));
    expect(from[0]).toBeGreaterThan(500_000);
    expect(from[0]).toBeLessThanOrEqual(1_000_000);
    expect(from[1]).toBeGreaterThan(from[0]! + 500_000);
    expect(from[1]).toBeLessThanOrEqual(from[0]! + 1_000_000);
    expect(gets[1]!.ifRange).toMatch(/^"/);
    expect(r.stdout).toMatch(/resuming at (0\.[5-9]|1\.0) MB/);
    expect(JSON.parse(read(app, 'spark-home/.spark-in-space.json')).tarball.sha512).toBe(sha512(data));
    const again = await compile(makeApp(V), cache, { SPARK_MIRROR_URL: m.url, SPARK_CATALOG: unpinned() });
    expect(again.stdout).toContain('Using the build cache');
  });

  it('starts over when the server ignores Range', async () => {
    const data = tgz(sparkEntries(V, { bigFileBytes: 2_000_000 }));
    const file = `/spark-${V}/spark-${V}-bin-hadoop3.tgz`;
    const { m } = await mirrorWith(data, {}, { noRange: true, drop: { [file]: { afterBytes: 700_000, times: 1 } } });
    const app = makeApp(V);
    const r = await compile(app, tmpdir(), { SPARK_MIRROR_URL: m.url, SPARK_CATALOG: unpinned() });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain('does not resume downloads: starting over');
    expect(JSON.parse(read(app, 'spark-home/.spark-in-space.json')).tarball.sha512).toBe(sha512(data));
  });

  it('uses the second mirror when the first answers 404', async () => {
    const data = tgz(sparkEntries(V));
    const { m: good } = await mirrorWith(data);
    const empty = await startMirror(tmpdir('sis-empty-'));
    mirrors.push(empty);
    const app = makeApp(V);
    const r = await compile(app, tmpdir(), { SPARK_MIRROR_URL: `${empty.url}, ${good.url}/`, SPARK_CATALOG: unpinned() });
    expect(r.exitCode, r.all).toBe(0);
    expect(empty.requests.map((q) => q.status)).toEqual([404]);
    expect(r.stdout).toContain(`Downloading ${good.url}/spark-${V}/`);
  });

  it('404 on every mirror fails and names each URL', async () => {
    const a = await startMirror(tmpdir());
    const b = await startMirror(tmpdir());
    mirrors.push(a, b);
    const app = makeApp(V);
    const r = await compile(app, tmpdir(), { SPARK_MIRROR_URL: `${a.url},${b.url}`, SPARK_CATALOG: unpinned() });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`Could not download Spark ${V} (hadoop3).`);
    expect(r.stderr).toContain(`${a.url}/spark-${V}/spark-${V}-bin-hadoop3.tgz.sha512: not found (HTTP 404)`);
    expect(r.stderr).toContain(`${b.url}/spark-${V}/spark-${V}-bin-hadoop3.tgz.sha512: not found (HTTP 404)`);
  });

  it('a server that never sends a byte times out and is retried, then fails naming the cause', async () => {
    const data = tgz(sparkEntries(V));
    const file = `/spark-${V}/spark-${V}-bin-hadoop3.tgz`;
    const { m } = await mirrorWith(data, {}, { hang: new Set([file]) });
    const r = await compile(makeApp(V), tmpdir(), {
      SPARK_MIRROR_URL: m.url,
      SPARK_CATALOG: unpinned(),
      SPARK_DOWNLOAD_TIMEOUT: '1',
      SPARK_DOWNLOAD_RETRIES: '1',
    });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`${m.url}${file}: timed out (no data for 1 s)`);
    expect(m.requests.filter((q) => q.path === file)).toHaveLength(2);
  });

  it('retries a 503 with backoff and succeeds', async () => {
    const data = tgz(sparkEntries(V));
    const file = `/spark-${V}/spark-${V}-bin-hadoop3.tgz`;
    const { m } = await mirrorWith(data, {}, { status: { [file]: { code: 503, times: 2 } } });
    const r = await compile(makeApp(V), tmpdir(), { SPARK_MIRROR_URL: m.url, SPARK_CATALOG: unpinned(), SPARK_DOWNLOAD_RETRIES: '2' });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain('HTTP 503; retrying in 0.1 s (attempt 2 of 3)');
    expect(r.stdout).toContain('HTTP 503; retrying in 0.1 s (attempt 3 of 3)');
    expect(m.requests.filter((q) => q.path === file).map((q) => q.status)).toEqual([503, 503, 200]);
  });
});

describe('compile_cache', () => {
  async function cached() {
    const data = tgz(sparkEntries(V));
    const { m } = await mirrorWith(data);
    const cache = tmpdir('sis-cache-');
    const vars = { SPARK_MIRROR_URL: m.url, SPARK_CATALOG: unpinned() };
    expect((await compile(makeApp(V), cache, vars)).exitCode).toBe(0);
    return { m, cache, vars, entry: entryOf(cache) };
  }
  const entryOf = (cache: string) => path.join(cache, 'spark-in-space/v1', cacheEntries(cache)[0]!, 'spark-home');
  /** the cache as Heroku restores it for the next build: a copy (other inodes and ctimes), mtimes kept */
  const restored = (cache: string) => {
    const to = tmpdir('sis-restored-');
    cpSync(cache, to, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
    return to;
  };
  /** a cache restored twice: the second build after the download read it against SHA-256 and recorded each file's CRC-32 */
  async function restoredTwice() {
    const c = await cached();
    const once = restored(c.cache);
    const r = await compile(makeApp(V), once, c.vars);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout, r.stdout).toContain('Verified the cached tree: every file against its SHA-256');
    const twice = restored(once);
    return { ...c, cache: twice, entry: entryOf(twice) };
  }

  // the warm check reads only files whose fingerprint (size, inode, mtime, ctime) changed since it
  // was last verified: each way of damaging a file changes one of them. In a cache restored
  // elsewhere every file is read, against the CRC-32 recorded at its last check: each damage is
  // caught there too.
  for (const [scenario, damage] of [
    ['corrupt', (f: string) => writeFileSync(f, Buffer.alloc(4096, 9))],
    ['truncated', (f: string) => truncateSync(f, 100)],
    ['appended', (f: string) => appendFileSync(f, 'x')],
    [
      'rewritten in place, its mtime set back',
      (f: string) => {
        const { mtime } = statSync(f);
        const fd = openSync(f, 'r+');
        writeSync(fd, Buffer.from([9]), 0, 1, 100);
        closeSync(fd);
        utimesSync(f, mtime, mtime);
      },
    ],
    [
      'replaced by another file of its size',
      (f: string) => {
        writeFileSync(`${f}.new`, Buffer.alloc(4096, 7));
        renameSync(`${f}.new`, f);
      },
    ],
  ] as const) {
    it.each([
      ['this build cache', cached],
      ['a restored build cache', restoredTwice],
    ])(`a ${scenario} cached file in %s is detected and replaced, never used`, async (_, setUp) => {
      const { m, cache, vars, entry } = await setUp();
      damage(path.join(entry, `jars/spark-core_2.13-${V}.jar`));
      const app = makeApp(V);
      const r = await compile(app, cache, vars);
      expect(r.exitCode, r.all).toBe(0);
      expect(r.stderr).toContain('the cached Spark is damaged');
      expect(r.stderr).toMatch(/spark-core_2\.13-4\.2\.7\.jar (does not match its checksum|has \d+ bytes, expected)/);
      expect(m.requests.filter((q) => q.path.endsWith('.tgz'))).toHaveLength(2);
      expect(readFileSync(path.join(app, `spark-home/jars/spark-core_2.13-${V}.jar`))).toEqual(Buffer.alloc(4096, 1));
      const third = await compile(makeApp(V), cache, vars);
      expect(third.stdout).toContain('Using the build cache');
      expect(third.stderr).not.toContain('damaged');
    });
  }

  it('a warm build hashes only what changed: nothing after a build, everything when the fingerprints are gone (a cache restored elsewhere)', async () => {
    const { cache, vars, entry } = await cached();
    const warm = await compile(makeApp(V), cache, vars);
    expect(warm.stdout).toMatch(/Verified the cached tree: \d+ untouched since their last check/);
    expect(warm.stdout).not.toMatch(/files against their SHA-256/);
    const { rmSync } = await import('node:fs');
    rmSync(path.join(entry, '.spark-in-space-fingerprints.json'));
    const full = await compile(makeApp(V), cache, vars);
    expect(full.exitCode, full.all).toBe(0);
    expect(full.stdout).toContain('Verified the cached tree: every file against its SHA-256');
    const again = await compile(makeApp(V), cache, vars);
    expect(again.stdout).toMatch(/untouched since their last check/);
    expect(again.stdout).not.toMatch(/files against their SHA-256/);
    // a build into a dir that holds an earlier build's spark-home (`spark-in-space build` again): removing
    // its hard links changes the cached files' ctimes, which must not cost the next build a full hash
    const app = makeApp(V);
    for (let i = 0; i < 3; i++) {
      const r = await compile(app, cache, vars);
      expect(r.exitCode, r.all).toBe(0);
      expect(r.stdout, `build ${i + 1} into the same dir`).toMatch(/Verified the cached tree: \d+ untouched since their last check/);
      expect(r.stdout, `build ${i + 1} into the same dir`).not.toMatch(/against (its|their) SHA-256/);
    }
  });

  it("a cache restored elsewhere (Heroku's between builds) is read in full: against SHA-256 once, then against the CRC-32 recorded then", async () => {
    const { cache, vars, entry } = await restoredTwice();
    const files = readFileSync(path.join(path.dirname(entry), 'manifest.json'), 'utf8');
    const count = (JSON.parse(files) as { files: unknown[] }).files.length;
    const r = await compile(makeApp(V), cache, vars);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain(`Verified the cached tree: ${count} against the CRC-32 recorded at their last check`);
    expect(r.stdout).not.toMatch(/SHA-256/);
    // the CRC-32s travel with the cache: restored again, still no SHA-256; on this machine, nothing read
    const again = restored(cache);
    expect((await compile(makeApp(V), again, vars)).stdout).toContain(`Verified the cached tree: ${count} against the CRC-32`);
    const warm = await compile(makeApp(V), again, vars);
    expect(warm.stdout).toContain(`Verified the cached tree: ${count} untouched since their last check`);
  });

  it('a cache entry without its manifest (interrupted build) is not used', async () => {
    const { m, cache, vars, entry } = await cached();
    const { rmSync } = await import('node:fs');
    rmSync(path.join(path.dirname(entry), 'manifest.json'));
    const r = await compile(makeApp(V), cache, vars);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain('Not in the build cache');
    expect(m.requests.filter((q) => q.path.endsWith('.tgz'))).toHaveLength(2);
  });

  it('re-downloads when the mirror publishes another checksum for an unpinned release', async () => {
    const { m, cache, vars } = await cached();
    const data2 = tgz(sparkEntries(V).map((e) => (e.name.endsWith('RELEASE') ? { ...e, content: 'rebuilt\n' } : e)));
    const root = tmpdir('sis-mirror2-');
    publish(root, V, data2);
    const m2 = await startMirror(root);
    mirrors.push(m2);
    await m.close();
    const app = makeApp(V);
    const r = await compile(app, cache, { ...vars, SPARK_MIRROR_URL: m2.url });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain('The published checksum changed');
    expect(read(app, 'spark-home/RELEASE')).toBe('rebuilt\n');
  });
});
