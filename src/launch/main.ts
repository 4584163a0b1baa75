/**
 * The launchers' entry point (bin/support/launch.sh): `node dist/launch.mjs <type> [args...]`.
 * Kept apart from the CLI (no commander, bundled by esbuild) so a dyno starts its JVM quickly.
 * Prints the argv NUL-separated; errors go through the CLI's one error handler.
 */
import { handleError } from '../handle-error.js';
import { prepare, PROCESS_TYPES, type ProcessType } from './index.js';

const [type, ...rest] = process.argv.slice(2);
const args = rest[0] === '--' ? rest.slice(1) : rest;
try {
  if (!PROCESS_TYPES.includes(type as ProcessType)) throw new Error(`unknown process type "${type}" (one of ${PROCESS_TYPES.join(', ')})`);
  const { argv } = await prepare(type as ProcessType, process.env, args);
  process.stdout.write(`${argv.join('\0')}\0`);
} catch (err) {
  handleError(err);
}
