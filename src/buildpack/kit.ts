/**
 * The launcher kit: when this repository is the buildpack of another app (a job app in the same
 * space, `SPARK_CLUSTER_APP`), its slug gets what the launchers need at dyno start, since the
 * buildpack dir is gone by then: `bin/` (launchers and their support), `templates/`, and the
 * bundled entries `dist/launch.mjs` (with `dist/launch-chunks/`, what only some launchers load), `dist/sidecar.mjs`
 * and `dist/proxy.mjs` (no node_modules needed), under
 * `.spark-in-space/buildpack/`. The app's own `bin/spark-shell` and `bin/spark-submit` are added
 * (unless it has its own) so `heroku run bin/spark-shell` works there as in the cluster app; its
 * Procfile can name any launcher as `.spark-in-space/buildpack/bin/<launcher>`.
 */
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { cpSync, existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { writeAtomic } from '../fs/atomic.js';
import type { Output } from '../output.js';

export const KIT_DIR = '.spark-in-space/buildpack';
export const KIT_FILES = ['bin', 'templates', 'dist/launch.mjs', 'dist/launch-chunks', 'dist/sidecar.mjs', 'dist/proxy.mjs', 'dist/api.mjs', 'dist/python-batch.jar', 'package.json'];
/** the launchers a job app gets in its own bin/ */
export const APP_WRAPPERS = ['spark-shell', 'spark-submit'];

/** Pure: the wrapper the app's bin/<name> gets. */
export const wrapper = (name: string) =>
  [
    '#!/usr/bin/env bash',
    `# Written by the spark-in-space buildpack: the launcher that renders the cluster's conf (${KIT_DIR}/bin/${name}).`,
    `exec "$(cd "$(dirname "\${BASH_SOURCE[0]}")/.." && pwd)/${KIT_DIR}/bin/${name}" "$@"`,
    '',
  ].join('\n');

/** Installs the kit into `buildDir` (replacing an older one whole), and the app's wrappers it lacks. Nothing when the build dir is the buildpack. */
export async function installKit(buildpackDir: string, buildDir: string, out: Output): Promise<string[]> {
  if (realpathSync(buildpackDir) === realpathSync(buildDir)) return [];
  const missing = KIT_FILES.filter((f) => !existsSync(path.join(buildpackDir, f)));
  if (missing.length) {
    out.warn(`the launcher kit is incomplete in ${buildpackDir} (no ${missing.join(', ')}): this app's dynos cannot run the launchers`);
    return [];
  }
  const dest = path.join(buildDir, KIT_DIR);
  const staging = `${dest}.tmp-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  for (const f of KIT_FILES) {
    await mkdir(path.dirname(path.join(staging, f)), { recursive: true });
    // cpSync: Node's native copy (a few ms for the kit; the promise-based cp walks in JavaScript)
    cpSync(path.join(buildpackDir, f), path.join(staging, f), { recursive: true, preserveTimestamps: true });
  }
  await rm(dest, { recursive: true, force: true });
  await rename(staging, dest);
  const added: string[] = [];
  for (const name of APP_WRAPPERS) {
    const file = path.join(buildDir, 'bin', name);
    if (existsSync(file)) continue;
    await writeAtomic(file, wrapper(name), 0o755);
    added.push(`bin/${name}`);
  }
  const files = await countFiles(dest);
  out.detail(`Launchers in ${KIT_DIR}/ (${files} files)${added.length ? `; added ${added.join(', ')}` : ''}`);
  return added;
}

async function countFiles(dir: string): Promise<number> {
  let n = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) n += e.isDirectory() ? await countFiles(path.join(dir, e.name)) : (await stat(path.join(dir, e.name))).isFile() ? 1 : 0;
  return n;
}
