/**
 * The slug the Heroku Button builds, simulated whole: a build dir laid out as heroku/nodejs,
 * heroku/jvm and heroku-community/nginx leave it (test/helpers/button.ts), then our bin/compile
 * with S3A, as Heroku runs it (JAVA_HOME on the build dir's .jdk, its Node first on PATH). The
 * build dir is packed as Heroku packs a slug and must stay under the target, and then the cluster
 * runs from *that* build dir: its bin/ launchers, its stripped Node, its jlinked .jdk. A second
 * build of a new Button dir runs against the cache.
 * (Every other e2e space also runs on a .jdk that bin/compile linked: thrift, connect, S3A, the
 * history server and ZooKeeper are proven on it there.)
 */
import { existsSync, lstatSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogFile, compile, tmpdir } from '../helpers/buildpack.js';
import { buttonBuildDir, packedSize } from '../helpers/button.js';
import { cli, freePort, localStatus } from '../helpers/cluster.js';
import { startMirror, type Mirror } from '../helpers/mirror.js';
import { DEFAULT_VERSION, hadoopOf, testDist, testMavenMirror } from '../helpers/spark.js';

const APP = 'e2e-button';
const TARGET = 400e6;

describe(`the Heroku Button's whole slug, Spark ${DEFAULT_VERSION} with S3A`, () => {
  let dir: string;
  let cache: string;
  let build: string;
  let spark: Mirror;
  let maven: Mirror;
  let vars: Record<string, string>;
  // as Heroku runs a buildpack after heroku/nodejs and heroku/jvm: their exports on PATH and JAVA_HOME
  const buildEnv = (d: string) => ({ JAVA_HOME: path.join(d, '.jdk'), PATH: `${path.join(d, '.heroku/node/bin')}:${path.join(d, '.jdk/bin')}:${process.env.PATH}` });
  // as the dynos run: the slug's Node and Java first (their .profile.d scripts)
  const runEnv = () => ({ PATH: `${path.join(dir, '.heroku/node/bin')}:${path.join(dir, '.jdk/bin')}:${process.env.PATH}`, JAVA_HOME: path.join(dir, '.jdk') });
  const fullBefore = { jdk: 0, node: 0 };

  beforeAll(async () => {
    const dist = testDist(DEFAULT_VERSION);
    spark = await startMirror(dist.mirrorRoot);
    maven = await startMirror(testMavenMirror(hadoopOf(DEFAULT_VERSION)));
    vars = {
      SPARK_MIRROR_URL: spark.url,
      MAVEN_MIRROR_URL: maven.url,
      SPARK_S3A: 'true',
      SPARK_CATALOG: catalogFile([{ version: DEFAULT_VERSION, pinned: { hadoop3: { sha512: dist.sha512 } } }]),
    };
    dir = buttonBuildDir(tmpdir('sis-button-'), { version: DEFAULT_VERSION });
    fullBefore.jdk = Number((await execa('du', ['-sb', path.join(dir, '.jdk')])).stdout.split('\t')[0]);
    fullBefore.node = Number((await execa('du', ['-sb', path.join(dir, '.heroku/node')])).stdout.split('\t')[0]);
    cache = tmpdir('sis-button-cache-');
    const r = await compile(dir, cache, vars, { env: buildEnv(dir) });
    build = r.all;
    expect(r.exitCode, r.all).toBe(0);
    writeFileSync(path.join(dir, '.env'), 'SPARK_WORKER_MEMORY=1g\nSPARK_EXECUTOR_MEMORY=512m\nSPARK_DRIVER_MEMORY=512m\nLOG_LEVEL=WARN\n');
  });
  afterAll(async () => {
    if (dir) await cli(['local', 'down', '--dir', dir], { env: runEnv() });
    await spark?.close();
    await maven?.close();
  });

  it(`packs (tar + gzip -6, as Heroku) to at most ${TARGET / 1e6} MB; the guard's estimate is within 5% and lists the parts`, () => {
    const size = packedSize(dir);
    console.log(`Button slug: ${(size / 1e6).toFixed(1)} MB compressed`);
    expect(size).toBeLessThanOrEqual(TARGET);
    const est = Number(/Slug estimate: ([\d.]+) MB compressed/.exec(build)![1]) * 1e6;
    expect(Math.abs(est - size) / size).toBeLessThan(0.05);
    for (const part of ['spark-home/jars', '.jdk', '.heroku/node']) expect(build).toMatch(new RegExp(`\\s[\\d.]+ MB  ${part.replace('.', '\\.')}\\n`));
    // over 300 MB: Heroku's boot-time warning, said first by us, on stderr in Heroku's form
    expect(build).toMatch(/ ! {5}Warning: the slug is over 300 MB compressed/);
  });

  it('.jdk is a jlinked runtime where the JVM buildpack put it: no jmods or sources, cacerts still the system store, much smaller', () => {
    const jdk = path.join(dir, '.jdk');
    expect(existsSync(path.join(jdk, 'bin', 'java'))).toBe(true);
    expect(existsSync(path.join(jdk, 'jmods'))).toBe(false);
    expect(existsSync(path.join(jdk, 'lib', 'src.zip'))).toBe(false);
    expect(lstatSync(path.join(jdk, 'lib', 'security', 'cacerts')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(path.join(jdk, 'lib', 'security', 'cacerts'))).toBe('/etc/ssl/certs/java/cacerts');
    for (const tool of ['jcmd', 'jstack', 'jmap']) expect(existsSync(path.join(jdk, 'bin', tool)), tool).toBe(true);
    expect(readFileSync(path.join(jdk, 'release'), 'utf8')).toMatch(/MODULES=".*jdk\.jcmd/);
    // its default CDS archive, as the full JDK has one: every JVM of the cluster maps the JDK's classes
    expect(existsSync(path.join(jdk, 'lib', 'server', 'classes.jsa'))).toBe(true);
    expect(build).toMatch(/JDK: [\d.]+ MB → [\d.]+ MB/);
    const [, before, after] = /JDK: ([\d.]+) MB → ([\d.]+) MB/.exec(build)!;
    expect(Number(after)).toBeLessThan(Number(before) / 2);
    expect(Number(before) * 1e6).toBeCloseTo(fullBefore.jdk, -6);
  });

  it('the runtime formats dates in the locales it keeps (German, Japanese) and falls back to English names for others', async () => {
    const src = tmpdir('sis-locale-');
    writeFileSync(
      path.join(src, 'L.java'),
      'public class L { public static void main(String[] a) { for (String t : a) System.out.println(java.time.format.DateTimeFormatter.ofPattern("d MMMM yyyy", java.util.Locale.forLanguageTag(t)).format(java.time.LocalDate.of(2026, 12, 4))); } }\n',
    );
    await execa('javac', ['-d', src, path.join(src, 'L.java')]);
    const r = await execa(path.join(dir, '.jdk/bin/java'), ['-cp', src, 'L', 'de-DE', 'ja-JP', 'sw-KE'], { all: true });
    expect(r.stdout.split('\n')).toEqual(['4 Dezember 2026', '4 12月 2026', '4 Dec 2026']);
  });

  it('Node keeps running without its headers and npm; the nginx buildpack’s Ruby is gone, its nginx stays', async () => {
    expect(existsSync(path.join(dir, '.heroku/node/include'))).toBe(false);
    // no process type of this app runs a package manager
    expect(existsSync(path.join(dir, '.heroku/node/lib/node_modules/npm'))).toBe(false);
    expect(existsSync(path.join(dir, '.heroku/node/bin/npm'))).toBe(false);
    expect((await execa(path.join(dir, '.heroku/node/bin/node'), ['-p', 'process.versions.node'])).stdout).toMatch(/^24\./);
    expect(existsSync(path.join(dir, '.heroku-buildpack-nginx', 'ruby'))).toBe(false);
    expect(existsSync(path.join(dir, '.profile.d', 'ruby.sh'))).toBe(false);
    expect(existsSync(path.join(dir, '.profile.d', 'jvm.sh'))).toBe(true);
    expect((await execa(path.join(dir, 'bin', 'nginx'), ['-v'], { all: true })).all).toMatch(/nginx version/);
    expect(build).toMatch(/nginx: removed its vendored Ruby/);
  });

  it('connect-repl is left out by default, and spark-connect-shell says so, naming SPARK_SLIM', async () => {
    expect(existsSync(path.join(dir, 'spark-home', 'jars', 'connect-repl'))).toBe(false);
    const r = await execa(path.join(dir, 'spark-home', 'bin', 'spark-connect-shell'), [], { reject: false, all: true });
    expect(r.exitCode).toBe(15); // feature-left-out
    expect(r.all).toContain('SPARK_SLIM=connect-repl');
    expect(r.all).toContain('SPARK_SLIM=none');
  });

  describe('the cluster from that build dir (its launchers, its Node, its .jdk)', () => {
    beforeAll(async () => {
      // the Procfile is this repo's, with a web dyno: on a free port, not 5000
      const port = await freePort();
      const up = await cli(['local', 'up', '--detach', '--dir', dir, '--app', APP, '--workers', '2', '--port', String(port), '--spark-home', path.join(dir, 'spark-home')], {
        env: runEnv(),
        timeout: 600_000,
      });
      expect(up.exitCode, up.all).toBe(0);
    });

    it('master + 2 workers ALIVE, each a JVM of the slug’s .jdk; jstack and jcmd of that .jdk read a running worker', async () => {
      const s = await localStatus<{ master: { workers: { state: string }[] }; dynos: { name: string; type: string; pid: number }[] }>(dir);
      expect(s.master.workers.filter((w) => w.state === 'ALIVE')).toHaveLength(2);
      const masterPid = s.dynos.find((d) => d.name === 'master.1')!.pid;
      expect(readlinkSync(`/proc/${masterPid}/exe`)).toBe(path.join(dir, '.jdk', 'bin', 'java'));
      // the worker's JVM: the child of its drain watcher
      const watcher = s.dynos.find((d) => d.name === 'worker.1')!.pid;
      const jvm = readFileSync(`/proc/${watcher}/task/${watcher}/children`, 'utf8')
        .trim()
        .split(/\s+/)
        .map(Number)
        .find((p) => readlinkSync(`/proc/${p}/exe`).endsWith('/java'))!;
      const stack = await execa(path.join(dir, '.jdk/bin/jstack'), [String(jvm)], { all: true, reject: false });
      expect(stack.exitCode, stack.all).toBe(0);
      expect(stack.stdout).toMatch(/org\.apache\.spark\.deploy\.worker\.Worker|dispatcher-event-loop/);
      const cmd = await execa(path.join(dir, '.jdk/bin/jcmd'), [String(jvm), 'VM.version'], { all: true, reject: false });
      expect(cmd.exitCode, cmd.all).toBe(0);
      expect(cmd.stdout).toMatch(/OpenJDK 64-Bit Server VM/);
    });

    it('bin/spark-shell of the slug: 500000500000', async () => {
      const r = await cli(['local', 'run', '--dir', dir, 'bin/spark-shell'], { input: 'println("RESULT=" + sc.parallelize(1L to 1000000L).reduce(_ + _))\n:quit\n', env: runEnv(), timeout: 300_000 });
      expect(r.exitCode, r.all).toBe(0);
      expect(r.all).toContain('RESULT=500000500000');
    });

    it('pyspark (piped) and spark-sql as one-off dynos', async () => {
      const py = await cli(['local', 'run', '--dir', dir, 'pyspark'], { input: 'print("ANS", spark.range(1, 1000001).selectExpr("sum(id) AS s").first()[0])\n', env: runEnv(), timeout: 300_000 });
      expect(py.exitCode, py.all).toBe(0);
      expect(py.stdout).toContain('ANS 500000500000');
      const sql = await cli(['local', 'run', '--dir', dir, 'spark-sql', '-e', 'SELECT sum(id) FROM range(1000001)'], { env: runEnv(), timeout: 300_000 });
      expect(sql.exitCode, sql.all).toBe(0);
      expect(sql.stdout).toContain('500000500000');
    });
  });

  it('a second Button build against the cache: the runtime and Spark come from it, same result', async () => {
    const again = buttonBuildDir(tmpdir('sis-button-'), { version: DEFAULT_VERSION });
    const r = await compile(again, cache, vars, { env: buildEnv(again) });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).toContain('JDK: using the cached runtime');
    // the guard's estimate, partly from what it remembered of the first build, is the same
    const est = (out: string) => Number(/Slug estimate: ([\d.]+) MB/.exec(out)![1]);
    expect(Math.abs(est(r.all) - est(build)) / est(build)).toBeLessThan(0.01);
    expect(r.all).toContain('Using the build cache');
    expect(existsSync(path.join(again, '.jdk', 'jmods'))).toBe(false);
    // installed from the cache, its CDS archive still maps (-Xshare:on fails if it does not)
    expect((await execa(path.join(again, '.jdk/bin/java'), ['-Xshare:on', '-version'], { all: true })).all).toMatch(/17\./);
    expect(packedSize(again)).toBeLessThanOrEqual(TARGET);
  });
});
