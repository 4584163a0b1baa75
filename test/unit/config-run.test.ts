/** Every run-time config var: good, legacy and bad values (config-vars.md). */
import { describe, expect, it } from 'vitest';
import { parseConfig, VARS } from '../../src/config/schema.js';
import { isProblem, type ConfigIssue } from '../../src/errors.js';

const issuesOf = (env: Record<string, string>): ConfigIssue[] => {
  try {
    parseConfig(env, 'run');
  } catch (err) {
    if (isProblem(err) && err.problem.code === 'config-invalid') return err.problem.issues;
    throw err;
  }
  return [];
};

const good: [string, string, unknown][] = [
  ['SPARK_MASTERS', '3', 3],
  ['SPARK_ZK_ZOOKEEPER_URL', 'zookeeper://10.1.1.1:2181,zookeeper://10.1.1.2:2181', '10.1.1.1:2181,10.1.1.2:2181'],
  ['SPARK_ZK_ZOOKEEPER_URL', 'zk1:2181, zk2:2181', 'zk1:2181,zk2:2181'],
  ['SPARK_DEFAULT_CORES', '8', 8],
  ['SPARK_EXECUTOR_MEMORY', '512M', '512m'],
  ['SPARK_DRIVER_MEMORY', '2g', '2g'],
  ['SPARK_WORKER_MEMORY', '10g', '10g'],
  ['SPARK_WORKER_CORES', '8', 8],
  ['LOG_LEVEL', 'warn', 'WARN'],
  ['SPARK_LOG_FORMAT', 'JSON', 'json'],
  ['SPARK_S3_BUCKET_NAME', 'my-bucket', 'my-bucket'],
  ['SPARK_S3_AWS_ACCESS_KEY_ID', 'AKIAIOSFODNN7EXAMPLE', 'AKIAIOSFODNN7EXAMPLE'],
  ['SPARK_S3_AWS_SECRET_ACCESS_KEY', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
  ['SPARK_S3_ENDPOINT', 'http://127.0.0.1:9000/', 'http://127.0.0.1:9000'],
  ['SPARK_S3_PATH_STYLE', 'false', false],
  ['SPARK_S3_REGION', 'eu-west-1', 'eu-west-1'],
  ['SPARK_REVERSE_PROXY_URL', 'https://spark.example.com/', 'https://spark.example.com'],
  ['SPARK_AUTH_SECRET', 'a'.repeat(32), 'a'.repeat(32)],
  ['SPARK_NETWORK_CRYPTO', 'false', false],
  ['SPARK_CONNECT_TOKEN', 'Ab0._~+/=-'.repeat(2), 'Ab0._~+/=-'.repeat(2)],
  ['SPARK_API_TOKEN', 'Ab0._~+/=-'.repeat(2), 'Ab0._~+/=-'.repeat(2)],
  ['SPARK_API_PORT', '8998', 8998],
  ['SPARK_API_CORS_ORIGINS', 'https://a.example.com, http://localhost:3000', ['https://a.example.com', 'http://localhost:3000']],
  ['SPARK_CONNECT_TLS_CERT', '-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----'],
  ['SPARK_CONNECT_TLS_KEY', '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----', '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----'],
  ['SPARK_PROMETHEUS', 'off', false],
  ['SPARK_DEFAULTS_EXTRA', 'spark.sql.shuffle.partitions 64\n# comment\nspark.ui.killEnabled=false', ['spark.sql.shuffle.partitions 64', 'spark.ui.killEnabled=false']],
  ['SPACE_PROXY_BASIC_AUTH', 'spark:{PLAIN}a-long-password', ['spark:{PLAIN}a-long-password']],
  ['SPACE_PROXY_BASIC_AUTH', 'a:{SHA}x\nb:$apr1$salt$hash', ['a:{SHA}x', 'b:$apr1$salt$hash']],
  ['SPACE_PROXY_DEFAULT_BACKEND', '1.master.demo.app.localspace:8080', '1.master.demo.app.localspace:8080'],
  ['SPACE_PROXY_PASSWORD', 'a-long-password', 'a-long-password'],
  ['SPACE_PROXY_ALLOWED_DOMAINS', 'localspace, .internal.example', ['localspace', 'internal.example']],
  ['SPACE_PROXY_ALLOWED_PORTS', '8080-8099, 18080', [[8080, 8099], [18080]]],
  ['SPARK_HEROKU_ACCESS_TOKEN', 'HRKU-0123456789', 'HRKU-0123456789'],
  ['SPARK_ZOOKEEPERS', '3', 3],
  ['SPARK_ZOOKEEPERS', '0', 0],
  ['SPARK_AUTOSCALE_MAX', '6', 6],
  ['SPARK_AUTOSCALE_MIN', '0', 0],
  ['SPARK_AUTOSCALE_IDLE', '15m', 900_000],
  ['SPARK_AUTOSCALE_COOLDOWN', '90', 90_000],
  ['SPARK_AUTOSCALE_INTERVAL', '2s', 2000],
  ['SPARK_SERVER_DYNAMIC_ALLOCATION', 'off', false],
  ['SPARK_SERVER_IDLE_TIMEOUT', '90s', 90_000],
  ['SPARK_SERVER_MAX_CORES', '4', 4],
  ['SPARK_SQL_REFLECT', 'OFF', 'off'],
  ['SPARK_SQL_REFLECT', 'java\\.util\\.UUID\\..*, java\\.lang\\.Math\\.abs', ['java\\.util\\.UUID\\..*', 'java\\.lang\\.Math\\.abs']],
  ['SPARK_CDS', 'false', false],
  ['SPARK_METASTORE_PORT', '19083', 19083],
  ['SPARK_METASTORE_DERBY_DIR', '/srv/catalog', '/srv/catalog'],
  ['SPARK_CDS_DIR', '/var/cache/spark-cds', '/var/cache/spark-cds'],
  ['SPARK_METASTORE_DATABASE_URL', 'postgres://u:p@db.example.com:5432/d1', 'postgres://u:p@db.example.com:5432/d1'],
  ['SPARK_METASTORE_POOL_SIZE', '2', 2],
  ['SPARK_WAREHOUSE_DIR', 's3a://bucket/warehouse', 's3a://bucket/warehouse'],
  [
    'HIVE_SITE_XML',
    '<configuration>\n\t<property><name>a.b</name><value>1</value></property>\n</configuration>',
    '<configuration>\n\t<property><name>a.b</name><value>1</value></property>\n</configuration>',
  ],
  ['HEROKU_API_URL', 'http://127.0.0.1:9999/', 'http://127.0.0.1:9999'],
  ['SPARK_CLUSTER_APP', 'my-cluster', 'my-cluster'],
  ['SPARK_EVENTLOG_DIR', 's3a://bucket/spark-events', 's3a://bucket/spark-events'],
  ['SPARK_DECOMMISSION', 'off', false],
  ['SPARK_DECOMMISSION_TIMEOUT', '20', 20],
  ['SPARK_DECOMMISSION_FALLBACK', 's3a://bucket/fallback', 's3a://bucket/fallback/'],
  ['SPARK_DECOMMISSION_FALLBACK', 'file:///shared/fallback/', 'file:///shared/fallback/'],
  ['SPARK_DECOMMISSION_FALLBACK', 'OFF', undefined],
  ['PORT', '5000', 5000],
  ['DYNO', 'worker.3', 'worker.3'],
  ['HEROKU_PRIVATE_IP', '10.0.1.23', '10.0.1.23'],
  ['HEROKU_DNS_DYNO_NAME', '3.worker.Demo.app.localspace', '3.worker.demo.app.localspace'],
  ['HEROKU_DNS_FORMATION_NAME', 'worker.demo.app.localspace', 'worker.demo.app.localspace'],
  ['HEROKU_DNS_APP_NAME', 'demo.app.localspace', 'demo.app.localspace'],
];

const legacy: [string, string, string][] = [
  ['KAFKA_ZOOKEEPER_URL', 'zookeeper://10.0.0.5:2181', 'SPARK_ZK_ZOOKEEPER_URL'],
  ['BUCKETEER_BUCKET_NAME', 'bucketeer-123', 'SPARK_S3_BUCKET_NAME'],
  ['BUCKETEER_AWS_ACCESS_KEY_ID', 'AKIAOLD', 'SPARK_S3_AWS_ACCESS_KEY_ID'],
  ['BUCKETEER_AWS_SECRET_ACCESS_KEY', 'old/secret+key', 'SPARK_S3_AWS_SECRET_ACCESS_KEY'],
  ['BUCKETEER_AWS_REGION', 'us-east-1', 'SPARK_S3_REGION'],
  ['SPARK_BASIC_AUTH', 'spark:{PLAIN}a-long-password', 'SPACE_PROXY_BASIC_AUTH'],
  // Heroku Postgres attached as itself
  ['DATABASE_URL', 'postgresql://u:p@db.example.com/d1?sslmode=require', 'SPARK_METASTORE_DATABASE_URL'],
];

const bad: [string, string, string][] = [
  ['SPARK_MASTERS', '0', 'must be between 1 and 9'],
  ['SPARK_SERVER_DYNAMIC_ALLOCATION', 'maybe', 'must be true or false'],
  ['SPARK_SERVER_IDLE_TIMEOUT', '0.5s', 'must be at least 1 s'],
  ['SPARK_SERVER_MAX_CORES', '0', 'must be between 1 and 100000'],
  ['SPARK_SQL_REFLECT', 'java.util.(', 'each pattern must be a regular expression'],
  ['SPARK_CDS', 'sometimes', 'must be true or false'],
  ['SPARK_METASTORE_PORT', '80', 'must be between 1024 and 65535'],
  ['SPARK_METASTORE_DERBY_DIR', 'catalog', 'must be an absolute path'],
  ['SPARK_CDS_DIR', 'cache/cds', 'must be an absolute path'],
  ['SPARK_METASTORE_DATABASE_URL', 'mysql://u:p@h/d', 'is a mysql:// URL, not a PostgreSQL one (postgres:// or postgresql://): it must be postgres://user:password@host:5432/dbname'],
  ['SPARK_METASTORE_DATABASE_URL', 'postgres://u:p@h/', 'names no database (…/dbname at its end): it must be postgres://user:password@host:5432/dbname'],
  [
    'SPARK_METASTORE_DATABASE_URL',
    'postgres://u:p@h/d?sslmode=maybe',
    'has sslmode=maybe, which is none of disable, allow, prefer, require, verify-ca, verify-full: it must be postgres://user:password@host:5432/dbname',
  ],
  ['SPARK_METASTORE_POOL_SIZE', '0', 'must be between 1 and 100'],
  ['SPARK_WAREHOUSE_DIR', 'warehouse', 'must be a URI such as s3a://bucket/warehouse'],
  ['HIVE_SITE_XML', '<props/>', 'is not a hive-site.xml (no <configuration> element)'],
  ['SPARK_MASTERS', 'abc', 'must be a whole number'],
  ['SPARK_ZK_ZOOKEEPER_URL', 'zookeeper://zk1', 'each server must be host:port'],
  ['SPARK_DEFAULT_CORES', 'four', 'must be a whole number'],
  ['SPARK_EXECUTOR_MEMORY', '12 gigs', 'must be a JVM size such as 512m or 12g'],
  ['SPARK_DRIVER_MEMORY', '2gb', 'must be a JVM size'],
  ['SPARK_WORKER_MEMORY', '-1g', 'must be a JVM size'],
  ['SPARK_WORKER_CORES', '0', 'must be between 1 and 1024'],
  ['LOG_LEVEL', 'LOUD', 'must be one of OFF, FATAL, ERROR, WARN, INFO, DEBUG, TRACE, ALL'],
  ['SPARK_LOG_FORMAT', 'logfmt', 'must be text or json'],
  ['SPARK_S3_BUCKET_NAME', 'My_Bucket', 'must be an S3 bucket name'],
  ['SPARK_S3_AWS_ACCESS_KEY_ID', 'has space', 'must be an access key id'],
  ['SPARK_S3_AWS_SECRET_ACCESS_KEY', 'a b', 'without spaces'],
  ['SPARK_S3_ENDPOINT', 'minio:9000', 'must be a http, https URL'],
  ['SPARK_S3_PATH_STYLE', 'sometimes', 'must be true or false'],
  ['SPARK_S3_REGION', 'mars', 'must be a region'],
  ['SPARK_REVERSE_PROXY_URL', 'spark.example.com', 'must be a http, https URL'],
  ['SPARK_AUTH_SECRET', 'short', 'at least 16 characters'],
  ['SPARK_NETWORK_CRYPTO', 'y3s', 'must be true or false'],
  ['SPARK_CONNECT_TOKEN', 'too-short', 'must be at least 16 characters'],
  ['SPARK_API_TOKEN', 'too-short', 'must be at least 16 characters'],
  ['SPARK_API_PORT', '80', 'must be between 1024 and 65535'],
  ['SPARK_API_CORS_ORIGINS', 'https://a.example.com/path', 'each entry must be an origin'],
  ['SPARK_CONNECT_TOKEN', 'sixteen-chars-and;semicolon', 'must be letters, digits and ._~+/=- only'],
  ['SPARK_CONNECT_TLS_CERT', 'cert.pem', 'must be a PEM certificate'],
  ['SPARK_CONNECT_TLS_KEY', 'key.pem', 'must be a PEM private key'],
  ['SPARK_PROMETHEUS', 'sure', 'must be true or false'],
  ['SPARK_DEFAULTS_EXTRA', 'just-a-key', 'each line must be "key value"'],
  ['SPACE_PROXY_BASIC_AUTH', 'nopassword', 'each entry must be user:password-hash'],
  // the seeds' old default: too short to stand a guess
  ['SPACE_PROXY_BASIC_AUTH', 'spark:{PLAIN}space', 'a {PLAIN} password must be at least 8 characters'],
  ['SPACE_PROXY_BASIC_AUTH', 'spark:{PLAIN}', 'a {PLAIN} password must be at least 8 characters'],
  // a newline would add a line to spark-defaults.conf (the URL parser drops it silently)
  ['SPARK_REVERSE_PROXY_URL', 'https://spark.example.com/\nspark.evil true', 'must not contain control characters'],
  ['SPARK_DEFAULTS_EXTRA', 'spark.a 1\tspark.b 2', 'must not contain control characters (tabs, escapes; newlines only between entries)'],
  ['SPACE_PROXY_DEFAULT_BACKEND', 'http://master:8080', 'must be host:port'],
  ['SPACE_PROXY_PASSWORD', 'short', 'at least 8 characters'],
  ['SPACE_PROXY_ALLOWED_DOMAINS', 'evil.com/x', 'must be a DNS suffix'],
  ['SPACE_PROXY_ALLOWED_PORTS', '1-65535', 'ranges low-high of at most 1000 ports'],
  ['SPARK_HEROKU_ACCESS_TOKEN', 'x', 'must be an API token'],
  ['SPARK_ZOOKEEPERS', '2', 'must be 1 or 3'],
  ['SPARK_AUTOSCALE_MAX', '0', 'must be between 1 and 1000'],
  ['SPARK_AUTOSCALE_MIN', '-1', 'must be a whole number'],
  ['SPARK_AUTOSCALE_IDLE', '10 minutes', 'must be a duration such as 30s, 10m or 1h'],
  ['SPARK_AUTOSCALE_COOLDOWN', '1d', 'must be a duration such as 30s, 10m or 1h'],
  ['SPARK_AUTOSCALE_INTERVAL', '0.5s', 'must be at least 1 s'],
  ['HEROKU_API_URL', 'api.heroku.com', 'must be a http, https URL'],
  ['SPARK_CLUSTER_APP', 'My App', 'must be a Heroku app name'],
  ['SPARK_EVENTLOG_DIR', '/tmp/events', 'must be a URI'],
  ['SPARK_DECOMMISSION', 'maybe', 'must be true or false'],
  // Heroku SIGKILLs 30 s after SIGTERM: the drain must end before
  ['SPARK_DECOMMISSION_TIMEOUT', '30', 'must be between 1 and 28'],
  ['SPARK_DECOMMISSION_FALLBACK', '/shared/fallback', 'must be off or a directory URI'],
  ['PORT', '70000', 'must be between 1 and 65535'],
  ['DYNO', 'worker', 'must be type.N'],
  ['HEROKU_PRIVATE_IP', 'ten.0.0.1', 'must be an IPv4 address'],
  ['HEROKU_DNS_DYNO_NAME', 'not a name', 'must be a DNS name'],
  ['HEROKU_DNS_FORMATION_NAME', '-bad-.x', 'must be a DNS name'],
  ['HEROKU_DNS_APP_NAME', 'demo', 'must be a DNS name'],
];

/** vars that only parse with another beside them */
const companions: Record<string, Record<string, string>> = { SPARK_REVERSE_PROXY_URL: { SPARK_AUTH_SECRET: 'a'.repeat(32) } };

/** what every run-time parse holds when nothing is set: each var's `default` (src/config/schema.ts) */
const RUN_DEFAULTS = {
  SPARK_MASTERS: 1,
  SPARK_ZOOKEEPERS: 0,
  SPARK_DEFAULT_CORES: 4,
  SPARK_EXECUTOR_MEMORY: '12g',
  SPARK_DRIVER_MEMORY: '2g',
  LOG_LEVEL: 'INFO',
  SPARK_LOG_FORMAT: 'text',
  SPARK_PROMETHEUS: true,
  SPARK_DECOMMISSION: true,
  SPARK_DECOMMISSION_TIMEOUT: 25,
  HEROKU_API_URL: 'https://api.heroku.com',
  SPACE_PROXY_ALLOWED_PORTS: [[8080, 8099], [4040, 4099], [18080]],
  // autoscaling's policy (off until SPARK_AUTOSCALE_MAX is set), in milliseconds
  SPARK_AUTOSCALE_MIN: 1,
  SPARK_AUTOSCALE_IDLE: 600_000,
  SPARK_AUTOSCALE_COOLDOWN: 60_000,
  SPARK_AUTOSCALE_INTERVAL: 10_000,
  // the SQL servers give idle executors back
  SPARK_SERVER_DYNAMIC_ALLOCATION: true,
  SPARK_SERVER_IDLE_TIMEOUT: 60_000,
  // reflect() on the SQL servers: Spark's default (any method)
  SPARK_SQL_REFLECT: 'on',
  // the metastore service's pools (with a metastore database)
  SPARK_METASTORE_POOL_SIZE: 4,
  SPARK_METASTORE_PORT: 9083,
  // class-data sharing, where SPARK_CDS_DIR says where the archives live
  SPARK_CDS: true,
};

describe('run-time config vars', () => {
  it.each(good)('%s=%j parses', (name, value, expected) => {
    const with_ = companions[name] ?? {};
    expect(parseConfig({ [name]: value, ...with_ }, 'run')).toEqual({ ...RUN_DEFAULTS, [name]: expected, ...(with_.SPARK_AUTH_SECRET ? { SPARK_AUTH_SECRET: with_.SPARK_AUTH_SECRET } : {}) });
  });

  it('an unset var with a default is filled in by parseConfig (VarSpec.default), parsed as if it were set', () => {
    expect(parseConfig({}, 'run')).toEqual(RUN_DEFAULTS);
    expect(parseConfig({ SPARK_MASTERS: '' }, 'run').SPARK_MASTERS).toBe(1);
  });

  it('reverse-proxy mode needs SPARK_AUTH_SECRET: anything registering as a worker would be served', () => {
    const issues = issuesOf({ SPARK_REVERSE_PROXY_URL: 'https://spark.example.com' });
    expect(issues).toHaveLength(1);
    expect(issues[0]!.name).toBe('SPARK_REVERSE_PROXY_URL');
    expect(issues[0]!.problem).toContain('needs SPARK_AUTH_SECRET');
    expect(issues[0]!.example).toBe('SPARK_AUTH_SECRET=$(openssl rand -hex 32)');
    // a bad secret is reported as itself, not as a missing one
    expect(issuesOf({ SPARK_REVERSE_PROXY_URL: 'https://spark.example.com', SPARK_AUTH_SECRET: 'short' }).map((i) => i.name)).toEqual(['SPARK_AUTH_SECRET']);
  });

  it('no var carries a control character; multi-line vars keep newlines between entries', () => {
    for (const [name, value] of [
      ['SPARK_EVENTLOG_DIR', 's3a://bucket/x\rspark.y z'],
      ['SPACE_PROXY_DEFAULT_BACKEND', 'a.b:8080\u0000'],
      ['SPARK_S3_ENDPOINT', 'http://127.0.0.1:9000\n'],
      ['LOG_LEVEL', 'WARN\u001b[2J'],
    ])
      expect(issuesOf({ [name!]: value! })[0]?.problem, name).toContain('must not contain control characters');
    expect(parseConfig({ SPARK_DEFAULTS_EXTRA: 'spark.a 1\r\nspark.b 2' }, 'run').SPARK_DEFAULTS_EXTRA).toEqual(['spark.a 1', 'spark.b 2']);
  });

  it.each(legacy)('legacy %s is read as %s: the same value, parsed by the same rules', (old, value, name) => {
    const s = parseConfig({ [old]: value }, 'run') as Record<string, unknown>;
    const same = parseConfig({ [name]: value }, 'run') as Record<string, unknown>;
    expect(same[name]).not.toBeUndefined();
    expect(s[name]).toEqual(same[name]);
    // and a bad value under the old name is refused naming both names
    expect(issuesOf({ [old]: '\u0001' })[0]?.name).toBe(`${old} (read as ${name})`);
  });

  it('the new name wins over the legacy one', () => {
    expect(parseConfig({ SPARK_S3_BUCKET_NAME: 'new-bucket', BUCKETEER_BUCKET_NAME: 'old-bucket' }, 'run').SPARK_S3_BUCKET_NAME).toBe('new-bucket');
  });

  it.each(bad)('%s=%j fails: %s', (name, value, problem) => {
    const issues = issuesOf({ [name]: value });
    expect(issues).toHaveLength(1);
    expect(issues[0]!.name).toBe(name);
    expect(issues[0]!.problem).toContain(problem);
    expect(issues[0]!.example.startsWith(`${name}=`)).toBe(true);
  });

  it('a bad legacy var is named as read, with its new name', () => {
    expect(issuesOf({ KAFKA_ZOOKEEPER_URL: 'zk-without-port' })[0]!.name).toBe('KAFKA_ZOOKEEPER_URL (read as SPARK_ZK_ZOOKEEPER_URL)');
  });

  it('every var in the table above is covered, good and bad', () => {
    const runVars = Object.entries(VARS)
      .filter(([, v]) => v.phase === 'run')
      .map(([k]) => k);
    for (const v of runVars) {
      expect(
        good.some(([n]) => n === v),
        `good ${v}`,
      ).toBe(true);
      expect(
        bad.some(([n]) => n === v),
        `bad ${v}`,
      ).toBe(true);
    }
  });

  it('secret values never appear in messages', () => {
    const issues = issuesOf({ SPARK_AUTH_SECRET: 'tiny-secret', SPARK_S3_AWS_SECRET_ACCESS_KEY: 'sec ret' });
    expect(JSON.stringify(issues)).not.toMatch(/tiny-secret|sec ret/);
  });
});
