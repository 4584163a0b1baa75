/**
 * S3 as the cluster's file system, for real: a slug built with the S3A connector (resolved from the
 * Maven mirror), a local space of 1 master, 2 workers, the history server and the space proxy,
 * configured with bucketeer's legacy BUCKETEER_* vars plus SPARK_S3_ENDPOINT, against moto's S3
 * server on 127.0.0.1 with signatures checked. One cluster for the whole file.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import os from 'node:os';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, tmpdir } from '../helpers/buildpack.js';
import { appWithSpark, cli, freePort, localStatus } from '../helpers/cluster.js';
import { startMirror, type Mirror } from '../helpers/mirror.js';
import { startS3, type S3Server } from '../helpers/s3.js';
import { DEFAULT_VERSION, hadoopOf, testMavenMirror } from '../helpers/spark.js';
import { type HaStatus } from '../helpers/ha.js';
import { until } from '../helpers/wait.js';

const APP = 'e2e-s3a';
const PASSWORD = 'e2e-s3a-proxy-password';
const HISTORY = `1.history.${APP}.app.localspace:18080`;
const ARTIFACTS = process.env.SPARK_TEST_ARTIFACTS ?? path.join(os.tmpdir(), 'spark-in-space-artifacts');

/** Every file under `dir` whose bytes contain `needle`. */
function filesContaining(dir: string, needle: string): string[] {
  const hits: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && statSync(p).size < 64e6 && readFileSync(p).includes(needle)) hits.push(p);
    }
  };
  walk(dir);
  return hits;
}

