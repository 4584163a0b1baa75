/**
 * The Heroku API token, found as the heroku CLI finds it: HEROKU_API_KEY, else the `password` of
 * `machine <api host>` in ~/.netrc (what `heroku login` writes). Parsing is pure; the token is
 * never printed (api.ts redacts it from every message).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fail } from '../errors.js';
import { DEFAULT_API_URL } from './api.js';

export interface Netrc {
  [machine: string]: { login?: string; password?: string };
}

/** Pure: a .netrc's machines (tokens separated by any whitespace; `default` kept as a machine; macdef skipped). */
export function parseNetrc(text: string): Netrc {
  const words = text.replace(/#.*$/gm, '').split(/\s+/).filter(Boolean);
  const out: Netrc = {};
  let current: string | undefined;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === 'machine') current = words[++i];
    else if (w === 'default') current = 'default';
    else if (current && (w === 'login' || w === 'password' || w === 'account')) {
      const v = words[++i];
      if (w !== 'account') (out[current] ??= {})[w] = v;
    }
  }
  return out;
}

export interface Auth {
  token: string;
  baseUrl: string;
  /** where the token came from, for messages: `HEROKU_API_KEY` or `~/.netrc (machine …)` */
  from: string;
}

/** Pure: the base URL and token from the environment and a .netrc's text. */
export function authFrom(env: NodeJS.ProcessEnv, netrcText: string | undefined): Auth | { missing: string } {
  const baseUrl = (env.HEROKU_API_URL || DEFAULT_API_URL).replace(/\/+$/, '');
  let host: string;
  try {
    const u = new URL(baseUrl);
    if (!/^https?:$/.test(u.protocol)) throw new Error('not http(s)');
    host = u.hostname;
  } catch {
    return fail({ code: 'bad-input', message: `HEROKU_API_URL="${baseUrl.slice(0, 80)}" is not an http(s) URL (example: HEROKU_API_URL=https://api.heroku.com, or unset it).` });
  }
  if (env.HEROKU_API_KEY) return { token: env.HEROKU_API_KEY.trim(), baseUrl, from: 'HEROKU_API_KEY' };
  const m = netrcText ? parseNetrc(netrcText)[host] : undefined;
  if (m?.password) return { token: m.password, baseUrl, from: `~/.netrc (machine ${host})` };
  return { missing: host };
}

/** The token of this user, or a `heroku-no-token` problem. */
export function loadAuth(env: NodeJS.ProcessEnv = process.env): Auth {
  const file = env.NETRC || path.join(env.HOME || os.homedir(), '.netrc');
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    text = undefined;
  }
  const a = authFrom(env, text);
  return 'missing' in a ? fail({ code: 'heroku-no-token', host: a.missing }) : a;
}
