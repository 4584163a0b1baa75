/**
 * The Heroku Platform API, as used by the buildpack and the CLI: request building and the retry
 * policy are pure; `call` is the one `fetch` wrapper (v3 Accept header, bearer token, retries on
 * 429 and 5xx). A token never reaches a message: errors name the request, never the header.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export const DEFAULT_API_URL = 'https://api.heroku.com';

export interface ApiRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';
  /** path under the base URL, e.g. /apps/demo/formations/worker */
  path: string;
  body?: unknown;
}

/**
 * `unsure`: a request that is not safe to repeat (POST) failed in a way that does not say whether
 * Heroku acted on it (no answer after it was sent, a 5xx): look up what exists before sending it again.
 */
export type ApiResult = { ok: true; status: number; body: unknown } | { ok: false; status: number; id?: string; message: string; unsure?: boolean };

/** Pure: the restart of every dyno of one process type (`DELETE /apps/{app}/formations/{type}`). */
export const restartFormation = (app: string, type: string): ApiRequest => ({ method: 'DELETE', path: `/apps/${encodeURIComponent(app)}/formations/${encodeURIComponent(type)}` });

/** Pure: the headers of every request. */
export function headersFor(token: string, body: boolean): Record<string, string> {
  return {
    Accept: 'application/vnd.heroku+json; version=3',
    Authorization: `Bearer ${token}`,
    'User-Agent': 'spark-in-space',
    ...(body ? { 'Content-Type': 'application/json' } : {}),
  };
}

/** Pure: is a failure worth another try? Rate limits and server errors are; the rest are answers. */
export const retryable = (status: number) => status === 429 || status >= 500 || status === 0;

/** Errors of a connection that was never made: the request provably never reached the API. */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * Pure: may a failed try be sent again? GET, PATCH (to a state), PUT and DELETE are safe to repeat:
 * on 429, 5xx and network errors. A POST creates something each time it arrives: only when it
 * provably never did (no connection was made) or was turned away unprocessed (429).
 */
export function mayRetry(method: ApiRequest['method'], status: number, errorCode?: string): boolean {
  if (!retryable(status)) return false;
  if (method !== 'POST') return true;
  return status === 429 || (status === 0 && errorCode !== undefined && NEVER_SENT.has(errorCode));
}

/**
 * Pure: how long to wait before try `attempt + 1` (attempt counts from 1): Retry-After when the
 * API sends one, else 1 s doubling to 16 s.
 */
export function retryDelayMs(attempt: number, retryAfter?: string | null, baseMs = 1000): number {
  const s = retryAfter ? Number(retryAfter) : NaN;
  if (Number.isFinite(s) && s >= 0) return Math.min(60_000, s * 1000);
  return Math.min(16_000, baseMs * 2 ** (attempt - 1));
}

/** Pure: removes a token from any text before it is shown. */
export const redact = (text: string, token: string | undefined) => (token && token.length >= 4 ? text.split(token).join('[REDACTED]') : text);

export interface CallOptions {
  baseUrl?: string;
  token: string;
  /** tries in all (first try included) */
  attempts?: number;
  baseDelayMs?: number;
  /** told of each retry, e.g. to log it */
  onRetry?: (r: { attempt: number; status: number; delayMs: number; why: string }) => void;
}

/** fetch's "fetch failed" says little: add its cause (other side closed, refused, a timeout). */
function describeFetchError(e: Error): string {
  const cause = (e as { cause?: { message?: string; code?: string } }).cause;
  return cause?.message && !e.message.includes(cause.message) ? `${e.message} (${cause.message})` : e.message;
}

/** Sends `req`, retrying what is safe to retry (`mayRetry`) with backoff. Never throws. */
export async function call(req: ApiRequest, o: CallOptions): Promise<ApiResult> {
  const url = `${(o.baseUrl ?? DEFAULT_API_URL).replace(/\/+$/, '')}${req.path}`;
  const attempts = o.attempts ?? 6;
  let last: ApiResult = { ok: false, status: 0, message: 'not sent' };
  for (let attempt = 1; attempt <= attempts; attempt++) {
    let retryAfter: string | null = null;
    let errorCode: string | undefined;
    try {
      const res = await fetch(url, {
        method: req.method,
        headers: headersFor(o.token, req.body !== undefined),
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
        signal: AbortSignal.timeout(30_000),
      });
      retryAfter = res.headers.get('retry-after');
      const text = await res.text();
      let body: unknown = undefined;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      if (res.ok) return { ok: true, status: res.status, body };
      const err = (body ?? {}) as { id?: string; message?: string };
      last = { ok: false, status: res.status, id: err.id, message: redact(err.message ?? res.statusText, o.token) };
    } catch (e) {
      errorCode = ((e as { cause?: { code?: string } }).cause?.code ?? (e as { code?: string }).code) || undefined;
      last = { ok: false, status: 0, message: redact(describeFetchError(e as Error), o.token) };
    }
    if (!mayRetry(req.method, last.status, errorCode) || attempt === attempts) {
      if (!last.ok && req.method === 'POST' && (last.status === 0 || last.status >= 500) && !(errorCode && NEVER_SENT.has(errorCode))) last.unsure = true;
      return last;
    }
    const delayMs = retryDelayMs(attempt, retryAfter, o.baseDelayMs);
    o.onRetry?.({ attempt, status: last.status, delayMs, why: last.ok ? '' : last.message });
    await sleep(delayMs);
  }
  return last;
}

