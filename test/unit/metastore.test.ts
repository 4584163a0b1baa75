/** The metastore decided as data: the database URL, the drivers' conf, the schema verdict, the service's hive-site.xml (src/metastore). */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/schema.js';
import { computeConf } from '../../src/render/index.js';
import { needsOf } from '../../src/launch/await.js';
import {
  connectionProps,
  derbyConnectionProps,
  driverMetastoreConf,
  hadoopEntries,
  jdbcUrl,
  metastoreUri,
  parseDatabaseUrl,
  parseHiveSite,
  schemaVerdict,
  schemaVersionOf,
  serviceHiveSite,
  warehouseDir,
  type Database,
} from '../../src/metastore/index.js';
import { connectionProblem, schemaToolProps } from '../../src/metastore/check.js';
import { singleJarModule, wantMetastoreJdbc } from '../../src/buildpack/jars.js';
import { blockingFolder, postgresHost, postgresUrl } from '../../src/local/postgres.js';
import { countsOf } from '../../src/cli/commands/local/up.js';
import { localMetastorePort, subnetFor } from '../../src/local/formation.js';

const APP = { DYNO: 'thrift.1', HEROKU_DNS_APP_NAME: 'demo.app.localspace' };
const URL_ = 'postgres://u5er:p%40ss@ec2-1-2-3-4.compute-1.amazonaws.com:5432/d8f?sslmode=require';

describe('metastore_database_url', () => {
  it('postgres:// and postgresql:// URLs: host, port, database, user, a decoded password; sslmode require unless the URL says', () => {
    expect(parseDatabaseUrl(URL_)).toEqual({ host: 'ec2-1-2-3-4.compute-1.amazonaws.com', port: 5432, database: 'd8f', user: 'u5er', password: 'p@ss', sslmode: 'require' });
    expect(parseDatabaseUrl('postgresql://a:b@127.0.0.1/meta')).toMatchObject({ port: 5432, sslmode: 'require' });
    expect(parseDatabaseUrl('postgres://a:b@127.0.0.1:6543/meta?sslmode=disable')).toMatchObject({ port: 6543, sslmode: 'disable' });
    expect(jdbcUrl(parseDatabaseUrl(URL_) as Database)).toBe('jdbc:postgresql://ec2-1-2-3-4.compute-1.amazonaws.com:5432/d8f?sslmode=require');
  });

  it('what is not one says why, never echoing the password', () => {
    for (const [url, why] of [
      ['mysql://a:secret-pw@h/d', 'is a mysql:// URL, not a PostgreSQL one (postgres:// or postgresql://)'],
      ['postgres://a:secret-pw@h', 'names no database (…/dbname at its end)'],
      ['postgres://h/d', 'names no user (postgres://user:password@host/db)'],
      ['not a url secret-pw', 'is not a URL'],
    ]) {
      expect(parseDatabaseUrl(url!)).toEqual({ problem: why });
      expect(why).not.toContain('secret-pw');
    }
  });

  it('the config var: DATABASE_URL is read when SPARK_METASTORE_DATABASE_URL is unset; a bad one is refused naming the var it came from', () => {
    expect(parseConfig({ ...APP, DATABASE_URL: URL_ }, 'run').SPARK_METASTORE_DATABASE_URL).toBe(URL_);
    expect(parseConfig({ ...APP, DATABASE_URL: 'postgres://x:y@other/db', SPARK_METASTORE_DATABASE_URL: URL_ }, 'run').SPARK_METASTORE_DATABASE_URL).toBe(URL_);
    expect(() => parseConfig({ ...APP, DATABASE_URL: 'mysql://u:p@h/d' }, 'run')).toThrow(/DATABASE_URL \(read as SPARK_METASTORE_DATABASE_URL\): is a mysql:\/\/ URL/);
  });
});

