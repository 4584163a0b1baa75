/**
 * The SQL server's side of the API: a HiveServer2 client (Thrift over HTTP, as beeline speaks to the
 * thrift dyno's /cliservice) for what statements need — sessions, asynchronous statements, their
 * status, result metadata and rows, cancel and close. The generated TCLIService stubs come from
 * hive-driver; nothing of the JDBC driver's JVM. Decoding a columnar row set into rows is pure
 * (`rowsOf`); the rest is the thin transport.
 */
import http from 'node:http';
import type { LookupFunction } from 'node:net';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
/* eslint-disable @typescript-eslint/no-explicit-any -- the generated Thrift stubs are untyped JavaScript */
const thrift = require('thrift') as any;
const TCLIService = require('hive-driver/thrift/gen-nodejs/TCLIService') as any;
const T = require('hive-driver/thrift/gen-nodejs/TCLIService_types') as any;

/** One column of a result: its name and Spark's type name (BIGINT, STRING, DECIMAL(10,2)…). */
export interface Column {
  name: string;
  type: string;
}

/** What HiveServer2 says of an operation. */
export type OperationState = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELED' | 'CLOSED';

export interface OperationStatus {
  state: OperationState;
  /** Spark's message, for FAILED */
  message?: string;
  sqlState?: string;
}

/** A value as JSON carries it: numbers stay numbers (a BIGINT beyond 2^53 as its exact digits), the rest as Spark prints it. */
export type Cell = string | number | boolean | null | { json: string };

const TYPE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(T.TTypeId as Record<string, number>).map(([k, v]) => [v, k.replace(/_TYPE$/, '')]));

/** Pure: Spark's type name of a column descriptor (with its precision and scale for DECIMAL). */
function typeName(desc: any): string {
  const entry = desc?.typeDesc?.types?.[0]?.primitiveEntry;
  const base = TYPE_NAMES[entry?.type as number] ?? 'STRING';
  const q = entry?.typeQualifiers?.qualifiers as Record<string, { i32Value?: number }> | undefined;
  if (base === 'DECIMAL' && q?.precision?.i32Value !== undefined) return `DECIMAL(${q.precision.i32Value},${q.scale?.i32Value ?? 0})`;
  return base;
}

/** Pure: the columns of a GetResultSetMetadata answer. */
export const columnsOf = (schema: any): Column[] => ((schema?.columns ?? []) as any[]).map((c) => ({ name: String(c.columnName), type: typeName(c) }));

const isNull = (nulls: Buffer | undefined, i: number) => Boolean(nulls && nulls.length > i >> 3 && nulls[i >> 3]! & (1 << (i & 7)));

/** An i64 from the Thrift decoder (node-int64): a number when it is safe, else its exact digits. */
function i64(v: any): Cell {
  if (typeof v === 'number') return v;
  const n = v.toNumber(true);
  if (Number.isSafeInteger(n)) return n;
  const buf: Buffer = v.buffer.subarray(v.offset, v.offset + 8);
  return { json: buf.readBigInt64BE(0).toString() };
}

/** Pure: a columnar TRowSet as rows of cells (nulls from each column's bitmap). */
export function rowsOf(rowSet: any): Cell[][] {
  const columns: any[] = rowSet?.columns ?? [];
  if (!columns.length) return [];
  const cols = columns.map((c) => {
    const [kind, col] = Object.entries(c).find(([, v]) => v !== null && v !== undefined) as [string, { values: any[]; nulls?: Buffer }];
    const conv: (v: any) => Cell = kind === 'i64Val' ? i64 : kind === 'binaryVal' ? (v: Buffer) => Buffer.from(v).toString('base64') : (v) => v;
    return { values: col.values, nulls: col.nulls, conv, double: kind === 'doubleVal' };
  });
  const n = cols[0]!.values.length;
  const rows: Cell[][] = new Array(n);
  for (let i = 0; i < n; i++) {
    const row: Cell[] = new Array(cols.length);
    for (let j = 0; j < cols.length; j++) {
      const c = cols[j]!;
      if (isNull(c.nulls, i)) row[j] = null;
      else {
        const v = c.conv(c.values[i]);
        // JSON has no NaN or Infinity: Spark's own spelling, as a string
        row[j] = c.double && typeof v === 'number' && !Number.isFinite(v) ? String(v) : v;
      }
    }
    rows[i] = row;
  }
  return rows;
}

/** Pure: Spark's error class and message from HiveServer2's error text ("Error running query: [CLASS] org…Exception: [CLASS] message", then Java's stack). */
export function sparkError(text: string | undefined, sqlState?: string): { errorClass?: string; message: string; sqlState?: string } {
  let m = (text ?? 'the query failed').split(/\n(?:Caused by:|\s+at |\s*\.\.\. \d+ more)/)[0]!;
  m = m.replace(/^org\.apache\.hive\.service\.cli\.HiveSQLException:\s*/, '').replace(/^Error running query:\s*/, '');
  // "[CLASS] org.apache.spark.sql.AnalysisException: [CLASS] …": the exception's name is Java's, not the user's
  m = m.replace(/^(?:\[[A-Z0-9_.]+\]\s*)?(?:[a-z][\w$]*\.)+[A-Z][\w$]*(?:Exception|Error):\s*/, '').trim();
  const cls = /^\[([A-Z][A-Z0-9_]*(?:\.[A-Z][A-Z0-9_]*)*)\]\s*/.exec(m);
  return { ...(cls ? { errorClass: cls[1] } : {}), message: m.slice(0, 4000), ...(sqlState ? { sqlState } : {}) };
}

