/**
 * HTTP(S) and file: downloads with idle timeouts, retries with exponential backoff, and resume
 * by HTTP Range (guarded by If-Range) after a dropped connection. Bytes go to a sink as they
 * arrive, so a 400 MB tarball is read once.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Progress } from '../output.js';

export interface TransferOptions {
  retries: number;
  timeoutMs: number;
  backoffMs: number;
  progress?: (total: number | undefined) => Progress;
  /** retries and resumes are reported here when there is no progress display */
  note?: (text: string) => void;
  userAgent?: string;
}

/** The resource is not on this server (404/410): try the next mirror. */
export class NotFound extends Error {}
/** A network or HTTP failure; `retryable` says whether another attempt may help. */
export class TransferError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}
/** The sink refused the bytes (bad tarball, disk full): never retried here. */
export class SinkError extends Error {
  constructor(readonly inner: unknown) {
    super((inner as Error)?.message ?? String(inner));
  }
}

export interface Sink {
  write(chunk: Uint8Array): Promise<void>;
  /** the server ignored Range: everything written so far must be dropped */
  restart(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A URL as it may be shown: no user:password, no query string (presigned URLs carry secrets). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    const auth = u.username || u.password ? '***@' : '';
    return `${u.protocol}//${auth}${u.host}${u.pathname}${u.search ? '?…' : ''}`;
  } catch {
    return '(invalid URL)';
  }
}

/** Describes a fetch failure the way a user can act on it. */
export function causeOf(err: unknown, timeoutMs: number): { message: string; retryable: boolean } {
  if (err instanceof TransferError) return { message: err.message, retryable: err.retryable };
  const e = err as { name?: string; message?: string; code?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return { message: `timed out (no data for ${timeoutMs / 1000} s)`, retryable: true };
  const code = e?.cause?.code ?? e?.code;
  const known: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset',
    ENOTFOUND: 'host not found (DNS)',
    EAI_AGAIN: 'DNS lookup failed',
    ETIMEDOUT: 'connection timed out',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    UND_ERR_SOCKET: 'connection closed by the server',
    UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
    UND_ERR_HEADERS_TIMEOUT: 'timed out waiting for the response',
    UND_ERR_BODY_TIMEOUT: 'timed out waiting for data',
    CERT_HAS_EXPIRED: 'TLS certificate has expired',
  };
  if (code && known[code]) return { message: known[code]!, retryable: !code.startsWith('CERT') };
  if (e?.message === 'terminated' || e?.message === 'aborted' || code === 'ERR_STREAM_PREMATURE_CLOSE') return { message: 'connection closed by the server', retryable: true };
  return { message: e?.cause?.message ?? e?.message ?? String(err), retryable: true };
}

interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  body: IncomingMessage;
}

class IdleTimeout extends Error {
  override name = 'TimeoutError';
}

/**
 * One GET with Node's http(s) client (less overhead per byte than fetch's web streams), following
 * redirects; the socket is destroyed after `timeoutMs` without activity.
 */
function get(url: string, headers: Record<string, string>, timeoutMs: number, redirects = 5): Promise<Response> {
  const u = new URL(url);
  const h = { ...headers };
  if (u.username || u.password) {
    h.authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
    u.username = '';
    u.password = '';
  }
  // fetched here, not imported: importing node:http as ESM loads undici (22 ms) in every CLI command (src/local/control.ts)
  const client = u.protocol === 'https:' ? process.getBuiltinModule('node:https') : process.getBuiltinModule('node:http');
  return new Promise((resolve, reject) => {
    let response: IncomingMessage | undefined;
    const req = client.get(u, { headers: h }, (res) => {
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (status >= 300 && status < 400 && location) {
        res.resume();
        if (redirects <= 0) return reject(new TransferError('too many redirects', false));
        const next = new URL(location, u);
        // never forward credentials to another host
        const nextHeaders = { ...headers };
        if (next.host !== u.host) delete nextHeaders.authorization;
        return resolve(get(next.toString(), nextHeaders, timeoutMs, redirects - 1));
      }
      response = res;
      resolve({ status, headers: res.headers, body: res });
    });
    // idle: no bytes for timeoutMs, before or after the headers
    req.setTimeout(timeoutMs, () => {
      const err = new IdleTimeout('idle');
      if (response) response.destroy(err);
      req.destroy(err);
    });
    req.on('error', reject);
  });
}

