/**
 * `npm run build` writes every command's `--help` text into dist/help.json (`node
 * dist/cli/help-cache.js`): the CLI's entry (src/cli/entry.ts) prints it for `… --help` without
 * loading the CLI, as fast as Node starts. test/integration/readme-examples.test.ts checks each
 * cached text against the live one.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { buildProgram } from './program.js';

/** What `--help` prints for a command (the text added after its options included). */
export function helpOf(cmd: Command): string {
  let text = '';
  cmd.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
  cmd.outputHelp();
  return text;
}

/** Every command's --help, by its path ('' for the CLI itself, 'local up', …). */
export function helpCache(): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (c: Command, prefix: string[]) => {
    out[prefix.join(' ')] = helpOf(c);
    for (const sub of c.commands) walk(sub, [...prefix, sub.name()]);
  };
  walk(buildProgram(), []);
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = fileURLToPath(new URL('../help.json', import.meta.url));
  writeFileSync(file, `${JSON.stringify(helpCache())}\n`);
}
