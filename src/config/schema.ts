/**
 * One schema for every config var. Each var is declared once in `VARS` with its legacy names,
 * its zod parser (whose messages say what is wrong), a good example, and whether it is a secret.
 * `parseConfig` reads an environment (process env, or ENV_DIR at build time), resolves legacy
 * names, and returns typed settings or a `config-invalid` problem listing every bad var.
 * Values are never echoed in messages: some of them are secrets.
 */
import * as z from 'zod';
import { fail, type ConfigIssue } from '../errors.js';
import { DEFAULT_SLIM, FEATURE_NAMES, type SparkFeature } from '../spark-features.js';
import { specOf } from '../process-types.js';
import { parseDatabaseUrl, parseHiveSite } from '../metastore/parse.js';
import { withheldOf } from '../secrets.js';

export type Env = Record<string, string | undefined>;

interface VarSpec<T extends z.ZodType> {
  schema: T;
  example: string;
  legacy?: string[];
  secret?: boolean;
  /** when: build (bin/compile) or run (dyno start) */
  phase: 'build' | 'run';
  /** one entry per line: newlines separate entries (every other var is one line) */
  multiline?: boolean;
  /** a document (XML) we parse rather than copy into a file: tabs allowed too */
  document?: boolean;
  /** the value when the var is unset, as it would be written (parsed by `schema`, filled in by `parseConfig`) */
  default?: string;
  doc: string;
}

const spec = <const S extends VarSpec<z.ZodType>>(s: S) => s;

const urlOf = (protocols: string[]) =>
  z
    .string()
    .trim()
    .refine(
      (v) => {
        try {
          const u = new URL(v);
          return protocols.includes(u.protocol);
        } catch {
          return false;
        }
      },
      `must be a ${protocols.map((p) => p.replace(':', '')).join(', ')} URL`,
    );

/** A comma-separated list: each entry trimmed (and `clean`ed), empty ones dropped. */
const commaList = (clean: (entry: string) => string = (e) => e) =>
  z.string().transform((v) =>
    v
      .split(',')
      .map((e) => clean(e.trim()))
      .filter(Boolean),
  );

const isRegex = (p: string) => {
  try {
    new RegExp(p);
    return !p.includes(',');
  } catch {
    return false;
  }
};

const boolish = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'].includes(v), 'must be true or false')
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

const wholeNumber = z.string().trim().regex(/^\d+$/, 'must be a whole number').transform(Number);

const intIn = (min: number, max: number) => wholeNumber.refine((n) => n >= min && n <= max, `must be between ${min} and ${max}`);

/** `30s`, `10m`, `1h` (a bare number is seconds) → milliseconds, at least `minMs` */
const duration = (minMs: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?(ms|s|m|h)?$/, 'must be a duration such as 30s, 10m or 1h')
    .transform((v) => {
      const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v)!;
      return Math.round(Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms']);
    })
    .refine((ms) => ms >= minMs, `must be at least ${minMs / 1000} s`);

const jvmSize = z
  .string()
  .trim()
  .regex(/^\d+[kKmMgGtT]?$/, 'must be a JVM size such as 512m or 12g')
  .transform((v) => v.toLowerCase());

/** a Hadoop file-system URI (event logs, fallback storage) */
const FS_URI = /^(s3a|file|hdfs|gs|abfss?):\/?\/?\S+$/;

const hostname = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/, 'must be a DNS name');