const STATE: Record<number, OperationState> = {
  [T.TOperationState.INITIALIZED_STATE]: 'RUNNING',
  [T.TOperationState.RUNNING_STATE]: 'RUNNING',
  [T.TOperationState.PENDING_STATE]: 'RUNNING',
  [T.TOperationState.FINISHED_STATE]: 'SUCCEEDED',
  [T.TOperationState.CANCELED_STATE]: 'CANCELED',
  [T.TOperationState.CLOSED_STATE]: 'CLOSED',
  [T.TOperationState.ERROR_STATE]: 'FAILED',
  [T.TOperationState.TIMEDOUT_STATE]: 'FAILED',
  [T.TOperationState.UKNOWN_STATE]: 'FAILED',
};

/** A Thrift call's status: throws the server's message when it is an error. */
function check(status: any, what: string): void {
  const code = status?.statusCode;
  if (code === T.TStatusCode.SUCCESS_STATUS || code === T.TStatusCode.SUCCESS_WITH_INFO_STATUS || code === T.TStatusCode.STILL_EXECUTING_STATUS) return;
  const e = sparkError(status?.errorMessage ?? `${what} failed`, status?.sqlState ?? undefined);
  throw Object.assign(new Error(e.message), { sparkError: e });
}

export type Session = { handle: any };
export type Operation = { handle: any };

/** A HiveServer2 over HTTP at `http://host:port/path`, keep-alive, any user (the thrift dyno checks none in the space). */
export class HiveClient {
  private client: any;
  /** `lookup`: how the host's name resolves (a local space's hosts file), else the system's resolver. */
  constructor(url: string, lookup?: LookupFunction) {
    const u = new URL(url);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    const auth = Buffer.from(`${decodeURIComponent(u.username) || 'api'}:${decodeURIComponent(u.password) || 'x'}`).toString('base64');
    const connection = thrift.createHttpConnection(u.hostname, Number(u.port || 80), {
      path: u.pathname,
      transport: thrift.TBufferedTransport,
      protocol: thrift.TBinaryProtocol,
      headers: { Authorization: `Basic ${auth}` },
      nodeOptions: { agent, ...(lookup ? { lookup } : {}) },
    });
    this.client = thrift.createHttpClient(TCLIService, connection);
    // Thrift's HTTP connection reports a failed request (refused, reset) as an event and leaves the
    // call waiting forever: fail every call in flight with it instead
    connection.on('error', (err: Error) => {
      const reqs = this.client._reqs as Record<string, (e: Error) => void>;
      for (const [seq, cb] of Object.entries(reqs)) {
        delete reqs[seq];
        cb(err);
      }
    });
  }

  /** A call, failed after `ms` (a long poll holds GetOperationStatus up to 5 s). */
  private call<T>(name: string, req: unknown, ms = 60_000): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      this.client[name](req) as Promise<T>,
      new Promise<T>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the SQL server did not answer ${name} within ${ms / 1000} s`)), ms);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  async openSession(conf: Record<string, string> = {}): Promise<Session> {
    const r = await this.call<any>('OpenSession', new T.TOpenSessionReq({ client_protocol: T.TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V8, configuration: conf }));
    check(r.status, 'OpenSession');
    return { handle: r.sessionHandle };
  }

  async closeSession(s: Session): Promise<void> {
    await this.call<any>('CloseSession', new T.TCloseSessionReq({ sessionHandle: s.handle }));
  }

  /** Starts `sql` in the background; a statement Spark refuses at once (a syntax error) rejects with its message. */
  async execute(s: Session, sql: string): Promise<Operation> {
    const r = await this.call<any>('ExecuteStatement', new T.TExecuteStatementReq({ sessionHandle: s.handle, statement: sql, runAsync: true, confOverlay: {} }));
    check(r.status, 'ExecuteStatement');
    return { handle: r.operationHandle };
  }

  /** The operation's state: the server holds the call until the operation ends or its long-polling timeout (5 s) passes. */
  async status(op: Operation): Promise<OperationStatus> {
    const r = await this.call<any>('GetOperationStatus', new T.TGetOperationStatusReq({ operationHandle: op.handle, getProgressUpdate: false }));
    check(r.status, 'GetOperationStatus');
    const state = STATE[r.operationState as number] ?? 'RUNNING';
    return { state, message: r.errorMessage ?? undefined, sqlState: r.sqlState ?? undefined };
  }

  async columns(op: Operation): Promise<Column[]> {
    if (!op.handle.hasResultSet) return [];
    const r = await this.call<any>('GetResultSetMetadata', new T.TGetResultSetMetadataReq({ operationHandle: op.handle }));
    check(r.status, 'GetResultSetMetadata');
    return columnsOf(r.schema);
  }

  /** The next `max` rows (fewer at the end); `more`: whether the server has more. */
  async fetch(op: Operation, max: number): Promise<{ rows: Cell[][]; more: boolean }> {
    if (!op.handle.hasResultSet) return { rows: [], more: false };
    const r = await this.call<any>('FetchResults', new T.TFetchResultsReq({ operationHandle: op.handle, orientation: T.TFetchOrientation.FETCH_NEXT, maxRows: max }));
    check(r.status, 'FetchResults');
    const rows = rowsOf(r.results);
    // HiveServer2 leaves hasMoreRows false: the end is an empty fetch
    return { rows, more: rows.length > 0 };
  }

  async cancel(op: Operation): Promise<void> {
    const r = await this.call<any>('CancelOperation', new T.TCancelOperationReq({ operationHandle: op.handle }));
    check(r.status, 'CancelOperation');
  }

  async close(op: Operation): Promise<void> {
    await this.call<any>('CloseOperation', new T.TCloseOperationReq({ operationHandle: op.handle }));
  }
}
