/** The one error handler of the CLI and the entry points (launchers, proxy): typed problems and zod errors become user messages and exit codes (errors.ts exitCodeOf; bad options 2). */
import { ZodError } from 'zod';
import { consoleOutput, type Output } from './output.js';
import { describe, exitCodeOf, SparkInSpaceError } from './errors.js';

export function handleError(err: unknown, out: Output = consoleOutput()): never {
  if (err instanceof SparkInSpaceError) {
    out.error(describe(err.problem));
    process.exit(exitCodeOf(err.problem));
  } else if (err instanceof ZodError) {
    // options as the user typed them: crashCooldown → --crash-cooldown
    const flag = (p: PropertyKey[]) => `--${p.join('.').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    out.error(['Invalid options:', ...err.issues.map((i) => `${flag(i.path)}: ${i.message}`)]);
    process.exit(2);
  } else {
    const e = err as Error;
    out.error([`Unexpected error: ${e?.message ?? String(err)}`, 'Please report it with the output above.']);
    if (process.env.SPARK_IN_SPACE_DEBUG && e?.stack) process.stderr.write(`${e.stack}\n`);
  }
  process.exit(1);
}