export const VARS = {
  SPARK_MIRROR_URL: spec({
    phase: 'build',
    doc: "base URL(s), comma-separated, laid out like Apache's archive (<base>/spark-X/<file>)",
    example: 'SPARK_MIRROR_URL=https://archive.apache.org/dist/spark',
    schema: commaList()
      .pipe(z.array(urlOf(['http:', 'https:', 'file:'])).min(1, 'must list at least one URL'))
      .transform((list) => list.map((u) => u.replace(/\/+$/, ''))),
  }),
  SPARK_DIST_URL: spec({
    phase: 'build',
    doc: 'exact URL of a custom distribution tarball (overrides the version lookup)',
    example: 'SPARK_DIST_URL=https://example.com/spark-1.6.2-bin-custom.tgz',
    schema: urlOf(['http:', 'https:', 'file:']),
  }),
  SPARK_DIST_SHA512: spec({
    phase: 'build',
    doc: 'expected SHA-512 of SPARK_DIST_URL (else the .sha512 published beside it)',
    example: 'SPARK_DIST_SHA512=8883c67e0a13…2101319 (128 hex characters)',
    schema: z
      .string()
      .transform((v) => v.replace(/\s+/g, '').toLowerCase())
      .refine((v) => /^[0-9a-f]*$/.test(v), 'must be hexadecimal (0-9, a-f)')
      .refine((v) => v.length === 128, 'must be 128 hex characters (a SHA-512)'),
  }),
  SPARK_PACKAGE: spec({
    phase: 'build',
    doc: 'distribution flavour: hadoop3, hadoop3-scala2.13 (3.5), hadoop3-connect (4.x), without-hadoop',
    example: 'SPARK_PACKAGE=hadoop3',
    schema: z
      .string()
      .trim()
      .regex(/^[a-z0-9][a-z0-9.-]*$/, 'must be a flavour name such as hadoop3'),
  }),
  MAVEN_MIRROR_URL: spec({
    phase: 'build',
    doc: 'Maven-layout base URL for extra jars (default: the resolver’s own, Maven Central)',
    example: 'MAVEN_MIRROR_URL=https://maven.example.com/releases',
    schema: urlOf(['http:', 'https:', 'file:']).transform((u) => u.replace(/\/+$/, '')),
  }),
  SPARK_METASTORE_JDBC: spec({
    phase: 'build',
    doc: 'install the PostgreSQL JDBC driver the metastore dyno needs even though no database URL is set at build (a Heroku Postgres attached after this build; `local up --postgres`); default: only with SPARK_METASTORE_DATABASE_URL or DATABASE_URL',
    example: 'SPARK_METASTORE_JDBC=true',
    schema: boolish,
  }),
  SPARK_S3A: spec({
    phase: 'build',
    default: 'auto',
    doc: 'install the S3A connector jars: auto (when S3 vars are set), true, false',
    example: 'SPARK_S3A=auto',
    schema: z.enum(['auto', 'true', 'false'], { message: 'must be auto, true or false' }),
  }),
  SPARK_DOWNLOAD_RETRIES: spec({
    phase: 'build',
    default: '3',
    doc: 'retries per mirror after a network error (backoff doubles from 1 s)',
    example: 'SPARK_DOWNLOAD_RETRIES=3',
    schema: intIn(0, 10),
  }),
  SPARK_DOWNLOAD_TIMEOUT: spec({
    phase: 'build',
    default: '60',
    doc: 'seconds without a byte before a download attempt is abandoned and retried',
    example: 'SPARK_DOWNLOAD_TIMEOUT=60',
    schema: intIn(1, 3600),
  }),
  SPARK_CATALOG: spec({
    phase: 'build',
    doc: 'JSON file (relative to the app) adding releases or pinning checksums in the catalog',
    example: 'SPARK_CATALOG=spark-catalog.json',
    schema: z.string().trim().min(1, 'must be a file path'),
  }),
  SPARK_SKIP_JAVA_CHECK: spec({
    phase: 'build',
    default: 'false',
    doc: 'skip the build-time Spark/Java compatibility check',
    example: 'SPARK_SKIP_JAVA_CHECK=false',
    schema: boolish,
  }),
  SPARK_JDK_LINK: spec({
    phase: 'build',
    default: 'true',
    doc: 'link the full JDK the JVM buildpack leaves in .jdk into a smaller runtime (true); false keeps it whole (an app whose own code needs a JDK module the runtime leaves out)',
    example: 'SPARK_JDK_LINK=false',
    schema: boolish,
  }),
  SPARK_SLIM: spec({
    phase: 'build',
    default: DEFAULT_SLIM.join(','),
    doc: `parts of Spark left out of the slug, a comma list of ${FEATURE_NAMES.join(', ')}; none keeps everything (default ${DEFAULT_SLIM.join(',')})`,
    example: 'SPARK_SLIM=connect-repl,connect,python',
    schema: z
      .string()
      .trim()
      .toLowerCase()
      .refine((v) => v === 'none' || v.split(',').every((f) => (FEATURE_NAMES as string[]).includes(f.trim())), `must be none or a comma list of ${FEATURE_NAMES.join(', ')}`)
      .transform((v) => (v === 'none' ? [] : [...new Set(v.split(',').map((f) => f.trim()))]) as SparkFeature[]),
  }),
  // ---- run time: read at every dyno start
  SPARK_MASTERS: spec({
    phase: 'run',
    default: '1',
    doc: 'number of masters; the URL lists 1..N.master.<app>:7077',
    example: 'SPARK_MASTERS=3',
    schema: intIn(1, 9),
  }),
  SPARK_ZK_ZOOKEEPER_URL: spec({
    phase: 'run',
    legacy: ['KAFKA_ZOOKEEPER_URL'],
    doc: 'ZooKeeper ensemble for master HA: zookeeper://h1:2181,zookeeper://h2:2181 (or h1:2181,h2:2181)',
    example: 'SPARK_ZK_ZOOKEEPER_URL=zookeeper://10.1.1.1:2181,zookeeper://10.1.1.2:2181',
    schema: commaList((e) => e.replace(/^zookeeper:\/\//, '').replace(/\/+$/, ''))
      .pipe(z.array(z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'each server must be host:port (e.g. zookeeper://10.1.1.1:2181)')).min(1, 'must list at least one host:port'))
      .transform((list) => list.join(',')),
  }),
  SPARK_ZOOKEEPERS: spec({
    phase: 'run',
    default: '0',
    doc: "number of the app's own zookeeper dynos (bin/zookeeper): 1 or 3; masters use them when SPARK_ZK_ZOOKEEPER_URL is unset",
    example: 'SPARK_ZOOKEEPERS=3',
    schema: wholeNumber.refine((n) => [0, 1, 3, 5].includes(n), 'must be 1 or 3 (5 for a large space; 0 turns the own ensemble off): a ZooKeeper ensemble needs an odd size'),
  }),
  SPARK_DEFAULT_CORES: spec({
    phase: 'run',
    default: '4',
    doc: 'spark.deploy.defaultCores: cores an application gets when it asks for none',
    example: 'SPARK_DEFAULT_CORES=4',
    schema: intIn(1, 100000),
  }),
  SPARK_EXECUTOR_MEMORY: spec({ phase: 'run', default: '12g', doc: 'spark.executor.memory', example: 'SPARK_EXECUTOR_MEMORY=12g', schema: jvmSize }),
  SPARK_DRIVER_MEMORY: spec({ phase: 'run', default: '2g', doc: 'spark.driver.memory', example: 'SPARK_DRIVER_MEMORY=2g', schema: jvmSize }),
  SPARK_WORKER_MEMORY: spec({
    phase: 'run',
    doc: 'memory a worker offers (default: the dyno memory minus headroom for the daemons)',
    example: 'SPARK_WORKER_MEMORY=10g',
    schema: jvmSize,
  }),
  SPARK_WORKER_CORES: spec({ phase: 'run', doc: 'cores a worker offers (default: nproc)', example: 'SPARK_WORKER_CORES=8', schema: intIn(1, 1024) }),
  SPARK_LOG_FORMAT: spec({
    phase: 'run',
    default: 'text',
    doc: "how every process writes its log: text, or json (Spark 4's structured logging: one JSON object a line with ts, level, logger, msg and Spark's context; the launchers', sidecars' and the proxy's own lines in the same shape). Spark 3.5 has no structured logging: it logs text and says so",
    example: 'SPARK_LOG_FORMAT=json',
    schema: z
      .string()
      .trim()
      .toLowerCase()
      .pipe(z.enum(['text', 'json'], { message: 'must be text or json' })),
  }),
  LOG_LEVEL: spec({
    phase: 'run',
    default: 'INFO',
    doc: 'log level for Spark: OFF, FATAL, ERROR, WARN, INFO, DEBUG, TRACE, ALL',
    example: 'LOG_LEVEL=WARN',
    schema: z
      .string()
      .trim()
      .toUpperCase()
      .pipe(z.enum(['OFF', 'FATAL', 'ERROR', 'WARN', 'INFO', 'DEBUG', 'TRACE', 'ALL'], { message: 'must be one of OFF, FATAL, ERROR, WARN, INFO, DEBUG, TRACE, ALL' })),
  }),
  SPARK_S3_BUCKET_NAME: spec({
    phase: 'run',
    legacy: ['BUCKETEER_BUCKET_NAME'],
    doc: 'default bucket (bucketeer attached --as SPARK_S3)',
    example: 'SPARK_S3_BUCKET_NAME=my-bucket',
    schema: z
      .string()
      .trim()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)'),
  }),
  SPARK_S3_AWS_ACCESS_KEY_ID: spec({
    phase: 'run',
    secret: true,
    legacy: ['BUCKETEER_AWS_ACCESS_KEY_ID'],
    doc: 'S3A access key',
    example: 'SPARK_S3_AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE',
    schema: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9/+=_-]{3,128}$/, 'must be an access key id (letters and digits)'),
  }),
  SPARK_S3_AWS_SECRET_ACCESS_KEY: spec({
    phase: 'run',
    secret: true,
    legacy: ['BUCKETEER_AWS_SECRET_ACCESS_KEY'],
    doc: 'S3A secret key',
    example: 'SPARK_S3_AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    schema: z
      .string()
      .trim()
      .regex(/^\S{3,256}$/, 'must be a secret key without spaces'),
  }),
  SPARK_S3_ENDPOINT: spec({
    phase: 'run',
    doc: 'S3-compatible endpoint (MinIO, R2, a test server); implies path-style access',
    example: 'SPARK_S3_ENDPOINT=http://127.0.0.1:9000',
    schema: urlOf(['http:', 'https:']).transform((u) => u.replace(/\/+$/, '')),
  }),
  SPARK_S3_PATH_STYLE: spec({ phase: 'run', doc: 'path-style S3 access (default: true with SPARK_S3_ENDPOINT)', example: 'SPARK_S3_PATH_STYLE=false', schema: boolish }),
  SPARK_S3_REGION: spec({
    phase: 'run',
    legacy: ['BUCKETEER_AWS_REGION'],
    doc: 'bucket region',
    example: 'SPARK_S3_REGION=us-east-1',
    schema: z
      .string()
      .trim()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be a region such as us-east-1'),
  }),
  SPARK_REVERSE_PROXY_URL: spec({
    phase: 'run',
    doc: 'public URL of the space proxy; turns on spark.ui.reverseProxy',
    example: 'SPARK_REVERSE_PROXY_URL=https://my-spark.herokuapp.com',
    schema: urlOf(['http:', 'https:']).transform((u) => u.replace(/\/+$/, '')),
  }),
  SPARK_AUTH_SECRET: spec({
    phase: 'run',
    secret: true,
    doc: 'shared secret: spark.authenticate=true; daemons and drivers without it are refused',
    example: 'SPARK_AUTH_SECRET=$(openssl rand -hex 32)',
    schema: z.string().trim().min(16, 'must be at least 16 characters').regex(/^\S+$/, 'must not contain spaces'),
  }),
  SPARK_CONNECT_TOKEN: spec({
    phase: 'run',
    secret: true,
    doc: 'token Spark Connect clients send (sc://host:15002/;token=...); the connect dyno refuses to start without it (app.json generates one)',
    example: 'SPARK_CONNECT_TOKEN=$(openssl rand -hex 32)',
    schema: z
      .string()
      .trim()
      .min(16, 'must be at least 16 characters')
      .regex(/^[A-Za-z0-9._~+/=-]+$/, 'must be letters, digits and ._~+/=- only (it goes in a connection string)'),
  }),
  SPARK_API_TOKEN: spec({
    phase: 'run',
    secret: true,
    doc: 'bearer token apps in the space send to the api dyno (Authorization: Bearer …); the api dyno refuses to start without it (app.json generates one). The space proxy sends it for its own users',
    example: 'SPARK_API_TOKEN=$(openssl rand -hex 32)',
    schema: z
      .string()
      .trim()
      .min(16, 'must be at least 16 characters')
      .regex(/^[A-Za-z0-9._~+/=-]+$/, 'must be letters, digits and ._~+/=- only (it goes in an HTTP header)'),
  }),
  SPARK_API_PORT: spec({
    phase: 'run',
    doc: 'port the api dyno listens on, on its private address (default 8998)',
    example: 'SPARK_API_PORT=8998',
    schema: intIn(1024, 65535),
  }),
  SPARK_API_CORS_ORIGINS: spec({
    phase: 'run',
    doc: 'origins browsers may call the API from (CORS), comma-separated; unset: no cross-origin access',
    example: 'SPARK_API_CORS_ORIGINS=https://dashboard.example.com',
    schema: commaList().pipe(
      z
        .array(z.string().regex(/^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/i, 'each entry must be an origin such as https://app.example.com (scheme, host, optional port; no path)'))
        .min(1, 'must list at least one origin'),
    ),
  }),
  SPARK_CONNECT_TLS_CERT: spec({
    phase: 'run',
    multiline: true,
    doc: 'PEM certificate (chain) the connect dyno serves TLS with; clients trust it (GRPC_DEFAULT_SSL_ROOTS_FILE_PATH). Default: a self-signed one made at dyno start',
    example: 'SPARK_CONNECT_TLS_CERT="$(cat connect.crt)"',
    schema: z
      .string()
      .refine((v) => /-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/.test(v.replace(/\\n/g, '\n')), 'must be a PEM certificate (-----BEGIN CERTIFICATE----- ...)')
      .transform((v) => v.replace(/\\n/g, '\n')),
  }),
  SPARK_CONNECT_TLS_KEY: spec({
    phase: 'run',
    multiline: true,
    secret: true,
    doc: 'PEM private key of SPARK_CONNECT_TLS_CERT',
    example: 'SPARK_CONNECT_TLS_KEY="$(cat connect.key)"',
    schema: z
      .string()
      .refine((v) => /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+-----END [A-Z ]*PRIVATE KEY-----/.test(v.replace(/\\n/g, '\n')), 'must be a PEM private key (-----BEGIN PRIVATE KEY----- ...)')
      .transform((v) => v.replace(/\\n/g, '\n')),
  }),
  SPARK_PROMETHEUS: spec({
    phase: 'run',
    default: 'true',
    doc: 'Prometheus text on every Spark UI (master /metrics/master/prometheus, workers and drivers /metrics/prometheus, executors /metrics/executors/prometheus); default true',
    example: 'SPARK_PROMETHEUS=false',
    schema: boolish,
  }),
  SPARK_NETWORK_CRYPTO: spec({
    phase: 'run',
    doc: 'spark.network.crypto.enabled (default: true when SPARK_AUTH_SECRET is set)',
    example: 'SPARK_NETWORK_CRYPTO=true',
    schema: boolish,
  }),
  SPARK_DEFAULTS_EXTRA: spec({
    phase: 'run',
    multiline: true,
    doc: 'extra spark-defaults.conf lines, appended last (one "key value" per line)',
    example: 'SPARK_DEFAULTS_EXTRA="spark.sql.shuffle.partitions 64"',
    schema: z
      .string()
      .transform((v) =>
        v
          .split(/\r?\n|\\n/)
          .map((l) => l.trim())
          .filter((l) => l && !l.startsWith('#')),
      )
      .pipe(z.array(z.string().regex(/^[A-Za-z][\w.-]*(\s+|=)\S.*$/, 'each line must be "key value", e.g. spark.sql.shuffle.partitions 64'))),
  }),
  SPACE_PROXY_BASIC_AUTH: spec({
    phase: 'run',
    multiline: true,
    secret: true,
    legacy: ['SPARK_BASIC_AUTH'],
    doc: 'htpasswd lines for the space proxy: user:{PLAIN}pass, user:{SHA}..., user:{SSHA}..., user:$apr1$...',
    example: 'SPACE_PROXY_BASIC_AUTH=spark:{PLAIN}a-long-password',
    schema: z
      .string()
      .transform((v) =>
        v
          .split(/[\r\n]+|\s*,\s*(?=[^,:\s]+:)/)
          .map((l) => l.trim())
          .filter(Boolean),
      )
      .pipe(
        z
          .array(
            z
              .string()
              .regex(/^[^:\s]+:\S+$/, 'each entry must be user:password-hash')
              .refine((e) => !/^[^:]+:\{PLAIN\}.{0,7}$/.test(e), 'a {PLAIN} password must be at least 8 characters'),
          )
          .min(1, 'must hold at least one user'),
      ),
  }),
  SPACE_PROXY_PASSWORD: spec({
    phase: 'run',
    secret: true,
    doc: 'password of the user "spark" when SPACE_PROXY_BASIC_AUTH is unset (app.json generates one)',
    example: 'SPACE_PROXY_PASSWORD=$(openssl rand -hex 16)',
    schema: z.string().min(8, 'must be at least 8 characters').regex(/^\S+$/, 'must not contain spaces'),
  }),
  SPACE_PROXY_ALLOWED_DOMAINS: spec({
    phase: 'run',
    doc: 'DNS suffixes /set-backend accepts, comma-separated (default: localspace)',
    example: 'SPACE_PROXY_ALLOWED_DOMAINS=localspace',
    schema: commaList((e) => e.toLowerCase().replace(/^\.+/, '')).pipe(
      z.array(z.string().regex(/^[a-z0-9-]+(\.[a-z0-9-]+)*$/, 'each entry must be a DNS suffix such as localspace')).min(1, 'must list at least one suffix'),
    ),
  }),
  SPACE_PROXY_ALLOWED_PORTS: spec({
    phase: 'run',
    default: '8080-8099,4040-4099,18080',
    doc: 'ports /set-backend accepts: numbers and ranges (masters and workers 8080-8099, drivers 4040-4099, the history server 18080)',
    example: 'SPACE_PROXY_ALLOWED_PORTS=8080-8099,4040-4099,18080',
    schema: commaList()
      .pipe(z.array(z.string().regex(/^\d{1,5}(-\d{1,5})?$/, 'each entry must be a port or a range such as 4040-4099')).min(1, 'must list at least one port'))
      .transform((list) => list.map((e) => e.split('-').map(Number) as [number, number?]))
      .refine((list) => list.every(([a, b]) => a >= 1 && a <= 65535 && (b === undefined || (b >= a && b <= 65535 && b - a <= 1000))), 'ports must be 1-65535, ranges low-high of at most 1000 ports'),
  }),
  SPACE_PROXY_DEFAULT_BACKEND: spec({
    phase: 'run',
    doc: 'where the proxy sends a visitor with no backend cookie',
    example: 'SPACE_PROXY_DEFAULT_BACKEND=1.master.my-app.app.localspace:8080',
    schema: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'must be host:port'),
  }),
  SPARK_HEROKU_ACCESS_TOKEN: spec({
    phase: 'run',
    secret: true,
    doc: 'Heroku API token for graceful cycling (bin/spark-master-with-graceful-cycling restarts the worker dynos once a new master is ALIVE)',
    example: 'SPARK_HEROKU_ACCESS_TOKEN=HRKU-...',
    schema: z.string().trim().min(8, 'must be an API token').regex(/^\S+$/, 'must not contain spaces'),
  }),
  HEROKU_API_URL: spec({
    phase: 'run',
    default: 'https://api.heroku.com',
    doc: 'base URL of the Heroku Platform API (default https://api.heroku.com)',
    example: 'HEROKU_API_URL=https://api.heroku.com',
    schema: urlOf(['http:', 'https:']).transform((u) => u.replace(/\/+$/, '')),
  }),
  SPARK_CLUSTER_APP: spec({
    phase: 'run',
    doc: 'for a job app in the same space: the cluster app whose masters to use',
    example: 'SPARK_CLUSTER_APP=my-spark-cluster',
    schema: z
      .string()
      .trim()
      .regex(/^[a-z][a-z0-9-]{1,29}$/, 'must be a Heroku app name (lowercase letters, digits, dashes)'),
  }),
  SPARK_EVENTLOG_DIR: spec({
    phase: 'run',
    doc: 'event log directory (s3a://bucket/spark-events, file:/..., hdfs://...): turns on event logs',
    example: 'SPARK_EVENTLOG_DIR=s3a://my-bucket/spark-events',
    schema: z.string().trim().regex(FS_URI, 'must be a URI such as s3a://bucket/spark-events'),
  }),
  SPARK_DECOMMISSION: spec({
    phase: 'run',
    default: 'true',
    doc: "graceful worker decommission (default true): on the dyno's SIGTERM (scale-down, the daily cycle) a worker drains: its executors finish their tasks and hand cached blocks and shuffle files to other executors",
    example: 'SPARK_DECOMMISSION=false',
    schema: boolish,
  }),
  SPARK_DECOMMISSION_TIMEOUT: spec({
    phase: 'run',
    default: '25',
    // Heroku's SIGKILL comes 30 s after SIGTERM: the default deadline leaves room for the JVM to stop
    doc: 'seconds a worker may drain after SIGTERM before its executors are stopped (default 25: Heroku SIGKILLs the dyno 30 s after SIGTERM)',
    example: 'SPARK_DECOMMISSION_TIMEOUT=25',
    schema: intIn(1, 28),
  }),
  SPARK_DECOMMISSION_FALLBACK: spec({
    phase: 'run',
    doc: 'where draining executors put shuffle files no live executor can take (the last worker of a scale-down to zero): a directory URI every dyno reaches, or off (default)',
    example: 'SPARK_DECOMMISSION_FALLBACK=s3a://my-bucket/spark-fallback/',
    schema: z
      .string()
      .trim()
      .refine((v) => v.toLowerCase() === 'off' || FS_URI.test(v), 'must be off or a directory URI such as s3a://bucket/spark-fallback/ or file:///shared/fallback/')
      .transform((v) => (v.toLowerCase() === 'off' ? undefined : v.endsWith('/') ? v : `${v}/`)),
  }),
  SPARK_METASTORE_DATABASE_URL: spec({
    phase: 'run',
    secret: true,
    legacy: ['DATABASE_URL'],
    doc: "PostgreSQL (Heroku Postgres's DATABASE_URL is read when this is unset) holding one Hive metastore for every driver of the cluster: the metastore dyno serves it at thrift://1.metastore.<app>.app.localspace:9083; sslmode=require unless the URL says otherwise",
    example: 'SPARK_METASTORE_DATABASE_URL=postgres://user:password@host:5432/dbname',
    schema: z
      .string()
      .trim()
      .superRefine((v, ctx) => {
        const db = parseDatabaseUrl(v);
        if ('problem' in db) ctx.addIssue({ code: 'custom', message: `${db.problem}: it must be postgres://user:password@host:5432/dbname` });
      }),
  }),
  SPARK_METASTORE_POOL_SIZE: spec({
    phase: 'run',
    default: '4',
    doc: "with a metastore: the most connections each of the metastore service's two pools opens to Postgres (so at most twice this, whatever the number of drivers; Heroku Postgres's smallest plans allow 20)",
    example: 'SPARK_METASTORE_POOL_SIZE=4',
    schema: intIn(1, 100),
  }),
  SPARK_WAREHOUSE_DIR: spec({
    phase: 'run',
    doc: "spark.sql.warehouse.dir: where managed tables' files go (default with S3: s3a://<bucket>/warehouse; else the driver's disk)",
    example: 'SPARK_WAREHOUSE_DIR=s3a://my-bucket/warehouse',
    schema: z.string().trim().regex(FS_URI, 'must be a URI such as s3a://bucket/warehouse'),
  }),
  SPARK_METASTORE_PORT: spec({
    phase: 'run',
    default: '9083',
    doc: "the metastore service's port, which every driver uses too (Hive 2.3's service listens on every address of its machine: each local space has its own, 29000 + the second octet of its addresses)",
    example: 'SPARK_METASTORE_PORT=9083',
    schema: intIn(1024, 65535),
  }),
  SPARK_METASTORE_DERBY_DIR: spec({
    phase: 'run',
    doc: "without a database URL: the metastore dyno keeps the catalog in an embedded Derby database in this folder (`local up` sets it for a space with thrift or connect dynos, so they and every other driver share one catalog; on Heroku a dyno's disk is wiped daily: use PostgreSQL)",
    example: 'SPARK_METASTORE_DERBY_DIR=/srv/spark/catalog',
    schema: z
      .string()
      .trim()
      .refine((v) => v.startsWith('/'), 'must be an absolute path'),
  }),
  HIVE_SITE_XML: spec({
    phase: 'run',
    multiline: true,
    document: true,
    doc: "a hive-site.xml's content: its properties are given to the metastore service for whatever the vars above do not set (the zalando appliance's var)",
    example: "HIVE_SITE_XML='<configuration><property><name>hive.metastore.client.socket.timeout</name><value>600</value></property></configuration>'",
    schema: z.string().superRefine((v, ctx) => {
      const r = parseHiveSite(v);
      if ('problem' in r) ctx.addIssue({ code: 'custom', message: r.problem });
    }),
  }),
  SPARK_SERVER_DYNAMIC_ALLOCATION: spec({
    phase: 'run',
    default: 'true',
    doc: 'the thrift and connect servers hold executors only while they work: dynamic allocation with shuffle tracking, idle executors given back after SPARK_SERVER_IDLE_TIMEOUT (false: they keep what they got at start)',
    example: 'SPARK_SERVER_DYNAMIC_ALLOCATION=false',
    schema: boolish,
  }),
  SPARK_SERVER_IDLE_TIMEOUT: spec({
    phase: 'run',
    default: '60s',
    doc: 'with SPARK_SERVER_DYNAMIC_ALLOCATION: how long an executor of the thrift or connect server may sit idle before it goes back to the cluster (shuffle data it holds included)',
    example: 'SPARK_SERVER_IDLE_TIMEOUT=2m',
    schema: duration(1000),
  }),
  SPARK_CDS: spec({
    phase: 'run',
    default: 'true',
    doc: "class-data sharing: for Spark's daemons and drivers where SPARK_CDS_DIR is set, and for executors on every worker dyno (under SPARK_CDS_DIR, else the dyno's temp dir): a process type's first start records an archive of the classes it loaded at its exit, later starts map it (about half the CPU of a JVM start; bench:cluster, bench:sql); false: never",
    example: 'SPARK_CDS=false',
    schema: boolish,
  }),
  SPARK_CDS_DIR: spec({
    phase: 'run',
    doc: "where the class-data archives live, one folder per JDK and Spark build (`local` sets <cache>/spark-in-space/cds; unset on Heroku, where a daemon's dyno starts once on a fresh disk, so a recording never pays; a worker's executors then use the dyno's temp dir)",
    example: 'SPARK_CDS_DIR=/var/cache/spark-cds',
    schema: z
      .string()
      .trim()
      .refine((v) => v.startsWith('/'), 'must be an absolute path'),
  }),
  SPARK_SERVER_MAX_CORES: spec({
    phase: 'run',
    doc: 'the most cores the thrift server, and the connect server, may each hold at once (spark.cores.max; default: SPARK_DEFAULT_CORES), so a busy server leaves cores to jobs and to the other server',
    example: 'SPARK_SERVER_MAX_CORES=4',
    schema: intIn(1, 100000),
  }),
  SPARK_SQL_REFLECT: spec({
    phase: 'run',
    default: 'on',
    doc: "what the thrift and connect servers' SQL users may call with reflect()/java_method() (static Java methods on the server): on (Spark's default: any), off (none), or a comma-separated allow list of class.method patterns (spark.sql.reflect.allowList, Spark 4.3+)",
    example: 'SPARK_SQL_REFLECT=off',
    schema: z
      .string()
      .trim()
      .min(1, 'must be on, off or a list of class.method patterns')
      .transform((v) => (/^(on|true)$/i.test(v) ? ('on' as const) : /^(off|false)$/i.test(v) ? ('off' as const) : commaList().parse(v)))
      .refine((v) => typeof v === 'string' || v.every((p) => isRegex(p)), 'each pattern must be a regular expression such as java\\.util\\.UUID\\..*'),
  }),
  SPARK_AUTOSCALE_MAX: spec({
    phase: 'run',
    doc: 'turns autoscaling of the worker formation on: the most worker dynos it scales up to (the leading master decides; src/autoscale)',
    example: 'SPARK_AUTOSCALE_MAX=6',
    schema: intIn(1, 1000),
  }),
  SPARK_AUTOSCALE_MIN: spec({
    phase: 'run',
    default: '1',
    doc: 'with SPARK_AUTOSCALE_MAX: the fewest worker dynos it scales down to (0 lets an idle cluster keep no worker)',
    example: 'SPARK_AUTOSCALE_MIN=2',
    schema: intIn(0, 1000),
  }),
  SPARK_AUTOSCALE_IDLE: spec({
    phase: 'run',
    default: '10m',
    doc: 'with SPARK_AUTOSCALE_MAX: how long a worker has had no executor and no driver before it may be scaled down (30s, 10m, 1h)',
    example: 'SPARK_AUTOSCALE_IDLE=10m',
    schema: duration(1000),
  }),
  SPARK_AUTOSCALE_COOLDOWN: spec({
    phase: 'run',
    default: '1m',
    doc: 'with SPARK_AUTOSCALE_MAX: after a scale up or down, how long before the next may act (it never flaps)',
    example: 'SPARK_AUTOSCALE_COOLDOWN=2m',
    schema: duration(0),
  }),
  SPARK_AUTOSCALE_INTERVAL: spec({
    phase: 'run',
    default: '10s',
    doc: 'with SPARK_AUTOSCALE_MAX: how often the leading master looks at the cluster',
    example: 'SPARK_AUTOSCALE_INTERVAL=10s',
    schema: duration(1000),
  }),
  // ---- set by Heroku on every dyno (and by `spark-in-space local`)
  PORT: spec({ phase: 'run', doc: 'the port the web dyno binds', example: 'PORT=5000', schema: intIn(1, 65535) }),
  DYNO: spec({
    phase: 'run',
    doc: 'the dyno name, e.g. worker.3',
    example: 'DYNO=worker.3',
    schema: z
      .string()
      .trim()
      .regex(/^[a-z][a-z0-9_-]*\.\d+$/, 'must be type.N, e.g. worker.3'),
  }),
  HEROKU_PRIVATE_IP: spec({
    phase: 'run',
    doc: 'the dyno’s private IP in the space',
    example: 'HEROKU_PRIVATE_IP=10.0.1.23',
    schema: z
      .string()
      .trim()
      .regex(/^(\d{1,3}\.){3}\d{1,3}$/, 'must be an IPv4 address'),
  }),
  HEROKU_DNS_DYNO_NAME: spec({ phase: 'run', doc: 'the dyno’s DNS name', example: 'HEROKU_DNS_DYNO_NAME=3.worker.my-app.app.localspace', schema: hostname }),
  HEROKU_DNS_FORMATION_NAME: spec({ phase: 'run', doc: 'the round-robin name of the dyno’s type', example: 'HEROKU_DNS_FORMATION_NAME=worker.my-app.app.localspace', schema: hostname }),
  HEROKU_DNS_APP_NAME: spec({ phase: 'run', doc: 'the app’s DNS suffix', example: 'HEROKU_DNS_APP_NAME=my-app.app.localspace', schema: hostname }),
} satisfies Record<string, VarSpec<z.ZodType>>;

