/**
 * Shrinking what the buildpacks before ours leave in the slug and no dyno runs. Heroku packs the
 * whole build dir into one slug (at most 1 GB compressed since March 2026): `heroku/jvm` leaves a full JDK in
 * `.jdk` (jmods, sources), `heroku/nodejs` Node's headers, the nginx buildpack a Ruby only its own
 * `start-nginx` needs. Each rule says why it is safe; the decisions are pure, the file work below.
 * Nothing here fails a build: a rule that cannot apply leaves its files as they were and says why.
 */
import { randomBytes } from 'node:crypto';
import { cp, lstat, readdir, readFile, readlink, rename, rm, stat, symlink, unlink } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { cacheKey, CacheCorrupt, commitDir, installTreeFrom, readManifest, scanTree, stageIn, verifyTree, type TreeManifest } from './cache.js';
import { writeAtomic } from '../fs/atomic.js';
import { PROBLEM_EXIT } from '../errors.js';
import type { Output } from '../output.js';
import { PYTHON_STUBS, slimFiles, slimRefusal, SPARK_FEATURES, type SparkFeature } from '../spark-features.js';

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

/**
 * The JDK modules of the runtime `.jdk` becomes, each with what needs it. Found with jdeps over the
 * jars of Spark 4.2 and 3.5 (+ S3A), then proven by the tests that run every process type on it.
 */
export const JDK_MODULES: { module: string; why: string }[] = [
  { module: 'java.se', why: 'the Java SE API: Spark, Hadoop, Hive, Netty, the S3A connector and users’ jobs' },
  { module: 'jdk.unsupported', why: 'sun.misc.Unsafe: Spark’s memory manager, Netty, Kryo, Arrow' },
  { module: 'jdk.crypto.ec', why: 'elliptic-curve TLS: S3 over HTTPS, Connect’s TLS, Postgres with sslmode' },
  { module: 'jdk.crypto.cryptoki', why: 'the PKCS#11 provider java.security lists' },
  { module: 'jdk.security.auth', why: 'Hadoop’s UserGroupInformation (UnixLoginModule)' },
  { module: 'jdk.security.jgss', why: 'Kerberos/GSS for Hadoop and Hive SASL' },
  { module: 'jdk.naming.dns', why: 'DNS through JNDI (Hadoop, ZooKeeper clients)' },
  { module: 'jdk.naming.rmi', why: 'JMX over RMI' },
  { module: 'jdk.management', why: 'com.sun.management: Spark’s executor and JVM metrics' },
  { module: 'jdk.management.agent', why: 'the JMX agent (-Dcom.sun.management.*)' },
  { module: 'jdk.jfr', why: 'Flight Recorder (jcmd JFR.start)' },
  { module: 'jdk.management.jfr', why: 'Flight Recorder over JMX' },
  { module: 'jdk.jcmd', why: 'jcmd, jstack, jmap, jinfo: the JVM buildpack’s with_jstack/with_jmap helpers call them' },
  { module: 'jdk.attach', why: 'the attach API jcmd and jstack use' },
  { module: 'jdk.jdwp.agent', why: 'remote debugging (-agentlib:jdwp)' },
  { module: 'jdk.zipfs', why: 'zip file systems (jar: URIs in Hive and users’ code)' },
  { module: 'jdk.localedata', why: 'locales beyond English (JDK_LOCALES): date and number formats in Spark SQL, CSV/JSON `locale` options' },
  { module: 'jdk.charsets', why: 'extended charsets: CSV and text in non-Unicode encodings' },
  { module: 'jdk.httpserver', why: 'com.sun.net.httpserver (Hadoop and metrics helpers)' },
  { module: 'jdk.net', why: 'extended socket options (Netty)' },
  { module: 'jdk.sctp', why: 'Netty’s optional SCTP transport' },
  { module: 'jdk.nio.mapmode', why: 'extended mmap modes' },
  { module: 'jdk.xml.dom', why: 'DOM extensions (Hadoop’s Configuration)' },
  { module: 'jdk.incubator.vector', why: 'the Vector API Spark 4 can use' },
  { module: 'jdk.random', why: 'RandomGenerator algorithms' },
];

