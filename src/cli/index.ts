#!/usr/bin/env node
/** The spark-in-space CLI: the command tree (program.ts, one file per command under commands/), one error handler. */
import { handleError } from '../handle-error.js';
import { buildProgram } from './program.js';

// `spark-in-space local status | head -1`: a reader that goes away is not an error
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });

buildProgram()
  .parseAsync(process.argv)
  .catch((err) => handleError(err));
