/**
 * Which process may see which secret: one table, beside the process-type table (src/process-types.ts).
 *
 * Heroku gives every dyno every config var. A launcher hands its JVM (and whatever else it execs) only
 * the secrets the row below allows; every other secret-bearing variable is removed from the
 * environment first (`execAs`: the argv runs behind `env -u NAME…`; `run_as` in bin/support/launch.sh for the sidecars and the proxy), and a launcher that cannot remove one
 * refuses to start. A Spark worker starts executors and cluster-mode drivers with its own
 * environment, so what the worker row allows is all user code on a worker can find there.
 *
 * Most secrets reach the JVMs that need them through a file of mode 0600 rendered at dyno start
 * (spark-defaults.conf, hive-site.xml, htpasswd, the Connect TLS key): their variables are needed by
 * the launcher's Node process only, never by what it execs. test/unit/secrets.test.ts checks that
 * every secret var of the schema (src/config/schema.ts `secret: true`, and its legacy names) is in
 * exactly one kind, and test/e2e/secrets.test.ts reads /proc/<pid>/environ of every JVM of a space.
 */
import type { DynoType } from './process-types.js';

export interface SecretKind {
  /** the variables that hold it (ours, their legacy names, and well-known names of the same secret) */
  vars: readonly string[];
  /** more variables by name (Heroku Postgres attachments: HEROKU_POSTGRESQL_<COLOR>_URL) */
  pattern?: RegExp;
  /** what whoever holds it can reach */
  reaches: string;
  /** how the processes that need it get it, if not through the environment */
  carrier: string;
}

export const SECRET_KINDS = {
  'heroku-token': {
    vars: ['SPARK_HEROKU_ACCESS_TOKEN', 'HEROKU_API_KEY'],
    reaches: "the Platform API as the token's account: every app it may access, not only this cluster",
    carrier: 'the environment of the autoscaler and graceful-cycling sidecars beside a master (Node), nothing else',
  },
  database: {
    vars: ['SPARK_METASTORE_DATABASE_URL', 'DATABASE_URL'],
    pattern: /^HEROKU_POSTGRESQL_[A-Z0-9_]+_URL$/,
    reaches: "the catalog's PostgreSQL database (every table's definition)",
    carrier: "hive-site.xml (0600) the metastore launcher writes; the metastore's JVM reads it, not the variable",
  },
  'proxy-auth': {
    vars: ['SPACE_PROXY_PASSWORD', 'SPACE_PROXY_BASIC_AUTH', 'SPARK_BASIC_AUTH'],
    reaches: "the space proxy from the internet: every UI, /cliservice (JDBC), the proxy's API",
    carrier: 'htpasswd (0600) the web dyno renders for its nginx',
  },
  'connect-token': {
    vars: ['SPARK_CONNECT_TOKEN', 'SPARK_CONNECT_AUTHENTICATE_TOKEN'],
    reaches: 'the Spark Connect server (any code on the cluster)',
    carrier: "the Connect server's environment (SPARK_CONNECT_AUTHENTICATE_TOKEN, the variable Spark reads), never argv",
  },
  'api-token': {
    vars: ['SPARK_API_TOKEN'],
    reaches: 'the HTTP API: SQL on the thrift server and batch jobs on the cluster',
    carrier: "the api dyno's environment (it checks the token); the web dyno's nginx.conf (0600), which sends it for the proxy's users",
  },
  'connect-tls-key': {
    vars: ['SPARK_CONNECT_TLS_KEY'],
    reaches: "the Connect server's identity (whoever holds it can pose as the server)",
    carrier: "connect-tls.key (0600) the connect launcher writes for the dyno's nginx",
  },
  's3-keys': {
    vars: ['SPARK_S3_AWS_ACCESS_KEY_ID', 'SPARK_S3_AWS_SECRET_ACCESS_KEY', 'BUCKETEER_AWS_ACCESS_KEY_ID', 'BUCKETEER_AWS_SECRET_ACCESS_KEY'],
    reaches: "the S3 bucket's data",
    carrier: 'spark-defaults.conf (0600: spark.hadoop.fs.s3a.*); drivers hand it to their executors',
  },
  'aws-environment': {
    vars: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'],
    reaches: "whatever the AWS credentials may (S3A's default chain reads them from the environment)",
    carrier: 'the environment, where S3 is read or written: it is how the AWS SDK finds them',
  },
  'cluster-secret': {
    vars: ['SPARK_AUTH_SECRET'],
    reaches: "the cluster's RPC (spark.authenticate): registering a worker, starting an application",
    carrier: "spark-defaults.conf (0600) and the worker's driver-auth.args (0600); Spark hands it to executors itself",
  },
} as const satisfies Record<string, SecretKind>;

export type SecretKindName = keyof typeof SECRET_KINDS;

/** What runs with secrets: the Procfile types, Spark's tools, what runs beside or for them. */
export type SecretHolder =
  | DynoType
  | 'spark-shell'
  | 'spark-submit'
  /** `spark-submit --deploy-mode cluster`: Spark's client sends its whole environment with the driver */
  | 'cluster-driver'
  /** beside a master: the Platform API's clients */
  | 'autoscale'
  | 'graceful-cycling'
  /** the api dyno's bin/spark-submit of a batch */
  | 'api-batch'
  /** the master's and history server's `hadoop fs -mkdir` of SPARK_EVENTLOG_DIR */
  | 'eventlog-dir';

/** `all`: the operator's own one-off process (heroku run, local run): today's environment. */
export type Allowed = readonly SecretKindName[] | 'all';

const S3_USERS = ['aws-environment'] as const;

/**
 * The table: the secrets each process may keep in its environment (every other is removed before
 * it starts). Files holding secrets (the `carrier`s) are rendered only on the dynos that need them.
 */
