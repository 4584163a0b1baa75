#!/usr/bin/env node
/** The spark-in-space CLI: one file per command under commands/, one error handler. */
import { Command } from 'commander';
import { buildpackCommand } from './commands/buildpack.js';
import { buildCommand } from './commands/build.js';
import { catalogCommand } from './commands/catalog.js';
import { configCommand, masterUrlCommand } from './commands/config.js';
import { localCommand } from './commands/local.js';
import { handleError } from './errors.js';

const program = new Command('spark-in-space')
  .description('Apache Spark standalone clusters in Heroku Private Spaces, and the same formation on one machine')
  .version('0.1.0')
  .showHelpAfterError()
  .enablePositionalOptions()
  .addCommand(localCommand())
  .addCommand(buildCommand())
  .addCommand(catalogCommand())
  .addCommand(configCommand())
  .addCommand(masterUrlCommand())
  .addCommand(buildpackCommand());

program.parseAsync(process.argv).catch((err) => handleError(err));
