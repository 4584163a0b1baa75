/**
 * The CLI's Heroku commands (deploy, status, scale, ui, shell, submit, destroy, and the jobs commands' refusals) run as a user runs
 * them (dist/cli.mjs, the bundle `bin` installs) against the fake Platform API, which validates every request and
 * response against Heroku's schema (fake.problems stays empty) and keeps a small world of spaces,
 * apps, formations, setups and builds (test/helpers/fake-heroku-world.ts). Each failure has its
 * own exit code (src/errors.ts exitCodeOf). `status` against a real master behind a real proxy is in
 * test/e2e/space-proxy.test.ts.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tmpdir } from '../helpers/buildpack.js';
import { cli, freePort } from '../helpers/cluster.js';
import { startFakeHeroku, type FakeHeroku } from '../helpers/fake-heroku.js';
import { addApp, newWorld } from '../helpers/fake-heroku-world.js';

const TOKEN = 'HRKU-cli-token-0123456789abcdef';
let fake: FakeHeroku;
let home: string;
const env = (extra: Record<string, string> = {}) => ({ HEROKU_API_URL: fake.url, HEROKU_API_KEY: TOKEN, HOME: home, SPARK_IN_SPACE_BACKOFF_MS: '20', HEROKU_APP: '', ...extra });
const run = (args: string[], extra: Record<string, string> = {}) => cli(args, { env: env(extra), timeout: 60_000 });

/** an app checkout like this repo's: app.json, Procfile, .spark.version, a secret in .env that must never be packed */
function appDir(): string {
  const dir = tmpdir('sis-deploy-app-');
  writeFileSync(path.join(dir, 'app.json'), readFileSync(path.resolve('app.json')));
  writeFileSync(path.join(dir, 'Procfile'), readFileSync(path.resolve('Procfile')));
  writeFileSync(path.join(dir, '.spark.version'), '4.2.0\n');
  writeFileSync(path.join(dir, '.env'), 'SPARK_AUTH_SECRET=local-secret-never-uploaded\n');
  mkdirSync(path.join(dir, 'node_modules/x'), { recursive: true });
  writeFileSync(path.join(dir, 'node_modules/x/index.js'), '');
  return dir;
}

beforeEach(async () => {
  home = tmpdir('sis-home-');
  fake = await startFakeHeroku({ token: TOKEN, world: newWorld({ spaces: { 'data-space': { generation: 'cedar' }, 'fir-space': { generation: 'fir' } } }) });
});
afterEach(async () => {
  expect(fake.problems).toEqual([]);
  await fake.close();
});

