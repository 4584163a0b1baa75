/**
 * Class-data archives (src/cds/archive.ts) with the real JVM: a recording is adopted only once the
 * JVM maps it; a truncated or foreign one is discarded (and the start goes on without); a changed
 * jar or JDK starts a new set; folders of Spark trees that are gone are pruned. A real Spark
 * daemon's use of its archive is in test/e2e/local-lifecycle.test.ts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cdsFor } from '../../src/cds/archive.js';
import { REPO, tmpdir } from '../helpers/buildpack.js';

/** A Spark-like tree whose jars/ holds two small jars (a manifest each) */
function sparkHome(): string {
  const home = path.join(tmpdir('sis-cds-home-'), 'spark-home');
  mkdirSync(path.join(home, 'jars'), { recursive: true });
  const src = tmpdir('sis-cds-src-');
  writeFileSync(path.join(src, 'Hello.java'), 'public class Hello { public static void main(String[] a) { System.out.println("hello"); } }\n');
  execFileSync('javac', ['-d', src, path.join(src, 'Hello.java')]);
  execFileSync('jar', ['cf', path.join(home, 'jars', 'hello.jar'), '-C', src, 'Hello.class']);
  execFileSync('jar', ['cf', path.join(home, 'jars', 'other.jar'), '-C', src, 'Hello.java']);
  return home;
}
const env = { PATH: process.env.PATH ?? '' };
/** a JVM of the tree started as a launcher would: it records at its exit and exits (a dead pid) */
function runJvm(home: string, options: string[]) {
  return execFileSync('java', [...options, '-cp', `${path.join(home, 'jars', '*')}:${tmpdir('sis-cds-conf-')}`, 'Hello'], { encoding: 'utf8', env: { ...process.env, JDK_JAVA_OPTIONS: '' } });
}
const DEAD_PID = 2 ** 22 + 1; // above pid_max: never a live process

describe('class-data archives with the real JVM', () => {
  it('records, adopts what the JVM maps, then uses it', () => {
    const home = sparkHome();
    const root = tmpdir('sis-cds-');
    const first = cdsFor('worker', home, env, { root, record: true, pid: DEAD_PID })!;
    expect(first.note).toMatch(/recording a class-data archive for worker/);
    expect(first.options[0]).toMatch(/^-XX:ArchiveClassesAtExit=.*worker\.4194305\.jsa\.part$/);
    expect(first.classPath).toBe(path.join(home, 'jars', '*'));
    expect(runJvm(home, first.options)).toContain('hello');
    const second = cdsFor('worker', home, env, { root, record: true, pid: 77 })!;
    expect(second.note).toMatch(/\(recorded by an earlier start\)/);
    const archive = second.options[0]!.replace('-XX:SharedArchiveFile=', '');
    expect(existsSync(archive)).toBe(true);
    // the JVM really maps it: -Xshare:on fails when it cannot
    expect(runJvm(home, [...second.options, '-Xshare:on', '-Xlog:class+load=info'])).toMatch(/Hello source: shared objects file \(top\)/);
    const dir = path.dirname(archive);
    expect(readdirSync(dir).sort()).toEqual(['source.json', 'worker.jsa']);
    // another type has its own archive
    expect(cdsFor('master', home, env, { root, record: true, pid: DEAD_PID })!.options[0]).toMatch(/ArchiveClassesAtExit=.*master\./);
    // a one-off's conf only uses: nothing recorded
    expect(cdsFor('spark-submit', home, env, { root, record: false, pid: DEAD_PID })).toMatchObject({ options: [], note: expect.stringContaining('no class-data archive for spark-submit') });
  });

  it('a truncated recording is discarded, never used; the next start records again', () => {
    const home = sparkHome();
    const root = tmpdir('sis-cds-');
    const first = cdsFor('master', home, env, { root, record: true, pid: DEAD_PID })!;
    runJvm(home, first.options);
    const part = first.options[0]!.replace('-XX:ArchiveClassesAtExit=', '');
    truncateSync(part, Math.floor(readFileSync(part).length / 2));
    const second = cdsFor('master', home, env, { root, record: true, pid: 77 })!;
    expect(second.options).toEqual([]);
    expect(second.note).toMatch(/discarded: the JVM could not map the recording/);
    expect(existsSync(part)).toBe(false);
    expect(cdsFor('master', home, env, { root, record: true, pid: DEAD_PID })!.options[0]).toMatch(/ArchiveClassesAtExit/);
  });

  it('a jar changed or moved, or another JDK: a new set (the old archive would not match)', () => {
    const home = sparkHome();
    const root = tmpdir('sis-cds-');
    const rec = cdsFor('master', home, env, { root, record: true, pid: DEAD_PID })!;
    runJvm(home, rec.options);
    const used = cdsFor('master', home, env, { root, record: true, pid: 77 })!.options[0]!;
    expect(used).toMatch(/SharedArchiveFile/);
    utimesSync(path.join(home, 'jars', 'other.jar'), new Date(), new Date(Date.now() + 5000));
    const changed = cdsFor('master', home, env, { root, record: true, pid: 78 })!.options[0]!;
    expect(changed).toMatch(/ArchiveClassesAtExit/);
    expect(path.dirname(changed.split('=')[1]!)).not.toBe(path.dirname(used.split('=')[1]!));
    // the tree gone: its folder is pruned when another set is made
    const other = sparkHome();
    const before = readdirSync(root).length;
    rmSync(path.dirname(home), { recursive: true });
    cdsFor('master', other, env, { root, record: true, pid: DEAD_PID });
    expect(readdirSync(root).length).toBe(1);
    expect(before).toBe(2);
  });

  it('no java on PATH or SPARK_CDS_DIR unset: off, saying why', () => {
    const home = sparkHome();
    expect(cdsFor('master', home, { PATH: '/nonexistent' }, { root: tmpdir('sis-cds-'), record: true, pid: 1 })).toMatchObject({ options: [], note: expect.stringMatching(/no java found/) });
    expect(cdsFor('master', home, env, { record: true, pid: 1 })).toBeUndefined();
  });
});

