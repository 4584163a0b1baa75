/**
 * Class-data archives (src/cds/archive.ts) with the real JVM: a recording is adopted only once the
 * JVM maps it; a truncated or foreign one is discarded (and the start goes on without); a changed
 * jar or JDK starts a new set; folders of Spark trees that are gone are pruned. A real Spark
 * daemon's use of its archive is in test/e2e/local-lifecycle.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cdsFor } from '../../src/cds/archive.js';
import { tmpdir } from '../helpers/buildpack.js';

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
