/**
 * Every example the CLI's `--help` prints runs, as a user would type it (test/helpers/help.ts
 * collects them; a chained one runs each of its `spark-in-space` commands):
 * - the Heroku commands for real, against the fake Platform API (a world with the examples' space
 *   and app), a stand-in `heroku` CLI and browser opener on PATH, from a checkout like this repo;
 * - `config`, `catalog`, `versions` for real, in a temp dir;
 * - `local`, `build` and the jobs commands as far as their command line goes (SPARK_IN_SPACE_CHECK_ONLY=1: options,
 *   arguments and their syntax validated, nothing started); the e2e tests run those for real.
 * An example that fails for its own words (a bad option, an unknown command: exit 2, or any
 * unexpected failure) fails here.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tmpdir } from '../helpers/buildpack.js';
import { cli, freePort } from '../helpers/cluster.js';
import { startFakeHeroku, type FakeHeroku } from '../helpers/fake-heroku.js';
import { addApp, newWorld } from '../helpers/fake-heroku-world.js';
import { commandTree, examples, helpText, type Invocation } from '../helpers/help.js';
import { buildProgram } from '../../src/cli/program.js';
import { PROCESS_TYPES_LIST } from '../../src/process-types.js';

const REPO = path.resolve(import.meta.dirname, '../..');
const TOKEN = 'HRKU-examples-token-0123456789abcdef';
const HEROKU = new Set(['deploy', 'status', 'scale', 'ui', 'shell', 'submit', 'destroy']);
// the jobs commands (apps, drivers, kill, logs) need a running cluster behind the proxy: test/e2e/jobs.test.ts runs them
const CHECK_ONLY = new Set(['local', 'build', 'apps', 'drivers', 'kill', 'logs']);

let fake: FakeHeroku;
let bin: string;
let home: string;
let proxyUrl: string;

beforeAll(async () => {
  bin = tmpdir('sis-examples-bin-');
  // `heroku run …` and the browser: stand-ins that succeed
  for (const tool of ['heroku', 'xdg-open']) {
    writeFileSync(path.join(bin, tool), '#!/bin/sh\nexit 0\n');
    chmodSync(path.join(bin, tool), 0o755);
  }
  home = tmpdir('sis-examples-home-');
  fake = await startFakeHeroku({ token: TOKEN, world: newWorld({ spaces: { 'my-space': { generation: 'cedar' } } }) });
  fake.world!.pendingPolls = 0;
  // the app's proxy: a loopback port nothing listens on (status then reports the cluster unhealthy)
  proxyUrl = `http://127.0.0.1:${await freePort()}/`;
});
afterAll(async () => {
  expect(fake.problems).toEqual([]);
  await fake.close();
});

/** a checkout like this repo's: app.json, Procfile, .spark.version */
function checkout(): string {
  const dir = tmpdir('sis-examples-app-');
  for (const f of ['app.json', 'Procfile']) writeFileSync(path.join(dir, f), readFileSync(path.join(REPO, f)));
  writeFileSync(path.join(dir, '.spark.version'), '4.2.0\n');
  mkdirSync(path.join(dir, 'bin'));
  return dir;
}

/** The app the examples name, in the examples' space, with every process type of the table. */
function freshApp(): void {
  fake.world!.apps.delete('my-spark');
  addApp(fake.world!, 'my-spark', {
    space: 'my-space',
    formation: Object.fromEntries(PROCESS_TYPES_LIST.map((t) => [t.name, { quantity: t.formation.quantity, size: t.formation.size.replace(/^p/, 'P') }])),
  });
}

async function run(i: Invocation, how: 'heroku' | 'offline' | 'check') {
  const cwd = checkout();
  // an example writing to /tmp/conf writes to a temp dir of its own
  const args = i.args.map((a) => (a.startsWith('/tmp/') ? path.join(tmpdir('sis-examples-out-'), path.basename(a)) : a));
  const env: Record<string, string> = {
    ...i.env,
    HOME: home,
    PATH: `${bin}:${process.env.PATH}`,
    HEROKU_API_URL: fake.url,
    HEROKU_API_KEY: TOKEN,
    SPARK_IN_SPACE_BACKOFF_MS: '20',
    SPARK_IN_SPACE_PROXY_URL: proxyUrl,
    ...(how === 'check' ? { SPARK_IN_SPACE_CHECK_ONLY: '1' } : {}),
  };
  if (how === 'heroku') freshApp();
  return { args, r: await cli(args, { env, cwd, timeout: 120_000 }) };
}

const all = examples();

describe('--help from the cache (dist/help.json, written by npm run build)', () => {
  it('every command prints exactly its live help text, exit 0', async () => {
    const cached = JSON.parse(readFileSync(path.join(REPO, 'dist/help.json'), 'utf8')) as Record<string, string>;
    const tree = commandTree();
    expect(Object.keys(cached).sort()).toEqual(['', ...tree.map((t) => t.path)].sort());
    for (const { path: p, cmd } of [{ path: '', cmd: buildProgram() }, ...tree]) {
      const r = await cli([...(p ? p.split(' ') : []), '--help']);
      expect(r.exitCode, p).toBe(0);
      expect(r.stdout, p).toBe(helpText(cmd).replace(/\n$/, '')); // execa drops one final newline
    }
  });
});

describe('--help examples', () => {
  it('there are examples of every kind', () => {
    const kinds = new Set(all.flatMap((e) => e.invocations.map((i) => i.args[0])));
    for (const k of ['local', 'deploy', 'status', 'config', 'versions', 'build']) expect(kinds.has(k), k).toBe(true);
    expect(all.length).toBeGreaterThan(40);
  });

  it.each(all.filter((e) => e.invocations.length).map((e) => [e.command, e.line, e] as const))('%s: $ %s', async (_c, _l, e) => {
    for (const i of e.invocations) {
      const how = HEROKU.has(i.args[0]!) ? 'heroku' : CHECK_ONLY.has(i.args[0]!) ? 'check' : 'offline';
      const { args, r } = await run(i, how);
      const what = `spark-in-space ${args.join(' ')}\n${r.all}`;
      expect(r.all, what).not.toMatch(/Invalid options|error: (unknown|missing|too many)|Unexpected error/);
      if (how === 'check') {
        expect(r.exitCode, what).toBe(0);
        expect(r.stdout, what).toContain('the command line is valid');
      } else if (args[0] === 'status') {
        // the world's cluster has no proxy answering: the command runs and says so (8: unhealthy)
        expect(r.exitCode, what).toBe(8);
        expect(r.all, what).toContain('my-spark');
      } else expect(r.exitCode, what).toBe(0);
    }
  });
});
