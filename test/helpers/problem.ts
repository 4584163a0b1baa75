/** The typed problem `f` fails with (src/errors.ts), for unit tests that assert on `code`, not prose. */
import { isProblem, type Problem } from '../../src/errors.js';

export function problemOf(f: () => unknown): Problem {
  try {
    f();
  } catch (err) {
    if (isProblem(err)) return err.problem;
    throw err;
  }
  throw new Error('expected a problem');
}