function httpStatusError(status: number): Error {
  if (status === 404 || status === 410) return new NotFound(`not found (HTTP ${status})`);
  const retryable = status >= 500 || status === 429 || status === 408;
  return new TransferError(`HTTP ${status}${status === 403 ? ' (forbidden)' : ''}`, retryable);
}

async function fetchFileUrl(url: string, sink: Sink, opts: TransferOptions): Promise<number> {
  const file = fileURLToPath(url);
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    throw new NotFound('no such file');
  }
  const progress = opts.progress?.(size);
  let done = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    try {
      await sink.write(chunk as Buffer);
    } catch (err) {
      throw new SinkError(err);
    }
    done += (chunk as Buffer).length;
    progress?.update(done);
  }
  progress?.finish();
  return done;
}

/**
 * Streams `url` into `sink`. Retries (with backoff) up to `retries` consecutive failures that made
 * no progress; a failure after progress resumes from the last byte with Range.
 */
/** Empties the sink for a download from the first byte; the new offset (0). */
async function startOver(sink: Sink): Promise<number> {
  try {
    await sink.restart();
  } catch (err) {
    throw new SinkError(err);
  }
  return 0;
}

export async function download(url: string, sink: Sink, opts: TransferOptions): Promise<number> {
  if (url.startsWith('file:')) return fetchFileUrl(url, sink, opts);
  let offset = 0;
  let total: number | undefined;
  let validator: string | undefined;
  let failures = 0;
  let progress: Progress | undefined;
  for (;;) {
    const headers: Record<string, string> = { 'user-agent': opts.userAgent ?? 'spark-in-space' };
    if (offset > 0) {
      headers.range = `bytes=${offset}-`;
      if (validator) headers['if-range'] = validator;
    }
    const before = offset;
    let res: Response | undefined;
    try {
      res = await get(url, headers, opts.timeoutMs);
      if (offset > 0 && res.status === 200) {
        progress?.note('the server does not resume downloads: starting over');
        res.body.destroy();
        offset = await startOver(sink);
        continue;
      }
      if (!(offset === 0 ? res.status === 200 : res.status === 206)) {
        res.body.resume();
        throw httpStatusError(res.status);
      }
      if (offset === 0) {
        const len = res.headers['content-length'];
        total = len ? Number(len) : undefined;
        const etag = res.headers.etag;
        validator = etag && !etag.startsWith('W/') ? etag : res.headers['last-modified'];
        progress ??= opts.progress?.(total);
      }
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        try {
          await sink.write(chunk);
        } catch (err) {
          throw new SinkError(err);
        }
        offset += chunk.length;
        progress?.update(offset);
      }
      if (total !== undefined && offset < total) throw new TransferError('connection closed before the end of the file', true);
      progress?.finish();
      return offset;
    } catch (err) {
      res?.body.destroy();
      if (err instanceof NotFound || err instanceof SinkError) throw err;
      const { message, retryable } = causeOf(err, opts.timeoutMs);
      failures = offset > before ? 1 : failures + 1;
      if (!retryable || failures > opts.retries) throw new TransferError(message, retryable);
      const wait = opts.backoffMs * 2 ** (failures - 1);
      const how = offset > 0 && validator ? `resuming at ${(offset / 1e6).toFixed(1)} MB` : 'retrying';
      const text = `${message}; ${how} in ${(wait / 1000).toFixed(1)} s (attempt ${failures + 1} of ${opts.retries + 1})`;
      if (progress) progress.note(text);
      else opts.note?.(text);
      if (offset > 0 && !validator) offset = await startOver(sink);
      await sleep(wait);
    }
  }
}

/** Fetches a small text file (a checksum), with the same timeouts and retries. */
export async function fetchText(url: string, opts: TransferOptions, limit = 1 << 16): Promise<string> {
  const parts: Uint8Array[] = [];
  let size = 0;
  await download(
    url,
    {
      write: async (c) => {
        size += c.length;
        if (size > limit) throw new Error(`larger than ${limit} bytes`);
        parts.push(c);
      },
      restart: async () => {
        parts.length = 0;
        size = 0;
      },
    },
    { ...opts, progress: undefined },
  );
  return Buffer.concat(parts).toString('utf8');
}
