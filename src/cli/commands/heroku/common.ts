/** What the Heroku-side commands share: -a/--app like the heroku CLI, the API client, messages on stderr. */
import { Option } from 'commander';
import * as z from 'zod';
import { loadAuth } from '../../../heroku/auth.js';
import { client, type Client } from '../../../heroku/client.js';

/** Heroku's app name rule (the schema's app name pattern) */
export const AppName = z.string().regex(/^[a-z][a-z0-9-]{1,29}$/, 'must be a Heroku app name: lowercase letters, digits and dashes, starting with a letter (e.g. my-spark)');

export const appOption = () => new Option('-a, --app <app>', 'the Heroku app (default: $HEROKU_APP)');

/** The app from -a, else $HEROKU_APP, parsed. */
export const appFrom = (raw: string | undefined) =>
  z.object({ app: z.string({ error: 'is missing: name the app with -a/--app (or set HEROKU_APP)' }).pipe(AppName) }).parse({ app: raw || process.env.HEROKU_APP || undefined }).app;

export const say = (line: string) => process.stderr.write(`${line}\n`);

export function api(): Client {
  return client(loadAuth(), { say });
}
