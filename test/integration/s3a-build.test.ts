/**
 * bin/compile installing the S3A connector: real Spark distributions from the test mirror, the
 * connector resolved by Ivy from a Maven-layout mirror on 127.0.0.1 (scripts/test-maven-mirror,
 * made from the real repository once). Every successful build runs again against the cache with
 * both mirrors stopped.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { catalogFile, compile, makeApp, read, snapshot, tmpdir } from '../helpers/buildpack.js';
import { startMirror, type Mirror } from '../helpers/mirror.js';
import { DEFAULT_VERSION, hadoopOf, NEWEST_35, testDist, testMavenMirror } from '../helpers/spark.js';

const mirrors: Mirror[] = [];
afterEach(async () => {
  await Promise.all(mirrors.splice(0).map((m) => m.close()));
});

async function serve(root: string): Promise<Mirror> {
  const m = await startMirror(root);
  mirrors.push(m);
  return m;
}

/** The vars a build of `version` needs to find the test distribution and the Maven mirror. */
async function buildVars(version: string, mavenRoot = testMavenMirror(hadoopOf(version))) {
  const dist = testDist(version);
  const spark = await serve(dist.mirrorRoot);
  const maven = await serve(mavenRoot);
  return {
    spark,
    maven,
    vars: { SPARK_MIRROR_URL: spark.url, SPARK_CATALOG: catalogFile([{ version, pinned: { hadoop3: { sha512: dist.sha512 } } }]), MAVEN_MIRROR_URL: maven.url },
  };
}

const jarsOf = (app: string) => readdirSync(path.join(app, 'spark-home', 'jars'));
const sha1 = (file: string) => createHash('sha1').update(readFileSync(file)).digest('hex');
const s3aRoot = (cache: string) => path.join(cache, 'spark-in-space/v1/s3a');
const s3aEntries = (cache: string) => (existsSync(s3aRoot(cache)) ? readdirSync(s3aRoot(cache)) : []);

/** The AWS SDK version hadoop-aws's POM names (the truth the build must follow). */
function sdkInPom(mavenRoot: string, hadoop: string): { name: string; rev: string } {
  const pom = readFileSync(path.join(mavenRoot, `org/apache/hadoop/hadoop-aws/${hadoop}/hadoop-aws-${hadoop}.pom`), 'utf8');
  const hadoopProject = readFileSync(path.join(mavenRoot, `org/apache/hadoop/hadoop-project/${hadoop}/hadoop-project-${hadoop}.pom`), 'utf8');
  const v2 = /<aws-java-sdk-v2\.version>([^<]+)</.exec(hadoopProject)?.[1];
  const v1 = /<aws-java-sdk\.version>([^<]+)</.exec(hadoopProject)?.[1];
  if (pom.includes('<artifactId>bundle</artifactId>') && v2) return { name: 'bundle', rev: v2 };
  return { name: 'aws-java-sdk-bundle', rev: v1! };
}