describe('heroku-cli_deploy', () => {
  it('creates the app in the space from app.json (overrides packed into it), streams the build, prints the proxy URL; again: a new build', async () => {
    const dir = appDir();
    const r = await run(['deploy', '--space', 'data-space', '-a', 'my-spark', '--workers', '3', '--worker-size', 'private-l-ram', '--masters', '1', '--spark-version', '3.5.9', '--dir', dir]);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain('-----> Installing Apache Spark 4.2.0 (hadoop3)');
    expect(r.stderr).toMatch(/Packed \d+ files/);
    expect(r.stderr).toContain('Space proxy: https://my-spark-0123456789ab.herokuapp.com/ (user spark; password: heroku config:get SPACE_PROXY_PASSWORD -a my-spark)');
    const app = fake.world!.apps.get('my-spark')!;
    expect(app.space).toBe('data-space');
    expect(app.formation.worker).toEqual({ quantity: 3, size: 'Private-L-RAM' });
    expect(app.config.SPARK_MASTERS).toBe('1');
    expect(app.config.SPARK_AUTH_SECRET).toMatch(/^[0-9a-f]{64}$/);
    // what was uploaded: the app without .env or node_modules, .spark.version from --spark-version
    const blob = [...fake.world!.blobs.values()][0]!;
    const list = await execa('tar', ['-tz'], { input: blob });
    expect(list.stdout.split('\n').sort()).toEqual(['.spark.version', 'Procfile', 'app.json']);
    const version = await execa('tar', ['-xzO', '.spark.version'], { input: blob });
    expect(version.stdout).toBe('3.5.9');
    expect(fake.calls.map((c) => c.route).filter(Boolean)).toEqual([
      'space:Info',
      'dyno-size:Info',
      'app:Info',
      'source:Create',
      'app-setup:Create',
      'app-setup:Info',
      'app-setup:Info',
      'app-feature:Info',
      'app:Info',
    ]);
    expect(fake.calls.find((c) => c.route === 'app-setup:Create')!.body).toMatchObject({ app: { name: 'my-spark', space: 'data-space' }, source_blob: { version: expect.stringMatching(/^sha256-/) } });

    const again = await run(['deploy', '--space', 'data-space', '-a', 'my-spark', '--workers', '4', '--dir', dir, '--json']);
    expect(again.exitCode, again.all).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ app: 'my-spark', created: false, webUrl: 'https://my-spark-0123456789ab.herokuapp.com/' });
    expect(fake.calls.some((c) => c.route === 'build:Create')).toBe(true);
    expect(app.formation.worker!.quantity).toBe(4);
    expect(r.all + again.all).not.toContain(TOKEN);
  });

  it('a failed build: exit 7, the build output and how to clean up the app it left', async () => {
    fake.world!.nextBuild = { outcome: 'failed', lines: ['-----> Installing Apache Spark 9.9.9', ' !     Spark 9.9.9 is not in the catalog.'], failure: 'app setup build failed' };
    const r = await run(['deploy', '--space', 'data-space', '-a', 'bad-build', '--dir', appDir()]);
    expect(r.exitCode, r.all).toBe(7);
    expect(r.stdout).toContain('Spark 9.9.9 is not in the catalog.');
    expect(r.stderr).toContain('The deploy of bad-build failed: app setup build failed.');
    expect(r.stderr).toContain('delete it with `spark-in-space destroy -a bad-build --confirm bad-build`');
  });

  it('bad input, each with its own message and exit code, nothing created', async () => {
    const dir = appDir();
    const cases: [string[], number, RegExp, Record<string, string>?][] = [
      [['deploy', '--space', 'no-such-space', '-a', 'x-app', '--dir', dir], 4, /Could not find the space no-such-space: HTTP 404 not_found/],
      [['deploy', '--space', 'fir-space', '-a', 'x-app', '--dir', dir], 9, /The space fir-space cannot run a Spark cluster: it is a fir space, which has no DNS service discovery/],
      [['deploy', '--space', 'data-space', '-a', 'x-app', '--worker-size', 'private-huge', '--dir', dir], 11, /There is no dyno size "private-huge"/],
      [
        ['deploy', '--space', 'data-space', '-a', 'x-app', '--dir', dir],
        3,
        /Could not find the space data-space: HTTP 401 unauthorized.*\n.*The token was refused/,
        { HEROKU_API_KEY: 'HRKU-wrong-token-0000000000' },
      ],
      [['deploy', '--space', 'data-space', '-a', 'X_App', '--dir', dir], 2, /--app: must be a Heroku app name/],
      [['deploy', '--space', 'data-space', '-a', 'x-app', '--workers', '-1', '--dir', dir], 2, /--workers: Too small/],
    ];
    for (const [args, code, message, extra] of cases) {
      const r = await run(args, extra);
      expect(r.exitCode, `${args.join(' ')}\n${r.all}`).toBe(code);
      expect(r.stderr).toMatch(message);
      expect(r.all).not.toContain('HRKU-wrong-token');
    }
    expect(fake.world!.apps.size).toBe(0);
    expect(fake.calls.some((c) => c.route === 'source:Create')).toBe(false);
  });

  it('no token at all: exit 3 naming HEROKU_API_KEY and heroku login; a token from ~/.netrc works', async () => {
    const none = await run(['status', '-a', 'my-spark'], { HEROKU_API_KEY: '' });
    expect(none.exitCode).toBe(3);
    expect(none.stderr).toContain('No Heroku API token.');
    expect(none.stderr).toContain('machine 127.0.0.1');
    writeFileSync(path.join(home, '.netrc'), `machine api.example.com\n  login a@b.c\n  password other\nmachine 127.0.0.1\n  login data@example.com\n  password ${TOKEN}\n`, { mode: 0o600 });
    addApp(fake.world!, 'my-spark');
    const r = await run(['scale', 'worker=2', '-a', 'my-spark'], { HEROKU_API_KEY: '' });
    expect(r.exitCode, r.all).toBe(0);
    expect(fake.calls.at(-1)!.authorization).toBe(`Bearer ${TOKEN}`);
    // an account without access to the app: 403, Heroku's id and message, a hint
    fake.failNext('formation:List', 403);
    const denied = await run(['scale', 'worker=2', '-a', 'my-spark']);
    expect(denied.exitCode).toBe(3);
    expect(denied.stderr).toContain('Could not list the formation of my-spark: HTTP 403 forbidden: You do not have access to the app.');
    expect(denied.stderr).toContain('ask the team admin');
  });

  it('429 and 503 are retried; a connection dropped mid-deploy says what exists and how to clean up (exit 6)', async () => {
    fake.failNext('space:Info', 429, 503);
    fake.dropNext('app-setup:Info', 6);
    const r = await run(['deploy', '--space', 'data-space', '-a', 'net-drop', '--dir', appDir()]);
    expect(r.exitCode, r.all).toBe(6);
    expect(r.stderr).toMatch(/find the space data-space: HTTP 429, trying again/);
    expect(r.stderr).toMatch(/Could not follow the setup of net-drop: no answer from the Platform API/);
    expect(r.stderr).toContain('The app net-drop was created and left as it is: delete it with `spark-in-space destroy -a net-drop --confirm net-drop`');
    expect(fake.calls.filter((c) => c.route === 'app-setup:Info').length).toBe(6);
  });

  it('a POST /app-setups carried out but its answer lost: exactly one app, its build followed to the end (never sent twice)', async () => {
    fake.dropAnswerNext('app-setup:Create');
    const r = await run(['deploy', '--space', 'data-space', '-a', 'lost-answer', '--dir', appDir()]);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stderr).toContain('No answer to the app setup request: looking for lost-answer');
    expect(r.stderr).toContain('Heroku created lost-answer: following its build');
    expect(r.stdout).toContain('-----> Installing Apache Spark');
    expect(r.stderr).toContain('Created lost-answer in the space data-space.');
    expect(fake.calls.filter((c) => c.route === 'app-setup:Create')).toHaveLength(1);
    expect([...fake.world!.apps.keys()].filter((a) => a === 'lost-answer')).toHaveLength(1);
  });

  it('a POST /app-setups that never reached Heroku (dropped before it acted) is sent once more after looking: one app', async () => {
    fake.dropNext('app-setup:Create');
    const r = await run(['deploy', '--space', 'data-space', '-a', 'never-arrived', '--dir', appDir()]);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stderr).toContain('never-arrived was not created: asking once more');
    expect(fake.calls.filter((c) => c.route === 'app-setup:Create')).toHaveLength(2);
    expect(fake.world!.apps.has('never-arrived')).toBe(true);
  });

  it('without -a a lost POST /app-setups is not sent again: exit 6, saying an app may exist under a name Heroku chose', async () => {
    fake.dropAnswerNext('app-setup:Create');
    const r = await run(['deploy', '--space', 'data-space', '--dir', appDir()]);
    expect(r.exitCode, r.all).toBe(6);
    expect(r.stderr).toContain('Heroku may have created an app in data-space before the answer was lost');
    expect(r.stderr).toContain('heroku apps --space data-space');
    expect(fake.calls.filter((c) => c.route === 'app-setup:Create')).toHaveLength(1);
  });

  it('a POST /apps/{app}/builds carried out but its answer lost (or a 503): that build is found by its source version and followed, not started again; GETs still retry', async () => {
    const dir = appDir();
    expect((await run(['deploy', '--space', 'data-space', '-a', 'lost-build', '--dir', dir])).exitCode).toBe(0);
    const builds = () => [...fake.world!.builds.values()].filter((b) => b.app === 'lost-build').length;
    const before = builds();
    fake.dropAnswerNext('build:Create');
    fake.dropNext('build:Info', 2);
    const r = await run(['deploy', '--space', 'data-space', '-a', 'lost-build', '--dir', dir]);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stderr).toMatch(/No answer to the build request: looking for the build it may have started \(source sha256-[0-9a-f]{16}-[0-9a-f]{8}\)/);
    expect(r.stderr).toMatch(/Heroku started it \([0-9a-f-]{36}\): following it/);
    expect(builds()).toBe(before + 1);
    expect(fake.calls.filter((c) => c.route === 'build:Create')).toHaveLength(1);
    // a 5xx to a POST is no proof either way: not sent again blindly
    fake.failNext('build:Create', 503);
    const again = await run(['deploy', '--space', 'data-space', '-a', 'lost-build', '--dir', dir]);
    expect(again.exitCode, again.all).toBe(0);
    expect(again.stderr).toContain('No build was started: asking once more');
    expect(builds()).toBe(before + 2);
  });

  it('422 from Heroku keeps its message (exit 5)', async () => {
    addApp(fake.world!, 'taken', { space: 'other-space' });
    fake.world!.spaces['other-space'] = { generation: 'cedar' };
    fake.respond('app-setup:Create', { id: 'invalid_params', message: 'Name is already taken' }, 422);
    const r = await run(['deploy', '--space', 'data-space', '-a', 'new-one', '--dir', appDir()]);
    expect(r.exitCode, r.all).toBe(5);
    expect(r.stderr).toContain('Could not create new-one in data-space: HTTP 422 invalid_params: Name is already taken.');
    const moved = await run(['deploy', '--space', 'data-space', '-a', 'taken', '--dir', appDir()]);
    expect(moved.exitCode).toBe(2);
    expect(moved.stderr).toContain('The app taken exists in the space other-space, not in data-space');
  });
});

