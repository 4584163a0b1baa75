/** The CLI's command tree and what its `--help` prints, read in-process (src/cli/program.ts). */
import type { Command } from 'commander';
import { parse } from 'shell-quote';
import { buildProgram } from '../../src/cli/program.js';
import { helpOf } from '../../src/cli/help-cache.js';

/** Every command by its path (`local up`, `config render`), the root excluded. */
export function commandTree(): { path: string; cmd: Command }[] {
  const out: { path: string; cmd: Command }[] = [];
  const walk = (c: Command, prefix: string[]) => {
    for (const sub of c.commands) {
      const p = [...prefix, sub.name()];
      out.push({ path: p.join(' '), cmd: sub });
      walk(sub, p);
    }
  };
  walk(buildProgram(), []);
  return out;
}

/** What `<command> --help` prints, the text added after the options included. */
export const helpText = helpOf;

/** One `spark-in-space …` invocation of an example: the env assignments before it and its arguments. */
export interface Invocation {
  env: Record<string, string>;
  args: string[];
}

export interface Example {
  /** the command whose --help shows it */
  command: string;
  line: string;
  invocations: Invocation[];
}

/**
 * Every `$ …` line of every --help, split into its `spark-in-space` invocations (a line may chain
 * several with `&&` or `|`; what runs before or around them, `echo …`, `jq`, `until`, is not ours).
 */
export function examples(): Example[] {
  const out: Example[] = [];
  for (const { path, cmd } of commandTree())
    for (const m of helpText(cmd).matchAll(/^\s+\$ (.+)$/gm)) {
      const line = m[1]!.replace(/\s+#\s.*$/, '');
      const tokens = parse(line);
      const invocations: Invocation[] = [];
      let current: Invocation | undefined;
      let env: Record<string, string> = {};
      for (const t of tokens) {
        if (typeof t !== 'string') {
          // an operator (&&, |, ;, >) ends an invocation; a redirection's target is skipped below
          if (current) invocations.push(current);
          current = undefined;
          env = {};
          continue;
        }
        if (current) current.args.push(t);
        else if (t === 'spark-in-space') current = { env, args: [] };
        else if (/^[A-Z_][A-Z0-9_]*=/.test(t)) env[t.slice(0, t.indexOf('='))] = t.slice(t.indexOf('=') + 1);
        else env = {};
      }
      if (current) invocations.push(current);
      // a redirection target (`>/dev/null`) became an invocation's last word: drop it
      for (const i of invocations) while (i.args.length && /^\/dev\//.test(i.args.at(-1)!)) i.args.pop();
      out.push({ command: path, line: m[1]!, invocations });
    }
  return out;
}
