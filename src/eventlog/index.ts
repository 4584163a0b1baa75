/**
 * SPARK_EVENTLOG_DIR must exist before a driver starts (Spark refuses a missing event log dir) and
 * before the history server polls it. On S3 a "directory" exists once something is under it, so the
 * master and history dynos create it at start: with Hadoop's own FsShell (`-mkdir -p`), on the
 * dyno's S3 settings. Pure: the command. `ensureEventLogDir` runs it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Env, Settings } from '../config/schema.js';
import type { Conf } from '../render/index.js';
import { allowedEnv } from '../secrets.js';

/** Hadoop keys that hold credentials: passed to FsShell through the environment, never argv. */
const SECRET_KEYS = new Set(['fs.s3a.access.key', 'fs.s3a.secret.key', 'fs.s3a.session.token', 'fs.s3a.aws.credentials.provider']);

export interface MkdirCommand {
  argv: string[];
  /** added to the child's environment (credentials: AWS_* read by S3A's default provider chain) */
  env: Env;
}

/** Pure: how to create the event log dir, or a local path to mkdir, or nothing to do. */
export function eventLogDirCommand(settings: Settings, conf: Conf, sparkHome: string): MkdirCommand | { local: string } | undefined {
  const dir = settings.SPARK_EVENTLOG_DIR;
  if (!dir) return undefined;
  if (/^file:/.test(dir)) return { local: fileURLToPath(dir.startsWith('file://') ? dir : `file://${dir.slice('file:'.length)}`) };
  const hadoopOpts = conf.defaults.filter(([k]) => k.startsWith('spark.hadoop.') && !SECRET_KEYS.has(k.slice('spark.hadoop.'.length))).map(([k, v]) => `-D${k.slice('spark.hadoop.'.length)}=${v}`);
  const env: Env = {};
  if (settings.SPARK_S3_AWS_ACCESS_KEY_ID && settings.SPARK_S3_AWS_SECRET_ACCESS_KEY) {
    env.AWS_ACCESS_KEY_ID = settings.SPARK_S3_AWS_ACCESS_KEY_ID;
    env.AWS_SECRET_ACCESS_KEY = settings.SPARK_S3_AWS_SECRET_ACCESS_KEY;
  }
  return {
    argv: [path.join(sparkHome, 'bin', 'spark-class'), 'org.apache.hadoop.fs.FsShell', ...hadoopOpts, '-mkdir', '-p', dir],
    env,
  };
}

/** Creates the dir; `wait` false leaves FsShell running beside the dyno's process (its output goes to the dyno's log). */
export async function ensureEventLogDir(cmd: ReturnType<typeof eventLogDirCommand>, env: Env, wait: boolean, log: (line: string) => void): Promise<void> {
  if (!cmd) return;
  if ('local' in cmd) {
    await mkdir(cmd.local, { recursive: true });
    return;
  }
  log(`creating the event log dir ${cmd.argv.at(-1)} (SPARK_EVENTLOG_DIR)${wait ? '' : ' in the background'}`);
  // Hadoop's command line insists on a core-site.xml on the classpath: an empty one, in a conf dir of
  // its own (Spark's conf dir stays as rendered; settings come as -D options)
  const confDir = path.join(env.SPARK_CONF_DIR ?? path.join(path.dirname(path.dirname(cmd.argv[0]!)), 'conf'), 'hadoop-cli');
  await mkdir(confDir, { recursive: true });
  await writeFile(path.join(confDir, 'core-site.xml'), '<?xml version="1.0"?>\n<configuration/>\n');
  const child = process.getBuiltinModule('node:child_process').spawn(cmd.argv[0]!, cmd.argv.slice(1), {
    // the dyno's S3 credentials, no other secret (src/secrets.ts)
    env: { ...allowedEnv('eventlog-dir', env), ...cmd.env, SPARK_CONF_DIR: confDir, SPARK_PRINT_LAUNCH_COMMAND: '' },
    stdio: ['ignore', 'ignore', wait ? 'pipe' : 'inherit'],
    detached: !wait,
  });
  if (!wait) {
    child.unref();
    return;
  }
  let err = '';
  child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
  const code = await new Promise<number>((r) => child.on('close', (c) => r(c ?? 1)));
  if (code !== 0)
    log(
      `WARNING: could not create ${cmd.argv.at(-1)}: ${
        err
          .trim()
          .split('\n')
          .filter((l) => /Exception|denied|error/i.test(l))
          .slice(0, 3)
          .join(' | ') || `exit ${code}`
      }`,
    );
}
