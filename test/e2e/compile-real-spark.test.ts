/**
 * bin/compile with a real Apache Spark (PyPI's pyspark in Apache's layout, scripts/test-spark-dist),
 * served by a loopback mirror exactly as production downloads it. The pruned spark-home must still run
 * spark-submit, spark-shell (Scala REPL) and pyspark jobs.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogFile, compile, makeApp, tmpdir } from '../helpers/buildpack.js';
import { startMirror, type Mirror } from '../helpers/mirror.js';
import { DEFAULT_VERSION, NEWEST_35, testDist } from '../helpers/spark.js';

const JVM_ENV = { SPARK_LOCAL_IP: '127.0.0.1', SPARK_DRIVER_MEMORY: '512m', JAVA_TOOL_OPTIONS: '-Xss4m' };

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