describe('metastore_driver_conf', () => {
  it('every driver (and a worker, for its cluster-mode drivers) uses the metastore service; the warehouse on S3 by default', () => {
    const s = parseConfig({ ...APP, SPARK_METASTORE_DATABASE_URL: URL_, SPARK_S3_BUCKET_NAME: 'bkt' }, 'run');
    expect(metastoreUri(s)).toBe('thrift://1.metastore.demo.app.localspace:9083');
    expect(driverMetastoreConf(s)).toEqual([
      ['spark.sql.catalogImplementation', 'hive'],
      ['spark.hadoop.hive.metastore.uris', 'thrift://1.metastore.demo.app.localspace:9083'],
      ['spark.sql.warehouse.dir', 's3a://bkt/warehouse'],
    ]);
    expect(warehouseDir(parseConfig({ ...APP, SPARK_S3_BUCKET_NAME: 'bkt', SPARK_WAREHOUSE_DIR: 's3a://other/wh' }, 'run'))).toBe('s3a://other/wh');
    for (const role of ['driver', 'worker', 'console'] as const) {
      const d = Object.fromEntries(computeConf({ settings: s, env: APP, role, spark: { version: '4.2.0', log4j: 2 }, resources: { memoryMb: 8192, cores: 2 } }).defaults);
      expect(d['spark.hadoop.hive.metastore.uris'], role).toBe('thrift://1.metastore.demo.app.localspace:9083');
      expect(JSON.stringify(d), role).not.toContain('p@ss');
    }
    // a job app of the space (SPARK_CLUSTER_APP) uses its cluster's
    expect(metastoreUri(parseConfig({ ...APP, SPARK_CLUSTER_APP: 'big', SPARK_METASTORE_DATABASE_URL: URL_ }, 'run'))).toBe('thrift://1.metastore.big.app.localspace:9083');
  });

  it("a cluster-mode driver (started by a worker, not spark-submit) opens java.net to Hive's client, beside the secret's argument file", () => {
    const conf = (env: Record<string, string>) =>
      Object.fromEntries(
        computeConf({ settings: parseConfig(env, 'run'), env, role: 'driver', spark: { version: '4.2.0', log4j: 2 }, resources: { memoryMb: 8192, cores: 2 }, clusterMode: true }).defaults,
      );
    const secret = 's'.repeat(32);
    expect(conf({ ...APP, SPARK_METASTORE_DATABASE_URL: URL_ })['spark.driver.extraJavaOptions']).toBe('--add-opens=java.base/java.net=ALL-UNNAMED');
    expect(conf({ ...APP, SPARK_METASTORE_DATABASE_URL: URL_, SPARK_AUTH_SECRET: secret, SPARK_HOME: '/app/spark-home' })['spark.driver.extraJavaOptions']).toBe(
      '@/app/spark-home/conf/driver-auth.args --add-opens=java.base/java.net=ALL-UNNAMED',
    );
    expect(conf(APP)['spark.driver.extraJavaOptions']).toBeUndefined();
  });

  it('without a database nothing changes; thrift and connect wait for the metastore only when there is one', () => {
    const off = parseConfig(APP, 'run');
    expect(driverMetastoreConf(off)).toEqual([]);
    expect(needsOf('thrift', off)).toBeUndefined();
    const on = parseConfig({ ...APP, SPARK_METASTORE_DATABASE_URL: URL_ }, 'run');
    expect(needsOf('connect', on)).toEqual({ what: 'the metastore', endpoints: [{ host: '1.metastore.demo.app.localspace', port: 9083 }], zookeeper: false });
    expect(needsOf('console', on)).toBeUndefined();
  });
});

describe('metastore_schema', () => {
  it('the schema version of the metastore jars; an empty database is created, ours starts, another is refused and left alone', () => {
    expect(schemaVersionOf(['hive-common-2.3.10.jar', 'hive-metastore-2.3.10.jar'])).toBe('2.3.0');
    expect(schemaVersionOf(['spark-core_2.13-4.2.0.jar'])).toBeUndefined();
    expect(schemaVerdict({ kind: 'empty' }, '2.3.0')).toEqual({ ok: true, create: true });
    expect(schemaVerdict({ kind: 'version', version: '2.3.0' }, '2.3.0')).toEqual({ ok: true, create: false });
    expect(schemaVerdict({ kind: 'version', version: '3.1.0' }, '2.3.0')).toMatchObject({
      ok: false,
      why: expect.stringContaining("version 3.1.0, and this Spark's metastore speaks 2.3.0: it is left as it is"),
    });
    expect(schemaVerdict({ kind: 'tables-without-version', tables: ['DBS', 'TBLS'] }, '2.3.0')).toMatchObject({
      ok: false,
      why: expect.stringContaining("holds Hive's tables (DBS, TBLS) but no VERSION row"),
    });
  });

  it("SchemaTool's settings are Hive's own (the same table and column names); a password with a backslash survives Properties' syntax", () => {
    const props = schemaToolProps(connectionProps(parseDatabaseUrl('postgres://u:a%5Cb@h:5432/d?sslmode=disable') as Database));
    expect(props).toContain('javax.jdo.option.ConnectionURL=jdbc:postgresql://h:5432/d?sslmode=disable\n');
    expect(props).toContain('javax.jdo.option.ConnectionPassword=a\\\\b\n');
    expect(props).toContain('datanucleus.identifierFactory=datanucleus1\n');
    expect(props).toContain('datanucleus.rdbms.useLegacyNativeValueStrategy=true\n');
  });

  it("a database's failures, each a sentence naming where and what to do, never the password", () => {
    const db = parseDatabaseUrl('postgres://u:secret-pw@db.example:5433/meta') as Database;
    const cases: [{ code?: string; message?: string }, string][] = [
      [{ code: 'ECONNREFUSED' }, 'refused the connection at db.example:5433: nothing listens there'],
      [{ code: 'ENOTFOUND' }, 'names a host, db.example, that does not resolve'],
      [{ code: 'TIMEOUT' }, 'did not answer at db.example:5433 within 20 s'],
      [{ code: '28P01' }, 'refused the password of the user u'],
      [{ code: '3D000' }, 'has no database meta'],
      [{ message: 'The server does not support SSL connections' }, 'at db.example:5433 does not speak TLS, and the URL asks for it (sslmode=require)'],
      [{ message: 'Connection terminated unexpectedly' }, 'at db.example:5433 answered, but not as PostgreSQL does (Connection terminated unexpectedly)'],
    ];
    for (const [err, why] of cases) {
      const p = connectionProblem(err, db);
      expect(p.why).toBe(why);
      expect(`${p.why} ${p.fix}`).not.toContain('secret-pw');
    }
  });
});

