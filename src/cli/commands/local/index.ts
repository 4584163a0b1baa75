/** `spark-in-space local …`: the app's formation on this machine, as a Private Space would run it. One file per subcommand. */
import { Command } from 'commander';
import { cycleCommand } from './cycle.js';
import { downCommand } from './down.js';
import { envCommand, execCommand } from './exec.js';
import { logsCommand } from './logs.js';
import { restartCommand } from './restart.js';
import { runCommand } from './run.js';
import { scaleCommand } from './scale.js';
import { statusCommand } from './status.js';
import { upCommand } from './up.js';
import { appsCommand } from '../jobs/apps.js';
import { driversCommand } from '../jobs/drivers.js';
import { killCommand } from '../jobs/kill.js';

export function localCommand(): Command {
  return new Command('local')
    .description('run the app’s formation on this machine the way a Private Space would')
    .enablePositionalOptions()
    .addCommand(upCommand())
    .addCommand(statusCommand())
    .addCommand(runCommand())
    .addCommand(execCommand())
    .addCommand(envCommand())
    .addCommand(logsCommand())
    .addCommand(restartCommand())
    .addCommand(cycleCommand())
    .addCommand(scaleCommand())
    .addCommand(downCommand())
    .addCommand(appsCommand('local'))
    .addCommand(driversCommand('local'))
    .addCommand(killCommand('local'));
}
