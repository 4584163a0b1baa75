/**
 * The master's handover on SIGTERM (src/zookeeper/java/HandoverRecoveryModeFactory.java): compiled
 * at build time against the Spark being installed, with the build's JDK (heroku/jvm's is a full JDK),
 * into spark-home/jars/spark-in-space-handover.jar; cached by the source and Spark's jars, so a warm
 * build does not compile. No javac, or a Spark whose classes differ: one line says so and the master
 * hands over when ZooKeeper ends its session (src/zookeeper/index.ts), as Spark's own does.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Env } from '../config/schema.js';
import { buildpackFile } from '../paths.js';
import { HANDOVER_FACTORY, HANDOVER_JAR } from '../zookeeper/index.js';

export { HANDOVER_JAR } from '../zookeeper/index.js';

// copied from src/zookeeper/java by `npm run build`: a buildpack is its built tree (bin/, dist/, templates/)
const SOURCE = buildpackFile(import.meta.url, 'dist/java/HandoverRecoveryModeFactory.java');

/** Pure: the jars javac needs (Spark's core and Scala's library), from a jars/ listing; undefined: not a Spark it can compile against. */
export function handoverClassPath(jars: string[]): string[] | undefined {
  const core = jars.find((j) => /^spark-core_[\d.]+-.*\.jar$/.test(j));
  const scala = jars.find((j) => /^scala-library-.*\.jar$/.test(j));
  return core && scala ? [core, scala] : undefined;
}

/** Pure: the javac found for a build: the slug's JDK's (heroku/jvm's .jdk, which will run the master), else $JAVA_HOME's, else the first on PATH. */
export function javacOf(env: Env, exists: (f: string) => boolean = existsSync, slugJdk?: string): string | undefined {
  const candidates = [
    ...(slugJdk ? [path.join(slugJdk, 'bin', 'javac')] : []),
    ...(env.JAVA_HOME ? [path.join(env.JAVA_HOME, 'bin', 'javac')] : []),
    ...(env.PATH ?? '')
      .split(':')
      .filter(Boolean)
      .map((d) => path.join(d, 'javac')),
  ];
  return candidates.find((c) => exists(c));
}

export type Handover = { jar: { from: string; name: string }; compiled: boolean } | { why: string };

/**
 * The handover jar for the Spark whose jars are in `jarsDir` (the cached distribution's), compiled
 * into `cacheDir` once per source and Spark. `env`: the build's process environment (the buildpacks
 * before this one put their JDK there), not the app's config vars. Never fails the build.
 */
export async function handoverJar(o: { cacheDir: string; jarsDir: string; env: Env; slugJdk?: string }): Promise<Handover> {
  const names = await readdir(o.jarsDir).catch(() => [] as string[]);
  const cp = handoverClassPath(names);
  if (!cp) return { why: 'no spark-core and scala-library jars to compile it against' };
  const source = await readFile(SOURCE, 'utf8');
  const key = createHash('sha256').update(source).update('\0').update(cp.join('\0')).digest('hex').slice(0, 20);
  const dir = path.join(o.cacheDir, 'spark-in-space', 'handover', key);
  const cached = path.join(dir, HANDOVER_JAR);
  if (existsSync(cached)) return { jar: { from: cached, name: HANDOVER_JAR }, compiled: false };
  const javac = javacOf(o.env, existsSync, o.slugJdk);
  if (!javac) return { why: 'no javac (a JRE, not a JDK: heroku/jvm installs a JDK)' };
  const tmp = `${dir}.tmp-${randomBytes(4).toString('hex')}`;
  try {
    const classes = path.join(tmp, 'classes');
    await mkdir(classes, { recursive: true });
    // Java 8 bytecode: Spark 3.5 still runs on Java 8
    await promisify(execFile)(javac, ['-source', '8', '-target', '8', '-Xlint:-options', '-nowarn', '-d', classes, '-cp', cp.map((j) => path.join(o.jarsDir, j)).join(':'), SOURCE], {
      timeout: 120_000,
      env: { ...process.env, JDK_JAVA_OPTIONS: '', JAVA_TOOL_OPTIONS: '' },
    });
    const { default: AdmZip } = await import('adm-zip');
    const zip = new AdmZip();
    zip.addFile('META-INF/MANIFEST.MF', Buffer.from('Manifest-Version: 1.0\nCreated-By: spark-in-space\n\n'));
    const pkg = HANDOVER_FACTORY.split('.').slice(0, -1);
    for (const f of (await readdir(path.join(classes, ...pkg))).sort()) zip.addFile(path.posix.join(...pkg, f), readFileSync(path.join(classes, ...pkg, f)));
    zip.writeZip(path.join(tmp, HANDOVER_JAR));
    await rm(classes, { recursive: true, force: true });
    await mkdir(path.dirname(dir), { recursive: true });
    await rename(tmp, dir).catch((err: NodeJS.ErrnoException) => {
      // another build on the same cache compiled it first
      if (!existsSync(cached)) throw err;
    });
    return { jar: { from: cached, name: HANDOVER_JAR }, compiled: true };
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    return { why: `javac could not compile it against this Spark: ${(e.stderr || e.message).trim().split('\n')[0]}` };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