export const JLINK_OPTIONS = ['--strip-debug', '--no-man-pages', '--no-header-files'];
/**
 * The default CDS archive (lib/server/classes.jsa), as the full JDK ships it: without it every JVM
 * of the cluster loads the JDK's classes from scratch. Only the compressed-oops one is kept
 * (classes_nocoops.jsa serves heaps over 32 GB; those start without CDS).
 */
export const JLINK_CDS = '--generate-cds-archive';
/**
 * The locales jdk.localedata keeps (all of them cost 8 MB compressed, these 2.7): the languages of
 * most data. Another locale formats as the root locale (English names), as on a JRE without it.
 */
export const JDK_LOCALES = ['en', 'de', 'fr', 'es', 'it', 'pt', 'nl', 'sv', 'da', 'fi', 'nb', 'no', 'pl', 'cs', 'ru', 'uk', 'tr', 'el', 'ja', 'zh', 'ko', 'hi', 'ar', 'he', 'id', 'th', 'vi'];
/** bump when the runtime's recipe changes: the cached runtime is then rebuilt */
const JLINK_RECIPE = 3;

/** Pure: the modules to link, of those this JDK has (jdk.crypto.ec went into java.base in 22). */
export function jlinkModules(available: string[]): string[] {
  const have = new Set(available);
  return JDK_MODULES.map((m) => m.module).filter((m) => have.has(m));
}

/** Pure: what to do with `.jdk`, from what is there. */
export function jdkPlan(o: { hasJdk: boolean; jmods: string[]; hasJlink: boolean; hasJava: boolean }): { jlink: true } | { jlink: false; why: string } {
  if (!o.hasJdk) return { jlink: false, why: 'no .jdk in the build dir (the JVM buildpack did not run before this one)' };
  if (!o.hasJava) return { jlink: false, why: '.jdk has no bin/java' };
  if (o.jmods.length === 0) return { jlink: false, why: '.jdk has no jmods/ (not a full JDK, or already a runtime): left as it is' };
  if (!o.hasJlink) return { jlink: false, why: '.jdk has no bin/jlink: left as it is' };
  if (!o.jmods.includes('java.base')) return { jlink: false, why: '.jdk/jmods has no java.base: left as it is' };
  return { jlink: true };
}

const exists = (p: string) =>
  lstat(p).then(
    () => true,
    () => false,
  );

async function dirBytes(dir: string): Promise<number> {
  let n = 0;
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) n += (await stat(p)).size;
    }
  };
  await walk(dir);
  return n;
}

export interface SlimReport {
  rule: string;
  before: number;
  after: number;
}

const JDK_CACHE = 'spark-in-space/jdk-v1';

/**
 * `.jdk` (a full JDK from the JVM buildpack) → a jlinked runtime with JDK_MODULES, built with the
 * JDK's own jlink from its own jmods, cached by the JDK's identity; `lib/security/cacerts` kept as
 * the JVM buildpack left it (a link to the system store) and `.jdk-overlay/` applied again.
 * `.jdk/bin/java` stays where the JVM buildpack's `.profile.d` expects it.
 */
