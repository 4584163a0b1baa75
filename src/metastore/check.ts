/**
 * Before the metastore service starts (bin/metastore): the PostgreSQL JDBC driver is in Spark's
 * jars, the database answers, and it holds no schema or ours; then its hive-site.xml (0600). A
 * failure names the var and what to do, never the URL's password. Decisions are in index.ts.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Client as PgClient } from 'pg';
import { fail, isProblem } from '../errors.js';
import { lookup, type Env, type Settings } from '../config/schema.js';
import { writeFilesAtomic } from '../fs/atomic.js';
import { dynoLog } from '../log/index.js';
import {
  connectionProps,
  derbyConnectionProps,
  hadoopEntries,
  parseDatabaseUrl,
  pgOptions,
  parseHiveSite,
  schemaVerdict,
  schemaVersionOf,
  serviceHiveSite,
  warehouseDir,
  type Database,
  type SchemaFound,
} from './index.js';

/** How long the database may take to answer before the dyno gives up (and restarts, as any crash). */
const CONNECT_TIMEOUT_MS = 20_000;

/** Pure: a pg/socket error as the sentence after "The metastore's database (VAR) …". */
export function connectionProblem(err: { code?: string; message?: string }, db: Database): { why: string; fix: string } {
  const at = `${db.host}:${db.port}`;
  const check = 'Check the URL (heroku pg:credentials:url shows the current one: credentials rotate).';
  switch (err.code) {
    case 'ECONNREFUSED':
      return { why: `refused the connection at ${at}: nothing listens there`, fix: check };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { why: `names a host, ${db.host}, that does not resolve`, fix: check };
    case 'ETIMEDOUT':
    case 'TIMEOUT':
      return { why: `did not answer at ${at} within ${CONNECT_TIMEOUT_MS / 1000} s`, fix: `${check} A database outside the space must admit the space's outbound IPs.` };
    case '28P01':
      return { why: `refused the password of the user ${db.user}`, fix: check };
    case '28000':
      return { why: `refused the user ${db.user} (no pg_hba.conf entry, or no such role)`, fix: check };
    case '3D000':
      return { why: `has no database ${db.database}`, fix: check };
  }
  if (/does not support SSL/i.test(err.message ?? ''))
    return { why: `at ${at} does not speak TLS, and the URL asks for it (sslmode=${db.sslmode})`, fix: 'For a database on a private network or this machine, add ?sslmode=disable to its URL.' };
  if (/SSL|TLS|certificate/i.test(err.message ?? '')) return { why: `at ${at} failed the TLS handshake (sslmode=${db.sslmode})`, fix: check };
  return { why: `at ${at} answered, but not as PostgreSQL does (${(err.message ?? 'no answer').split('\n')[0]})`, fix: `${check} It must be a postgres:// URL of a PostgreSQL server.` };
}

/** Connects as the URL says (TLS per its sslmode), runs `fn`, always disconnects. */
async function withDatabase<T>(db: Database, fn: (c: PgClient) => Promise<T>): Promise<T> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ ...pgOptions(db, 'spark-in-space metastore check'), connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  client.on('error', () => {});
  try {
    await client.connect().catch((err: Error & { code?: string }) => {
      throw /timeout/i.test(err.message) && !err.code ? Object.assign(err, { code: 'TIMEOUT' }) : err;
    });
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** What the database holds of Hive's schema (its own `VERSION` row). */
async function schemaOf(client: PgClient): Promise<SchemaFound> {
  const tables = (
    await client.query<{ t: string }>(`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = current_schema() AND table_name IN ('VERSION', 'DBS', 'TBLS')`)
  ).rows.map((r) => r.t);
  const version = tables.includes('VERSION') ? (await client.query<{ v: string }>('SELECT "SCHEMA_VERSION" AS v FROM "VERSION"')).rows[0]?.v : undefined;
  if (version) return { kind: 'version', version };
  const used = tables.includes('TBLS') && Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM "TBLS"')).rows[0]?.n) > 0;
  return used ? { kind: 'tables-without-version', tables } : { kind: 'empty' };
}

/** Reads what the database holds of Hive's schema. */
export const readSchema = (db: Database): Promise<SchemaFound> => withDatabase(db, schemaOf);

/** The advisory lock metastore dynos take to create the schema one at a time. */
const SCHEMA_LOCK = 0x5a4b5053;

/**
 * Creates Hive's whole schema at once on an empty database, under an advisory lock (two metastore
 * dynos starting together: one creates it, the other finds it). Hive would create its tables one by
 * one as first used, and a foreign key added while a driver's transaction holds the table it points
 * to deadlocks the service (seen: two CREATE TABLEs at once on a new database). DataNucleus's
 * SchemaTool, run on Hive's own mapping (package.jdo of the metastore jar), makes every table; the
 * VERSION row is written last, in the same lock.
 */
async function createSchema(db: Database, o: { name: string; jarsDir: string; metastoreJar: string; confDir: string; java: string; expected: string }): Promise<boolean> {
  return withDatabase(db, async (client) => {
    await client.query('SELECT pg_advisory_lock($1)', [SCHEMA_LOCK]);
    try {
      const now = await schemaOf(client);
      if (now.kind !== 'empty') return false;
      await runSchemaTool(connectionProps(db), { ...o, secret: db.password });
      await client.query(`INSERT INTO "VERSION" ("VER_ID", "SCHEMA_VERSION", "VERSION_COMMENT") VALUES (1, $1, $2)`, [o.expected, `Hive release version ${o.expected} (created by spark-in-space)`]);
      return true;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [SCHEMA_LOCK]).catch(() => {});
    }
  });
}

