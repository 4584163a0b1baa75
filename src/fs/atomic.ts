/**
 * The one way to write files so that a reader never sees half of one: each goes to a temp name
 * beside it (`.<name>.<pid>-<n>.tmp`), gets its mode, then is renamed in. Files holding secrets
 * are written 0600 from the first byte. Used by the build, the launchers, the proxy and `local`.
 */
import { chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface FileToWrite {
  name: string;
  content: string | Uint8Array;
  mode: number;
}

let written = 0;
/**
 * The temp name: unique among live writers (pid, then a count within the process), no random bytes
 * (loading node:crypto cost the launchers 4 ms); a leftover of a dead process is overwritten.
 */
const tempFor = (file: string) => path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}-${++written}.tmp`);

/** Writes one file atomically (the folder is made when missing). */
export async function writeAtomic(file: string, content: string | Uint8Array, mode = 0o644): Promise<void> {
  await writeFilesAtomic(path.dirname(file), [{ name: path.basename(file), content, mode }]);
}

/** Writes several files of one folder: all are written aside first, then renamed in one after another. */
export async function writeFilesAtomic(dir: string, files: FileToWrite[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tmps: string[] = [];
  try {
    for (const f of files) {
      const tmp = tempFor(path.join(dir, f.name));
      tmps.push(tmp);
      await writeFile(tmp, f.content, { mode: f.mode });
      await chmod(tmp, f.mode);
    }
    for (const [i, f] of files.entries()) await rename(tmps[i]!, path.join(dir, f.name));
  } catch (err) {
    await Promise.all(tmps.map((t) => rm(t, { force: true })));
    throw err;
  }
}

/** The same, synchronously: for the local supervisor's state files, written between events. */
export function writeAtomicSync(file: string, content: string | Uint8Array, mode = 0o644): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = tempFor(file);
  try {
    writeFileSync(tmp, content, { mode });
    chmodSync(tmp, mode);
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
