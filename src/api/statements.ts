/**
 * Statements: SQL the API runs on the thrift dyno's shared SQL server (one catalog for every
 * driver). Each statement gets a session of its own, opened ahead of time (a small warm pool), so a
 * request pays for neither a JVM nor a session. Its result is read once, in pages (rows and bytes
 * capped: LIMITS) spooled to a private dir (0700, files 0600) while the client reads the first: any
 * page can be read again until the statement is forgotten (LIMITS.retainMs after it ended).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ApiError, LIMITS, boundStatement, type StatementRequest } from './shapes.js';
import { sparkError, type Cell, type Column, type HiveClient, type Operation, type Session } from './hive.js';

export type StatementState = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELED';

interface Page {
  rows: number;
  bytes: number;
  file: string;
}

interface Statement {
  id: string;
  state: StatementState;
  submitted: number;
  ended?: number;
  columns?: Column[];
  error?: { errorClass?: string; message: string; sqlState?: string };
  op?: Operation;
  session?: Session;
  pages: Page[];
  /** every row is spooled */
  complete: boolean;
  truncated: boolean;
  totalRows: number;
  totalBytes: number;
  /** wakes whoever waits for a state change or a new page */
  changed: Set<() => void>;
  cancelRequested: boolean;
}

/** Pure: one row as JSON text (exact digits for a BIGINT beyond 2^53). */
export function rowJson(row: Cell[]): string {
  let s = '[';
  for (let i = 0; i < row.length; i++) {
    const c = row[i]!;
    if (i) s += ',';
    s += c !== null && typeof c === 'object' ? c.json : JSON.stringify(c);
  }
  return `${s}]`;
}

