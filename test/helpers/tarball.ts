/**
 * Small synthetic Spark tarballs for build tests, written byte by byte (ustar), so hostile archives
 * (absolute paths, `..`, links out, several top-level entries) can be made as easily as good ones.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

export interface TarEntry {
  name: string;
  type?: 'file' | 'dir' | 'symlink' | 'hardlink' | 'fifo';
  content?: string | Buffer;
  mode?: number;
  linkname?: string;
}

function header(e: TarEntry, size: number): Buffer {
  const h = Buffer.alloc(512);
  const put = (s: string, off: number, len: number) => h.write(s.slice(0, len), off, 'utf8');
  const oct = (n: number, off: number, len: number) => put(n.toString(8).padStart(len - 1, '0') + '\0', off, len);
  let name = e.name;
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', 154);
    prefix = name.slice(0, cut);
    name = name.slice(cut + 1);
  }
  put(name, 0, 100);
  const type = e.type ?? (e.name.endsWith('/') ? 'dir' : 'file');
  oct(e.mode ?? (type === 'dir' ? 0o755 : 0o644), 100, 8);
  oct(0, 108, 8);
  oct(0, 116, 8);
  oct(size, 124, 12);
  oct(1700000000, 136, 12);
  h.fill(' ', 148, 156);
  h.write({ file: '0', hardlink: '1', symlink: '2', fifo: '6', dir: '5' }[type], 156, 'utf8');
  if (e.linkname) put(e.linkname, 157, 100);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  put(prefix, 345, 155);
  let sum = 0;
  for (const b of h) sum += b;
  put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  return h;
}

export function tar(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const body = e.type === 'file' || (!e.type && !e.name.endsWith('/')) ? Buffer.from(e.content ?? '') : Buffer.alloc(0);
    parts.push(header(e, body.length), body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export const tgz = (entries: TarEntry[]) => gzipSync(tar(entries));

/** A tiny but well-formed Spark distribution: bin/spark-submit prints its version. */
export function sparkEntries(version: string, opts: { bigFileBytes?: number } = {}): TarEntry[] {
  const top = `spark-${version}-bin-hadoop3`;
  const script = `#!/usr/bin/env bash\necho "Welcome to Spark version ${version}"\n`;
  const big = opts.bigFileBytes ? createHash('sha512') : undefined;
  const bigContent = opts.bigFileBytes
    ? Buffer.concat(Array.from({ length: Math.ceil(opts.bigFileBytes / 64) }, (_, i) => big!.copy().update(String(i)).digest())).subarray(0, opts.bigFileBytes)
    : undefined;
  return [
    { name: `${top}/`, type: 'dir' },
    { name: `${top}/bin/`, type: 'dir' },
    { name: `${top}/bin/spark-submit`, content: script, mode: 0o755 },
    { name: `${top}/bin/spark-class`, content: '#!/usr/bin/env bash\nexec java "$@"\n', mode: 0o755 },
    { name: `${top}/bin/spark-submit.cmd`, content: '@echo off\r\n' },
    { name: `${top}/jars/`, type: 'dir' },
    { name: `${top}/jars/spark-core_2.13-${version}.jar`, content: bigContent ?? Buffer.alloc(4096, 1) },
    { name: `${top}/jars/spark-kubernetes_2.13-${version}.jar`, content: Buffer.alloc(2048, 2) },
    { name: `${top}/jars/kubernetes-model-core-7.0.jar`, content: Buffer.alloc(2048, 3) },
    { name: `${top}/R/`, type: 'dir' },
    { name: `${top}/R/lib/SparkR.zip`, content: Buffer.alloc(8192, 4) },
    { name: `${top}/data/`, type: 'dir' },
    { name: `${top}/data/sample.txt`, content: 'sample\n' },
    { name: `${top}/python/lib/pyspark.zip`, content: Buffer.alloc(1024, 5) },
    { name: `${top}/python/pyspark/tests/test_x.py`, content: 'assert True\n' },
    { name: `${top}/conf/spark-env.sh.template`, content: '# template\n' },
    { name: `${top}/RELEASE`, content: `Spark ${version} built for Hadoop 3.4.1\n` },
    { name: `${top}/jars/current.jar`, type: 'symlink', linkname: `spark-core_2.13-${version}.jar` },
  ];
}

export const sha512 = (b: Buffer) => createHash('sha512').update(b).digest('hex');
export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Writes `<root>/spark-V/<file>` and its `.sha512` (sha512sum form, or gpg --print-md form). */
export function publish(
  root: string,
  version: string,
  data: Buffer,
  opts: { file?: string; format?: 'sha512sum' | 'gpg' | 'none'; checksum?: string } = {},
): { file: string; path: string; sha512: string } {
  const file = opts.file ?? `spark-${version}-bin-hadoop3.tgz`;
  const dir = path.join(root, `spark-${version}`);
  mkdirSync(dir, { recursive: true });
  const p = path.join(dir, file);
  writeFileSync(p, data);
  const sum = opts.checksum ?? sha512(data);
  if (opts.format !== 'none') writeFileSync(`${p}.sha512`, opts.format === 'gpg' ? gpgForm(file, sum) : `${sum}  ${file}\n`);
  return { file, path: p, sha512: sum };
}

/** `gpg --print-md SHA512 file` output: uppercase groups of 8, wrapped. */
export function gpgForm(file: string, hex: string): string {
  const groups = hex.toUpperCase().match(/.{8}/g)!;
  const lines: string[] = [];
  let line = `${file}: `;
  for (const g of groups) {
    if (line.length + g.length > 78) {
      lines.push(line.trimEnd());
      line = ' '.repeat(file.length + 2);
    }
    line += `${g} `;
  }
  lines.push(line.trimEnd());
  return `${lines.join('\n')}\n`;
}
