#!/usr/bin/env node
/**
 * The CLI's entry (`bin`). `… --help` is printed from dist/help.json (written by `npm run build`
 * from the live commands: src/cli/help-cache.ts) without loading the CLI; anything else turns on
 * V8's compile cache (Node >= 22.1: the bundle's parsed and compiled code is kept under the temp
 * dir and reused by the next start) and loads the bundle. Nothing else here.
 */
import { readFileSync } from 'node:fs';
import module from 'node:module';

const args = process.argv.slice(2);
const last = args.at(-1);
if (last === '--help' || last === '-h') {
  let help: Record<string, string> | undefined;
  try {
    help = JSON.parse(readFileSync(new URL('./help.json', import.meta.url), 'utf8')) as Record<string, string>;
  } catch {
    /* no cache (a build without it): the CLI answers */
  }
  const text = help && Object.hasOwn(help, args.slice(0, -1).join(' ')) ? help[args.slice(0, -1).join(' ')] : undefined;
  if (text !== undefined) {
    process.stdout.write(text);
    process.exit(0);
  }
}
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
await import(new URL('./cli-bundle.mjs', import.meta.url).href);
