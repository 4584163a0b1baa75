/**
 * bin/compile installing the metastore's PostgreSQL JDBC driver: a real Spark distribution from the
 * test mirror, the driver resolved by Ivy from a Maven-layout mirror on 127.0.0.1
 * (`scripts/test-maven-mirror metastore-jdbc`). The successful build runs again against the cache
 * with both mirrors stopped; a tampered jar and no database URL install nothing.
 */
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { catalogFile, compile, makeApp, snapshot, tmpdir } from '../helpers/buildpack.js';
import { startMirror, type Mirror } from '../helpers/mirror.js';
import { DEFAULT_VERSION, testDist, testMavenMirror } from '../helpers/spark.js';

const mirrors: Mirror[] = [];
afterEach(async () => {
  await Promise.all(mirrors.splice(0).map((m) => m.close()));
});
const serve = async (root: string) => {
  const m = await startMirror(root);
  mirrors.push(m);
  return m;
};
const JAR = 'postgresql-42.7.14.jar';
const jarsOf = (app: string) => readdirSync(path.join(app, 'spark-home', 'jars'));
const entries = (cache: string) => (existsSync(path.join(cache, 'spark-in-space/v1/jars')) ? readdirSync(path.join(cache, 'spark-in-space/v1/jars')).filter((e) => !e.startsWith('.')) : []);

async function buildVars(mavenRoot = testMavenMirror('metastore-jdbc')) {
  const dist = testDist(DEFAULT_VERSION);
  const spark = await serve(dist.mirrorRoot);
  const maven = await serve(mavenRoot);
  return { spark, maven, vars: { SPARK_MIRROR_URL: spark.url, SPARK_CATALOG: catalogFile([{ version: DEFAULT_VERSION, pinned: { hadoop3: { sha512: dist.sha512 } } }]), MAVEN_MIRROR_URL: maven.url } };
}

describe('metastore_build', () => {
  it("DATABASE_URL at build installs the JDBC driver, its SHA-1 the published one, never printing the URL's password; again from the cache with both mirrors down", async () => {
    const { spark, maven, vars } = await buildVars();
    const secret = 'pg-secret-0123456789';
    const app = makeApp(DEFAULT_VERSION);
    const cache = tmpdir('sis-cache-');
    const first = await compile(app, cache, { ...vars, DATABASE_URL: `postgres://u:${secret}@db.example.com:5432/d1` });
    expect(first.exitCode, first.all).toBe(0);
    expect(first.stdout).toContain('-----> Installing the PostgreSQL JDBC driver for the metastore (42.7.14)');
    expect(first.stdout).toContain('Wanted: DATABASE_URL is set: the metastore dyno keeps the catalog in PostgreSQL');
    expect(first.stdout).toMatch(/Verified the SHA-1 of postgresql-42\.7\.14\.jar/);
    expect(first.all).not.toContain(secret);
    expect(jarsOf(app)).toContain(JAR);
    expect(entries(cache)).toHaveLength(1);

    await spark.close();
    await maven.close();
    const again = makeApp(DEFAULT_VERSION);
    const second = await compile(again, cache, { ...vars, SPARK_METASTORE_DATABASE_URL: `postgres://u:${secret}@db.example.com:5432/d1` });
    expect(second.exitCode, second.all).toBe(0);
    expect(second.stdout).toMatch(/Installing the PostgreSQL JDBC driver[\s\S]*Using the build cache/);
    expect(snapshot(path.join(again, 'spark-home'))).toEqual(snapshot(path.join(app, 'spark-home')));
  });

  it('a jar whose bytes do not match its published .sha1 fails the build: nothing installed, nothing cached', async () => {
    const tampered = tmpdir('sis-maven-');
    cpSync(testMavenMirror('metastore-jdbc'), tampered, { recursive: true });
    const jar = path.join(tampered, 'org/postgresql/postgresql/42.7.14', JAR);
    const bytes = readFileSync(jar);
    bytes[bytes.length - 100] = bytes[bytes.length - 100]! ^ 0xff;
    writeFileSync(jar, bytes);
    const { vars } = await buildVars(tampered);
    const app = makeApp(DEFAULT_VERSION);
    const before = snapshot(app);
    const cache = tmpdir('sis-cache-');
    const r = await compile(app, cache, { ...vars, DATABASE_URL: 'postgres://u:p@h/d' });
    expect(r.exitCode).not.toBe(0);
    expect(r.all).toMatch(/Checksum mismatch for .*postgresql-42\.7\.14\.jar/);
    expect(snapshot(app)).toEqual(before);
    expect(entries(cache)).toEqual([]);
  });

  it('without a database URL the build installs no driver (and says nothing of it)', async () => {
    const { vars } = await buildVars();
    const app = makeApp(DEFAULT_VERSION);
    const r = await compile(app, tmpdir('sis-cache-'), vars);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).not.toContain('JDBC driver');
    expect(jarsOf(app).filter((j) => j.startsWith('postgresql-'))).toEqual([]);
  });
});
