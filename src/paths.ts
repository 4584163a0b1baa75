/** Where this buildpack's own files are, from the running module: no hard-coded /app. */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A file of this buildpack (`rel` from its root), from the module at `metaUrl`: one level up from a
 * bundled dist/*.mjs, two up from dist/<module>/. The file itself decides, not its folder.
 */
export function buildpackFile(metaUrl: string, rel: string): string {
  const here = path.dirname(fileURLToPath(metaUrl));
  // one up first: a bundle's dist/ has no templates/ or bin/ of its own, so it cannot be mistaken
  const candidates = [path.resolve(here, '..', rel), path.resolve(here, '../..', rel)];
  return candidates.find((f) => existsSync(f)) ?? candidates[0]!;
}

/** This user's cache of spark-in-space (`build`'s cache, `local`'s class-data archives): $XDG_CACHE_HOME/spark-in-space, else ~/.cache/spark-in-space. */
export const userCacheDir = (...rel: string[]) => path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'spark-in-space', ...rel);