export type VarName = keyof typeof VARS;
type Out<N extends VarName> = z.output<(typeof VARS)[N]['schema']>;
/** vars with a `default`: always set once parsed */
type Defaulted = { [N in VarName]: (typeof VARS)[N] extends { default: string } ? N : never }[VarName];
/** Parsed config: a var with a default is always there, the others when set. */
export type Settings = { [N in Defaulted]: Out<N> } & { [N in Exclude<VarName, Defaulted>]?: Out<N> };
/** Settings as tests and callers may give them in part (parseConfig fills what is missing). */
export type PartialSettings = Partial<Settings>;

/** Reads a var by its name, then its legacy names. An empty value counts as unset. */
export function lookup(env: Env, name: VarName): { value: string; from: string } | undefined {
  const v = VARS[name] as VarSpec<z.ZodType>;
  for (const key of [name, ...(v.legacy ?? [])]) {
    const value = env[key];
    if (value !== undefined && value !== '') return { value, from: key };
  }
  return undefined;
}

/** Control characters no var may carry into a rendered file (multi-line vars may hold newlines). */
const CONTROL = /[\x00-\x09\x0b\x0c\x0e-\x1f\x7f]/;
const CONTROL_OR_NEWLINE = /[\x00-\x1f\x7f]/;
const CONTROL_BUT_WHITESPACE = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;

