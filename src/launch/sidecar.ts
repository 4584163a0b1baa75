/**
 * The launchers' second entry (dist/sidecar.mjs), for what runs beside or after a JVM rather than
 * before it, so the launcher every dyno runs first stays small:
 * - `autoscale`: beside each master (bin/support/launch.sh `autoscaler`, when SPARK_AUTOSCALE_MAX
 *   is set); only the leader acts; never fails the dyno (src/autoscale/run.ts);
 * - `submit-wait [--follow-logs] -- <spark-submit argv>`: exec'd by bin/spark-submit --wait in place
 *   of Spark's client: runs it, then follows its driver to its end (./submit-wait.ts).
 */
import { handleError } from '../handle-error.js';
import { SparkInSpaceError } from '../errors.js';
import { runAutoscale } from '../autoscale/run.js';
import { submitAndWait } from './submit-wait.js';
import { dynoLog, launchOutput } from '../log/index.js';

const [type, ...rest] = process.argv.slice(2);
if (type === 'autoscale') {
  const say = dynoLog('spark-in-space.autoscale', 'spark-in-space autoscale');
  await runAutoscale(process.env, (line) => say(line)).catch((err) => say(`WARNING: not autoscaling: ${(err as Error).message.split('\n').join(' ')}`));
  process.exit(0);
}
if (type === 'submit-wait') {
  const follow = rest[0] === '--follow-logs';
  const argv = follow ? rest.slice(1) : rest;
  await submitAndWait(process.env, follow, argv[0] === '--' ? argv.slice(1) : argv).catch((err) => handleError(err, launchOutput('spark-in-space.submit-wait')));
}
handleError(new SparkInSpaceError({ code: 'bad-input', message: `unknown sidecar "${type}" (one of autoscale, submit-wait)` }), launchOutput('spark-in-space.sidecar'));
