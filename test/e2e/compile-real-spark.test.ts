/**
 * bin/compile with a real Apache Spark (PyPI's pyspark in Apache's layout, scripts/test-spark-dist),
 * served by a loopback mirror exactly as production downloads it. The pruned spark-home must still run
 * spark-submit, spark-shell (Scala REPL) and pyspark jobs.
 */
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { TEST_JVM_OPTIONS } from '../helpers/cluster.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogFile, compile, makeApp, tmpdir } from '../helpers/buildpack.js';
import { startMirror, type Mirror } from '../helpers/mirror.js';
import { DEFAULT_VERSION, NEWEST_35, testDist } from '../helpers/spark.js';

const JVM_ENV = { SPARK_LOCAL_IP: '127.0.0.1', SPARK_DRIVER_MEMORY: '512m', JAVA_TOOL_OPTIONS: '-Xss4m', JDK_JAVA_OPTIONS: TEST_JVM_OPTIONS };

describe(`real Spark ${DEFAULT_VERSION} (the default version)`, () => {
  let mirror: Mirror;
  let sparkHome: string;
  const cache = tmpdir('sis-cache-');
  let vars: Record<string, string>;

  beforeAll(async () => {
    const dist = testDist(DEFAULT_VERSION);
    mirror = await startMirror(dist.mirrorRoot);
    // The repacked pyspark is not Apache's byte-for-byte tarball: pin its own checksum in a test catalog.
    vars = {
      SPARK_MIRROR_URL: mirror.url,
      SPARK_CATALOG: catalogFile([{ version: DEFAULT_VERSION, pinned: { hadoop3: { sha512: dist.sha512 } } }]),
    };
  });
  afterAll(async () => mirror?.close());

  it('compiles from the mirror, with no .spark.version, and spark-submit --version prints the version', async () => {
    const app = makeApp();
    const r = await compile(app, cache, vars);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain(`No .spark.version: using the default, ${DEFAULT_VERSION}`);
    expect(r.stdout).toContain('Verified SHA512 (pinned in the catalog)');
    expect(r.stdout).toMatch(/Pruned +\d+\.\d MB {2}Kubernetes cluster manager/);
    expect(r.stdout).toMatch(/Pruned +[6-9]\d\.\d MB {2}native libraries for platforms no dyno runs \(kept: linux-x64-glibc\)/);
    sparkHome = path.join(app, 'spark-home');
    const v = await execa(path.join(sparkHome, 'bin/spark-submit'), ['--version'], { all: true, env: JVM_ENV });
    expect(v.all).toContain(`version ${DEFAULT_VERSION}`);
  });

  it('compiles again with the mirror stopped, from the cache', async () => {
    await mirror.close();
    const app = makeApp(DEFAULT_VERSION);
    const r = await compile(app, cache, vars);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain('Using the build cache');
    const v = await execa(path.join(app, 'spark-home/bin/spark-submit'), ['--version'], { all: true, env: JVM_ENV });
    expect(v.all).toContain(`version ${DEFAULT_VERSION}`);
  });

  it('the pruned spark-shell runs a job: sum of 1L to 1000000L', async () => {
    const r = await execa(path.join(sparkHome, 'bin/spark-shell'), ['--master', 'local[2]', '--conf', 'spark.ui.enabled=false'], {
      input: 'println("RESULT=" + sc.parallelize(1L to 1000000L).reduce(_ + _))\n:quit\n',
      all: true,
      env: JVM_ENV,
      timeout: 180_000,
    });
    expect(r.all).toContain('RESULT=500000500000');
  });

  it('other platforms’ native libraries are gone (jars rewritten, netty’s classifier jars dropped), and the dyno’s own load', async () => {
    const jars = readdirSync(path.join(sparkHome, 'jars'));
    // rocksdbjni carries 14 platforms' libraries (70 MB); one is left
    const rocks = jars.find((j) => /^rocksdbjni-/.test(j))!;
    const libs = (await execa('unzip', ['-Z1', path.join(sparkHome, 'jars', rocks)])).stdout.split('\n').filter((e) => /\.(so|jnilib|dll)$/.test(e));
    expect(libs).toEqual(['librocksdbjni-linux64.so']);
    expect(statSync(path.join(sparkHome, 'jars', rocks)).size).toBeLessThan(20e6);
    expect(jars.filter((j) => /^netty-(tcnative-boringssl-static|transport-native-(epoll|kqueue))-.*-(osx|windows|linux-(aarch_64|riscv64))/.test(j))).toEqual([]);
    expect(jars).toContainEqual(expect.stringMatching(/^netty-tcnative-boringssl-static-.*-linux-x86_64\.jar$/));
    // the libraries a dyno loads still load: RocksDB, zstd, snappy, LZ4, LevelDB, epoll, OpenSSL
    const dir = tmpdir('sis-natives-');
    writeFileSync(
      path.join(dir, 'Natives.java'),
      `public class Natives {
  public static void main(String[] a) throws Exception {
    org.rocksdb.RocksDB.loadLibrary();
    System.out.println("rocksdb " + org.rocksdb.RocksDB.rocksdbVersion());
    System.out.println("zstd " + new String(com.github.luben.zstd.Zstd.decompress(com.github.luben.zstd.Zstd.compress("zstd ok".getBytes()), 7)));
    System.out.println("snappy " + new String(org.xerial.snappy.Snappy.uncompress(org.xerial.snappy.Snappy.compress("snappy ok".getBytes()))));
    System.out.println("lz4 " + (net.jpountz.lz4.LZ4Factory.nativeInstance() != null));
    org.fusesource.leveldbjni.internal.NativeDB.LIBRARY.load();
    System.out.println("leveldb loaded");
    System.out.println("epoll " + io.netty.channel.epoll.Epoll.isAvailable());
    System.out.println("openssl " + io.netty.handler.ssl.OpenSsl.isAvailable());
  }
}
`,
    );
    const r = await execa('java', ['-cp', `${path.join(sparkHome, 'jars')}/*`, path.join(dir, 'Natives.java')], { all: true, reject: false });
    expect(r.exitCode, r.all).toBe(0);
    for (const line of [/^rocksdb \d+\.\d+/m, /^zstd zstd ok$/m, /^snappy snappy ok$/m, /^lz4 true$/m, /^leveldb loaded$/m, /^epoll true$/m, /^openssl true$/m]) expect(r.stdout).toMatch(line);
  });

  it('the pruned pyspark runs a job through spark-submit', async () => {
    const job = path.join(tmpdir('sis-py-'), 'job.py');
    writeFileSync(
      job,
      'from pyspark.sql import SparkSession\nspark = SparkSession.builder.getOrCreate()\nprint("RESULT=%d" % spark.sparkContext.parallelize(range(1, 1000001)).sum())\nspark.stop()\n',
    );
    const r = await execa(path.join(sparkHome, 'bin/spark-submit'), ['--master', 'local[1]', '--conf', 'spark.ui.enabled=false', job], {
      all: true,
      env: { ...JVM_ENV, PYSPARK_PYTHON: 'python3' },
      timeout: 180_000,
    });
    expect(r.all).toContain('RESULT=500000500000');
  });
});

describe(`real Spark ${NEWEST_35} (newest 3.5.x, smoke)`, () => {
  it('compiles from the mirror (its published .sha512) and spark-submit --version prints it', async () => {
    const dist = testDist(NEWEST_35);
    const mirror = await startMirror(dist.mirrorRoot);
    try {
      const app = makeApp('3.5');
      const r = await compile(app, tmpdir('sis-cache-'), { SPARK_MIRROR_URL: mirror.url });
      expect(r.exitCode, r.all).toBe(0);
      expect(r.stdout).toContain(`.spark.version asks for 3.5: the newest patch is ${NEWEST_35}`);
      expect(r.stdout).toContain(`Verified SHA512 (${mirror.url}/spark-${NEWEST_35}/spark-${NEWEST_35}-bin-hadoop3.tgz.sha512)`);
      const v = await execa(path.join(app, 'spark-home/bin/spark-submit'), ['--version'], { all: true, env: JVM_ENV });
      expect(v.all).toContain(`version ${NEWEST_35}`);
    } finally {
      await mirror.close();
    }
  });
});
