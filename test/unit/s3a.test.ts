/** The S3A connector's decisions (src/s3a/plan.ts), native pruning's platform table (src/buildpack/natives.ts), the event log dir command. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/schema.js';
import { computeConf } from '../../src/render/index.js';
import { eventLogDirCommand } from '../../src/eventlog/index.js';
import { entryPlatform, hostPlatform, jarPlatform, kept } from '../../src/buildpack/natives.js';
import { artifactOfJar, hadoopVersionOf, ivyModule, ivySettings, parseIvyReport, sdkBundleOf, sdkModules, selectJars, wantS3A, type Resolved } from '../../src/s3a/plan.js';
import { ivyProblems, redactUrls } from '../../src/s3a/install.js';
import { argvFor, prepare } from '../../src/launch/index.js';
import { isProblem } from '../../src/errors.js';

const DNS = { HEROKU_DNS_APP_NAME: 'demo.app.localspace' };
const want = (env: Record<string, string>) => wantS3A(parseConfig(env, 'build'), env);

describe('s3a_wanted', () => {
  it('auto: bucketeer attached (legacy or new names), an endpoint, or an s3a event log dir', () => {
    expect(want({ BUCKETEER_BUCKET_NAME: 'b' })).toEqual({ wanted: true, why: 'BUCKETEER_BUCKET_NAME is set (SPARK_S3A=auto)' });
    expect(want({ SPARK_S3_AWS_ACCESS_KEY_ID: 'AKIA' }).wanted).toBe(true);
    expect(want({ SPARK_S3_ENDPOINT: 'http://127.0.0.1:9000' }).wanted).toBe(true);
    expect(want({ SPARK_EVENTLOG_DIR: 's3a://b/events' }).why).toContain('SPARK_EVENTLOG_DIR');
  });
  it('auto without S3 vars: not wanted, and says how to force it', () => {
    expect(want({})).toEqual({ wanted: false, why: expect.stringContaining('SPARK_S3A=true') });
    expect(want({ SPARK_EVENTLOG_DIR: 'file:/tmp/events' }).wanted).toBe(false);
  });
  it('true and false win over the vars', () => {
    expect(want({ SPARK_S3A: 'true' }).wanted).toBe(true);
    expect(want({ SPARK_S3A: 'false', BUCKETEER_BUCKET_NAME: 'b' }).wanted).toBe(false);
  });
  it('a bad SPARK_S3A names the var and a good example', () => {
    try {
      want({ SPARK_S3A: 'yes' });
      expect.unreachable();
    } catch (e) {
      expect(isProblem(e, 'config-invalid')).toBe(true);
      expect((e as Error).message).toContain('SPARK_S3A: must be auto, true or false (example: SPARK_S3A=auto)');
    }
  });
});

describe('s3a_plan', () => {
  it('reads the Hadoop version from hadoop-client-api (else hadoop-common)', () => {
    expect(hadoopVersionOf(['spark-core_2.13-4.2.0.jar', 'hadoop-client-api-3.5.0.jar', 'hadoop-client-runtime-3.5.0.jar'])).toBe('3.5.0');
    expect(hadoopVersionOf(['hadoop-common-2.7.3.jar'])).toBe('2.7.3');
    expect(hadoopVersionOf(['spark-core_2.13-4.2.0.jar'])).toBeUndefined();
  });
  it('finds the SDK bundle hadoop-aws was built against (v2 and v1)', () => {
    const v2 =
      '<dependency org="com.amazonaws" name="aws-java-sdk-core" rev="1.12.720" conf="provided"/>\n<dependency org="software.amazon.awssdk" name="bundle" rev="2.35.4" force="true" transitive="false" conf="compile->compile(*)"/>';
    expect(sdkBundleOf(v2)).toEqual({ org: 'software.amazon.awssdk', name: 'bundle', rev: '2.35.4', generation: 2 });
    expect(sdkBundleOf('<dependency org="com.amazonaws" name="aws-java-sdk-bundle" rev="1.12.262" force="true">')).toMatchObject({ rev: '1.12.262', generation: 1 });
    expect(sdkBundleOf('<dependency org="x" name="y" rev="1"/>')).toBeUndefined();
  });
  it('resolves hadoop-aws without the bundle, plus the SDK modules S3A loads', () => {
    const sdk = { org: 'software.amazon.awssdk', name: 'bundle', rev: '2.35.4', generation: 2 as const };
    const xml = ivyModule('3.5.0', sdk);
    expect(xml).toContain('<dependency org="org.apache.hadoop" name="hadoop-aws" rev="3.5.0" conf="default->default">');
    expect(xml).toContain('<exclude org="software.amazon.awssdk" module="bundle"/>');
    expect(sdkModules(sdk).map((m) => m.name)).toEqual(['s3', 'sts', 's3-transfer-manager']);
    expect(sdkModules({ org: 'com.amazonaws', name: 'aws-java-sdk-bundle', rev: '1.12.262', generation: 1 }).map((m) => m.name)).toEqual([
      'aws-java-sdk-s3',
      'aws-java-sdk-sts',
      'aws-java-sdk-dynamodb',
    ]);
    for (const m of sdkModules(sdk)) expect(xml).toContain(`name="${m.name}" rev="2.35.4"`);
  });
  it('the default repository is the resolver’s own (no host written here); a mirror is its root', () => {
    const plain = ivySettings({ cacheDir: '/c' });
    expect(plain).toContain('<ibiblio name="maven" m2compatible="true"/>');
    expect(plain).not.toMatch(/https?:/);
    expect(ivySettings({ cacheDir: '/c', mirror: 'http://127.0.0.1:8/m2' })).toContain('root="http://127.0.0.1:8/m2/"');
  });
  it('parses Ivy’s report: jars with their origin, evicted revisions left out', () => {
    const report = `<ivy-report><dependencies>
      <module organisation="software.amazon.awssdk" name="s3">
        <revision name="2.35.4" status="release" downloaded="true">
          <metadata-artifact status="successful" location="/c/s3/ivy-2.35.4.xml" origin-location="http://m/s3-2.35.4.pom"/>
          <artifacts>
            <artifact name="s3" type="jar" ext="jar" status="successful" size="4084242" location="/c/s3/jars/s3-2.35.4.jar">
              <origin-location is-local="false" location="http://m/software/amazon/awssdk/s3/2.35.4/s3-2.35.4.jar"/>
            </artifact>
          </artifacts>
        </revision>
      </module>
      <module organisation="io.netty" name="netty-common">
        <revision name="4.1.1" evicted="latest-revision" downloaded="false"><artifacts>
          <artifact name="netty-common" type="jar" ext="jar" status="no" size="1" location="/c/n.jar"><origin-location is-local="false" location="http://m/n.jar"/></artifact>
        </artifacts></revision>
      </module></dependencies></ivy-report>`;
    expect(parseIvyReport(report)).toEqual([
      { org: 'software.amazon.awssdk', name: 's3', rev: '2.35.4', file: '/c/s3/jars/s3-2.35.4.jar', origin: 'http://m/software/amazon/awssdk/s3/2.35.4/s3-2.35.4.jar', size: 4084242 },
    ]);
  });
  it('keeps only what Spark lacks: its own netty, httpclient, and jcl-over-slf4j for commons-logging win', () => {
    const r = (org: string, name: string, rev: string): Resolved => ({ org, name, rev, file: `/c/${name}.jar`, origin: `http://m/${name}.jar`, size: 1 });
    const resolved = [
      r('org.apache.hadoop', 'hadoop-aws', '3.5.0'),
      r('io.netty', 'netty-codec-http', '4.1.126.Final'),
      r('commons-logging', 'commons-logging', '1.2'),
      r('software.amazon.awssdk', 's3', '2.35.4'),
    ];
    const s = selectJars(resolved, ['netty-codec-http-4.2.13.Final.jar', 'jcl-over-slf4j-2.0.17.jar', 'spark-core_2.13-4.2.0.jar']);
    expect(s.keep.map((k) => k.name)).toEqual(['hadoop-aws', 's3']);
    expect(s.skipped.map((k) => k.name)).toEqual(['netty-codec-http', 'commons-logging']);
    expect(artifactOfJar('netty-tcnative-boringssl-static-2.0.76.Final-linux-x86_64.jar')).toBe('netty-tcnative-boringssl-static');
    expect(artifactOfJar('scala-library-2.13.16.jar')).toBe('scala-library');
  });
  it('never shows a repository password or query string', () => {
    expect(redactUrls('downloading https://u:p4ss@repo.example/x.jar?token=abc ...')).toBe('downloading https://***@repo.example/x.jar?… ...');
    expect(
      ivyProblems(
        ':: resolving dependencies ::\n\t\t::::::::::::::\n\t\t::          UNRESOLVED DEPENDENCIES         ::\n\t\tmodule not found: org.apache.hadoop#hadoop-aws;3.5.0\n\tServer access error at url http://u:pw@127.0.0.1:9/x (java.net.ConnectException: Connection refused)',
      ),
    ).toEqual([
      '::          UNRESOLVED DEPENDENCIES         ::',
      'module not found: org.apache.hadoop#hadoop-aws;3.5.0',
      'Server access error at url http://***@127.0.0.1:9/x (java.net.ConnectException: Connection refused)',
    ]);
  });
});

describe('natives_platforms', () => {
  const keep = new Set(['linux-x64-glibc']);
  it.each([
    ['rocksdbjni-9.8.4.jar', 'librocksdbjni-linux64.so', 'linux-x64-glibc'],
    ['rocksdbjni-9.8.4.jar', 'librocksdbjni-linux64-musl.so', 'linux-x64-musl'],
    ['rocksdbjni-9.8.4.jar', 'librocksdbjni-linux-aarch64.so', 'linux-arm64-glibc'],
    ['rocksdbjni-9.8.4.jar', 'librocksdbjni-osx-arm64.jnilib', 'darwin-arm64'],
    ['rocksdbjni-9.8.4.jar', 'librocksdbjni-win64.dll', 'win32-x64'],
    ['rocksdbjni-9.8.4.jar', 'librocksdbjni-linux-s390x-musl.so', 'linux-s390x-musl'],
    ['zstd-jni-1.5.7-7.jar', 'linux/amd64/libzstd-jni-1.5.7-7.so', 'linux-x64-glibc'],
    ['zstd-jni-1.5.7-7.jar', 'darwin/aarch64/libzstd-jni-1.5.7-7.dylib', 'darwin-arm64'],
    ['zstd-jni-1.5.7-7.jar', 'win/amd64/libzstd-jni-1.5.7-7.dll', 'win32-x64'],
    ['snappy-java-1.1.10.8.jar', 'org/xerial/snappy/native/Linux/x86_64/libsnappyjava.so', 'linux-x64-glibc'],
    ['snappy-java-1.1.10.8.jar', 'org/xerial/snappy/native/Linux/x86_64-musl/libsnappyjava.so', 'linux-x64-musl'],
    ['snappy-java-1.1.10.8.jar', 'org/xerial/snappy/native/Linux/android-arm/libsnappyjava.so', 'android-arm'],
    ['snappy-java-1.1.10.8.jar', 'org/xerial/snappy/native/Mac/x86_64/libsnappyjava.dylib', 'darwin-x64'],
    ['leveldbjni-all-1.8.jar', 'META-INF/native/linux64/libleveldbjni.so', 'linux-x64-glibc'],
    ['leveldbjni-all-1.8.jar', 'META-INF/native/linux64/aarch64/libleveldbjni.so', 'linux-arm64-glibc'],
    ['leveldbjni-all-1.8.jar', 'META-INF/native/osx/libleveldbjni.jnilib', 'darwin-universal'],
    ['jline-3.29.0-jdk8.jar', 'org/jline/nativ/Linux/x86_64/libjlinenative.so', 'linux-x64-glibc'],
    ['lz4-java-1.11.0.jar', 'net/jpountz/util/linux/amd64/liblz4-java.so', 'linux-x64-glibc'],
    ['commons-crypto-1.1.0.jar', 'org/apache/commons/crypto/native/Windows/x86/commons-crypto.dll', 'win32-ia32'],
  ])('%s!%s is for %s', (jar, entry, platform) => {
    expect(entryPlatform(jar, entry)).toBe(platform);
    expect(kept(platform, keep)).toBe(platform === 'linux-x64-glibc');
  });
  it('classes, other jars and unknown layouts are never touched', () => {
    expect(entryPlatform('rocksdbjni-9.8.4.jar', 'org/rocksdb/RocksDB.class')).toBeUndefined();
    expect(entryPlatform('netty-common-4.2.13.Final.jar', 'linux/amd64/x.so')).toBeUndefined();
    expect(entryPlatform('zstd-jni-1.5.7-7.jar', 'weird/libzstd.so')).toBeUndefined();
  });
  it('netty’s per-platform jars: whole, by classifier', () => {
    expect(jarPlatform('netty-tcnative-boringssl-static-2.0.76.Final-linux-x86_64.jar')).toBe('linux-x64-glibc');
    expect(jarPlatform('netty-tcnative-boringssl-static-2.0.76.Final-osx-aarch_64.jar')).toBe('darwin-arm64');
    expect(jarPlatform('netty-transport-native-epoll-4.2.13.Final-linux-riscv64.jar')).toBe('linux-riscv64-glibc');
    expect(jarPlatform('netty-transport-native-kqueue-4.2.13.Final-osx-x86_64.jar')).toBe('darwin-x64');
    expect(jarPlatform('netty-transport-native-unix-common-4.2.13.Final.jar')).toBeUndefined();
    expect(jarPlatform('netty-tcnative-classes-2.0.76.Final.jar')).toBeUndefined();
  });
  it('a macOS build machine keeps its own libraries (and universal ones) beside the dyno’s', () => {
    const mac = new Set(['linux-x64-glibc', hostPlatform('darwin', 'arm64')]);
    expect(kept('darwin-arm64', mac)).toBe(true);
    expect(kept('darwin-universal', mac)).toBe(true);
    expect(kept('darwin-x64', mac)).toBe(false);
    expect(hostPlatform('linux', 'x64', true)).toBe('linux-x64-glibc');
    expect(hostPlatform('linux', 'arm64', false)).toBe('linux-arm64-musl');
  });
});

describe('eventlog_dir', () => {
  const resources = { memoryMb: 8192, cores: 2 };
  const spark = { version: '4.2.0', log4j: 2 as const };
  it('creates an s3a dir with FsShell: settings as -D options, keys only in the environment', () => {
    const env = { ...DNS, SPARK_EVENTLOG_DIR: 's3a://b/events', BUCKETEER_AWS_ACCESS_KEY_ID: 'AKIAID', BUCKETEER_AWS_SECRET_ACCESS_KEY: 'sEcReT/value', SPARK_S3_ENDPOINT: 'http://127.0.0.1:9000' };
    const settings = parseConfig(env, 'run');
    const conf = computeConf({ settings, env, role: 'history', spark, resources });
    const cmd = eventLogDirCommand(settings, conf, '/slug/spark-home');
    expect(cmd && 'argv' in cmd).toBe(true);
    const { argv, env: childEnv } = cmd as { argv: string[]; env: Record<string, string> };
    expect(argv.slice(0, 2)).toEqual(['/slug/spark-home/bin/spark-class', 'org.apache.hadoop.fs.FsShell']);
    expect(argv.slice(-3)).toEqual(['-mkdir', '-p', 's3a://b/events']);
    expect(argv).toContain('-Dfs.s3a.endpoint=http://127.0.0.1:9000');
    expect(argv).toContain('-Dfs.s3a.path.style.access=true');
    expect(argv.join(' ')).not.toMatch(/sEcReT|AKIAID|secret\.key|access\.key/);
    expect(childEnv).toEqual({ AWS_ACCESS_KEY_ID: 'AKIAID', AWS_SECRET_ACCESS_KEY: 'sEcReT/value' });
  });
  it('a file: dir is made locally; no dir, nothing to do', () => {
    const settings = parseConfig({ ...DNS, SPARK_EVENTLOG_DIR: 'file:/tmp/spark-events' }, 'run');
    expect(eventLogDirCommand(settings, computeConf({ settings, env: {}, role: 'master', spark, resources }), '/h')).toEqual({ local: '/tmp/spark-events' });
    const none = parseConfig(DNS, 'run');
    expect(eventLogDirCommand(none, computeConf({ settings: none, env: {}, role: 'master', spark, resources }), '/h')).toBeUndefined();
  });
});

describe('history_process', () => {
  it('runs Spark’s HistoryServer through spark-class', () => {
    const settings = parseConfig({ ...DNS, SPARK_EVENTLOG_DIR: 's3a://b/e' }, 'run');
    const conf = computeConf({ settings, env: {}, role: 'history', spark: { version: '4.2.0', log4j: 2 }, resources: { memoryMb: 1024, cores: 1 } });
    expect(argvFor('history', { sparkHome: '/h', settings, env: {}, conf, args: [] })).toEqual(['/h/bin/spark-class', 'org.apache.spark.deploy.history.HistoryServer']);
    expect(conf.defaults).toContainEqual(['spark.history.fs.logDirectory', 's3a://b/e']);
  });
  it('without SPARK_EVENTLOG_DIR it refuses, naming the var and an example', async () => {
    await expect(prepare('history', {}, [], { version: '4.2.0', log4j: 2 })).rejects.toThrow(/SPARK_EVENTLOG_DIR: is not set.*\(example: SPARK_EVENTLOG_DIR=s3a:\/\/my-bucket\/spark-events\)/s);
  });
});
