/**
 * The metastore's two parsers the config schema needs (a database URL, a hive-site.xml), in a leaf
 * module: the schema imports them, and nothing here imports the schema.
 */
export interface Database {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  /** libpq's sslmode: what the URL says, else `require` (Heroku Postgres refuses connections without TLS) */
  sslmode: string;
}

/** Pure: `postgres://user:pass@host:5432/db?sslmode=require` (or `postgresql://`) → its parts; a reason when it is not one. */
export function parseDatabaseUrl(url: string): Database | { problem: string } {
  let u: URL;
  try {
    u = new URL(url.trim());
  } catch {
    return { problem: 'is not a URL' };
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') return { problem: `is a ${u.protocol.replace(':', '')}:// URL, not a PostgreSQL one (postgres:// or postgresql://)` };
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!u.hostname) return { problem: 'names no host' };
  if (!database || database.includes('/')) return { problem: 'names no database (…/dbname at its end)' };
  if (!u.username) return { problem: 'names no user (postgres://user:password@host/db)' };
  const sslmode = u.searchParams.get('sslmode') ?? 'require';
  if (!['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'].includes(sslmode))
    return { problem: `has sslmode=${sslmode}, which is none of disable, allow, prefer, require, verify-ca, verify-full` };
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : 5432,
    database,
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    sslmode,
  };
}

/** Pure: node-postgres's connection options for `db` (TLS as its sslmode says: verified only for verify-ca/verify-full, as libpq). */
export function pgOptions(db: Database, applicationName: string) {
  const ssl = db.sslmode === 'disable' ? false : db.sslmode === 'verify-ca' || db.sslmode === 'verify-full' ? { rejectUnauthorized: true } : { rejectUnauthorized: false };
  return { host: db.host, port: db.port, database: db.database, user: db.user, password: db.password, ssl, application_name: applicationName };
}

/** Pure: HIVE_SITE_XML's properties (name → value), in order; a reason when it is not a hive-site.xml. */
export function parseHiveSite(text: string): [string, string][] | { problem: string } {
  if (!/<configuration[\s>]/.test(text)) return { problem: 'is not a hive-site.xml (no <configuration> element)' };
  const unxml = (v: string) =>
    v
      .replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, '$1')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&amp;/g, '&')
      .trim();
  const out: [string, string][] = [];
  for (const m of text.replace(/<!--[\s\S]*?-->/g, '').matchAll(/<property>([\s\S]*?)<\/property>/g)) {
    const name = /<name>([\s\S]*?)<\/name>/.exec(m[1]!)?.[1];
    const value = /<value>([\s\S]*?)<\/value>/.exec(m[1]!)?.[1] ?? '';
    if (name) out.push([unxml(name), unxml(value)]);
  }
  return out;
}