describe('metastore_hive_site', () => {
  const s = parseConfig({ ...APP, SPARK_METASTORE_DATABASE_URL: 'postgres://u:a<b&c@h/d' }, 'run');
  const db = parseDatabaseUrl(s.SPARK_METASTORE_DATABASE_URL!) as Database;

  it("the service's hive-site.xml: the database (escaped), Hive's schema on first use, the pools, the warehouse; HIVE_SITE_XML adds what ours does not set", () => {
    const extra = parseHiveSite(
      '<configuration>\n\t<!-- c --><property><name>hive.metastore.client.socket.timeout</name><value>600</value></property>\n<property><name>datanucleus.connectionPool.maxPoolSize</name><value>50</value></property></configuration>',
    ) as [string, string][];
    expect(extra).toEqual([
      ['hive.metastore.client.socket.timeout', '600'],
      ['datanucleus.connectionPool.maxPoolSize', '50'],
    ]);
    const xml = serviceHiveSite(s, connectionProps(db), {
      extra,
      home: '/app',
      hadoop: hadoopEntries([
        ['spark.hadoop.fs.s3a.endpoint', 'http://127.0.0.1:9000'],
        ['spark.eventLog.enabled', 'true'],
      ]),
    });
    const props = parseHiveSite(xml) as [string, string][];
    const get = (k: string) => props.filter(([n]) => n === k).map(([, v]) => v);
    expect(get('javax.jdo.option.ConnectionURL')).toEqual(['jdbc:postgresql://h:5432/d?sslmode=require']);
    expect(get('javax.jdo.option.ConnectionPassword')).toEqual(['a<b&c']);
    expect(xml).toContain('<value>a&lt;b&amp;c</value>');
    expect(get('datanucleus.connectionPool.maxPoolSize')).toEqual(['4']);
    expect(get('hive.metastore.client.socket.timeout')).toEqual(['600']);
    expect(get('hive.metastore.warehouse.dir')).toEqual(['file:/app/spark-warehouse']);
    expect(get('datanucleus.schema.autoCreateAll')).toEqual(['true']);
    expect(get('fs.s3a.endpoint')).toEqual(['http://127.0.0.1:9000']);
    expect(get('spark.eventLog.enabled')).toEqual([]);
    expect(parseHiveSite('<props/>')).toEqual({ problem: 'is not a hive-site.xml (no <configuration> element)' });
  });

  it('the build wants the JDBC driver only with a database URL; one jar, no dependencies', () => {
    expect(wantMetastoreJdbc({})).toMatchObject({ wanted: false });
    expect(wantMetastoreJdbc({ DATABASE_URL: 'postgres://u:p@h/d' })).toEqual({ wanted: true, why: 'DATABASE_URL is set: the metastore dyno keeps the catalog in PostgreSQL' });
    // SPARK_METASTORE_JDBC=true: the URL comes later (an add-on attached after the build, local up --postgres)
    expect(wantMetastoreJdbc({}, true)).toMatchObject({ wanted: true, why: expect.stringContaining('SPARK_METASTORE_JDBC=true') });
    expect(wantMetastoreJdbc({}, false)).toMatchObject({ wanted: false });
    expect(singleJarModule({ org: 'org.postgresql', name: 'postgresql', rev: '42.7.14' })).toContain(
      '<dependency org="org.postgresql" name="postgresql" rev="42.7.14" conf="default->master" transitive="false"/>',
    );
  });
});