/** What a parse is for: the process types that will start with these settings (their own rules apply). */
export interface ParseFor {
  processes?: readonly string[];
}

/**
 * Rules between vars, checked once every var parsed on its own; the rules of a process type (its
 * required vars in src/process-types.ts, several masters needing ZooKeeper) only when it is one
 * of `o.processes`.
 */
function crossChecks(s: Settings, env: Env, o: ParseFor): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const starts = (t: string) => o.processes?.includes(t) ?? false;
  // secrets a launcher withheld from this process (src/secrets.ts) are set on the app: they count as set
  const withheld = withheldOf(env);
  if (starts('master') && s.SPARK_MASTERS > 1 && !s.SPARK_ZK_ZOOKEEPER_URL && !s.SPARK_ZOOKEEPERS)
    issues.push({
      name: 'SPARK_MASTERS',
      problem: `is ${s.SPARK_MASTERS}, but more than one master needs ZooKeeper to elect a leader (else every master would take work on its own): set SPARK_ZK_ZOOKEEPER_URL, or run zookeeper dynos and set SPARK_ZOOKEEPERS`,
      example: 'SPARK_ZOOKEEPERS=3',
    });
  for (const t of o.processes ?? [])
    for (const { unless, ...v } of specOf(t)?.requires ?? [])
      if (!s[v.name as VarName] && !withheld.has(v.name) && !unless?.some((u) => s[u as VarName] !== undefined) && !issues.some((i) => i.name === v.name)) issues.push(v);
  if (s.SPARK_AUTOSCALE_MAX !== undefined && s.SPARK_AUTOSCALE_MIN > s.SPARK_AUTOSCALE_MAX)
    issues.push({
      name: 'SPARK_AUTOSCALE_MIN',
      problem: `is ${s.SPARK_AUTOSCALE_MIN}, above SPARK_AUTOSCALE_MAX (${s.SPARK_AUTOSCALE_MAX}): the fewest workers cannot be more than the most`,
      example: `SPARK_AUTOSCALE_MIN=1`,
    });
  if (s.SPARK_REVERSE_PROXY_URL && !s.SPARK_AUTH_SECRET && lookup(env, 'SPARK_AUTH_SECRET') === undefined && !withheld.has('SPARK_AUTH_SECRET'))
    issues.push({
      name: 'SPARK_REVERSE_PROXY_URL',
      problem: 'needs SPARK_AUTH_SECRET: in reverse-proxy mode the master serves the UI of anything that registers as a worker, so only daemons holding the secret may register',
      example: 'SPARK_AUTH_SECRET=$(openssl rand -hex 32)',
    });
  return issues;
}

