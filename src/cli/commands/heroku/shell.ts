/** `spark-in-space shell` / `submit …`: bin/spark-shell or bin/spark-submit in a one-off dyno of the app, through the heroku CLI. */
import { Command } from 'commander';
import * as z from 'zod';
import { exitCodesHelp, fail } from '../../../errors.js';
import { appFrom, appOption } from './common.js';

/** Pure: the heroku CLI's argv for a one-off dyno running `launcher args…`. */
export function herokuRunArgv(app: string, launcher: string, args: string[], size?: string): string[] {
  return ['run', '--app', app, ...(size ? ['--size', size] : []), '--exit-code', '--', launcher, ...args];
}

const Options = z.object({
  app: z.string().optional(),
  size: z
    .string()
    .regex(/^[a-z0-9-]+$/, 'must be a dyno size such as private-m')
    .optional(),
  wait: z.boolean().default(false),
  followLogs: z.boolean().default(false),
});

async function run(app: string, launcher: string, args: string[], size?: string): Promise<void> {
  const command = `spark-in-space ${launcher === 'bin/spark-shell' ? 'shell' : 'submit'}`;
  const heroku = process.env.HEROKU_CLI || 'heroku';
  try {
    const { execa } = await import('execa');
    const r = await execa(heroku, herokuRunArgv(app, launcher, args, size), { stdio: 'inherit', reject: false });
    if ((r as { code?: string }).code === 'ENOENT') fail({ code: 'heroku-cli-missing', command });
    process.exitCode = r.exitCode ?? 1;
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') fail({ code: 'heroku-cli-missing', command });
    throw err;
  }
}

/** Pure: the launcher's own options `submit` passes on before spark-submit's (bin/spark-submit --wait: src/launch/submit-wait.ts). */
export const waitArgs = (o: { wait: boolean; followLogs: boolean }) => (o.followLogs ? ['--wait', '--follow-logs'] : o.wait ? ['--wait'] : []);

function oneOff(name: 'shell' | 'submit'): Command {
  const launcher = name === 'shell' ? 'bin/spark-shell' : 'bin/spark-submit';
  const c = new Command(name)
    .description(name === 'shell' ? 'a Scala spark-shell on the cluster, in a one-off dyno inside the space' : 'spark-submit an application to the cluster from a one-off dyno inside the space')
    .argument('[args...]', `passed to ${launcher}`)
    .addOption(appOption())
    .option('--size <size>', 'the one-off dyno size (the driver runs there), e.g. private-m');
  if (name === 'submit')
    c.option('--wait', 'with --deploy-mode cluster: follow the driver to its end; exit 0 only if it FINISHED (20 FAILED, 21 KILLED, 22 ERROR, 23 LOST)').option(
      '--follow-logs',
      "with --wait: stream the driver's stdout and stderr from its worker while waiting",
    );
  return c
    .passThroughOptions()
    .addHelpText(
      'after',
      `
Runs \`heroku run --app APP -- ${launcher} ARGS\`: the heroku CLI must be installed and logged in.
The launcher renders the cluster's conf (master URL, auth secret, bind address) in the dyno.

Examples:
${
  name === 'shell'
    ? '  $ spark-in-space shell -a my-spark\n  $ spark-in-space shell -a my-spark --size private-l -- --driver-memory 8g'
    : '  $ spark-in-space submit -a my-spark -- --class com.example.Job target/job.jar 2026-11-23\n  $ spark-in-space submit -a my-spark -- jobs/etl.py s3a://my-bucket/in\n  $ spark-in-space submit -a my-spark --wait --follow-logs -- --deploy-mode cluster --class com.example.Job target/job.jar'
}${
        name === 'submit'
          ? `

--wait: a cluster-mode driver runs on a worker, and spark-submit returns once it is accepted. With
--wait the launcher in the one-off dyno follows it on the leading master until it ends and exits
with its end (0 FINISHED), so a CI step or Heroku Scheduler sees a failed job fail. In Scheduler,
run the launcher itself: bin/spark-submit --wait --deploy-mode cluster --class com.example.Job job.jar
A client-mode driver runs in the one-off dyno: spark-submit's exit code is already the job's.`
          : ''
      }
${exitCodesHelp(['platform-api', 'heroku-cli', 'app-files'])}`,
    )
    .action(async (args: string[], raw) => {
      const o = Options.parse(raw);
      await run(appFrom(o.app), launcher, [...waitArgs(o), ...args], o.size);
    });
}

export const shellCommand = () => oneOff('shell');
export const submitCommand = () => oneOff('submit');