describe('metastore_local_up', () => {
  const procfile = { master: 'bin/spark-master', worker: 'bin/spark-worker', metastore: 'bin/metastore' };
  const base = { masters: 1, workers: 2, zookeepers: 0 };
  it('a metastore dyno by default when .env names a database (and the Procfile has the type); --metastore 0 leaves it out', () => {
    expect(countsOf(base, procfile, { DATABASE_URL: URL_ }, false)).toEqual({ master: 1, worker: 2, metastore: 1 });
    expect(countsOf(base, procfile, { SPARK_METASTORE_DATABASE_URL: URL_ }, false).metastore).toBe(1);
    expect(countsOf({ ...base, metastore: 0 }, procfile, { DATABASE_URL: URL_ }, false).metastore).toBeUndefined();
    expect(countsOf(base, procfile, {}, false).metastore).toBeUndefined();
    expect(countsOf(base, { master: 'm', worker: 'w' }, { DATABASE_URL: URL_ }, false).metastore).toBeUndefined();
  });
  it('beside a thrift or connect dyno, a metastore dyno without a database too (one catalog on Derby); --metastore 0 keeps a catalog per server', () => {
    const servers = { ...procfile, thrift: 'bin/thrift', connect: 'bin/connect' };
    expect(countsOf({ ...base, thrift: 1 }, servers, {}, false)).toEqual({ master: 1, worker: 2, thrift: 1, metastore: 1 });
    expect(countsOf({ ...base, connect: 1 }, servers, {}, false).metastore).toBe(1);
    expect(countsOf({ ...base, thrift: 1, metastore: 0 }, servers, {}, false).metastore).toBeUndefined();
    expect(countsOf({ ...base, thrift: 1 }, { ...servers, metastore: '' }, {}, false).metastore).toBeUndefined();
  });
  it('each local space’s metastore port is its own, the same at every up, below the ephemeral range', () => {
    const ports = ['demo', 'e2e-hive', 'e2e-endpoints', 'e2e-pg'].map((a) => localMetastorePort(subnetFor(a)));
    expect(new Set(ports).size).toBe(4);
    for (const p of ports) {
      expect(p).toBeGreaterThanOrEqual(29016);
      expect(p).toBeLessThan(32768);
    }
    expect(localMetastorePort(subnetFor('demo'))).toBe(ports[0]);
  });
  it('a Derby catalog: the service embeds it in its folder; every driver is pointed at the service, on the space’s port', () => {
    const s = parseConfig({ SPARK_METASTORE_DERBY_DIR: '/st/data/catalog', SPARK_METASTORE_PORT: '41234', HEROKU_DNS_APP_NAME: 'demo.app.localspace' }, 'run', { processes: ['metastore'] });
    expect(driverMetastoreConf(s)).toContainEqual(['spark.hadoop.hive.metastore.uris', 'thrift://1.metastore.demo.app.localspace:41234']);
    expect(needsOf('thrift', s)).toMatchObject({ endpoints: [{ host: '1.metastore.demo.app.localspace', port: 41234 }] });
    expect(derbyConnectionProps('/st/data/catalog/')).toEqual([
      ['javax.jdo.option.ConnectionURL', 'jdbc:derby:;databaseName=/st/data/catalog/metastore_db;create=true'],
      ['javax.jdo.option.ConnectionDriverName', 'org.apache.derby.jdbc.EmbeddedDriver'],
    ]);
    const xml = serviceHiveSite(s, derbyConnectionProps('/st/data/catalog'));
    expect(xml).toContain('<name>hive.metastore.port</name><value>41234</value>');
    expect(xml).not.toContain('ConnectionPassword');
    // without either a database URL or a Derby folder the type is refused, naming the URL
    expect(() => parseConfig({}, 'run', { processes: ['metastore'] })).toThrow(/SPARK_METASTORE_DATABASE_URL/);
  });
});

describe('local up --postgres (src/local/postgres.ts)', () => {
  it('the URL the metastore dyno gets: the space address, the password encoded, TLS off on loopback', () => {
    expect(postgresHost(17)).toBe('127.17.0.54');
    const url = postgresUrl('127.17.0.54', 5433, 'p/w+d');
    expect(url).toBe('postgres://spark:p%2Fw%2Bd@127.17.0.54:5433/metastore?sslmode=disable');
    expect(parseDatabaseUrl(url)).toMatchObject({ host: '127.17.0.54', port: 5433, database: 'metastore', password: 'p/w+d' });
  });
  it('names the first folder the postgres user cannot pass (no o+x, not its own)', () => {
    const modes: Record<string, { mode: number; uid: number }> = {
      '/': { mode: 0o755, uid: 0 },
      '/root': { mode: 0o700, uid: 0 },
      '/root/app': { mode: 0o755, uid: 0 },
      '/srv': { mode: 0o751, uid: 0 },
      '/srv/pg': { mode: 0o700, uid: 105 },
    };
    const statOf = (p: string) => modes[p]!;
    expect(blockingFolder('/root/app/.spark-in-space', statOf, 105)).toBe('/root');
    expect(blockingFolder('/srv/pg/data', statOf, 105)).toBeUndefined();
  });
});