describe('heroku-cli_status', () => {
  /** a stand-in proxy: basic auth spark:<password>, /json as a master answers */
  async function proxyWith(json: unknown, password = 'proxy-password-0123') {
    const s = http.createServer((req, res) => {
      if (req.headers.authorization !== `Basic ${Buffer.from(`spark:${password}`).toString('base64')}`) return res.writeHead(401).end();
      res.writeHead(req.url === '/json/' ? 200 : 404, { 'Content-Type': 'application/json' }).end(JSON.stringify(json));
    });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}/`, close: () => new Promise((r) => s.close(r)) };
  }
  const worker = (n: number, state = 'ALIVE') => ({ id: `worker-${n}`, host: `${n}.worker.my-spark.app.localspace`, port: 40000, state, cores: 8, coresused: 2, memory: 12288, memoryused: 1024 });

  it('healthy: a table, --json that parses, exit 0; unhealthy (a crashed dyno, a worker missing): exit 8 naming each problem', async () => {
    const p = await proxyWith({
      url: 'spark://1.master.my-spark.app.localspace:7077',
      status: 'ALIVE',
      workers: [worker(1), worker(2)],
      aliveworkers: 2,
      cores: 16,
      coresused: 4,
      memory: 24576,
      memoryused: 2048,
      activeapps: [{ id: 'app-20261123101500-0001', name: 'etl', cores: 4, state: 'RUNNING' }],
    });
    try {
      addApp(fake.world!, 'my-spark');
      const r = await run(['status', '-a', 'my-spark', '--proxy-url', p.url]);
      expect(r.exitCode, r.all).toBe(0);
      expect(r.stdout).toContain('=== my-spark: healthy');
      expect(r.stdout).toMatch(/worker\s+Private-L\s+2\/2\s+worker\.1 worker\.2/);
      expect(r.stdout).toContain('Master ALIVE spark://1.master.my-spark.app.localspace:7077: 2 workers alive, cores 4/16, memory 2048/24576 MB');
      expect(r.stdout).toMatch(/app-20261123101500-0001\s+etl\s+4\s+RUNNING/);
      const j = await run(['status', '-a', 'my-spark', '--json', '--proxy-url', p.url]);
      expect(j.exitCode).toBe(0);
      expect(JSON.parse(j.stdout)).toMatchObject({ app: 'my-spark', healthy: true, master: { status: 'ALIVE', workers: { alive: 2, dead: 0 }, cores: { used: 4, total: 16 } } });
      expect(r.all + j.all).not.toContain('proxy-password-0123');

      fake.world!.apps.get('my-spark')!.formation.worker!.quantity = 3;
      fake.world!.apps.get('my-spark')!.dynoStates['worker.3'] = 'crashed';
      const bad = await run(['status', '-a', 'my-spark', '--json', '--proxy-url', p.url]);
      expect(bad.exitCode).toBe(8);
      const report = JSON.parse(bad.stdout);
      expect(report.healthy).toBe(false);
      expect(report.problems).toEqual(['worker: 2 of 3 dynos up (worker.3 crashed)', '2 of 3 workers registered ALIVE with the master']);
      expect(bad.stderr).toContain('The cluster my-spark is unhealthy:');
    } finally {
      await p.close();
    }
  });

  it('status_token_reach: a SPARK_HEROKU_ACCESS_TOKEN that may access other apps is a warning naming them (not a health problem); a refused one says so; the token is never printed', async () => {
    const p = await proxyWith({
      url: 'spark://1.master.reach.app.localspace:7077',
      status: 'ALIVE',
      workers: [worker(1), worker(2)],
      aliveworkers: 2,
      cores: 16,
      coresused: 0,
      memory: 24576,
      memoryused: 0,
      activeapps: [],
    });
    try {
      addApp(fake.world!, 'other-app');
      const a = addApp(fake.world!, 'reach');
      a.config.SPARK_HEROKU_ACCESS_TOKEN = TOKEN;
      const r = await run(['status', '-a', 'reach', '--json', '--proxy-url', p.url]);
      expect(r.exitCode, r.all).toBe(0);
      const report = JSON.parse(r.stdout);
      expect(report.healthy).toBe(true);
      expect(report.warnings).toEqual([
        expect.stringMatching(/^SPARK_HEROKU_ACCESS_TOKEN reaches \d+ other apps? \(.*other-app.*\): whoever gets it from the master dyno could scale, restart or delete them too/),
      ]);
      const text = await run(['status', '-a', 'reach', '--proxy-url', p.url]);
      expect(text.stdout).toMatch(/\nWarnings:\n {2}- SPARK_HEROKU_ACCESS_TOKEN reaches/);
      expect(r.all + text.all).not.toContain(TOKEN);
      expect(fake.calls.filter((c) => c.route === 'app:List').every((c) => c.authorization === `Bearer ${TOKEN}`)).toBe(true);

      a.config.SPARK_HEROKU_ACCESS_TOKEN = 'HRKU-not-a-valid-token-0123456789';
      const refused = JSON.parse((await run(['status', '-a', 'reach', '--json', '--proxy-url', p.url])).stdout);
      expect(refused.warnings).toEqual([expect.stringContaining("the Platform API refused the app's SPARK_HEROKU_ACCESS_TOKEN (HTTP 401)")]);
    } finally {
      await p.close();
    }
  });

  it('a wrong proxy password or an unreachable proxy is unhealthy, said without the password', async () => {
    const p = await proxyWith({ status: 'ALIVE' }, 'another-password');
    try {
      addApp(fake.world!, 'my-spark');
      const r = await run(['status', '-a', 'my-spark', '--proxy-url', p.url]);
      expect(r.exitCode).toBe(8);
      expect(r.stdout).toContain("the master's /json could not be read through the proxy: the proxy refused the password (HTTP 401)");
      expect(r.all).not.toContain('proxy-password-0123');
    } finally {
      await p.close();
    }
    const closed = await freePort();
    const gone = await run(['status', '-a', 'my-spark', '--proxy-url', `http://127.0.0.1:${closed}/`]);
    expect(gone.exitCode).toBe(8);
    expect(gone.stdout).toContain(`could not be read through the proxy: fetch failed (connect ECONNREFUSED 127.0.0.1:${closed})`);
    const missing = await run(['status', '-a', 'nope-app']);
    expect(missing.exitCode).toBe(4);
    expect(missing.stderr).toContain('Could not look up the app nope-app: HTTP 404 not_found');
  });

  it('two masters (HA): each read by name through the proxy; after a failover master.2 leads and the cluster is healthy; none ALIVE is exit 8', async () => {
    // a stand-in proxy answering /json/ as the master its backend cookie names (none: master.1, the default)
    const states: Record<string, string> = { '1': 'STANDBY', '2': 'ALIVE' };
    const seen: string[] = [];
    const s = http.createServer((req, res) => {
      if (req.headers.authorization !== `Basic ${Buffer.from('spark:proxy-password-0123').toString('base64')}`) return res.writeHead(401).end();
      const n = /(?:^|;\s*)space_backend=(\d+)\.master\.my-spark\.app\.localspace:8080(?:;|$)/.exec(req.headers.cookie ?? '')?.[1] ?? '1';
      seen.push(req.headers.cookie ?? '-');
      const status = states[n] ?? 'UNKNOWN';
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(
        JSON.stringify({
          url: `spark://${n}.master.my-spark.app.localspace:7077`,
          status,
          workers: status === 'ALIVE' ? [worker(1), worker(2)] : [],
          cores: 16,
          coresused: 0,
          memory: 24576,
          memoryused: 0,
          activeapps: [],
        }),
      );
    });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}/`;
    try {
      const app = addApp(fake.world!, 'my-spark');
      app.formation.master!.quantity = 2;
      app.config.SPARK_MASTERS = '2';
      const r = await run(['status', '-a', 'my-spark', '--proxy-url', url]);
      expect(r.exitCode, r.all).toBe(0);
      expect(r.stdout).toContain('=== my-spark: healthy');
      expect(r.stdout).toContain('Masters: master.1 STANDBY, master.2 ALIVE');
      expect(r.stdout).toContain('Master ALIVE (master.2) spark://2.master.my-spark.app.localspace:7077: 2 workers alive');
      expect(seen.sort()).toEqual(['space_backend=1.master.my-spark.app.localspace:8080', 'space_backend=2.master.my-spark.app.localspace:8080']);
      const j = JSON.parse((await run(['status', '-a', 'my-spark', '--json', '--proxy-url', url])).stdout);
      expect(j).toMatchObject({
        healthy: true,
        masters: [
          { dyno: 'master.1', status: 'STANDBY' },
          { dyno: 'master.2', status: 'ALIVE' },
        ],
        master: { dyno: 'master.2', status: 'ALIVE' },
      });
      // the leader gone, the standby not yet elected
      states['2'] = 'RECOVERING';
      const bad = await run(['status', '-a', 'my-spark', '--json', '--proxy-url', url]);
      expect(bad.exitCode).toBe(8);
      expect(JSON.parse(bad.stdout).problems).toEqual(['no master is ALIVE: master.1 STANDBY, master.2 RECOVERING', '0 of 2 workers registered ALIVE with the master']);
    } finally {
      await new Promise((r) => s.close(r));
    }
  });
});

describe('heroku-cli_scale_ui_destroy', () => {
  it('scale: PATCHes the formation, warns when SPARK_MASTERS disagrees, refuses worker=-1 and unknown types', async () => {
    const app = addApp(fake.world!, 'my-spark');
    const r = await run(['scale', 'worker=4:private-xl', 'master=2', '-a', 'my-spark', '--json']);
    expect(r.exitCode, r.all).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(
      expect.arrayContaining([
        { type: 'worker', quantity: 4, size: 'Private-XL' },
        { type: 'master', quantity: 2, size: 'Private-M' },
      ]),
    );
    expect(app.formation.worker).toEqual({ quantity: 4, size: 'Private-XL' });
    expect(r.stderr).toContain('Warning: SPARK_MASTERS is 1 but there are now 2 master dynos');
    expect(fake.calls.find((c) => c.route === 'formation:Batch Update')!.body).toEqual({
      updates: [
        { type: 'worker', quantity: 4, dyno_size: { name: 'private-xl' } },
        { type: 'master', quantity: 2 },
      ],
    });
    const patches = fake.calls.filter((c) => c.route === 'formation:Batch Update').length;
    for (const [args, code, msg] of [
      [['scale', 'worker=-1', '-a', 'my-spark'], 2, /worker=-1: a dyno count is 0 to 100/],
      [['scale', 'worker', '-a', 'my-spark'], 2, /"worker" is not TYPE=N\[:SIZE\]/],
      [['scale', 'thrift=1', '-a', 'my-spark'], 2, /my-spark has no process type thrift; it has master, worker, web/],
      [['scale', 'worker=2:private-huge', '-a', 'my-spark'], 11, /There is no dyno size "private-huge"/],
      [['scale', 'worker=2'], 2, /--app: is missing: name the app with -a\/--app/],
    ] as [string[], number, RegExp][]) {
      const b = await run(args);
      expect(b.exitCode, `${args.join(' ')}\n${b.all}`).toBe(code);
      expect(b.stderr).toMatch(msg);
    }
    expect(fake.calls.filter((c) => c.route === 'formation:Batch Update').length).toBe(patches); // none of the refused ones reached the formation
    // a size the API's own check lets through but the formation update refuses: Heroku's 422, exit 5
    fake.respond('dyno-size:Info', { id: '01234567-89ab-4def-8123-456789abcdef', name: 'Private-Huge' });
    const rejected = await run(['scale', 'worker=2:private-huge', '-a', 'my-spark']);
    expect(rejected.exitCode, rejected.all).toBe(5);
    expect(rejected.stderr).toContain('HTTP 422 invalid_params: Size private-huge is not a valid dyno size.');
  });

  it('ui: the proxy URL of the master, a worker, the history server, a driver; --json parses; web.1 and an application id are refused saying what works', async () => {
    addApp(fake.world!, 'my-spark');
    const base = 'https://my-spark-0123456789ab.herokuapp.com';
    const cases: [string[], string][] = [
      [[], `${base}/`],
      [['worker.2'], `${base}/set-backend/2.worker.my-spark.app.localspace:8081`],
      [['master.2'], `${base}/set-backend/2.master.my-spark.app.localspace:8080`],
      [['history.1'], `${base}/set-backend/1.history.my-spark.app.localspace:18080`],
      [['run.1'], `${base}/set-backend/1.run.my-spark.app.localspace:4040`],
    ];
    for (const [args, url] of cases) {
      const r = await run(['ui', ...args, '-a', 'my-spark']);
      expect(r.stdout.trim(), r.all).toBe(url);
    }
    expect(JSON.parse((await run(['ui', 'worker.1', '-a', 'my-spark', '--json'])).stdout)).toEqual({ url: `${base}/set-backend/1.worker.my-spark.app.localspace:8081` });
    const bad = await run(['ui', 'web.1', '-a', 'my-spark']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('"web.1" is not a dyno with a UI');
    const appId = await run(['ui', 'app-20261123101500-0001', '-a', 'my-spark']);
    expect(appId.exitCode).toBe(2);
    expect(appId.stderr).toContain("An application's UI is its driver's: name the dyno that runs the driver (e.g. spark-in-space ui run.1 -a my-spark)");
  });

  it('destroy: refused without the right --confirm (exit 2), then DELETE /apps/{app}; an unknown app is exit 4', async () => {
    addApp(fake.world!, 'my-spark');
    const no = await run(['destroy', '-a', 'my-spark', '--confirm', 'my-sparks']);
    expect(no.exitCode).toBe(2);
    expect(no.stderr).toContain('Confirm with --confirm my-spark (you gave "my-sparks")');
    expect(fake.world!.apps.has('my-spark')).toBe(true);
    const yes = await run(['destroy', '-a', 'my-spark', '--confirm', 'my-spark']);
    expect(yes.exitCode, yes.all).toBe(0);
    expect(fake.world!.apps.has('my-spark')).toBe(false);
    expect((await run(['destroy', '-a', 'my-spark', '--confirm', 'my-spark'])).exitCode).toBe(4);
  });
});

describe('heroku-cli_jobs', () => {
  it('apps/drivers/kill/logs: an app that is no Spark cluster (no master type) 12, no proxy password 18, a standby-only answer 8; secrets never printed', async () => {
    addApp(fake.world!, 'my-web', { formation: { web: { quantity: 1, size: 'Private-S' } } });
    const plain = await run(['apps', '-a', 'my-web']);
    expect(plain.exitCode, plain.all).toBe(12);
    expect(plain.stderr).toContain('my-web has no master process type: it is not a Spark cluster');
    addApp(fake.world!, 'my-spark', { config: { SPARK_MASTERS: '1' } });
    const nopw = await run(['drivers', '-a', 'my-spark', '--proxy-url', 'http://127.0.0.1:9/']);
    expect(nopw.exitCode, nopw.all).toBe(18);
    expect(nopw.stderr).toContain('needs a password');
    // a proxy whose master is STANDBY (a half-finished failover): no leader to ask, exit 8
    const s = http.createServer((req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ status: 'STANDBY', workers: [] })));
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    try {
      const standby = await run(['kill', 'app-20261123101500-0001', '-a', 'my-spark', '--proxy-url', `http://127.0.0.1:${(s.address() as AddressInfo).port}/`], {
        SPACE_PROXY_PASSWORD: 'a-secret-password',
      });
      expect(standby.exitCode, standby.all).toBe(8);
      expect(standby.stderr).toContain('no master is ALIVE (a STANDBY master runs no work): master.1 STANDBY');
      expect(standby.all).not.toContain('a-secret-password');
    } finally {
      await new Promise((r) => s.close(r));
    }
    expect(fake.problems).toEqual([]);
  });
});

