/** The spark-in-space CLI's command tree: one file per command under commands/ (src/cli/index.ts runs it). */
import { Command } from 'commander';
import { buildpackCommand } from './commands/buildpack.js';
import { buildCommand } from './commands/build.js';
import { catalogCommand } from './commands/catalog.js';
import { configCommand, masterUrlCommand } from './commands/config.js';
import { localCommand } from './commands/local/index.js';
import { deployCommand } from './commands/heroku/deploy.js';
import { destroyCommand } from './commands/heroku/destroy.js';
import { scaleCommand } from './commands/heroku/scale.js';
import { shellCommand, submitCommand } from './commands/heroku/shell.js';
import { statusCommand } from './commands/heroku/status.js';
import { uiCommand } from './commands/heroku/ui.js';
import { versionsCommand } from './commands/heroku/versions.js';
import { appsCommand } from './commands/jobs/apps.js';
import { driversCommand } from './commands/jobs/drivers.js';
import { killCommand } from './commands/jobs/kill.js';
import { logsCommand } from './commands/jobs/logs.js';

/** --help's width, whatever the terminal: the same text everywhere (and cacheable: src/cli/help-cache.ts). */
export const HELP_WIDTH = 100;

/** Every command, as `--help` shows them (README's drift test walks this tree). */
export function buildProgram(): Command {
  const program = tree();
  const fix = (c: Command) => {
    c.configureHelp({ helpWidth: HELP_WIDTH });
    c.commands.forEach(fix);
  };
  fix(program);
  return program;
}

function tree(): Command {
  return new Command('spark-in-space')
    .description('Apache Spark standalone clusters in Heroku Private Spaces, and the same formation on one machine')
    .version('0.1.0')
    .showHelpAfterError()
    .enablePositionalOptions()
    .addCommand(localCommand())
    .addCommand(deployCommand())
    .addCommand(statusCommand())
    .addCommand(scaleCommand())
    .addCommand(uiCommand())
    .addCommand(shellCommand())
    .addCommand(submitCommand())
    .addCommand(appsCommand('heroku'))
    .addCommand(driversCommand('heroku'))
    .addCommand(killCommand('heroku'))
    .addCommand(logsCommand('heroku'))
    .addCommand(versionsCommand())
    .addCommand(destroyCommand())
    .addCommand(buildCommand())
    .addCommand(catalogCommand())
    .addCommand(configCommand())
    .addCommand(masterUrlCommand())
    .addCommand(buildpackCommand());
}
