/**
 * Our own log lines in a dyno (launchers, sidecars, the proxy, the metastore check), in the format
 * SPARK_LOG_FORMAT asks for: `text` as ever (`spark-in-space: …`), or `json`, one object a line with
 * the keys of Spark 4's structured logging (its SparkLayout.json: ts, level, msg, logger), so a log
 * drain or `spark.read.json` reads Spark's lines and ours alike. bin/support/log.sh is the same for bash.
 */
import { consoleOutput, type Output } from '../output.js';

export type LogFormat = 'text' | 'json';
export type LogLevel = 'INFO' | 'WARN' | 'ERROR';

/** The format a process's environment asks for (read raw: a log line must never wait for, or fail on, the schema). */
export const logFormatOf = (env: NodeJS.ProcessEnv | Record<string, string | undefined>): LogFormat => (env.SPARK_LOG_FORMAT?.trim().toLowerCase() === 'json' ? 'json' : 'text');

/** A message's level when the line does not say: `WARNING: …` is a warning, as our text lines have always said. */
export const levelOf = (msg: string): LogLevel => (/^(WARNING|WARN)\b/.test(msg) ? 'WARN' : /^(ERROR|error)\b|^ !/.test(msg) ? 'ERROR' : 'INFO');

/**
 * Pure: one log line (with its newline). `logger` names the source (`spark-in-space.launch`,
 * `spark-in-space.autoscale`); text keeps today's prefix, `prefix: msg`. A multi-line message is one
 * JSON object (its line breaks escaped), or one text line per line.
 */
export function formatLogLine(o: { logger: string; prefix: string; msg: string; level?: LogLevel; format: LogFormat; now?: Date }): string {
  const level = o.level ?? levelOf(o.msg);
  if (o.format === 'json') return `${JSON.stringify({ ts: (o.now ?? new Date()).toISOString(), level, msg: o.msg, logger: o.logger })}\n`;
  return o.msg
    .split('\n')
    .map((l) => (o.prefix ? `${o.prefix}: ${l}` : l))
    .join('\n')
    .concat('\n');
}

/** A writer of a source's lines to stderr, in the process's format. */
export function dynoLog(logger: string, prefix: string, env: NodeJS.ProcessEnv = process.env, write: (s: string) => void = (s) => void process.stderr.write(s)) {
  const format = logFormatOf(env);
  return (msg: string, level?: LogLevel) => write(formatLogLine({ logger, prefix, msg, level, format }));
}

/** The launchers' own lines (`spark-in-space: …`, logger spark-in-space.launch): one writer for every line a dyno's start says. */
export const launchLog = (env: NodeJS.ProcessEnv | Record<string, string | undefined> = process.env) => dynoLog('spark-in-space.launch', 'spark-in-space', env);

/**
 * The error handler's output for a dyno's entry points: Heroku's ` !     ` lines in text (the CLI's
 * own), one ERROR object in json (all the lines of the problem in its msg).
 */
export function launchOutput(logger: string, env: NodeJS.ProcessEnv = process.env): Output {
  if (logFormatOf(env) === 'text') return consoleOutput(process.stderr);
  const log = dynoLog(logger, '', env);
  return {
    step: (t) => log(t, 'INFO'),
    detail: (t) => log(t, 'INFO'),
    warn: (t) => log(t, 'WARN'),
    error: (lines) => log(lines.join('\n'), 'ERROR'),
    progress: () => ({ update: () => {}, note: (t) => log(t, 'INFO'), finish: () => {} }),
  };
}
