/**
 * Launchers: pure functions compute the argv of each process type; `prepare` renders the conf
 * dir and returns the argv; bin/* exec it (so SIGTERM reaches the JVM: spark-class execs java).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fail } from '../errors.js';
import { buildpackFile } from '../paths.js';
import { parseConfig, type Env, type Settings } from '../config/schema.js';
import { computeConf, renderConf, writeConf, type Conf, type Role, type SparkInfo } from '../render/index.js';
import { detectResources } from '../render/resources.js';
import { dynoName, MASTER_PORT, MASTER_UI_PORT, masterUrl, WORKER_UI_PORT } from '../space/index.js';

export type ProcessType = 'master' | 'worker' | 'console' | 'spark-shell' | 'spark-submit';
export const PROCESS_TYPES: ProcessType[] = ['master', 'worker', 'console', 'spark-shell', 'spark-submit'];

/** bin/support/drain-worker of this buildpack: the worker dyno's process under graceful decommission. */
export const DRAIN_WORKER = buildpackFile(import.meta.url, 'bin/support/drain-worker');

export const roleOf = (p: ProcessType): Role =>
  p === 'master' ? 'master' : p === 'worker' ? 'worker' : p === 'console' ? 'console' : 'driver';

/** Pure: the command line of a process type. */
export function argvFor(p: ProcessType, a: { sparkHome: string; settings: Settings; env: Env; conf: Conf; args: string[] }): string[] {
  const bin = (n: string) => path.join(a.sparkHome, 'bin', n);
  switch (p) {
    case 'master':
      return [bin('spark-class'), 'org.apache.spark.deploy.master.Master', '--host', dynoName(a.settings, a.env), '--port', String(MASTER_PORT), '--webui-port', String(MASTER_UI_PORT), ...a.args];
    case 'worker':
      return [
        // graceful decommission: the watcher runs the JVM, ends it once drained (bin/support/drain-worker)
        ...(a.conf.decommission ? [DRAIN_WORKER, String(a.conf.decommission.timeoutS), '--'] : []),
        bin('spark-class'),
        'org.apache.spark.deploy.worker.Worker',
        '--host',
        dynoName(a.settings, a.env),
        '--webui-port',
        String(WORKER_UI_PORT),
        '--cores',
        String(a.conf.worker.cores),
        '--memory',
        a.conf.worker.memory,
        ...a.args,
        masterUrl(a.settings),
      ];
    case 'console':
      return ['sleep', 'infinity'];
    case 'spark-submit':
    case 'spark-shell': {
      const hasMaster = a.args.some((x) => x === '--master' || x.startsWith('--master='));
      const master = hasMaster ? [] : ['--master', masterUrl(a.settings)];
      if (p === 'spark-submit') return [bin('spark-submit'), ...master, ...a.args];
      // What Spark's bin/spark-shell runs, minus its bash wrapper (which would stay the JVM's parent
      // and die on SIGTERM, orphaning the JVM): spark-submit execs spark-class, which execs java.
      const opts = `${a.env.SPARK_SUBMIT_OPTS ?? ''} -Dscala.usejavacp=true`.trim();
      return ['env', `SPARK_SUBMIT_OPTS=${opts}`, bin('spark-submit'), '--class', 'org.apache.spark.repl.Main', '--name', 'Spark shell', ...master, ...a.args];
    }
  }
}

/** Which Spark is installed: the build's record, else RELEASE, else the spark-core jar's name. */
export function sparkInfo(sparkHome: string): SparkInfo {
  const record = path.join(sparkHome, '.spark-in-space.json');
  let version: string | undefined;
  if (existsSync(record)) {
    const r = JSON.parse(readFileSync(record, 'utf8')) as { version: string; log4j: 1 | 2 };
    return { version: r.version, log4j: r.log4j };
  }
  const release = path.join(sparkHome, 'RELEASE');
  if (existsSync(release)) version = /Spark (\d+\.\d+\.\d+)/.exec(readFileSync(release, 'utf8'))?.[1];
  if (!version && existsSync(path.join(sparkHome, 'jars')))
    version = readdirSync(path.join(sparkHome, 'jars'))
      .map((f) => /^spark-core_[\d.]+-(\d+\.\d+\.\d+)\.jar$/.exec(f)?.[1])
      .find(Boolean);
  if (!version) fail({ code: 'usage', message: `${sparkHome} does not look like a Spark distribution (no RELEASE, no jars/spark-core_*.jar).` });
  const [maj, min] = version.split('.').map(Number) as [number, number];
  return { version, log4j: maj < 3 || (maj === 3 && min < 3) ? 1 : 2 };
}

export function sparkHomeFrom(env: Env): string {
  const home = env.SPARK_HOME;
  if (!home || !existsSync(path.join(home, 'bin', 'spark-class')))
    fail({
      code: 'usage',
      message: home
        ? `SPARK_HOME=${home} has no bin/spark-class: is Spark installed there?`
        : 'SPARK_HOME is not set: on Heroku .profile.d/spark.sh sets it (was the app built with this buildpack?); locally run `spark-in-space build` or set SPARK_HOME.',
    });
  return home;
}

export interface Prepared {
  argv: string[];
  confDir: string;
  conf: Conf;
}

/**
 * Validates the config, renders the conf dir (atomically) and returns the argv to exec. With
 * `spark` given and no SPARK_HOME (`config render` on a laptop), the argv names `$SPARK_HOME`.
 */
export async function prepare(p: ProcessType, env: Env, args: string[], spark?: SparkInfo): Promise<Prepared> {
  const settings = parseConfig(env, 'run');
  const sparkHome = spark && !env.SPARK_HOME ? '$SPARK_HOME' : sparkHomeFrom(env);
  const conf = computeConf({ settings, env, role: roleOf(p), spark: spark ?? sparkInfo(sparkHome), resources: detectResources() });
  const argv = argvFor(p, { sparkHome, settings, env, conf, args });
  const confDir = env.SPARK_CONF_DIR ?? path.join(sparkHome, 'conf');
  await writeConf(confDir, await renderConf(conf));
  return { argv, confDir, conf };
}
