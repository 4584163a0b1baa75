/**
 * The launchers' entry point (bin/support/launch.sh): `node dist/launch.mjs <type> [args...]`.
 * Kept apart from the CLI (no commander, bundled by esbuild) so a dyno starts its JVM quickly.
 * Prints the argv NUL-separated; errors go through the CLI's one error handler.
 */
import { fail } from '../errors.js';
import { handleError } from '../handle-error.js';
import { runCycling } from '../heroku/cycling.js';
import { isClusterMode, prepare, PROCESS_TYPES, renderOneOffConf, type ProcessType } from './index.js';
import { sidecarEntry, waitOptions } from './submit-wait-options.js';
import { execAs, SECRET_HOLDERS, type SecretHolder } from '../secrets.js';
import { dynoLog, launchOutput } from '../log/index.js';

const [type, ...rest] = process.argv.slice(2);
const args = rest[0] === '--' ? rest.slice(1) : rest;
if (type === 'graceful-cycling') {
  // beside the master (bin/spark-master-with-graceful-cycling): never fails the dyno; a bad config is the master launcher's to report
  const say = dynoLog('spark-in-space.graceful-cycling', 'spark-in-space graceful cycling');
  await runCycling(process.env, (line) => say(line)).catch((err) => say(`WARNING: not cycling the workers: ${(err as Error).message.split('\n')[0]}`));
  process.exit(0);
}
if (type === 'one-off-conf') {
  // .profile.d of a one-off dyno (heroku run): the driver conf for Spark's own tools; never fails the dyno
  const say = dynoLog('spark-in-space.one-off', 'spark-in-space');
  await renderOneOffConf(process.env, (line) => say(line));
  process.exit(0);
}
const print = (argv: string[]) => process.stdout.write(`${argv.join('\0')}\0`);
if (type === 'executor-jvm') {
  // bin/support/executor-jdk/bin/java of a worker dyno: an executor's class-data archive (src/cds/executor.ts);
  // the note goes to the executor's stderr (its log in the worker's work dir)
  const { executorJvm } = await import('../cds/executor.js');
  const [java, ...jvmArgs] = args;
  const { argv, note } = executorJvm(java!, jvmArgs, process.env, process.ppid);
  process.stderr.write(`spark-in-space: ${note}\n`);
  print(argv);
  process.exit(0);
}
try {
  if (type === 'exec-as') {
    // bin/support/launch.sh `run_as HOLDER CMD…`: a sidecar or the proxy, with only the secrets it may see (src/secrets.ts)
    const [holder, ...cmd] = args;
    if (!SECRET_HOLDERS.includes(holder as SecretHolder)) fail({ code: 'bad-input', message: `unknown secret holder "${holder}" (one of ${SECRET_HOLDERS.join(', ')})` });
    print(execAs(holder as SecretHolder, process.env, cmd[0] === '--' ? cmd.slice(1) : cmd));
    process.exit(0);
  }
  if (!PROCESS_TYPES.includes(type as ProcessType)) fail({ code: 'bad-input', message: `unknown process type "${type}" (one of ${PROCESS_TYPES.join(', ')})` });
  // bin/spark-submit --wait [--follow-logs]: a cluster-mode driver is followed to its end (./submit-wait.ts);
  // in client mode the driver runs here and spark-submit's own exit code is already the job's
  const w = type === 'spark-submit' ? waitOptions(args) : { wait: false, followLogs: false, rest: args };
  const { argv } = await prepare(type as ProcessType, process.env, w.rest, undefined, { wait: true });
  const clusterMode = type === 'spark-submit' && isClusterMode(w.rest);
  const wrapped = w.wait && clusterMode ? [process.execPath, sidecarEntry(process.argv[1]!), 'submit-wait', ...(w.followLogs ? ['--follow-logs'] : []), '--', ...argv] : argv;
  // only the secrets the type may see (src/secrets.ts); a cluster-mode client sends its environment with the driver
  print(execAs(clusterMode ? 'cluster-driver' : (type as SecretHolder), process.env, wrapped));
} catch (err) {
  handleError(err, launchOutput('spark-in-space.launch'));
}