/** DataNucleus's SchemaTool on Hive's own mapping (package.jdo of the metastore jar): every table of the schema at once. */
async function runSchemaTool(
  connection: [string, string][],
  o: { name: string; jarsDir: string; metastoreJar: string; confDir: string; java: string; secret?: string; jvm?: string[] },
): Promise<void> {
  const work = await mkdtemp(path.join(o.confDir, '.schema-'));
  try {
    const { default: AdmZip } = await import('adm-zip');
    const jdo = new AdmZip(path.join(o.jarsDir, o.metastoreJar)).getEntry('package.jdo');
    if (!jdo) fail({ code: 'spark-unfit', message: `${o.metastoreJar} has no package.jdo (Hive's mapping): this is not Hive's metastore jar` });
    await writeFile(path.join(work, 'package.jdo'), jdo!.getData());
    // 0600: it holds the password; removed with the dir
    await writeFile(path.join(work, 'datanucleus.properties'), schemaToolProps(connection), { mode: 0o600 });
    const args = [
      '-Xmx256m',
      ...(o.jvm ?? []),
      '-cp',
      path.join(o.jarsDir, '*'),
      'org.datanucleus.store.schema.SchemaTool',
      '-create',
      '-api',
      'JDO',
      '-props',
      path.join(work, 'datanucleus.properties'),
      path.join(work, 'package.jdo'),
    ];
    // fetched here, not imported: every launcher loads this module, only the metastore's first start runs the tool
    const { execFile } = process.getBuiltinModule('node:child_process');
    const out = await new Promise<{ ok: boolean; text: string }>((resolve) =>
      execFile(o.java, args, { timeout: 180_000, maxBuffer: 16 << 20, cwd: work }, (err, stdout, stderr) =>
        resolve({ ok: !err && /completed successfully/.test(stdout), text: `${stdout}\n${stderr}` }),
      ),
    );
    if (!out.ok)
      fail({
        code: 'metastore-database',
        name: o.name,
        why: `could not be given Hive's schema: ${lastLines(out.text, o.secret)}`,
        fix: 'Check that the user may create tables in that database.',
      });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Pure: DataNucleus's settings for SchemaTool, as Hive's ObjectStore sets them (same table and column names), on a connection (connectionProps). */
export function schemaToolProps(connection: [string, string][]): string {
  const props: [string, string][] = [
    ['javax.jdo.PersistenceManagerFactoryClass', 'org.datanucleus.api.jdo.JDOPersistenceManagerFactory'],
    ...connection,
    ['datanucleus.schema.autoCreateAll', 'true'],
    ['datanucleus.identifierFactory', 'datanucleus1'],
    ['datanucleus.rdbms.useLegacyNativeValueStrategy', 'true'],
    ['datanucleus.storeManagerType', 'rdbms'],
  ];
  // java.util.Properties syntax: backslash, and the separators of a key, escaped
  const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  return `${props.map(([k, v]) => `${k}=${esc(v)}`).join('\n')}\n`;
}

/** The last lines of a tool's output, the password (should it appear) masked. */
const lastLines = (out: string, secret?: string) => {
  const last = out
    .split('\n')
    .filter((l) => l.trim() && !/^\s+at /.test(l))
    .slice(-3)
    .join(' ');
  return secret ? last.split(secret).join('***') : last;
};

/** The build installed the PostgreSQL JDBC driver (src/buildpack/jars.ts), or a refusal saying how to get it. */
export function requireJdbcDriver(sparkHome: string): void {
  const jarsDir = path.join(sparkHome, 'jars');
  if ((existsSync(jarsDir) ? readdirSync(jarsDir) : []).some((j) => /^postgresql-\d[\w.-]*\.jar$/.test(j))) return;
  fail({
    code: 'spark-unfit',
    message:
      `${jarsDir} has no PostgreSQL JDBC driver (postgresql-*.jar): bin/compile installs it when SPARK_METASTORE_DATABASE_URL or DATABASE_URL is set at build, or SPARK_METASTORE_JDBC=true. ` +
      'Set one, then build again (locally: in .env, then spark-in-space build; on Heroku: git commit --allow-empty -m metastore && git push heroku).',
  });
}

/** Checks the database and writes the service's hive-site.xml into `confDir` (0600: the password). */
export async function prepareMetastore(sparkHome: string, settings: Settings, env: Env, confDir: string, dryRun: boolean, defaults: [string, string][] = []): Promise<void> {
  const extra = settings.HIVE_SITE_XML ? (parseHiveSite(settings.HIVE_SITE_XML) as [string, string][]) : [];
  const jarsDir = path.join(sparkHome, 'jars');
  const jars = !dryRun && existsSync(jarsDir) ? readdirSync(jarsDir) : [];
  const java = env.JAVA_HOME ? path.join(env.JAVA_HOME, 'bin', 'java') : 'java';
  const say = dynoLog('spark-in-space.metastore', 'spark-in-space', env);
  const expectedSchema = () => {
    const expected = schemaVersionOf(jars);
    if (!expected) fail({ code: 'spark-unfit', message: `${jarsDir} has no hive-metastore-*.jar: this Spark carries no Hive metastore (SPARK_SLIM left hive out?).` });
    return { expected: expected!, metastoreJar: jars.find((j) => /^hive-metastore-/.test(j))! };
  };
  const hiveSite = (connection: [string, string][], more: [string, string][] = []) =>
    writeFilesAtomic(confDir, [
      { name: 'hive-site.xml', content: serviceHiveSite(settings, connection, { extra: [...more, ...extra], home: env.HOME, hadoop: hadoopEntries(defaults) }), mode: 0o600 },
    ]);
  if (!settings.SPARK_METASTORE_DATABASE_URL) {
    // a local space without a database: the catalog in Derby, embedded in this one service, which every driver shares
    const dir = settings.SPARK_METASTORE_DERBY_DIR!;
    if (!dryRun) {
      const { expected, metastoreJar } = expectedSchema();
      await mkdir(dir, { recursive: true });
      const fresh = !existsSync(path.join(dir, 'metastore_db', 'service.properties'));
      if (fresh)
        await runSchemaTool(derbyConnectionProps(dir), { name: 'SPARK_METASTORE_DERBY_DIR', jarsDir, metastoreJar, confDir, java, jvm: [`-Dderby.stream.error.file=${path.join(dir, 'derby.log')}`] });
      say(`metastore on Derby in ${dir} (SPARK_METASTORE_DERBY_DIR): one catalog for every driver of the space; ${fresh ? `Hive's schema ${expected} created` : 'kept from before'}`);
    }
    // Hive writes its VERSION row on the new database (its verification stays off, as with PostgreSQL)
    return hiveSite(derbyConnectionProps(dir), [['hive.metastore.schema.verification.record.version', 'true']]);
  }
  const name = lookup(env, 'SPARK_METASTORE_DATABASE_URL')?.from ?? 'SPARK_METASTORE_DATABASE_URL';
  const db = parseDatabaseUrl(settings.SPARK_METASTORE_DATABASE_URL) as Database;
  if (!dryRun) {
    requireJdbcDriver(sparkHome);
    const { expected, metastoreJar } = expectedSchema();
    let found: SchemaFound;
    try {
      found = await readSchema(db);
    } catch (err) {
      return fail({ code: 'metastore-database', name, ...connectionProblem(err as { code?: string; message?: string }, db) });
    }
    const verdict = schemaVerdict(found, expected);
    if (!verdict.ok)
      fail({ code: 'metastore-database', name, why: verdict.why, fix: 'Point the var at an empty database (heroku addons:create heroku-postgresql:essential-0 --as SPARK_METASTORE_DATABASE).' });
    const created =
      verdict.ok &&
      verdict.create &&
      (await createSchema(db, { name, jarsDir, metastoreJar, confDir, java, expected }).catch((err) => {
        if (isProblem(err)) throw err;
        return fail({ code: 'metastore-database', name, ...connectionProblem(err as { code?: string; message?: string }, db) });
      }));
    say(`metastore on ${db.host}:${db.port}/${db.database} (${name}): ${created ? `was empty: Hive's schema ${expected} created` : `schema ${expected}`}`);
  }
  if (!warehouseDir(settings) && !dryRun)
    say(
      "WARNING: no shared warehouse (SPARK_WAREHOUSE_DIR, or S3): managed tables' files stay on the disk of the dyno that wrote them, which Heroku wipes at each restart; their metadata outlives them",
    );
  await hiveSite(connectionProps(db));
}