describe('heroku-cli_one_off', () => {
  it('shell and submit run the launcher through `heroku run` with the app and size; without the heroku CLI: exit 10', async () => {
    const bin = tmpdir('sis-fake-heroku-cli-');
    const log = path.join(bin, 'argv');
    writeFileSync(path.join(bin, 'heroku'), `#!/bin/sh\nprintf '%s\\n' "$@" > ${log}\nexit 3\n`);
    chmodSync(path.join(bin, 'heroku'), 0o755);
    const sh = await run(['shell', '-a', 'my-spark', '--size', 'private-l'], { PATH: `${bin}:${process.env.PATH}` });
    expect(sh.exitCode).toBe(3); // the one-off dyno's own exit code
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual(['run', '--app', 'my-spark', '--size', 'private-l', '--exit-code', '--', 'bin/spark-shell']);
    const sub = await run(['submit', '-a', 'my-spark', '--', '--class', 'com.example.Job', 'job.jar', '2026-11-23'], { PATH: `${bin}:${process.env.PATH}` });
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual(['run', '--app', 'my-spark', '--exit-code', '--', 'bin/spark-submit', '--class', 'com.example.Job', 'job.jar', '2026-11-23']);
    expect(sub.exitCode).toBe(3);
    // --wait/--follow-logs are the launcher's: passed on before spark-submit's options; the one-off dyno's exit code is the driver's end
    const wait = await run(['submit', '-a', 'my-spark', '--wait', '--follow-logs', '--', '--deploy-mode', 'cluster', '--class', 'com.example.Job', 'job.jar'], { PATH: `${bin}:${process.env.PATH}` });
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual([
      'run',
      '--app',
      'my-spark',
      '--exit-code',
      '--',
      'bin/spark-submit',
      '--wait',
      '--follow-logs',
      '--deploy-mode',
      'cluster',
      '--class',
      'com.example.Job',
      'job.jar',
    ]);
    expect(wait.exitCode).toBe(3);
    const none = await run(['shell', '-a', 'my-spark'], { HEROKU_CLI: path.join(bin, 'no-such-heroku') });
    expect(none.exitCode).toBe(10);
    expect(none.stderr).toContain('`spark-in-space shell` runs in a one-off dyno through the heroku CLI, which is not on PATH.');
  });
});