describe(`S3A with real Spark ${DEFAULT_VERSION} and a real S3 API`, () => {
  let s3: S3Server;
  let maven: Mirror;
  let app: string;
  let build: string;
  let url: string;
  const auth = { authorization: `Basic ${Buffer.from(`spark:${PASSWORD}`).toString('base64')}` };
  const psSeen: string[] = [];
  let psWatch: NodeJS.Timeout | undefined;

  beforeAll(async () => {
    s3 = await startS3();
    maven = await startMirror(testMavenMirror(hadoopOf(DEFAULT_VERSION)));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const bucketeer = { BUCKETEER_BUCKET_NAME: s3.bucket, BUCKETEER_AWS_ACCESS_KEY_ID: s3.accessKey, BUCKETEER_AWS_SECRET_ACCESS_KEY: s3.secret, BUCKETEER_AWS_REGION: s3.region };
    ({ app, build } = await appWithSpark(
      DEFAULT_VERSION,
      {
        ...bucketeer,
        SPARK_S3_ENDPOINT: s3.endpoint,
        SPARK_EVENTLOG_DIR: `s3a://${s3.bucket}/spark-events`,
        SPARK_AUTH_SECRET: randomBytes(24).toString('hex'),
        SPACE_PROXY_BASIC_AUTH: `spark:{PLAIN}${PASSWORD}`,
        SPARK_EXECUTOR_MEMORY: '1g',
      },
      true,
      { history: bin('history') },
      // as on Heroku: the build sees the attached add-on's vars (SPARK_S3A=auto)
      { MAVEN_MIRROR_URL: maven.url, ...bucketeer },
    ));
    // the process list, sampled through the whole file: no argv may carry the secret
    psWatch = setInterval(() => {
      void execa('ps', ['-eww', '-o', 'args']).then(
        (r) => psSeen.push(r.stdout),
        () => {},
      );
    }, 1000);
    const up = await cli(['local', 'up', '--detach', '--dir', app, '--app', APP, '--workers', '2', '--port', String(port)]);
    expect(up.exitCode, up.all).toBe(0);
  });
  afterAll(async () => {
    clearInterval(psWatch);
    if (app) await cli(['local', 'down', '--dir', app]);
    await maven?.close();
    await s3?.stop();
  });

  const status = () => localStatus<HaStatus>(app, APP);
  const shell = (script: string, env: Record<string, string> = {}) => cli(['local', 'run', '--dir', app, bin('spark-shell')], { input: `${script}\n:quit\n`, timeout: 240_000, env });

  it('the build installed the connector because bucketeer is attached, and never printed the secret', () => {
    expect(build).toContain('Wanted: BUCKETEER_BUCKET_NAME is set (SPARK_S3A=auto)');
    // resolved now, or taken from the shared build cache another e2e file filled (the step says which)
    expect(build).toContain(`-----> Installing the S3A connector for Hadoop ${hadoopOf(DEFAULT_VERSION)}`);
    expect(readdirSync(path.join(app, '.spark-in-space', 'slug', 'spark-home', 'jars'))).toContain(`hadoop-aws-${hadoopOf(DEFAULT_VERSION)}.jar`);
    expect(build).not.toContain(s3.secret);
  });

  it('the seeds’ round trip: saveAsObjectFile to s3a in one shell, objectFile(...).reduce in a new one → 50005000', async () => {
    const write = await shell(`sc.makeRDD(1 to 10000).saveAsObjectFile("s3a://${s3.bucket}/test-object-file")\nprintln("WROTE")`);
    expect(write.exitCode, write.all).toBe(0);
    expect(write.all).toContain('WROTE');
    expect((await s3.list('test-object-file/')).some((k) => /part-0000/.test(k))).toBe(true);
    const read = await shell(`println("SUM=" + sc.objectFile[Int]("s3a://${s3.bucket}/test-object-file").reduce(_ + _))`);
    expect(read.exitCode, read.all).toBe(0);
    expect(read.all).toContain('SUM=50005000');
  });

  it('a DataFrame written as Parquet by one app (Scala) is read back by another (Python), counts and sums checked', async () => {
    const write = await shell(`spark.range(0, 200000).selectExpr("id", "id % 7 as k").write.mode("overwrite").parquet("s3a://${s3.bucket}/tables/numbers")\nprintln("WROTE")`);
    expect(write.exitCode, write.all).toBe(0);
    expect((await s3.list('tables/numbers/')).some((k) => k.endsWith('.parquet'))).toBe(true);
    const job = path.join(tmpdir('sis-py-'), 'read_numbers.py');
    writeFileSync(
      job,
      [
        'from pyspark.sql import SparkSession, functions as F',
        'spark = SparkSession.builder.appName("read-numbers").getOrCreate()',
        `df = spark.read.parquet("s3a://${s3.bucket}/tables/numbers")`,
        'r = df.agg(F.count("*").alias("n"), F.sum("id").alias("s"), F.countDistinct("k").alias("ks")).first()',
        'print(f"COUNT={r.n} SUM={r.s} KEYS={r.ks}")',
        'spark.stop()',
      ].join('\n'),
    );
    const read = await cli(['local', 'run', '--dir', app, bin('spark-submit'), job], { timeout: 240_000 });
    expect(read.exitCode, read.all).toBe(0);
    expect(read.stdout).toContain('COUNT=200000 SUM=19999900000 KEYS=7');
  });

  it('a wrong secret fails within 60 s with an error naming S3, not a hang', async () => {
    const r = await shell(
      [
        'val t0 = System.nanoTime',
        // one line: the REPL would end the statement before a `catch` on the next
        `try { sc.objectFile[Int]("s3a://${s3.bucket}/test-object-file").count(); println("UNEXPECTED_SUCCESS") } catch { case e: Throwable => println(s"FAILED_AFTER_MS=\${(System.nanoTime - t0) / 1000000} " + e.toString.take(400)) }`,
      ].join('\n'),
      // SPARK_S3_* wins over the cluster's BUCKETEER_*; no event log for this run (it would fail first)
      { SPARK_S3_AWS_SECRET_ACCESS_KEY: 'wrong-secret-0000000000000000000000000000', SPARK_EVENTLOG_DIR: '' },
    );
    expect(r.all).not.toContain('UNEXPECTED_SUCCESS');
    const m = /FAILED_AFTER_MS=(\d+) (.*)/.exec(r.all);
    expect(m, r.all).not.toBeNull();
    expect(Number(m![1])).toBeLessThan(60_000);
    expect(m![2]).toMatch(/s3a:\/\//);
    expect(m![2]).toMatch(/AccessDenied|403|SignatureDoesNotMatch|S3Exception/);
  });

  it('the history server lists the finished apps from the s3a event log, through the space proxy', async () => {
    const set = await fetch(`${url}/set-backend/${HISTORY}`, { headers: auth, redirect: 'manual' });
    expect(set.status).toBe(302);
    const cookie = set.headers.get('set-cookie')!.split(';')[0]!;
    const history = async () => (await status()).dynos.find((d) => d.name === 'history.1')!;
    const before = await history();
    // polled while the history server scans the bucket: once (CI, under load) a 200 was cut short
    // after its headers, so a failed read is retried (and printed), not taken as the answer; a
    // history server that crashed and came back would still fail below
    const apps = await until(
      'the history server to list the finished apps',
      async () => {
        const r = await fetch(`${url}/api/v1/applications?status=completed`, { headers: { ...auth, cookie } });
        if (!r.ok) return false;
        const list = (await r.json()) as { id: string; name: string }[];
        return list.filter((a) => a.name === 'Spark shell').length >= 3 && list.some((a) => a.name === 'read-numbers') ? list : false;
      },
      120_000,
      2000,
      { retryErrors: true },
    );
    const after = await history();
    expect({ pid: after.pid, restarts: after.restarts, phase: after.phase }).toEqual({ pid: before.pid, restarts: before.restarts, phase: 'up' });
    expect((await s3.list('spark-events/')).length).toBeGreaterThanOrEqual(apps.length);
    const html = await (await fetch(`${url}/`, { headers: { ...auth, cookie } })).text();
    expect(html).toContain('History Server');
    const dynos = await (await fetch(`${url}/_dynos`, { headers: auth })).text();
    expect(dynos).toContain(`/set-backend/${HISTORY}`);
  });

  it('the secret is absent from the Environment page (through the proxy), event logs, every log file and every process list', async () => {
    const set = await fetch(`${url}/set-backend/${HISTORY}`, { headers: auth, redirect: 'manual' });
    const cookie = set.headers.get('set-cookie')!.split(';')[0]!;
    const list = (await (await fetch(`${url}/api/v1/applications`, { headers: { ...auth, cookie } })).json()) as { id: string }[];
    expect(list.length).toBeGreaterThan(0);
    // the Environment page as a person sees it (Spark 4 fills it in with scripts): in Chromium, through the proxy
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await (await browser.newContext({ httpCredentials: { username: 'spark', password: PASSWORD } })).newPage();
      await page.goto(`${url}/set-backend/${HISTORY}`);
      await page.goto(`${url}/history/${list[0]!.id}/environment/`);
      // the row exists once the scripts filled the tables (the Hadoop table starts collapsed)
      await page.getByText('spark.hadoop.fs.s3a.secret.key').first().waitFor({ state: 'attached', timeout: 60_000 });
      const text = (await page.locator('body').textContent()) ?? '';
      expect(text).toContain('*********(redacted)');
      expect(text).not.toContain(s3.secret);
      expect(await page.content()).not.toContain(s3.secret);
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, 's3a-history-environment.png'), fullPage: true });
    } finally {
      await browser.close();
    }
    for (const { id } of list) {
      const envJson = await (await fetch(`${url}/api/v1/applications/${id}/environment`, { headers: { ...auth, cookie } })).text();
      expect(envJson).toContain('spark.hadoop.fs.s3a.secret.key');
      expect(envJson).toContain('*********(redacted)');
      expect(envJson).not.toContain(s3.secret);
    }
    for (const key of await s3.list('spark-events/')) expect(await s3.get(key), key).not.toContain(s3.secret);
    // files that hold it by design: .env (the config vars) and each dyno's rendered 0600 conf
    const holders = filesContaining(app, s3.secret).map((f) => path.relative(app, f));
    for (const f of holders) {
      expect(f, 'only config files may hold the secret').toMatch(/^\.env$|\/conf\/spark-defaults\.conf$/);
      if (f !== '.env') expect(statSync(path.join(app, f)).mode & 0o777, f).toBe(0o600);
    }
    expect(holders.filter((f) => f.endsWith('spark-defaults.conf')).length).toBeGreaterThan(0);
    expect(psSeen.length).toBeGreaterThan(30);
    expect(psSeen.filter((ps) => ps.includes(s3.secret))).toEqual([]);
    expect(psSeen.some((ps) => ps.includes('org.apache.spark.deploy.history.HistoryServer'))).toBe(true);
  });
});