describe('s3a_build', () => {
  it(`default version ${DEFAULT_VERSION}: bucketeer's vars (SPARK_S3A=auto) install hadoop-aws matching the distribution's Hadoop, the SDK modules, no bundle; again from the cache with both mirrors down`, async () => {
    const hadoop = hadoopOf(DEFAULT_VERSION);
    const mavenRoot = testMavenMirror(hadoop);
    const { spark, maven, vars } = await buildVars(DEFAULT_VERSION, mavenRoot);
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY1';
    const app = makeApp(DEFAULT_VERSION);
    const cache = tmpdir('sis-cache-');
    const all = { ...vars, BUCKETEER_BUCKET_NAME: 'my-bucket', BUCKETEER_AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEKEYID0001', BUCKETEER_AWS_SECRET_ACCESS_KEY: secret };
    const first = await compile(app, cache, all);
    expect(first.exitCode, first.all).toBe(0);
    expect(first.stdout).toContain(`-----> Installing the S3A connector for Hadoop ${hadoop}`);
    expect(first.stdout).toContain('Wanted: BUCKETEER_BUCKET_NAME is set (SPARK_S3A=auto)');
    expect(first.all).not.toContain(secret);

    const jars = jarsOf(app);
    // the distribution's Hadoop, read from its jar, is the connector's
    expect(jars).toContain(`hadoop-client-api-${hadoop}.jar`);
    expect(jars).toContain(`hadoop-aws-${hadoop}.jar`);
    const sdk = sdkInPom(mavenRoot, hadoop);
    expect(sdk.name).toBe('bundle');
    for (const module of ['s3', 'sts', 's3-transfer-manager', 'sdk-core', 'auth', 'regions', 'apache-client']) expect(jars, module).toContain(`${module}-${sdk.rev}.jar`);
    expect(
      jars.some((j) => /^analyticsaccelerator-s3-/.test(j)),
      'hadoop-aws 3.5 needs analyticsaccelerator-s3',
    ).toBe(hadoop >= '3.5');
    expect(jars.filter((j) => /^(bundle|aws-java-sdk-bundle)-/.test(j))).toEqual([]);
    // Spark's own netty and httpclient stay the only ones
    expect(jars.filter((j) => /^netty-common-/.test(j))).toHaveLength(1);
    expect(jars.filter((j) => /^httpclient-/.test(j))).toHaveLength(1);
    // each installed jar is the repository's (its published .sha1)
    const info = JSON.parse(read(app, 'spark-home', '.spark-in-space.json'));
    expect(info.s3a.jars.length).toBeGreaterThan(20);
    for (const j of info.s3a.jars as { name: string; coordinate: string; sha1: string }[]) {
      const [org, name, rev] = j.coordinate.split(':') as [string, string, string];
      const published = readFileSync(path.join(mavenRoot, org.replace(/\./g, '/'), name, rev, `${name}-${rev}.jar.sha1`), 'utf8').trim();
      expect(sha1(path.join(app, 'spark-home', 'jars', j.name)), j.name).toBe(published);
    }
    const s3aBytes = (info.s3a.jars as { name: string }[]).reduce((n, j) => n + readFileSync(path.join(app, 'spark-home', 'jars', j.name)).length, 0);
    expect(s3aBytes).toBeLessThan(30e6);
    expect(maven.requests.some((r) => r.path.endsWith('.jar.sha1'))).toBe(true);

    await spark.close();
    await maven.close();
    const app2 = makeApp(DEFAULT_VERSION);
    const second = await compile(app2, cache, all);
    expect(second.exitCode, second.all).toBe(0);
    expect(second.stdout).toMatch(/S3A connector[\s\S]*Using the build cache \(\d+ jars verified/);
    expect(snapshot(path.join(app2, 'spark-home'))).toEqual(snapshot(path.join(app, 'spark-home')));
  });

  it(`Spark ${NEWEST_35} (Hadoop ${hadoopOf(NEWEST_35)}, AWS SDK v1): hadoop-aws of that Hadoop and the v1 S3 modules, not the 280 MB bundle; again from the cache`, async () => {
    const hadoop = hadoopOf(NEWEST_35);
    const mavenRoot = testMavenMirror(hadoop);
    const { spark, maven, vars } = await buildVars(NEWEST_35, mavenRoot);
    const app = makeApp(NEWEST_35);
    const cache = tmpdir('sis-cache-');
    const first = await compile(app, cache, { ...vars, SPARK_S3A: 'true' });
    expect(first.exitCode, first.all).toBe(0);
    const jars = jarsOf(app);
    expect(jars).toContain(`hadoop-client-api-${hadoop}.jar`);
    expect(jars).toContain(`hadoop-aws-${hadoop}.jar`);
    const sdk = sdkInPom(mavenRoot, hadoop);
    expect(sdk.name).toBe('aws-java-sdk-bundle');
    for (const module of ['aws-java-sdk-s3', 'aws-java-sdk-core', 'aws-java-sdk-sts', 'aws-java-sdk-dynamodb']) expect(jars, module).toContain(`${module}-${sdk.rev}.jar`);
    expect(jars.filter((j) => /^aws-java-sdk-bundle-/.test(j))).toEqual([]);
    expect(first.stdout).toContain(`built against the AWS SDK v1 ${sdk.rev}`);

    await spark.close();
    await maven.close();
    const app2 = makeApp(NEWEST_35);
    const second = await compile(app2, cache, { ...vars, SPARK_S3A: 'true' });
    expect(second.exitCode, second.all).toBe(0);
    expect(snapshot(path.join(app2, 'spark-home'))).toEqual(snapshot(path.join(app, 'spark-home')));

    // a damaged connector in the cache is noticed, never installed, and resolved again
    const entry = path.join(s3aRoot(cache), s3aEntries(cache)[0]!, 'jars');
    const cachedJar = path.join(
      entry,
      readdirSync(entry).find((j) => j.startsWith('aws-java-sdk-s3-'))!,
    );
    writeFileSync(cachedJar, Buffer.concat([readFileSync(cachedJar), Buffer.from('junk')]));
    const again = await buildVars(NEWEST_35, mavenRoot);
    const app3 = makeApp(NEWEST_35);
    const third = await compile(app3, cache, { ...again.vars, SPARK_S3A: 'true' });
    expect(third.exitCode, third.all).toBe(0);
    expect(third.all).toMatch(/the cached S3A connector is damaged \(aws-java-sdk-s3-[\d.]+\.jar does not match its checksum\); resolving it again/);
    expect(snapshot(path.join(app3, 'spark-home'))).toEqual(snapshot(path.join(app, 'spark-home')));
  });

  it('a jar whose bytes do not match its published .sha1 fails the build: nothing installed, no connector cached', async () => {
    const hadoop = hadoopOf(DEFAULT_VERSION);
    const tampered = tmpdir('sis-maven-');
    cpSync(testMavenMirror(hadoop), tampered, { recursive: true });
    const sdkRev = sdkInPom(tampered, hadoop).rev;
    const jar = path.join(tampered, `software/amazon/awssdk/s3/${sdkRev}/s3-${sdkRev}.jar`);
    const bytes = readFileSync(jar);
    bytes[bytes.length - 100] = bytes[bytes.length - 100]! ^ 0xff;
    writeFileSync(jar, bytes);
    const { vars } = await buildVars(DEFAULT_VERSION, tampered);
    const app = makeApp(DEFAULT_VERSION);
    const before = snapshot(app);
    const cache = tmpdir('sis-cache-');
    const r = await compile(app, cache, { ...vars, SPARK_S3A: 'true' });
    expect(r.exitCode).not.toBe(0);
    expect(r.all).toMatch(/ ! +Checksum mismatch for .*s3-[\d.]+\.jar/);
    expect(r.all).toContain('Nothing was installed or cached.');
    expect(snapshot(app)).toEqual(before);
    expect(s3aEntries(cache)).toEqual([]);
  });

  it('an unreachable Maven repository fails naming it, and installs nothing', async () => {
    const { vars } = await buildVars(DEFAULT_VERSION);
    const app = makeApp(DEFAULT_VERSION);
    const before = snapshot(app);
    const r = await compile(app, tmpdir('sis-cache-'), { ...vars, SPARK_S3A: 'true', MAVEN_MIRROR_URL: 'http://user:hunter2@127.0.0.1:9/maven' });
    expect(r.exitCode).not.toBe(0);
    expect(r.all).toContain('Could not resolve org.apache.hadoop:hadoop-aws:');
    expect(r.all).toContain('http://***@127.0.0.1:9/maven');
    expect(r.all).not.toContain('hunter2');
    expect(snapshot(app)).toEqual(before);
  });

  it('SPARK_S3A=auto without S3 vars, and SPARK_S3A=false with them, install no connector', async () => {
    const { vars, maven } = await buildVars(DEFAULT_VERSION);
    const cache = tmpdir('sis-cache-');
    for (const extra of [{}, { SPARK_S3A: 'false', SPARK_S3_BUCKET_NAME: 'my-bucket' }] as Record<string, string>[]) {
      const app = makeApp(DEFAULT_VERSION);
      const r = await compile(app, cache, { ...vars, ...extra });
      expect(r.exitCode, r.all).toBe(0);
      expect(r.stdout).toMatch(/S3A connector: not installed \((no S3 config vars are set|SPARK_S3A=false)/);
      expect(jarsOf(app).filter((j) => /^hadoop-aws-/.test(j))).toEqual([]);
    }
    expect(maven.requests).toEqual([]);
  });
});
