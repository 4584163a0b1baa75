/**
 * The S3A connector, decided as data (pure): whether a build wants it, which Hadoop the
 * distribution carries, which Maven modules to resolve instead of the AWS SDK's 500 MB `bundle`,
 * and which resolved jars to keep. `install.ts` executes these decisions with Ivy (shipped in
 * Spark's jars/), against the resolver's default repository or MAVEN_MIRROR_URL.
 */
import { lookup, type Env, type Settings, type VarName } from '../config/schema.js';

/** Bumped when what we resolve or how we keep it changes, so cached connector sets miss. */
export const S3A_PLAN_VERSION = 2;

export interface S3AWanted {
  wanted: boolean;
  /** why, for the build output */
  why: string;
}

/** The run-time vars whose presence (bucketeer attached `--as SPARK_S3`, or set by hand) means S3 is used. */
const S3_VARS: VarName[] = ['SPARK_S3_BUCKET_NAME', 'SPARK_S3_AWS_ACCESS_KEY_ID', 'SPARK_S3_ENDPOINT'];

/** SPARK_S3A=auto|true|false plus the app's config vars → install the connector or not. */
export function wantS3A(settings: Settings, env: Env): S3AWanted {
  const mode = settings.SPARK_S3A;
  if (mode === 'true') return { wanted: true, why: 'SPARK_S3A=true' };
  if (mode === 'false') return { wanted: false, why: 'SPARK_S3A=false' };
  for (const name of S3_VARS) {
    const found = lookup(env, name);
    if (found) return { wanted: true, why: `${found.from} is set (SPARK_S3A=auto)` };
  }
  const eventLog = lookup(env, 'SPARK_EVENTLOG_DIR');
  if (eventLog && /^s3a:/i.test(eventLog.value.trim())) return { wanted: true, why: 'SPARK_EVENTLOG_DIR is on s3a:// (SPARK_S3A=auto)' };
  return { wanted: false, why: 'no S3 config vars are set (SPARK_S3A=auto); set SPARK_S3A=true to install it anyway' };
}

/** `hadoop-client-api-3.5.0.jar` among the distribution's jars → `3.5.0`. */
export function hadoopVersionOf(jarNames: string[]): string | undefined {
  for (const name of jarNames) {
    const m = /^hadoop-client-api-(\d+\.\d+\.\d+[\w.-]*)\.jar$/.exec(name);
    if (m) return m[1];
  }
  // older or custom layouts ship hadoop-common itself
  for (const name of jarNames) {
    const m = /^hadoop-common-(\d+\.\d+\.\d+[\w.-]*)\.jar$/.exec(name);
    if (m) return m[1];
  }
  return undefined;
}

export interface Coordinate {
  org: string;
  name: string;
  rev: string;
}

export interface SdkBundle extends Coordinate {
  /** v1: com.amazonaws:aws-java-sdk-bundle; v2: software.amazon.awssdk:bundle */
  generation: 1 | 2;
}

/** An attribute of an XML start tag (Ivy's files are regular enough for this). */
const attrOf = (tag: string, k: string) => new RegExp(`\\s${k}="([^"]*)"`).exec(tag)?.[1];

/**
 * Reads the SDK bundle hadoop-aws depends on from its POM as Ivy converted it (ivy.xml), so the
 * SDK always matches the connector instead of a table that may be stale.
 */
export function sdkBundleOf(ivyXml: string): SdkBundle | undefined {
  for (const m of ivyXml.matchAll(/<dependency\s[^>]*>/g)) {
    const tag = m[0];
    const org = attrOf(tag, 'org');
    const name = attrOf(tag, 'name');
    const rev = attrOf(tag, 'rev');
    if (!org || !name || !rev) continue;
    if (org === 'software.amazon.awssdk' && name === 'bundle') return { org, name, rev, generation: 2 };
    if (org === 'com.amazonaws' && name === 'aws-java-sdk-bundle') return { org, name, rev, generation: 1 };
  }
  return undefined;
}

/**
 * The SDK modules S3A loads, instead of the bundle (test/e2e/s3a.test.ts proves they suffice):
 * the S3 client, STS (assumed roles, web identity) and, for SDK v2, the transfer manager S3A
 * uploads and copies with (for v1, DynamoDB: Hadoop 3.3's error translation names its classes).
 * Their own dependencies come transitively.
 */
