/**
 * The launchers' side of class-data sharing (./index.ts decides): reads the archives' folder, adopts
 * a finished recording once the JVM has checked it, claims the recording, prunes folders of builds
 * that are gone. Anything that goes wrong here only costs the archive: the JVM starts as without one.
 */
import { existsSync, mkdirSync, opendirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Env } from '../config/schema.js';
import { cdsClassPath, cdsJavaOptions, fingerprint, partPid, planCds, type CdsInputs, type CdsPlan, type CdsState } from './index.js';

export interface Cds {
  /** the JVM options (empty: no archive for this start) */
  options: string[];
  /** the class path to put before the conf dir */
  classPath: string;
  /** one line for the dyno's log: what this start does about the archive */
  note: string;
}

/** The java Spark's scripts run: $JAVA_HOME/bin/java, else the first on PATH. */
function javaOf(env: Env): string | undefined {
  const candidates = env.JAVA_HOME ? [path.join(env.JAVA_HOME, 'bin', 'java')] : (env.PATH ?? '').split(':').map((d) => path.join(d || '.', 'java'));
  const found = candidates.find((c) => existsSync(c));
  return found ? realpathSync(found) : undefined;
}

/** The JDK Spark's scripts run (the home of javaOf's java), if any. */
export function javaHomeOf(env: Env): string | undefined {
  const java = javaOf(env);
  return java ? path.dirname(path.dirname(java)) : undefined;
}

function inputsOf(sparkHome: string, env: Env): CdsInputs | undefined {
  const java = javaOf(env);
  if (!java) return undefined;
  const modules = statSync(path.join(path.dirname(path.dirname(java)), 'lib', 'modules'), { throwIfNoEntry: false });
  if (!modules) return undefined;
  const jarsDir = path.join(sparkHome, 'jars');
  const jars: CdsInputs['jars'] = [];
  // directory order, as the JVM expands jars/* (Node's readdir sorts)
  const d = opendirSync(jarsDir);
  try {
    for (let e = d.readSync(); e; e = d.readSync()) {
      if (!/\.jar$/i.test(e.name)) continue;
      const st = statSync(path.join(jarsDir, e.name));
      jars.push({ name: e.name, size: st.size, mtimeMs: st.mtimeMs });
    }
  } finally {
    d.closeSync();
  }
  return { java, modules: { size: modules.size, mtimeMs: modules.mtimeMs }, jars, sparkHome };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

function stateOf(dir: string, key: string): CdsState {
  const files = existsSync(dir) ? readdirSync(dir) : [];
  const parts = files.flatMap((f) => {
    const pid = partPid(key, f);
    return pid === undefined ? [] : [{ pid, file: path.join(dir, f) }];
  });
  let recorder: number | undefined;
  try {
    recorder = Number(readFileSync(path.join(dir, `${key}.recording`), 'utf8').trim()) || undefined;
  } catch {
    /* nobody recording */
  }
  return { archive: files.includes(`${key}.jsa`), parts, recorder };
}

/**
 * The JVM maps the recording (-Xshare:on fails when it cannot): a foreign file is never adopted, nor
 * a truncated one, which would crash every JVM that maps it (SIGBUS: checked here, in a JVM of its own
 * whose crash report goes nowhere).
 */
function usable(java: string, archive: string, classPath: string): boolean {
  try {
    process.getBuiltinModule('node:child_process').execFileSync(java, [`-XX:SharedArchiveFile=${archive}`, '-Xshare:on', '-XX:ErrorFile=/dev/null', '-cp', classPath, '-version'], {
      stdio: 'ignore',
      timeout: 20_000,
      cwd: os.tmpdir(),
      env: { ...process.env, JDK_JAVA_OPTIONS: '', JAVA_TOOL_OPTIONS: '' },
    });
    return true;
  } catch {
    return false;
  }
}

/** Folders of builds whose Spark is gone (a deleted app, a rebuilt slug's old tree) go, with their archives. */
function prune(root: string, keep: string): void {
  for (const f of existsSync(root) ? readdirSync(root) : []) {
    if (f === keep) continue;
    try {
      const home = (JSON.parse(readFileSync(path.join(root, f, 'source.json'), 'utf8')) as { sparkHome?: string }).sparkHome;
      if (home && !existsSync(path.join(home, 'jars'))) rmSync(path.join(root, f), { recursive: true, force: true });
    } catch {
      /* not ours, or being written */
    }
  }
}

/**
 * The archive of process type `key` for a JVM about to start from `sparkHome`. `record`: this start
 * may record one (a launcher about to exec the JVM, whose pid is its parent's: bash execs it).
 * `classPath`: the jars the JVM lists before anything else (default: Spark's `jars/*`).
 */
export function cdsFor(key: string, sparkHome: string, env: Env, o: { root?: string; record: boolean; pid: number; classPath?: string }): Cds | undefined {
  if (!o.root) return undefined;
  // the jars as the JVM will list them first (an archive maps only with the class path it was recorded with)
  const classPath = o.classPath ?? cdsClassPath(sparkHome);
  try {
    const inputs = inputsOf(sparkHome, env);
    if (!inputs) return { options: [], classPath, note: `class-data sharing off: no java found (JAVA_HOME, PATH)` };
    const fp = fingerprint(inputs);
    const dir = path.join(o.root, fp);
    const plan: CdsPlan = planCds(dir, key, stateOf(dir, key), { pid: o.pid, record: o.record }, alive);
    for (const f of plan.drop) rmSync(f, { force: true });
    if (plan.kind === 'use' && plan.adopt) {
      if (!usable(inputs.java, plan.adopt, classPath)) {
        rmSync(plan.adopt, { force: true });
        return { options: [], classPath, note: `class-data archive for ${key} discarded: the JVM could not map the recording (cut short?); the next start records again` };
      }
      try {
        renameSync(plan.adopt, plan.archive);
      } catch (err) {
        // another start of the type (a second worker) checked the same recording and adopted it first
        if (!existsSync(plan.archive)) throw err;
      }
    }
    if (plan.kind === 'record') {
      if (!existsSync(dir)) {
        prune(o.root, fp);
        mkdirSync(dir, { recursive: true });
        writeFileSync(path.join(dir, 'source.json'), `${JSON.stringify({ sparkHome, java: inputs.java, jars: inputs.jars.length }, null, 2)}\n`);
      }
      writeFileSync(path.join(dir, `${key}.recording`), `${o.pid}\n`);
    }
    const note =
      plan.kind === 'use'
        ? `class-data archive ${plan.archive}${plan.adopt ? ' (recorded by an earlier start)' : ''}`
        : plan.kind === 'record'
          ? `recording a class-data archive for ${key} at this JVM's exit (later starts use it): ${plan.part}`
          : plan.why;
    return { options: cdsJavaOptions(plan), classPath, note };
  } catch (err) {
    return { options: [], classPath, note: `class-data sharing off for this start: ${(err as Error).message.split('\n')[0]}` };
  }
}