// ---- the requests of the Heroku-side commands (pure; each validated by the fake against the schema)

const seg = encodeURIComponent;
export const getApp = (app: string): ApiRequest => ({ method: 'GET', path: `/apps/${seg(app)}` });
/** Pure: the apps a token may access (`GET /apps`). */
export const listApps = (): ApiRequest => ({ method: 'GET', path: '/apps' });
export const deleteApp = (app: string): ApiRequest => ({ method: 'DELETE', path: `/apps/${seg(app)}` });
export const getSpace = (space: string): ApiRequest => ({ method: 'GET', path: `/spaces/${seg(space)}` });
export const getDynoSize = (size: string): ApiRequest => ({ method: 'GET', path: `/dyno-sizes/${seg(size)}` });
export const createSource = (): ApiRequest => ({ method: 'POST', path: '/sources' });
export const getAppSetup = (id: string): ApiRequest => ({ method: 'GET', path: `/app-setups/${seg(id)}` });
export const getBuild = (app: string, id: string): ApiRequest => ({ method: 'GET', path: `/apps/${seg(app)}/builds/${seg(id)}` });
export const listBuilds = (app: string): ApiRequest => ({ method: 'GET', path: `/apps/${seg(app)}/builds` });
export const listFormation = (app: string): ApiRequest => ({ method: 'GET', path: `/apps/${seg(app)}/formation` });
export const listDynos = (app: string): ApiRequest => ({ method: 'GET', path: `/apps/${seg(app)}/dynos` });
export const getConfigVars = (app: string): ApiRequest => ({ method: 'GET', path: `/apps/${seg(app)}/config-vars` });
export const getAppFeature = (app: string, feature: string): ApiRequest => ({ method: 'GET', path: `/apps/${seg(app)}/features/${seg(feature)}` });

export interface AppSetupBody {
  source_blob: { url: string; version?: string };
  app?: { name?: string; space?: string; organization?: string };
  overrides?: { env?: Record<string, string> };
}
export const createAppSetup = (body: AppSetupBody): ApiRequest => ({ method: 'POST', path: '/app-setups', body });
export const createBuild = (app: string, url: string, version: string): ApiRequest => ({ method: 'POST', path: `/apps/${seg(app)}/builds`, body: { source_blob: { url, version } } });

export interface FormationUpdate {
  type: string;
  quantity?: number;
  dyno_size?: { name: string };
}
export const updateFormation = (app: string, updates: FormationUpdate[]): ApiRequest => ({ method: 'PATCH', path: `/apps/${seg(app)}/formation`, body: { updates } });

// ---- the shapes the commands read (a subset of the schema's; everything else is ignored)

export interface App {
  id: string;
  name: string;
  web_url?: string | null;
  space?: { id: string; name: string } | null;
}
export interface Space {
  id: string;
  name: string;
  state?: string;
  generation?: { name?: string } | null;
}
export interface Source {
  source_blob: { get_url: string; put_url: string };
}
export interface Build {
  id: string;
  status: 'pending' | 'succeeded' | 'failed';
  output_stream_url?: string | null;
  source_blob?: { version?: string | null };
}
export interface AppSetup {
  id: string;
  status: 'pending' | 'succeeded' | 'failed';
  failure_message?: string | null;
  manifest_errors?: string[];
  app: { id: string; name: string };
  build?: { id: string; status: string; output_stream_url?: string | null } | null;
}
export interface Formation {
  type: string;
  quantity: number;
  size?: string;
  dyno_size?: { name?: string } | null;
  command?: string;
}
export interface Dyno {
  name: string;
  type: string;
  state: string;
  size?: string;
}
