/**
 * One Hive metastore for the whole cluster, decided as data (pure). Its shape: a `metastore` process
 * type runs Hive's metastore service from the jars Spark ships (HiveMetaStore, Hive 2.3) against the
 * Postgres of SPARK_METASTORE_DATABASE_URL (else DATABASE_URL, Heroku Postgres's var), and every
 * driver — thrift, connect, console, one-offs, cluster-mode drivers — talks Thrift to
 * `thrift://1.metastore.<app>.app.localspace:9083`. Postgres then sees one connection pool (the
 * metastore's, SPARK_METASTORE_POOL_SIZE) however many drivers run, which keeps an app within Heroku
 * Postgres's small connection limits; drivers talking JDBC themselves would hold two pools each.
 * `check.ts` checks the database before the service starts; `src/render` writes the conf.
 */
import type { Settings } from '../config/schema.js';
import { clusterDomain } from '../space/index.js';
import type { Database } from './parse.js';

export { parseDatabaseUrl, parseHiveSite, pgOptions, type Database } from './parse.js';

export { METASTORE_PORT } from '../ports.js';
/** HiveMetaStore of Spark's jars (hive-metastore-2.3.*.jar). */
export const METASTORE_MAIN = 'org.apache.hadoop.hive.metastore.HiveMetaStore';
/** The PostgreSQL JDBC driver, resolved by Maven coordinates at build (src/buildpack/jars.ts). */
export const POSTGRES_JDBC = { org: 'org.postgresql', name: 'postgresql', rev: '42.7.14' } as const;

/** Pure: the JDBC URL of a database (no credentials in it: they go in their own properties). */
export function jdbcUrl(db: Database): string {
  const host = db.host.includes(':') ? `[${db.host}]` : db.host;
  return `jdbc:postgresql://${host}:${db.port}/${encodeURIComponent(db.database)}?sslmode=${db.sslmode}`;
}

/** Is a metastore configured (a database URL set, or a local space's Derby catalog)? */
export const metastoreOn = (s: Settings): boolean => s.SPARK_METASTORE_DATABASE_URL !== undefined || s.SPARK_METASTORE_DERBY_DIR !== undefined;

/** Pure: the service every driver uses: `thrift://1.metastore.<cluster domain>:9083` (SPARK_METASTORE_PORT). */
export const metastoreUri = (s: Settings): string => `thrift://1.metastore.${clusterDomain(s)}:${s.SPARK_METASTORE_PORT}`;

/**
 * Pure: where managed tables' files go: SPARK_WAREHOUSE_DIR, else the S3 bucket's `warehouse/`
 * (so the data survive with their metadata), else undefined (Spark's default, the driver's disk).
 */
export function warehouseDir(s: Settings): string | undefined {
  if (s.SPARK_WAREHOUSE_DIR) return s.SPARK_WAREHOUSE_DIR;
  if (s.SPARK_S3_BUCKET_NAME) return `s3a://${s.SPARK_S3_BUCKET_NAME}/warehouse`;
  return undefined;
}

/** Pure: a driver's conf with a metastore: Hive's catalog, at the metastore service. */
export function driverMetastoreConf(s: Settings): [string, string][] {
  if (!metastoreOn(s)) return [];
  const out: [string, string][] = [
    ['spark.sql.catalogImplementation', 'hive'],
    ['spark.hadoop.hive.metastore.uris', metastoreUri(s)],
  ];
  const wh = warehouseDir(s);
  if (wh) out.push(['spark.sql.warehouse.dir', wh]);
  return out;
}

/** Pure: the Hive schema version the metastore jars speak: hive-metastore-2.3.10.jar → `2.3.0`. */
export function schemaVersionOf(jarNames: string[]): string | undefined {
  for (const n of jarNames) {
    const m = /^hive-metastore-(\d+)\.(\d+)\.\d+[\w.-]*\.jar$/.exec(n);
    if (m) return `${m[1]}.${m[2]}.0`;
  }
  return undefined;
}

/** What the database holds, as the check reads it. */
export type SchemaFound = { kind: 'empty' } | { kind: 'version'; version: string } | { kind: 'tables-without-version'; tables: string[] };

/**
 * Pure: may the service start on this database? An empty one is given the schema (check.ts); one of
 * our Hive version starts; one of another version, or Hive's tables without a VERSION row, is refused
 * (never altered: Hive itself would overwrite the version row when its verification is off).
 */