export async function shrinkJdk(buildDir: string, cacheDir: string, out: Output): Promise<SlimReport | undefined> {
  const jdk = path.join(buildDir, '.jdk');
  const jmods = (await readdir(path.join(jdk, 'jmods')).catch(() => [] as string[])).filter((f) => f.endsWith('.jmod')).map((f) => f.slice(0, -'.jmod'.length));
  const plan = jdkPlan({ hasJdk: await exists(jdk), jmods, hasJlink: await exists(path.join(jdk, 'bin', 'jlink')), hasJava: await exists(path.join(jdk, 'bin', 'java')) });
  if (!plan.jlink) {
    if (await exists(jdk)) out.detail(`JDK: ${plan.why}`);
    return undefined;
  }
  const before = await dirBytes(jdk);
  const modules = jlinkModules(jmods);
  const release = (await readFile(path.join(jdk, 'release'), 'utf8').catch(() => '')).replace(/^MODULES=.*$/m, '');
  const jmodSizes = await Promise.all(jmods.sort().map(async (m) => `${m}:${(await stat(path.join(jdk, 'jmods', `${m}.jmod`))).size}`));
  const jlink = path.join(jdk, 'bin', 'jlink');
  // the options follow from this JDK (which plugins its jlink has) and the recipe: the key need not
  // hold them, so a warm build starts no JVM to ask
  const key = cacheKey({ recipe: JLINK_RECIPE, release, jmodSizes, modules, options: JLINK_OPTIONS, locales: JDK_LOCALES });
  const entry = path.join(cacheDir, JDK_CACHE, key);
  const fresh = path.join(buildDir, `.jdk.slim-${randomBytes(4).toString('hex')}`);
  try {
    let fromCache = false;
    const m = await readManifest<TreeManifest & { key: string }>(entry, key, (x) => Array.isArray(x.files));
    if (m) {
      try {
        await verifyTree(path.join(entry, 'runtime'), m);
        await installTreeFrom(path.join(entry, 'runtime'), m, fresh);
        fromCache = true;
      } catch (err) {
        if (!(err instanceof CacheCorrupt)) throw err;
        out.warn(`the cached Java runtime is damaged (${err.message}); linking it again`);
        await rm(fresh, { recursive: true, force: true });
      }
    }
    if (!fromCache) {
      const t = Date.now();
      const plugins = await execa(jlink, ['--list-plugins'], { reject: false, all: true, env: { JAVA_TOOL_OPTIONS: '' } });
      const cds = String(plugins.all).includes(JLINK_CDS);
      const options = [...JLINK_OPTIONS, ...(cds ? [JLINK_CDS] : []), ...(modules.includes('jdk.localedata') ? [`--include-locales=${JDK_LOCALES.join(',')}`] : [])];
      const staged = await stageIn(path.join(cacheDir, JDK_CACHE));
      try {
        await execa(jlink, ['--module-path', path.join(jdk, 'jmods'), '--add-modules', modules.join(','), ...options, '--output', path.join(staged, 'runtime')], {
          all: true,
          env: { JAVA_TOOL_OPTIONS: '' },
        });
        await rm(path.join(staged, 'runtime', 'lib', 'server', 'classes_nocoops.jsa'), { force: true });
        const tree = await scanTree(path.join(staged, 'runtime'));
        await commitDir(staged, { key, ...tree }, entry);
      } catch (err) {
        await rm(staged, { recursive: true, force: true });
        throw err;
      }
      const mm = (await readManifest<TreeManifest & { key: string }>(entry, key, (x) => Array.isArray(x.files)))!;
      await installTreeFrom(path.join(entry, 'runtime'), mm, fresh);
      out.detail(`JDK: linked a runtime of ${modules.length} modules with the JDK's own jlink in ${((Date.now() - t) / 1000).toFixed(1)} s (cached)`);
    } else out.detail(`JDK: using the cached runtime (${modules.length} modules)`);
    // as the JVM buildpack left it: the trust store (a link to the system's), and the app's overlay
    const cacerts = path.join(jdk, 'lib', 'security', 'cacerts');
    const st = await lstat(cacerts).catch(() => undefined);
    if (st) {
      const dest = path.join(fresh, 'lib', 'security', 'cacerts');
      await unlink(dest).catch(() => {});
      if (st.isSymbolicLink()) await symlink(await readlink(cacerts), dest);
      else await cp(cacerts, dest);
    }
    if (await exists(path.join(buildDir, '.jdk-overlay'))) {
      await cp(path.join(buildDir, '.jdk-overlay'), fresh, { recursive: true, force: true });
      out.detail('JDK: applied .jdk-overlay/ to the runtime again');
    }
    const check = await execa(path.join(fresh, 'bin', 'java'), ['-Xshare:auto', '-version'], { all: true, reject: false, timeout: 60_000, env: { JAVA_TOOL_OPTIONS: '' } });
    if (check.exitCode !== 0) throw new Error(`the linked runtime does not start: ${String(check.all).split('\n')[0]}`);
    const old = path.join(buildDir, `.jdk.full-${randomBytes(4).toString('hex')}`);
    await rename(jdk, old);
    await rename(fresh, jdk);
    await rm(old, { recursive: true, force: true });
    const after = await dirBytes(jdk);
    const existsCds = await exists(path.join(jdk, 'lib', 'server', 'classes.jsa'));
    out.detail(`JDK: ${mb(before)} → ${mb(after)} (no jmods/, sources, headers, man pages or debug attributes; ${modules.length} modules${existsCds ? ', its CDS archive' : ''})`);
    return { rule: '.jdk → jlinked runtime', before, after };
  } catch (err) {
    await rm(fresh, { recursive: true, force: true });
    out.warn(`.jdk was left whole: linking a smaller runtime failed (${(err as Error).message.split('\n')[0]})`);
    return undefined;
  }
}

