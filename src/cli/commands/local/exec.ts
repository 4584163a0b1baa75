/** `spark-in-space local exec -- CMD` and `local env`: processes on this machine that use the space by its names. */
import { Command } from 'commander';
import * as z from 'zod';
import { execOnHost, hostEnv, requireSpace } from '../../../local/oneoff.js';
import { shellQuote } from '../../../render/index.js';
import { common, Common, target } from './options.js';
import { checkpoint } from '../../check.js';

const ExecOptions = Common.extend({ hosts: z.boolean().default(true) });

export function execCommand(): Command {
  return common(new Command('exec'))
    .description('run a command on this machine (a pyspark driver, beeline, curl) that reaches the space by its names')
    .argument('<command...>', 'the command, after --')
    .option('--no-hosts', 'do not mount the space’s names over /etc/hosts for non-JVM tools')
    .allowUnknownOption()
    .passThroughOptions()
    .addHelpText(
      'after',
      `
The command runs here, in the current directory, with your environment plus:
  SPARK_CONF_DIR     a driver conf for the space (master URL, auth secret, driver address)
  JAVA_TOOL_OPTIONS  the space's hosts file, so every JVM resolves *.app.localspace
  SPARK_LOCAL_IP     the driver's own address in the space (executors connect back to it)
  PATH               the space's Spark bin/ after yours (spark-submit, spark-sql, beeline)
Non-JVM tools (curl, python's sockets) see the space's names through a private mount of its
hosts file over /etc/hosts (Linux mount namespace; --no-hosts turns it off). The space's DNS
server answers too, at SPARK_IN_SPACE_DNS.

Examples:
  $ spark-in-space local exec -- python3 my_job.py        # pip's pyspark, same version as the space
  $ spark-in-space local exec -- curl -s http://1.master.my-app.app.localspace:8080/json`,
    )
    .action(async (command: string[], raw) => {
      const o = ExecOptions.parse(raw);
      checkpoint();
      process.exitCode = await execOnHost({ ...target(raw), hosts: o.hosts }, command);
    });
}

export function envCommand(): Command {
  return common(new Command('env'))
    .description('print the exports that let a shell on this machine use the space (eval "$(spark-in-space local env)")')
    .addHelpText(
      'after',
      `
JVMs started from that shell resolve the space's names and pick up its driver conf; non-JVM tools
need \`local exec\` (or the DNS server at SPARK_IN_SPACE_DNS).

Example:
  $ eval "$(spark-in-space local env)" && python3 -c 'from pyspark.sql import SparkSession; print(SparkSession.builder.getOrCreate().range(10).count())'`,
    )
    .action(async (raw) => {
      const t = target(raw);
      const s = await requireSpace(t.dir, t.app, t.appDir);
      const env = await hostEnv(t, s, {});
      const keep = ['SPARK_CONF_DIR', 'SPARK_LOCAL_IP', 'JAVA_TOOL_OPTIONS', 'SPARK_SUBMIT_OPTS', 'SPARK_IN_SPACE_APP', 'SPARK_IN_SPACE_MASTER_URL', 'SPARK_IN_SPACE_DNS'];
      process.stdout.write(`# the local space ${s.app}: eval "$(spark-in-space local env)"\n`);
      for (const k of keep) if (env[k]) process.stdout.write(`export ${k}=${shellQuote(env[k]!)}\n`);
      process.stdout.write(`export PATH="$PATH":${shellQuote(`${s.sparkHome}/bin`)}\n`);
    });
}
