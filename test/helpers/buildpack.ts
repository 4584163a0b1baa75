/** Runs the buildpack's real entry points (bin/compile, bin/detect, bin/release) as Heroku would. */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, lstatSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { inject } from 'vitest';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function tmpdir(prefix = 'sis-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** The buildpack as Heroku checks it out (bin, dist, templates; node_modules linked) in `dest`. */
export function copyBuildpack(dest: string): string {
  for (const p of ['bin', 'dist', 'templates', 'package.json', 'Procfile']) cpSync(path.join(REPO, p), path.join(dest, p), { recursive: true });
  symlinkSync(path.join(REPO, 'node_modules'), path.join(dest, 'node_modules'));
  return dest;
}

let ownCopy: string | undefined;
/**
 * Where tests run bin/compile and the launchers from: the run's copy of the buildpack (global
 * setup), or one of its own outside vitest (benchmarks). Never the checkout: bin/compile writes
 * `export` into its buildpack dir.
 */
export function buildpackDir(): string {
  try {
    const dir = inject('buildpackDir');
    if (dir) return dir;
  } catch {
    /* not in a vitest worker */
  }
  return (ownCopy ??= copyBuildpack(tmpdir('sis-buildpack-')));
}

/** What Heroku sets in dyno `<type>.1` of app `demo` (a private address, its DNS names), for running a launcher. */
export const dynoVars = (type: string, ip = '10.0.7.1') => ({
  DYNO: `${type}.1`,
  HEROKU_PRIVATE_IP: ip,
  HEROKU_DNS_DYNO_NAME: `1.${type}.demo.app.localspace`,
  HEROKU_DNS_FORMATION_NAME: `${type}.demo.app.localspace`,
  HEROKU_DNS_APP_NAME: 'demo.app.localspace',
});

/** A launcher or buildpack script of the buildpack under test: `bin('spark-shell')`. */
export const bin = (name: string) => path.join(buildpackDir(), 'bin', name);

/** An app to build: a dir with `.spark.version` (omitted when version is undefined). */
export function makeApp(version?: string): string {
  const dir = tmpdir('sis-app-');
  if (version !== undefined) writeFileSync(path.join(dir, '.spark.version'), `${version}\n`);
  return dir;
}

/** Heroku's ENV_DIR: one file per var. */
export function makeEnvDir(vars: Record<string, string>): string {
  const dir = tmpdir('sis-env-');
  for (const [k, v] of Object.entries(vars)) writeFileSync(path.join(dir, k), v);
  return dir;
}

/** A SPARK_CATALOG file (test catalog: production pins stay untouched). */
export function catalogFile(releases: unknown[]): string {
  const file = path.join(tmpdir('sis-cat-'), 'catalog.json');
  writeFileSync(file, JSON.stringify({ releases }));
  return file;
}

export interface Run {
  exitCode: number;
  stdout: string;
  stderr: string;
  all: string;
}

export async function compile(buildDir: string, cacheDir: string, vars: Record<string, string> = {}, opts: { bpDir?: string; env?: Record<string, string>; envDir?: string } = {}): Promise<Run> {
  const envDir = opts.envDir ?? makeEnvDir(vars);
  const r = await execa(path.join(opts.bpDir ?? buildpackDir(), 'bin/compile'), [buildDir, cacheDir, envDir], {
    reject: false,
    all: true,
    env: { CI: 'true', SPARK_IN_SPACE_BACKOFF_MS: '50', ...opts.env },
    extendEnv: true,
  });
  return { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr, all: r.all ?? '' };
}

/** A listing of a tree (path, kind, size) to prove a failed build changed nothing. */
export function snapshot(dir: string): string[] {
  if (!existsSync(dir)) return ['(missing)'];
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(dir, rel)).sort()) {
      const child = rel ? `${rel}/${name}` : name;
      const st = lstatSync(path.join(dir, child));
      out.push(`${child} ${st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : st.size}`);
      if (st.isDirectory()) walk(child);
    }
  };
  walk('');
  return out;
}

export const read = (...p: string[]) => readFileSync(path.join(...p), 'utf8');
export { mkdirSync };