/** Build-time-only parts of `.heroku/node` (heroku/nodejs): nothing at run time reads them. */
export const NODE_BUILD_ONLY = [
  { path: 'include', why: 'C headers for native addons, used only by npm install' },
  { path: 'share/doc', why: 'documentation' },
  { path: 'share/man', why: 'man pages' },
  { path: 'CHANGELOG.md', why: 'documentation' },
  { path: 'README.md', why: 'documentation' },
];

/** npm and corepack: the build's package managers, which no process type of ours runs. */
export const NODE_PACKAGE_MANAGERS = ['lib/node_modules/npm', 'lib/node_modules/corepack', 'bin/npm', 'bin/npx', 'bin/corepack'];

/** Pure: whether npm and corepack may go: not when a process type runs a package manager (`web: npm start`). */
export function packageManagersPlan(procfile: string | undefined): { remove: boolean; why: string } {
  const users = (procfile ?? '')
    .split('\n')
    .filter((l) => /^[A-Za-z0-9_-]+\s*:/.test(l) && /\b(npm|npx|yarn|pnpm|corepack)\b/.test(l))
    .map((l) => l.split(':')[0]!.trim());
  return users.length
    ? { remove: false, why: `the Procfile runs a package manager (${users.join(', ')}): npm and corepack are kept` }
    : { remove: true, why: 'no process type runs npm, npx, yarn, pnpm or corepack' };
}

/** `.heroku/node`: drops NODE_BUILD_ONLY (and the package managers, see above) and strips bin/node (`strip --strip-all`, as distributions ship it: the dynamic symbols native addons link against stay; checked by running it). */
export async function shrinkNode(buildDir: string, out: Output): Promise<SlimReport | undefined> {
  const node = path.join(buildDir, '.heroku', 'node');
  if (!(await exists(path.join(node, 'bin', 'node')))) return undefined;
  const before = await dirBytes(node);
  for (const p of NODE_BUILD_ONLY) await rm(path.join(node, p.path), { recursive: true, force: true });
  const managers = packageManagersPlan(await readFile(path.join(buildDir, 'Procfile'), 'utf8').catch(() => undefined));
  if (managers.remove) for (const p of NODE_PACKAGE_MANAGERS) await rm(path.join(node, p), { recursive: true, force: true });
  const bin = path.join(node, 'bin', 'node');
  const tmp = `${bin}.strip-${randomBytes(4).toString('hex')}`;
  const stripped = await execa('strip', ['--strip-all', '-o', tmp, bin], { reject: false, all: true }).catch(() => undefined);
  if (stripped?.exitCode === 0 && (await execa(tmp, ['-e', 'process.exit(0)'], { reject: false, timeout: 30_000 })).exitCode === 0) await rename(tmp, bin);
  else {
    await rm(tmp, { force: true });
    out.detail('Node: bin/node kept as it is (no strip on this machine, or the stripped binary did not run)');
  }
  const after = await dirBytes(node);
  out.detail(
    `Node: ${mb(before)} → ${mb(after)} (no headers or docs; bin/node stripped of its symbol table and debug info, its dynamic symbols kept for addons; ${managers.remove ? `no npm or corepack: ${managers.why}` : managers.why})`,
  );
  return { rule: '.heroku/node build-time files', before, after };
}

export const NGINX_RUBY = '.heroku-buildpack-nginx/ruby';

