/**
 * How the jobs commands reach the cluster's web UIs: a local space's dynos directly (each on its own
 * loopback address), a Heroku app's through its space proxy (basic auth, the backend cookie), or a
 * dyno inside the space directly by name. One interface, so `apps`, `drivers`, `kill` and `logs`
 * are the same code everywhere. The proxy's password is in no message.
 */
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { fail } from '../errors.js';
import { COOKIE, USER } from '../proxy/index.js';
import { MASTER_UI_PORT } from '../space/index.js';
import { dynoFor } from '../local/formation.js';
import type { State } from '../local/state.js';
import { dynoOfHost } from './index.js';

export interface SparkLink {
  /** for messages: `the local space demo`, `the space proxy https://demo.herokuapp.com/` */
  where: string;
  /** the masters' UIs as `host:8080`, master.1 first */
  masters: { dyno: string; backend: string }[];
  /** a request to a backend (`host:port` inside the space): the answer, or why there is none */
  request(backend: string, path: string, o?: { form?: Record<string, string>; timeoutMs?: number }): Promise<Response | { error: string }>;
  /** where a person opens a backend's page (through the proxy: its front page) */
  show(backend: string, path?: string): string;
}

const why = (err: unknown) => {
  const e = err as Error & { cause?: Error };
  return e.name === 'TimeoutError' ? 'no answer in time' : `${e.message}${e.cause ? ` (${e.cause.message})` : ''}`;
};

async function send(url: string, headers: Record<string, string>, o: { form?: Record<string, string>; timeoutMs?: number } = {}): Promise<Response | { error: string }> {
  try {
    const body = o.form && new URLSearchParams(o.form).toString();
    if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
    return await fetch(url, { method: body ? 'POST' : 'GET', headers, body, redirect: 'manual', signal: AbortSignal.timeout(o.timeoutMs ?? 10_000) });
  } catch (err) {
    return { error: why(err) };
  }
}

/**
 * Through the space proxy (the web dyno): each request names its backend with the proxy's cookie,
 * as the proxy's own /set-backend does. A 401 fails at once (proxy-refused): nothing else is tried
 * with a password the proxy refused.
 */
export function proxyLink(proxy: string, password: string | undefined, masters: string[]): SparkLink {
  if (!password) fail({ code: 'proxy-refused', proxy, why: 'needs a password, and none is known (the app has no SPACE_PROXY_PASSWORD: it uses SPACE_PROXY_BASIC_AUTH)' });
  const auth = `Basic ${Buffer.from(`${USER}:${password}`).toString('base64')}`;
  return {
    where: `the space proxy ${proxy}`,
    masters: masters.map((host, i) => ({ dyno: `master.${i + 1}`, backend: `${host}:${MASTER_UI_PORT}` })),
    async request(backend, path, o) {
      const res = await send(new URL(path, proxy).href, { Authorization: auth, Cookie: `${COOKIE}=${backend}` }, o);
      if (!('error' in res) && res.status === 401) fail({ code: 'proxy-refused', proxy, why: 'refused the password (HTTP 401)' });
      // the proxy's own page for a backend that does not answer
      if (!('error' in res) && res.status === 502) return { error: `${backend} does not answer through the proxy (HTTP 502)` };
      return res;
    },
    // the proxy's /set-backend picks the backend for the browser, which then lands on its front page
    show: (backend) => new URL(`/set-backend/${backend}`, proxy).href,
  };
}

/** A local space: every dyno on its own loopback address; a name the state does not list (one-off dynos) by the space's address rule. */
export function localLink(s: State): SparkLink {
  const ipOf = (host: string) => {
    const known = s.dynos.find((d) => d.dns === host);
    if (known) return known.ip;
    const m = /^([a-z][a-z0-9_-]*)\.(\d+)$/.exec(dynoOfHost(host));
    return m ? dynoFor(s.app, m[1]!, Number(m[2]), '', Object.keys(s.formation)).ip : host;
  };
  const url = (backend: string, path: string) => {
    const i = backend.lastIndexOf(':');
    return `http://${ipOf(backend.slice(0, i))}:${backend.slice(i + 1)}${path}`;
  };
  return {
    where: `the local space ${s.app}`,
    masters: s.dynos.filter((d) => d.type === 'master').map((d) => ({ dyno: d.name, backend: `${d.dns}:${MASTER_UI_PORT}` })),
    request: (backend, path, o) => send(url(backend, path), {}, o),
    show: (backend, path = '/') => url(backend, path),
  };
}

/**
 * Inside the space (a one-off dyno: `bin/spark-submit --wait`): the masters by name. On Heroku the
 * system resolver knows them; in a local space, the space's hosts file (what its JVMs read, kept
 * current as dynos restart on new addresses).
 */
/** A local space's dyno: the space's hosts file (what its JVMs read), else none (Heroku's resolver knows the names). */
export const spaceHostsFile = (env: Record<string, string | undefined>): string | undefined =>
  env.SPARK_IN_SPACE_LOCAL === '1' && env.SPARK_IN_SPACE_SHARED_DIR ? path.join(env.SPARK_IN_SPACE_SHARED_DIR, 'hosts') : undefined;

/** Pure: the address a hosts file's text gives `host`, if any. */
export const addressIn = (hosts: string, host: string): string | undefined =>
  hosts
    .split('\n')
    .find((l) => l.trim().split(/\s+/)[1] === host)
    ?.trim()
    .split(/\s+/)[0];

export function spaceLink(masters: string[], hostsFile?: string): SparkLink {
  const hostOf = async (host: string) => {
    if (!hostsFile) return host;
    const ip = addressIn(await readFile(hostsFile, 'utf8'), host);
    if (!ip) throw new Error(`not in ${hostsFile}`);
    return ip;
  };
  return {
    where: `the masters ${masters.join(', ')}`,
    masters: masters.map((host, i) => ({ dyno: `master.${i + 1}`, backend: `${host}:${MASTER_UI_PORT}` })),
    async request(backend, path, o) {
      const i = backend.lastIndexOf(':');
      let host: string;
      try {
        host = await hostOf(backend.slice(0, i));
      } catch (err) {
        return { error: `${backend.slice(0, i)} does not resolve (${why(err)})` };
      }
      return send(`http://${host}:${backend.slice(i + 1)}${path}`, {}, o);
    },
    show: (backend, path = '/') => `http://${backend}${path}`,
  };
}