/** Pure: rows cut into pages of at most `maxRows` rows and `maxBytes` JSON bytes (a page holds at least one row). */
export function cutPages(rowTexts: string[], maxRows: number, maxBytes: number): string[][] {
  const pages: string[][] = [];
  let cur: string[] = [];
  let bytes = 0;
  for (const r of rowTexts) {
    if (cur.length && (cur.length >= maxRows || bytes + r.length + 1 > maxBytes)) {
      pages.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(r);
    bytes += r.length + 1;
  }
  if (cur.length) pages.push(cur);
  return pages;
}

const TERMINAL: StatementState[] = ['SUCCEEDED', 'FAILED', 'CANCELED'];

export class Statements {
  private readonly all = new Map<string, Statement>();
  private readonly pool: Promise<Session>[] = [];
  private readonly dir = mkdtempSync(path.join(os.tmpdir(), 'spark-api-results-'));

  constructor(
    private readonly hive: HiveClient,
    private readonly o: { poolSize?: number; say?: (s: string) => void } = {},
  ) {
    setInterval(() => this.forget(), 60_000).unref();
  }

  /** Sessions opened ahead of need: a statement takes one and another is opened behind it. */
  private session(): Promise<Session> {
    this.fill();
    const next = this.pool.shift()!;
    this.fill();
    return next.catch(() => this.hive.openSession());
  }

  private fill(): void {
    while (this.pool.length < (this.o.poolSize ?? 2)) {
      const p = this.hive.openSession();
      p.catch(() => {});
      this.pool.push(p);
    }
  }

  /** Opens the warm sessions now (at start), so the first request does not wait for them. */
  warm(): void {
    this.fill();
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private changed(s: Statement): void {
    for (const f of [...s.changed]) f();
  }

  /** Resolves when `s` changes, or after `ms`. */
  private until(s: Statement, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        s.changed.delete(done);
        resolve();
      };
      const t = setTimeout(done, Math.max(0, ms));
      s.changed.add(done);
    });
  }

  /** Starts a statement; answers once it ended (first page ready) or `waitMs` passed. */
  async submit(r: StatementRequest): Promise<Statement> {
    const sql = boundStatement(r);
    const s: Statement = {
      id: randomUUID(),
      state: 'PENDING',
      submitted: Date.now(),
      pages: [],
      complete: false,
      truncated: false,
      totalRows: 0,
      totalBytes: 0,
      changed: new Set(),
      cancelRequested: false,
    };
    let session: Session;
    try {
      session = await this.session();
    } catch (err) {
      throw new ApiError('sql-server-unavailable', `the SQL server (the thrift dyno) did not answer: ${(err as Error).message}. Is the thrift process type scaled to 1?`);
    }
    s.session = session;
    this.all.set(s.id, s);
    try {
      try {
        s.op = await this.hive.execute(session, sql);
      } catch (err) {
        // a pooled session the server no longer knows (it restarted): once more on a new one
        if (!/invalid sessionhandle|session.*(not found|closed)/i.test((err as Error).message)) throw err;
        this.pool.length = 0;
        s.session = session = await this.hive.openSession();
        s.op = await this.hive.execute(session, sql);
      }
      s.state = 'RUNNING';
    } catch (err) {
      const e = (err as { sparkError?: Statement['error'] }).sparkError;
      if (!e) {
        this.all.delete(s.id);
        void this.hive.closeSession(session).catch(() => {});
        throw new ApiError('sql-server-unavailable', `the SQL server (the thrift dyno) did not take the statement: ${(err as Error).message}`);
      }
      this.end(s, 'FAILED', e);
    }
    if (s.op) void this.drive(s);
    await this.wait(s, r.wait ?? 10_000);
    return s;
  }

  /** Waits until `s` ended (and its first page is spooled) or `ms` passed. */
  async wait(s: Statement, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.answered(s) && Date.now() < deadline) await this.until(s, deadline - Date.now());
  }

  private answered(s: Statement): boolean {
    return s.state !== 'RUNNING' && s.state !== 'PENDING';
  }

  private end(s: Statement, state: StatementState, error?: Statement['error']): void {
    if (TERMINAL.includes(s.state)) return;
    s.state = state;
    s.error = error;
    s.ended = Date.now();
    this.changed(s);
  }

  /** Follows the operation to its end, then spools its rows page by page. */
  private async drive(s: Statement): Promise<void> {
    const op = s.op!;
    try {
      for (;;) {
        const st = await this.statusOf(op);
        if (st.state === 'RUNNING') continue;
        if (st.state === 'SUCCEEDED') break;
        if (st.state === 'FAILED') this.end(s, 'FAILED', sparkError(st.message, st.sqlState));
        else this.end(s, 'CANCELED');
        return;
      }
      s.columns = await this.hive.columns(op);
      let first = true;
      for (;;) {
        if (s.cancelRequested) return;
        const { rows, more } = await this.hive.fetch(op, LIMITS.pageRows);
        const texts = rows.map(rowJson);
        for (const page of cutPages(texts, LIMITS.pageRows, LIMITS.pageBytes)) {
          const body = page.join(',');
          if (s.totalBytes + body.length > LIMITS.resultBytes) {
            s.truncated = true;
            break;
          }
          const file = path.join(this.dir, `${s.id}-${s.pages.length}.json`);
          await writeFile(file, `[${body}]`, { mode: 0o600 });
          s.pages.push({ rows: page.length, bytes: body.length + 2, file });
          s.totalRows += page.length;
          s.totalBytes += body.length + 2;
          this.changed(s);
        }
        // a large result is answered with its first page while the rest is read; a small one once
        // its end is known (the next, empty fetch), so its answer says how many rows there are
        if (first && s.pages.length && rows.length >= LIMITS.pageRows) {
          first = false;
          this.end(s, 'SUCCEEDED');
        }
        if (!more || s.truncated) break;
      }
      s.complete = true;
      this.end(s, 'SUCCEEDED');
      this.changed(s);
    } catch (err) {
      if (!s.cancelRequested) {
        const e = (err as { sparkError?: Statement['error'] }).sparkError ?? { message: `the SQL server stopped answering: ${(err as Error).message}` };
        if (s.state === 'SUCCEEDED') {
          s.truncated = true;
          s.complete = true;
          s.error = e;
          this.changed(s);
        } else this.end(s, 'FAILED', e);
      }
    } finally {
      void this.hive.close(op).catch(() => {});
      if (s.session) void this.hive.closeSession(s.session).catch(() => {});
      s.session = undefined;
      s.complete = true;
      this.changed(s);
    }
  }

  /**
   * The operation's state, asked again after a transport failure (a reset keep-alive socket fails
   * every call in flight on the connection): asking is harmless, and the query runs on regardless.
   */
  private async statusOf(op: Operation, tries = 4): Promise<Awaited<ReturnType<HiveClient['status']>>> {
    for (let i = 1; ; i++) {
      try {
        return await this.hive.status(op);
      } catch (err) {
        if ((err as { sparkError?: unknown }).sparkError || i >= tries) throw err;
        await new Promise((r) => setTimeout(r, 250 * i));
      }
    }
  }

  get(id: string): Statement {
    const s = this.all.get(id);
    if (!s) throw new ApiError('not-found', `no statement ${id} (statements are kept ${LIMITS.retainMs / 60_000} min after they end, on the api dyno that ran them)`);
    return s;
  }

  /** Cancels the query on the cluster (Spark cancels its jobs); a statement that already ended is left as it is. */
  async cancel(id: string): Promise<Statement> {
    const s = this.get(id);
    if (TERMINAL.includes(s.state)) return s;
    s.cancelRequested = true;
    if (s.op) await this.hive.cancel(s.op).catch(() => {});
    this.end(s, 'CANCELED');
    return s;
  }

  /** Page `n` of a result (waits while it is being read). */
  async page(id: string, n: number): Promise<{ s: Statement; rows: string }> {
    const s = this.get(id);
    if (s.state !== 'SUCCEEDED') throw new ApiError('conflict', `statement ${id} is ${s.state}: only a SUCCEEDED statement has a result`, { state: s.state });
    while (n >= s.pages.length && !s.complete) await this.until(s, 30_000);
    // the newest page: wait for the next fetch (already under way), so its answer knows whether a `next` follows
    while (n === s.pages.length - 1 && !s.complete) await this.until(s, 30_000);
    const p = s.pages[n];
    // a result whose end came on a page boundary: the page after the last is empty, and says it is the end
    if (!p && n === s.pages.length) return { s, rows: '[]' };
    if (!p) throw new ApiError('not-found', `statement ${id} has ${s.pages.length} page(s) (0 to ${Math.max(0, s.pages.length - 1)})`);
    return { s, rows: await readFile(p.file, 'utf8') };
  }

  /** Pure view of a statement: what GET answers (with the first page's rows when `rows` is given). */
  view(s: Statement, rows?: string): string {
    const head: Record<string, unknown> = { id: s.id, state: s.state, submittedAt: new Date(s.submitted).toISOString() };
    if (s.ended) head.endedAt = new Date(s.ended).toISOString();
    if (s.state === 'FAILED' && s.error) head.error = s.error;
    if (s.state !== 'SUCCEEDED') return JSON.stringify(head);
    head.columns = s.columns ?? [];
    return this.pageView(s, 0, rows, head);
  }

  /** Pure: a page's answer (`rows` is its JSON text). */
  pageView(s: Statement, n: number, rows = '[]', head: Record<string, unknown> = { id: s.id, state: s.state }): string {
    const more = n + 1 < s.pages.length || !s.complete;
    const meta: Record<string, unknown> = {
      ...head,
      page: n,
      pageRows: s.pages[n]?.rows ?? 0,
      limits: { pageRows: LIMITS.pageRows, pageBytes: LIMITS.pageBytes, resultBytes: LIMITS.resultBytes },
      ...(s.complete ? { totalRows: s.totalRows, pages: s.pages.length } : {}),
      ...(s.truncated ? { truncated: true, ...(s.error ? { error: s.error } : {}) } : {}),
      ...(more ? { next: `/api/v1/statements/${s.id}/result?page=${n + 1}` } : {}),
    };
    const json = JSON.stringify(meta);
    return `${json.slice(0, -1)},"rows":${rows}}`;
  }

  /** Drops statements that ended LIMITS.retainMs ago, and their spooled pages. */
  forget(now = Date.now()): void {
    for (const [id, s] of this.all)
      if (s.ended && s.complete && now - s.ended > LIMITS.retainMs) {
        for (const p of s.pages) rmSync(p.file, { force: true });
        this.all.delete(id);
      }
  }
}
