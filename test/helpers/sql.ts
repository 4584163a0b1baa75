/** The SQL clients tests and benches drive a space with: beeline through the space proxy's /cliservice. */
import path from 'node:path';
import { execa } from 'execa';
import { tmpdir } from './buildpack.js';

/** beeline's csv2 output lines, without the prompt it puts before the first one when stdin is not a terminal. */
export const beelineRows = (out: string) =>
  out
    .trim()
    .split('\n')
    .map((l) => l.replace(/^\d+: jdbc:hive2:\/\/[^>]*> /, ''));

/** beeline (the distribution's) on this machine, through the proxy on 127.0.0.1:`port` as `spark`: each query one `-e`. */
export function beelineViaProxy(sparkHome: string, port: number, password: string, queries: string[], o: { timeout?: number } = {}) {
  return execa(
    path.join(sparkHome, 'bin', 'beeline'),
    [
      '-u',
      `jdbc:hive2://127.0.0.1:${port}/default;transportMode=http;httpPath=cliservice`,
      '-n',
      'spark',
      '-p',
      password,
      '--silent=true',
      '--outputformat=csv2',
      ...queries.flatMap((q) => ['-e', q]),
    ],
    // beeline waits on an open stdin even with -e: an empty one, as a terminal user's would end
    { reject: false, all: true, timeout: o.timeout ?? 300_000, input: '', cwd: tmpdir('sis-beeline-'), env: { SPARK_HOME: sparkHome } },
  );
}