describe('heroku-cli_manifest', () => {
  it('an app.json Heroku would refuse is refused before anything is created, naming each problem', async () => {
    const dir = appDir();
    const bad = JSON.parse(readFileSync(path.join(dir, 'app.json'), 'utf8'));
    bad.env.SPARK_AUTH_SECRET.generator = 'password';
    writeFileSync(path.join(dir, 'app.json'), JSON.stringify(bad));
    writeFileSync(path.join(dir, 'Procfile'), readFileSync(path.join(dir, 'Procfile'), 'utf8').replace(/^history:.*\n/m, ''));
    const r = await run(['deploy', '--space', 'data-space', '-a', 'my-spark', '--dir', dir]);
    expect(r.exitCode, r.all).toBe(2);
    expect(r.stderr).toContain('would be refused (nothing was created):');
    expect(r.stderr).toContain('env.SPARK_AUTH_SECRET');
    delete bad.env.SPARK_AUTH_SECRET.generator;
    writeFileSync(path.join(dir, 'app.json'), JSON.stringify(bad));
    const r2 = await run(['deploy', '--space', 'data-space', '-a', 'my-spark', '--dir', dir]);
    expect(r2.exitCode, r2.all).toBe(2);
    expect(r2.stderr).toContain('formation.history: the Procfile has no "history" process type');
    expect(fake.calls.some((c) => c.route === 'source:Create')).toBe(false);
    expect(fake.world!.apps.size).toBe(0);
  });
});

