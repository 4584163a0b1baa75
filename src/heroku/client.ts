/**
 * What the CLI's Heroku commands call: `send` runs one request through api.ts's `call` (retries,
 * redaction) and turns a failure into a `heroku-api` problem naming what was being done, so every
 * command reports errors, and exits, the same way (errors.ts exitCodeOf).
 */
import { fail } from '../errors.js';
import { call, type ApiRequest } from './api.js';
import type { Auth } from './auth.js';

export interface Client {
  send<T>(req: ApiRequest, what: string, hint?: string): Promise<T>;
  /** like send, but a 404 is `undefined` instead of a problem */
  find<T>(req: ApiRequest, what: string): Promise<T | undefined>;
  auth: Auth;
}

export function client(auth: Auth, o: { baseDelayMs?: number; say?: (line: string) => void } = {}): Client {
  const run = async (req: ApiRequest, what: string) =>
    call(req, {
      baseUrl: auth.baseUrl,
      token: auth.token,
      baseDelayMs: o.baseDelayMs ?? (process.env.SPARK_IN_SPACE_BACKOFF_MS ? Number(process.env.SPARK_IN_SPACE_BACKOFF_MS) : undefined),
      onRetry: (r) => o.say?.(`${what}: ${r.status ? `HTTP ${r.status}` : 'no answer'}, trying again in ${(r.delayMs / 1000).toFixed(1)} s`),
    });
  return {
    auth,
    async send<T>(req: ApiRequest, what: string, hint?: string) {
      const r = await run(req, what);
      if (r.ok) return r.body as T;
      return fail({ code: 'heroku-api', what, status: r.status, id: r.id, message: r.message, hint, ...(r.unsure ? { unsure: true } : {}) });
    },
    async find<T>(req: ApiRequest, what: string) {
      const r = await run(req, what);
      if (r.ok) return r.body as T;
      if (r.status === 404) return undefined;
      return fail({ code: 'heroku-api', what, status: r.status, id: r.id, message: r.message });
    },
  };
}