export function sdkModules(sdk: SdkBundle): Coordinate[] {
  if (sdk.generation === 1)
    // Hadoop 3.3's S3AUtils translates DynamoDB exceptions (S3Guard): without the module, any S3 error is a NoClassDefFoundError
    return ['aws-java-sdk-s3', 'aws-java-sdk-sts', 'aws-java-sdk-dynamodb'].map((name) => ({ org: 'com.amazonaws', name, rev: sdk.rev }));
  return ['s3', 'sts', 's3-transfer-manager'].map((name) => ({ org: 'software.amazon.awssdk', name, rev: sdk.rev }));
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

/** The Ivy module that resolves hadoop-aws without the SDK bundle, plus the SDK modules S3A needs. */
export function ivyModule(hadoop: string, sdk: SdkBundle): string {
  const dep = (c: Coordinate, body = '') => `    <dependency org="${xml(c.org)}" name="${xml(c.name)}" rev="${xml(c.rev)}" conf="default->default"${body ? `>\n${body}\n    </dependency>` : '/>'}`;
  return [
    '<ivy-module version="2.0">',
    '  <info organisation="spark-in-space" module="s3a-connector"/>',
    '  <dependencies>',
    dep({ org: 'org.apache.hadoop', name: 'hadoop-aws', rev: hadoop }, `      <exclude org="${xml(sdk.org)}" module="${xml(sdk.name)}"/>`),
    ...sdkModules(sdk).map((c) => dep(c)),
    '  </dependencies>',
    '</ivy-module>',
    '',
  ].join('\n');
}

/**
 * Ivy settings: one Maven-layout resolver. Without a mirror it is Ivy's `ibiblio` resolver with no
 * root, i.e. the resolver's own default repository (Maven Central). `cacheLayout: 'maven'` makes the
 * cache itself a Maven-layout tree (the test mirror is made this way).
 */
export function ivySettings(opts: { mirror?: string; cacheDir: string; cacheLayout?: 'ivy' | 'maven' }): string {
  const root = opts.mirror ? ` root="${xml(opts.mirror.replace(/\/*$/, '/'))}"` : '';
  const caches =
    opts.cacheLayout === 'maven'
      ? `  <caches defaultCacheDir="${xml(opts.cacheDir)}" artifactPattern="[orgPath]/[module]/[revision]/[artifact]-[revision](-[classifier]).[ext]" ivyPattern="[orgPath]/[module]/[revision]/[module]-[revision].ivy.xml" useOrigin="false"/>`
      : `  <caches defaultCacheDir="${xml(opts.cacheDir)}" useOrigin="false"/>`;
  return [
    '<ivysettings>',
    '  <settings defaultResolver="maven"/>',
    '  <property name="ivy.checksums" value="sha1,md5"/>',
    caches,
    `  <resolvers><ibiblio name="maven" m2compatible="true"${root}/></resolvers>`,
    '</ivysettings>',
    '',
  ].join('\n');
}

export interface Resolved {
  org: string;
  name: string;
  rev: string;
  /** the file in Ivy's cache */
  file: string;
  /** where Ivy downloaded it from (its checksum is published beside it) */
  origin: string;
  size: number;
}

const unxml = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** Parses Ivy's resolve report (`<org>-<module>-<conf>.xml` in its cache): the jars and their origins. */
export function parseIvyReport(report: string): Resolved[] {
  const out: Resolved[] = [];
  for (const mod of report.matchAll(/<module\s+organisation="([^"]*)"\s+name="([^"]*)"[^>]*>([\s\S]*?)<\/module>/g)) {
    const [, org, name, body] = mod;
    for (const rev of body!.matchAll(/<revision\s([^>]*)>([\s\S]*?)<\/revision>/g)) {
      const revTag = ` ${rev[1]}`;
      if (attrOf(revTag, 'evicted')) continue;
      for (const art of rev[2]!.matchAll(/<artifact\s([^>]*)>\s*<origin-location\s([^>]*)\/>/g)) {
        const a = ` ${art[1]}`;
        const o = ` ${art[2]}`;
        if (attrOf(a, 'ext') !== 'jar' || attrOf(a, 'status') === 'failed') continue;
        out.push({
          org: unxml(org!),
          name: unxml(name!),
          rev: unxml(attrOf(revTag, 'name') ?? ''),
          file: unxml(attrOf(a, 'location') ?? ''),
          origin: unxml(attrOf(o, 'location') ?? ''),
          size: Number(attrOf(a, 'size') ?? 0),
        });
      }
    }
  }
  return out;
}

/** `netty-codec-http-4.2.13.Final.jar` → `netty-codec-http` (the artifact, version stripped). */
export function artifactOfJar(file: string): string {
  return file.replace(/\.jar$/, '').replace(/-\d[\w.+-]*$/, '');
}

export interface Selection {
  keep: Resolved[];
  /** already in the distribution (its own version wins: Spark is tested with it) */
  skipped: Resolved[];
}

/** Artifacts whose classes a differently named jar of Spark's already carries. */
const SAME_CLASSES: Record<string, string[]> = { 'commons-logging': ['jcl-over-slf4j'] };

/**
 * Keeps the resolved jars the distribution lacks. A library Spark already ships (netty, httpclient,
 * slf4j, commons-*) is not added again: two versions of one library on a classpath is a run-time
 * lottery, and Spark's is the one its own code was tested with.
 */
export function selectJars(resolved: Resolved[], distJars: string[]): Selection {
  const present = new Set(distJars.map(artifactOfJar));
  // the same classes under another artifact name
  for (const [artifact, providers] of Object.entries(SAME_CLASSES)) if (providers.some((p) => present.has(p))) present.add(artifact);
  const keep: Resolved[] = [];
  const skipped: Resolved[] = [];
  for (const r of resolved) (present.has(r.name) ? skipped : keep).push(r);
  return { keep, skipped };
}

/** The name a kept jar gets in jars/: Maven's `<artifact>-<version>.jar`, as Spark names its own. */
export const jarName = (r: Pick<Resolved, 'name' | 'rev'>) => `${r.name}-${r.rev}.jar`;