/**
 * Parses the vars of one phase (or all), filling in defaults; collects every problem before
 * failing. `o.processes`: the process types about to start, whose own rules apply too.
 */
export function parseConfig(env: Env, phase?: 'build' | 'run', o: ParseFor = {}): Settings {
  const out: Record<string, unknown> = {};
  const issues: ConfigIssue[] = [];
  for (const [name, raw] of Object.entries(VARS) as [VarName, VarSpec<z.ZodType>][]) {
    if (phase && raw.phase !== phase) continue;
    const found = lookup(env, name) ?? (raw.default !== undefined ? { value: raw.default, from: name } : undefined);
    if (!found) continue;
    const label = found.from === name ? name : `${found.from} (read as ${name})`;
    if ((raw.document ? CONTROL_BUT_WHITESPACE : raw.multiline ? CONTROL : CONTROL_OR_NEWLINE).test(found.value)) {
      issues.push({
        name: label,
        problem: `must not contain control characters (${raw.multiline ? 'tabs, escapes; newlines only between entries' : 'newlines, tabs, escapes'}): they would add lines to a rendered file`,
        example: raw.example,
      });
      continue;
    }
    const r = raw.schema.safeParse(found.value);
    if (r.success) out[name] = r.data;
    else issues.push({ name: label, problem: r.error.issues.map((i) => i.message).join('; '), example: raw.example });
  }
  if (!issues.length && phase !== 'build') issues.push(...crossChecks(out as Settings, env, o));
  if (issues.length) fail({ code: 'config-invalid', issues });
  return out as Settings;
}
