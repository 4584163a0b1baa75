/**
 * Idempotency-Key: a POST sent again with the same key within LIMITS.idempotencyMs gets the first
 * answer and starts nothing new. The key is claimed before the work starts (a second request while
 * the first runs is told so, 409), the answer is kept once sent (2xx and 4xx; a 5xx frees the key so
 * a retry runs again). Kept in the catalog's PostgreSQL when the app has one (keys outlive a
 * restart of the api dyno), else in the dyno's memory (a restart forgets them).
 */
import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import { pgOptions, type Database } from '../metastore/parse.js';
import { LIMITS } from './shapes.js';

export type Claim = { kind: 'new' } | { kind: 'done'; status: number; body: string } | { kind: 'pending' } | { kind: 'mismatch' };

export interface IdempotencyStore {
  readonly where: string;
  claim(key: string, fingerprint: string, now?: number): Promise<Claim>;
  finish(key: string, status: number, body: string): Promise<void>;
  release(key: string): Promise<void>;
  close(): Promise<void>;
}

/** Pure: what a request is, for telling a replay from another request under the same key. */
export const fingerprint = (method: string, path: string, body: string) => createHash('sha256').update(`${method} ${path}\n${body}`).digest('hex');

/** Pure: a key clients may send: 1–255 visible ASCII characters. */
export const validKey = (k: string) => /^[\x21-\x7e]{1,255}$/.test(k);

interface Entry {
  fingerprint: string;
  at: number;
  status?: number;
  body?: string;
}

export class MemoryStore implements IdempotencyStore {
  readonly where = "the api dyno's memory (a restart forgets the keys: attach Heroku Postgres to keep them)";
  private readonly keys = new Map<string, Entry>();
  async claim(key: string, fp: string, now = Date.now()): Promise<Claim> {
    for (const [k, e] of this.keys) if (now - e.at > LIMITS.idempotencyMs) this.keys.delete(k);
    const e = this.keys.get(key);
    if (!e) {
      this.keys.set(key, { fingerprint: fp, at: now });
      return { kind: 'new' };
    }
    if (e.fingerprint !== fp) return { kind: 'mismatch' };
    return e.status === undefined ? { kind: 'pending' } : { kind: 'done', status: e.status, body: e.body! };
  }
  async finish(key: string, status: number, body: string) {
    const e = this.keys.get(key);
    if (e) Object.assign(e, { status, body });
  }
  async release(key: string) {
    this.keys.delete(key);
  }
  async close() {}
}

const TABLE = 'spark_in_space_api_idempotency';

export class PostgresStore implements IdempotencyStore {
  readonly where = "the catalog's PostgreSQL (table spark_in_space_api_idempotency)";
  private ready?: Promise<void>;
  constructor(private readonly pool: Pool) {}

  static async open(db: Database): Promise<PostgresStore> {
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({ ...pgOptions(db, 'spark-in-space api'), max: 2, connectionTimeoutMillis: 10_000 });
    pool.on('error', () => {});
    return new PostgresStore(pool);
  }

  private init(): Promise<void> {
    this.ready ??= this.pool.query(`CREATE TABLE IF NOT EXISTS ${TABLE} (key text PRIMARY KEY, fingerprint text NOT NULL, created timestamptz NOT NULL DEFAULT now(), status int, body text)`).then(
      () => {},
      (err: Error) => {
        this.ready = undefined;
        throw err;
      },
    );
    return this.ready;
  }

  async claim(key: string, fp: string): Promise<Claim> {
    await this.init();
    await this.pool.query(`DELETE FROM ${TABLE} WHERE created < now() - make_interval(secs => $1)`, [LIMITS.idempotencyMs / 1000]);
    const ins = await this.pool.query(`INSERT INTO ${TABLE} (key, fingerprint) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING RETURNING key`, [key, fp]);
    if (ins.rowCount) return { kind: 'new' };
    const r = await this.pool.query<{ fingerprint: string; status: number | null; body: string | null }>(`SELECT fingerprint, status, body FROM ${TABLE} WHERE key = $1`, [key]);
    const e = r.rows[0];
    if (!e) return this.claim(key, fp);
    if (e.fingerprint !== fp) return { kind: 'mismatch' };
    return e.status === null ? { kind: 'pending' } : { kind: 'done', status: e.status, body: e.body ?? '' };
  }
  async finish(key: string, status: number, body: string) {
    await this.pool.query(`UPDATE ${TABLE} SET status = $2, body = $3 WHERE key = $1`, [key, status, body]);
  }
  async release(key: string) {
    await this.pool.query(`DELETE FROM ${TABLE} WHERE key = $1 AND status IS NULL`, [key]);
  }
  async close() {
    await this.pool.end();
  }
}