/** Pure: whether the nginx buildpack's Ruby may go: only its `start-nginx*` scripts run `erb`. */
export function rubyPlan(procfile: string | undefined): { remove: boolean; why: string } {
  const users = (procfile ?? '')
    .split('\n')
    .filter((l) => /^[A-Za-z0-9_-]+\s*:/.test(l) && /\bstart-nginx|\berb\b|\bruby\b/.test(l))
    .map((l) => l.split(':')[0]!.trim());
  return users.length
    ? { remove: false, why: `the Procfile runs start-nginx or Ruby (${users.join(', ')}): the nginx buildpack's Ruby is kept` }
    : { remove: true, why: 'no process type runs start-nginx (the web dyno is bin/space-proxy, which renders its nginx.conf without erb)' };
}

/** The Ruby the nginx buildpack vendors for `erb`, and its `.profile.d/ruby.sh`, when nothing runs start-nginx. */
export async function dropNginxRuby(buildDir: string, out: Output): Promise<SlimReport | undefined> {
  const ruby = path.join(buildDir, NGINX_RUBY);
  if (!(await exists(ruby))) return undefined;
  const plan = rubyPlan(await readFile(path.join(buildDir, 'Procfile'), 'utf8').catch(() => undefined));
  if (!plan.remove) {
    out.detail(`nginx: ${plan.why}`);
    return undefined;
  }
  const before = await dirBytes(ruby);
  await rm(ruby, { recursive: true, force: true });
  const profile = path.join(buildDir, '.profile.d', 'ruby.sh');
  // only the nginx buildpack's own line: a Ruby buildpack's script (same name) points elsewhere
  if ((await readFile(profile, 'utf8').catch(() => '')).includes(NGINX_RUBY)) await rm(profile, { force: true });
  out.detail(`nginx: removed its vendored Ruby (${mb(before)}): ${plan.why}`);
  return { rule: 'the nginx buildpack’s Ruby', before, after: 0 };
}

const stubScript = (message: string) =>
  `#!/usr/bin/env bash\n# Written by the spark-in-space buildpack: SPARK_SLIM left this tool's part of Spark out of the slug.\necho ' !     ${message.replace(/'/g, "'\\''")}' >&2\nexit ${PROBLEM_EXIT['feature-left-out']}\n`;

/** Removes the features' files from an installed (not yet renamed into place) spark-home and writes the stubs. */
export async function slimSpark(sparkHome: string, features: readonly SparkFeature[], files: string[], out: Output): Promise<{ bytes: number; files: number }> {
  if (features.length === 0) return { bytes: 0, files: 0 };
  const gone = slimFiles(features, files);
  let bytes = 0;
  for (const f of gone) {
    const p = path.join(sparkHome, f);
    bytes += (await lstat(p).catch(() => undefined))?.size ?? 0;
    await rm(p, { force: true });
  }
  // now-empty dirs (jars/connect-repl/, python/...)
  const dirs = new Set(gone.map((f) => path.dirname(f)).flatMap((d) => d.split('/').map((_, i, a) => a.slice(0, i + 1).join('/'))));
  for (const d of [...dirs].sort((a, b) => b.length - a.length))
    if (d !== 'jars' && d !== '.' && (await readdir(path.join(sparkHome, d)).catch(() => ['x'])).length === 0) await rm(path.join(sparkHome, d), { recursive: true, force: true });
  const stubs = new Map<string, SparkFeature[]>();
  for (const f of features) for (const tool of SPARK_FEATURES[f].stubs as readonly string[]) stubs.set(tool, [...(stubs.get(tool) ?? []), f]);
  for (const [tool, took] of stubs) {
    const stub = path.join(sparkHome, 'bin', tool);
    // unlink first: the installed file may be a hard link into the cache
    await rm(stub, { force: true });
    await writeAtomic(stub, stubScript(slimRefusal(tool, took, features)), 0o755);
  }
  for (const f of features)
    for (const init of PYTHON_STUBS[f] ?? []) {
      const file = path.join(sparkHome, init);
      if (!(await exists(path.dirname(file)))) continue;
      await rm(file, { force: true });
      await writeAtomic(file, `# Written by the spark-in-space buildpack.\nraise ImportError(${JSON.stringify(slimRefusal(`pyspark.${init.split('/')[2]}`, f, features))})\n`);
    }
  out.detail(`SPARK_SLIM=${features.join(',')}: left out ${mb(bytes)} (${gone.length} files): ${features.map((f) => SPARK_FEATURES[f].what).join('; ')}`);
  return { bytes, files: gone.length };
}