describe('heroku-cli_versions', () => {
  it('versions lists the catalog with the app’s own; versions set writes .spark.version and keeps Java in range; junk is refused', async () => {
    const dir = tmpdir('sis-versions-');
    writeFileSync(path.join(dir, 'system.properties'), 'java.runtime.version=17\nmaven.version=3.9.9\n');
    const list = await run(['versions', '--dir', dir, '--json']);
    expect(list.exitCode, list.all).toBe(0);
    const j = JSON.parse(list.stdout);
    expect(j.app).toEqual({ requested: null, version: j.default });
    expect(j.releases.map((r: { version: string }) => r.version)).toEqual(expect.arrayContaining(['4.3.0', '4.2.0', '3.5.9', '1.6.1']));
    const old = await run(['versions', 'set', '1.6.1', '--dir', dir]);
    expect(old.exitCode, old.all).toBe(0);
    expect(readFileSync(path.join(dir, '.spark.version'), 'utf8')).toBe('1.6.1\n');
    expect(readFileSync(path.join(dir, 'system.properties'), 'utf8')).toBe('java.runtime.version=1.8\nmaven.version=3.9.9\n');
    const line = await run(['versions', 'set', '4.3', '--dir', dir]);
    expect(line.stdout).toContain('.spark.version: 4.3 (today 4.3.0)');
    expect(readFileSync(path.join(dir, 'system.properties'), 'utf8')).toBe('java.runtime.version=17\nmaven.version=3.9.9\n');
    const newer = await run(['versions', 'set', '4.3.1', '--dir', dir]);
    expect(newer.exitCode).toBe(0);
    expect(newer.stderr).toContain('Note: Spark 4.3.1 is newer than this catalog: it will build with the facts of the 4.3 line (4.3.0)');
    expect(JSON.parse((await run(['versions', '--dir', dir, '--json'])).stdout).app).toEqual({ requested: '4.3.1', version: '4.3.1' });
    for (const bad of ['latest', '3.4.1']) {
      const r = await run(['versions', 'set', bad, '--dir', dir]);
      expect(r.exitCode, r.all).toBe(bad === 'latest' ? 2 : 1);
      expect(r.stderr).toMatch(bad === 'latest' ? /"latest" is not a Spark version/ : /Spark 3\.4\.1 is not in the catalog/);
    }
    expect(readFileSync(path.join(dir, '.spark.version'), 'utf8')).toBe('4.3.1\n');
  });
});
