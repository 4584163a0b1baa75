/** What every `local` subcommand shares: the app dir, the app name, the space's folder. */
import path from 'node:path';
import type { Command } from 'commander';
import * as z from 'zod';
import { ask, type ControlAnswer, type ControlRequest } from '../../../local/control.js';
import { parseDuration } from '../../../local/lifecycle.js';
import { readState, resolveApp, spaceDir, type State } from '../../../local/state.js';
import { fail } from '../../../errors.js';

export const AppName = z.string().regex(/^[a-z][a-z0-9-]{0,29}$/, 'must be a Heroku app name (lowercase letters, digits, dashes)');

/** `30s`, `10m`, `24h` → milliseconds; the message says what a good value looks like. */
export const Duration = z.string().transform((v, ctx) => {
  try {
    return parseDuration(v);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

export const Common = z.object({ dir: z.string().default('.'), app: AppName.optional() });

export interface Target {
  appDir: string;
  app: string;
  /** the space's folder: <app dir>/.spark-in-space/local/<app> */
  dir: string;
}

/** Parses the shared options and finds the app they mean. */
export function target(raw: z.input<typeof Common>): Target {
  const o = Common.parse(raw);
  const appDir = path.resolve(o.dir);
  const app = resolveApp(appDir, o.app);
  return { appDir, app, dir: spaceDir(appDir, app) };
}

export const common = (c: Command) =>
  c.option('-d, --dir <dir>', 'the app directory (Procfile, .env, .spark.version)', '.').option('-a, --app <name>', 'app name (default: the space running in the dir, else the dir’s name)');

export const say = (line: string) => process.stdout.write(`-----> ${line}\n`);

/** The running space of `t`, or a space-not-running Problem saying how to start one. */
export function running(t: Target): State {
  const s = readState(t.dir);
  if (!s) fail({ code: 'space-not-running', message: `No local space is running for ${t.app} in ${t.appDir}. Start one: spark-in-space local up --detach` });
  return s;
}

/** Sends a request to the running space of `t`; a refusal fails with the supervisor's own Problem. */
export async function control(t: Target, req: ControlRequest): Promise<ControlAnswer> {
  return ask(running(t).control, req);
}

/** An option declared once: commander's flag, help and default; zod's parser of what commander hands over. */
export interface OptionSpec {
  flags: string;
  help: string;
  /** as typed on the command line (commander shows it in --help and hands it to `schema`) */
  default?: string;
  schema: z.ZodType;
}

/** Options declared once: `declare` adds them to a command, `shape` parses what it hands over. */
export function declareOptions<const T extends Record<string, OptionSpec>>(specs: T) {
  const shape = Object.fromEntries(Object.entries(specs).map(([k, v]) => [k, v.schema])) as { [K in keyof T]: T[K]['schema'] };
  return {
    shape,
    declare: (c: Command): Command => {
      for (const v of Object.values(specs)) c.option(v.flags, v.help, v.default);
      return c;
    },
  };
}
