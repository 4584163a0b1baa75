/** Reads Heroku's ENV_DIR (one file per config var: name = key, content = value). */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fail } from '../errors.js';
import type { Env } from './schema.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export async function readEnvDir(dir: string | undefined): Promise<Env> {
  if (!dir) return {};
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return fail({ code: 'dir-unusable', role: 'ENV_DIR', dir, cause: 'it cannot be read' });
  }
  const env: Env = {};
  for (const name of names.filter((n) => NAME.test(n))) {
    try {
      env[name] = (await readFile(path.join(dir, name), 'utf8')).replace(/\r?\n$/, '');
    } catch {
      /* a directory or unreadable entry is not a config var */
    }
  }
  return env;
}
