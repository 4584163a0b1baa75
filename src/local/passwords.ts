/** The local web dyno's login: the app's own (.env), else a random password kept 0600 in the space's folder. */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Env } from '../config/schema.js';
import { writeAtomicSync } from '../fs/atomic.js';

/** The password of the local web dyno when the app sets none: random, kept 0600 in the space's folder. */
export function localPassword(dir: string): string {
  const file = path.join(dir, 'web-password');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dir, { recursive: true });
  const pw = randomBytes(12).toString('hex');
  writeAtomicSync(file, `${pw}\n`, 0o600);
  return pw;
}

export function webUser(config: Env, dir: string): string {
  if (config.SPACE_PROXY_BASIC_AUTH || config.SPARK_BASIC_AUTH) return 'users from SPACE_PROXY_BASIC_AUTH';
  if (config.SPACE_PROXY_PASSWORD) return 'user spark, password SPACE_PROXY_PASSWORD';
  return `user spark, password in ${path.join(dir, 'web-password')}`;
}