export const SECRETS_OF: Record<SecretHolder, { allowed: Allowed; why: string }> = {
  master: { allowed: [], why: 'the JVM reads spark.authenticate.secret from spark-defaults.conf; the Platform API token stays in its sidecars' },
  worker: { allowed: S3_USERS, why: 'its executors and cluster-mode drivers (user code) inherit its environment: S3 credentials only' },
  console: { allowed: S3_USERS, why: 'drivers started there read S3' },
  web: { allowed: ['proxy-auth', 'api-token'], why: 'the proxy renders htpasswd from the password, and nginx.conf (0600) with the API token it sends for its users' },
  api: {
    allowed: ['api-token', 'cluster-secret', 'database', 's3-keys', ...S3_USERS],
    why: "checks the token; submits batches with the cluster's conf (its launcher renders the secret and S3 keys, then drops them: `api-batch`); keeps Idempotency-Keys in the catalog's database",
  },
  'api-batch': { allowed: ['cluster-secret', 's3-keys', ...S3_USERS], why: "bin/spark-submit of a batch: renders the cluster's conf, then runs as a cluster-mode client (`cluster-driver`)" },
  zookeeper: { allowed: [], why: 'ZooKeeper needs no secret' },
  history: { allowed: S3_USERS, why: 'reads event logs on S3' },
  thrift: { allowed: S3_USERS, why: 'a driver running SQL from JDBC users: S3 credentials only' },
  connect: { allowed: ['connect-token', ...S3_USERS], why: "a driver running Connect clients' code: the token it checks, S3 credentials" },
  metastore: { allowed: S3_USERS, why: 'its database password is in hive-site.xml (0600); it creates table dirs on S3' },
  'spark-shell': { allowed: 'all', why: "the operator's own one-off dyno (heroku run, local run)" },
  'spark-submit': { allowed: 'all', why: "the operator's own one-off dyno or job app; cluster-mode drivers are `cluster-driver`" },
  'cluster-driver': { allowed: S3_USERS, why: "user code on a worker: Spark's client sends its environment with the driver" },
  autoscale: { allowed: ['heroku-token'], why: 'scales the worker formation through the Platform API' },
  'graceful-cycling': { allowed: ['heroku-token'], why: 'restarts the worker dynos through the Platform API once its master is ALIVE' },
  'eventlog-dir': { allowed: S3_USERS, why: 'creates SPARK_EVENTLOG_DIR (credentials by environment: FsShell)' },
};

export const SECRET_HOLDERS = Object.keys(SECRETS_OF) as SecretHolder[];

/** Pure: the kind a variable's name belongs to, if it names a secret. */
export function kindOf(name: string): SecretKindName | undefined {
  for (const [kind, k] of Object.entries(SECRET_KINDS) as [SecretKindName, SecretKind][]) if (k.vars.includes(name) || k.pattern?.test(name)) return kind;
  return undefined;
}

/** A value this short is no secret's copy (every secret var asks for at least 8 characters). */
const ALIAS_MIN = 8;

/**
 * Pure: the names of `env` to remove before `holder` starts. A secret the row does not allow goes,
 * and so does any other variable holding the same value (a second attachment name, a copy under
 * another name): only its value says it is the same secret.
 */
export function secretsToDrop(holder: SecretHolder, env: Record<string, string | undefined>): string[] {
  const allowed = SECRETS_OF[holder].allowed;
  if (allowed === 'all') return [];
  const drop: string[] = [];
  const values = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    const kind = kindOf(name);
    if (!kind || value === undefined || allowed.includes(kind)) continue;
    drop.push(name);
    if (value.trim().length >= ALIAS_MIN) values.add(value.trim());
  }
  if (values.size) for (const [name, value] of Object.entries(env)) if (value !== undefined && !kindOf(name) && values.has(value.trim())) drop.push(name);
  return drop.sort();
}

/** Pure: the environment `holder` runs with (for what Node spawns itself). */
export function allowedEnv<E extends Record<string, string | undefined>>(holder: SecretHolder, env: E): E {
  const drop = new Set(secretsToDrop(holder, env));
  return Object.fromEntries(Object.entries(env).filter(([k]) => !drop.has(k))) as E;
}

/** Names (never values) of the secrets withheld from a process: its own config checks count them as set. */
export const WITHHELD_VAR = 'SPARK_IN_SPACE_WITHHELD';

/** Names a previous launcher withheld (a sidecar's or the proxy's config check counts them as set). */
export const withheldOf = (env: Record<string, string | undefined>): Set<string> => new Set((env[WITHHELD_VAR] ?? '').split(' ').filter(Boolean));

/**
 * Pure: `argv` to exec as `holder`: behind `env -u NAME…` for every secret it may not see, so the
 * process and whatever it starts never hold them. `env` execs the command (signals reach it); if it
 * cannot run, nothing starts.
 */
export function execAs(holder: SecretHolder, env: Record<string, string | undefined>, argv: string[]): string[] {
  const drop = secretsToDrop(holder, env);
  if (!drop.length) return argv;
  const withheld = [...new Set([...withheldOf(env), ...drop])].sort().join(' ');
  return ['env', ...drop.flatMap((k) => ['-u', k]), `${WITHHELD_VAR}=${withheld}`, ...argv];
}

/** Pure: the processes (not the operator's one-offs) that may keep a secret var in their environment, for `config vars`. */
export function holdersOf(name: string): SecretHolder[] {
  const kind = kindOf(name);
  if (!kind) return [];
  return SECRET_HOLDERS.filter((h) => {
    const a = SECRETS_OF[h].allowed;
    return a !== 'all' && a.includes(kind);
  });
}