/**
 * The worker's `java` (bin/support/executor-jdk/bin/java) with the real JVM and the launcher entry:
 * an executor (a class named as Spark's) records an archive at its exit, the next maps it; another
 * JVM of the worker passes through untouched; an executor whose class path puts the app's jars first
 * gets none. The worker's launcher setting JAVA_HOME is in test/unit/cds.test.ts, a real worker's
 * executors in test/e2e/local-lifecycle.test.ts.
 */
describe("the worker's java: executors' class-data archives", () => {
  /** A Spark-like tree whose jar holds a class named as Spark's executor (it prints its class path). */
  function executorHome(): string {
    const home = path.join(tmpdir('sis-exec-home-'), 'spark-home');
    mkdirSync(path.join(home, 'jars'), { recursive: true });
    const src = tmpdir('sis-exec-src-');
    mkdirSync(path.join(src, 'org/apache/spark/executor'), { recursive: true });
    writeFileSync(
      path.join(src, 'org/apache/spark/executor/CoarseGrainedExecutorBackend.java'),
      'package org.apache.spark.executor; public class CoarseGrainedExecutorBackend { public static void main(String[] a) { System.out.println("CP=" + System.getProperty("java.class.path") + " JAVA_HOME=" + System.getenv("JAVA_HOME")); } }\n',
    );
    execFileSync('javac', ['-d', src, path.join(src, 'org/apache/spark/executor/CoarseGrainedExecutorBackend.java')]);
    execFileSync('jar', ['cf', path.join(home, 'jars', 'spark-core.jar'), '-C', src, 'org']);
    return home;
  }
  const realHome = path.dirname(path.dirname(realpathSync(execFileSync('bash', ['-c', 'command -v java'], { encoding: 'utf8' }).trim())));
  const shim = path.join(REPO, 'bin/support/executor-jdk/bin/java');
  const run = (root: string, cp: string, main = 'org.apache.spark.executor.CoarseGrainedExecutorBackend', extra: string[] = []) =>
    spawnSync(shim, ['-cp', cp, ...extra, main, '--executor-id', '1'], {
      encoding: 'utf8',
      env: { ...process.env, JAVA_HOME: path.dirname(path.dirname(shim)), SPARK_IN_SPACE_JAVA_HOME: realHome, SPARK_IN_SPACE_EXECUTOR_CDS: root, JDK_JAVA_OPTIONS: '', JAVA_TOOL_OPTIONS: '' },
    });

  it('the first executor records, the next maps the archive with the jars before the conf dir; JAVA_HOME is the real one again', () => {
    const home = executorHome();
    const conf = tmpdir('sis-exec-conf-');
    writeFileSync(path.join(conf, 'log4j2.properties'), '# conf\n');
    const root = tmpdir('sis-exec-cds-');
    const cp = `${conf}/:${home}/jars/*`;
    const first = run(root, cp);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/spark-in-space: recording a class-data archive for executor-[0-9a-f]{8} at this JVM's exit/);
    // Spark's order (the conf dir first) becomes the jars first, the conf dir after them
    expect(first.stdout).toContain(`CP=${home}/jars/spark-core.jar:${conf}/`);
    expect(first.stdout).toContain(`JAVA_HOME=${realHome}`);
    const second = run(root, cp, undefined, ['-Xshare:on', '-Xlog:class+load=info']);
    expect(second.status, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/spark-in-space: class-data archive .*executor-[0-9a-f]{8}\.jsa \(recorded by an earlier start\)/);
    expect(second.stdout).toMatch(/org\.apache\.spark\.executor\.CoarseGrainedExecutorBackend source: shared objects file \(top\)/);
  });

  it('another JVM of the worker passes through untouched; an app’s jars before Spark’s (spark.executor.extraClassPath): no archive, the class path as it was', () => {
    const home = executorHome();
    const root = tmpdir('sis-exec-cds-');
    const other = run(root, `${home}/jars/*`, 'org.apache.spark.executor.CoarseGrainedExecutorBackendX');
    expect(other.stderr).not.toContain('spark-in-space');
    expect(readdirSync(root)).toEqual([]);
    const app = path.join(tmpdir('sis-exec-app-'), 'app.jar');
    execFileSync('jar', ['cf', app, '-C', path.dirname(app), '.']);
    const conf = tmpdir('sis-exec-conf-');
    const r = run(root, `${app}:${conf}/:${home}/jars/*`);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`spark-in-space: no class-data archive for this executor: its class path puts ${app}:${conf}/ before Spark's jars (spark.executor.extraClassPath)`);
    expect(r.stdout).toContain(`CP=${app}:${conf}/:${home}/jars/spark-core.jar`);
    expect(readdirSync(root)).toEqual([]);
  });

  it('a broken launcher entry costs only the archive: the executor starts as it would have', () => {
    const home = executorHome();
    const r = spawnSync(shim, ['-cp', `${home}/jars/*`, 'org.apache.spark.executor.CoarseGrainedExecutorBackend'], {
      encoding: 'utf8',
      // Node cannot start the entry at all
      env: { ...process.env, NODE_OPTIONS: '--require=/nonexistent/preload.js', SPARK_IN_SPACE_JAVA_HOME: realHome, SPARK_IN_SPACE_EXECUTOR_CDS: tmpdir('sis-exec-cds-'), JDK_JAVA_OPTIONS: '' },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('preload.js');
    expect(r.stdout).toContain(`CP=${home}/jars/spark-core.jar`);
  });
});