export function schemaVerdict(found: SchemaFound, expected: string): { ok: true; create: boolean } | { ok: false; why: string } {
  if (found.kind === 'empty') return { ok: true, create: true };
  if (found.kind === 'version')
    return found.version === expected
      ? { ok: true, create: false }
      : {
          ok: false,
          why: `holds a Hive metastore schema of version ${found.version}, and this Spark's metastore speaks ${expected}: it is left as it is. Use an empty database (or one of schema ${expected}), or upgrade that schema with Hive's schematool first`,
        };
  return {
    ok: false,
    why: `holds Hive's tables (${found.tables.slice(0, 4).join(', ')}${found.tables.length > 4 ? ', …' : ''}) but no VERSION row: a damaged or foreign metastore, left as it is. Use an empty database`,
  };
}

const xml = (v: string) => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * Pure: the metastore service's hive-site.xml (0600: it holds the password, and S3's keys). Ours
 * first; HIVE_SITE_XML adds what the vars do not cover (a property we set is ours). `hadoop`: the
 * drivers' `spark.hadoop.*` settings, unprefixed (the service's Hadoop reads them from here).
 */
export function serviceHiveSite(s: Settings, connection: [string, string][], o: { extra?: [string, string][]; home?: string; hadoop?: [string, string][] } = {}): string {
  const extra = o.extra ?? [];
  const ours: [string, string][] = [
    ...connection,
    // the schema is made whole before start and its version checked (check.ts), never rewritten;
    // DataNucleus still creates its own SEQUENCE_TABLE when first needed
    ['hive.metastore.schema.verification', 'false'],
    ['datanucleus.schema.autoCreateAll', 'true'],
    ['datanucleus.connectionPoolingType', 'HikariCP'],
    // DataNucleus keeps two pools (transactional, and one for schema and id generation)
    ['datanucleus.connectionPool.maxPoolSize', String(s.SPARK_METASTORE_POOL_SIZE)],
    ['datanucleus.connectionPool.minIdle', '0'],
    ['hive.metastore.port', String(s.SPARK_METASTORE_PORT)],
    ['hive.metastore.server.min.threads', '4'],
    // Hive's async logging needs LMAX disruptor, which Spark does not ship
    ['hive.async.log.enabled', 'false'],
  ];
  // the default database's location; without a shared one, where drivers on Heroku put theirs ($HOME/spark-warehouse)
  const wh = warehouseDir(s) ?? (o.home ? `file:${o.home}/spark-warehouse` : undefined);
  if (wh) ours.push(['hive.metastore.warehouse.dir', wh]);
  // the service creates databases' and tables' directories itself: S3A's settings (keys included) as the drivers have them
  ours.push(...(o.hadoop ?? []));
  const mine = new Set(ours.map(([k]) => k));
  const all = [...ours, ...extra.filter(([k]) => !mine.has(k))];
  return ['<?xml version="1.0"?>', '<configuration>', ...all.map(([k, v]) => `  <property><name>${xml(k)}</name><value>${xml(v)}</value></property>`), '</configuration>', ''].join('\n');
}

/** Pure: the JDO connection to the catalog's PostgreSQL database. */
export const connectionProps = (db: Database): [string, string][] => [
  ['javax.jdo.option.ConnectionURL', jdbcUrl(db)],
  ['javax.jdo.option.ConnectionDriverName', 'org.postgresql.Driver'],
  ['javax.jdo.option.ConnectionUserName', db.user],
  ['javax.jdo.option.ConnectionPassword', db.password],
];

/** Pure: the JDO connection to a local space's catalog on Derby, embedded in the metastore service (one JVM: the service's). */
export const derbyConnectionProps = (dir: string): [string, string][] => [
  ['javax.jdo.option.ConnectionURL', `jdbc:derby:;databaseName=${dir.replace(/\/+$/, '')}/metastore_db;create=true`],
  ['javax.jdo.option.ConnectionDriverName', 'org.apache.derby.jdbc.EmbeddedDriver'],
];

/** Pure: a conf's `spark.hadoop.*` entries as Hadoop's own keys (what the metastore service's hive-site.xml carries). */
export const hadoopEntries = (defaults: [string, string][]): [string, string][] => defaults.filter(([k]) => k.startsWith('spark.hadoop.')).map(([k, v]) => [k.slice('spark.hadoop.'.length), v]);
