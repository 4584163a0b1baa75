/** The Heroku side's pure parts: app.json's rules (and this repo's app.json), .netrc, status verdicts, scale arguments, UI URLs, deploy's manifest, versions' Java. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { builtinCatalog, findRelease } from '../../src/catalog/index.js';
import { appJsonProblems, procfileTypes, repositoryUrl } from '../../src/heroku/appjson.js';
import { authFrom, parseNetrc } from '../../src/heroku/auth.js';
import { mayRetry } from '../../src/heroku/api.js';
import { deployManifest, formationUpdates } from '../../src/heroku/deploy.js';
import { leadingMaster, renderStatus, statusReport } from '../../src/heroku/status.js';
import { mastersWarning, parseScale } from '../../src/cli/commands/heroku/scale.js';
import { uiUrl } from '../../src/cli/commands/heroku/ui.js';
import { herokuRunArgv } from '../../src/cli/commands/heroku/shell.js';
import { javaFor, javaOf, withJava } from '../../src/cli/commands/heroku/versions.js';
import { problemOf } from '../helpers/problem.js';

const json = (f: string) => JSON.parse(readFileSync(f, 'utf8'));

describe('app.json', () => {
  const appJson = json('app.json');
  const pkg = json('package.json');
  it("names this project's repository as its buildpack, the same URL as package.json's repository", () => {
    const url = repositoryUrl(pkg)!;
    expect(url).toMatch(/^https:\/\/github\.com\/[\w.-]+\/[\w.-]+$/);
    expect(appJson.buildpacks.at(-1).url).toBe(url);
    expect(appJson.repository).toBe(url);
    expect(url).not.toBe('https://github.com/heroku/spark-in-space'); // the 2016 bash buildpack
  });
  it("follows Heroku's app.json rules and this project's (Procfile types, Private sizes, buildpack order, generated secrets, bucketeer as SPARK_S3)", () => {
    expect(appJsonProblems(appJson, procfileTypes(readFileSync('Procfile', 'utf8')), repositoryUrl(pkg))).toEqual([]);
    expect(appJson.env.SPARK_AUTH_SECRET.generator).toBe('secret');
    expect(appJson.env.SPACE_PROXY_PASSWORD.generator).toBe('secret');
    expect(appJson.addons).toContainEqual({ plan: 'bucketeer:hobbyist', as: 'SPARK_S3' });
    expect(appJson.buildpacks.map((b: { url: string }) => b.url).slice(0, 3)).toEqual(['heroku/nodejs', 'heroku/jvm', 'heroku-community/nginx']);
  });
  it('finds what Heroku (or the cluster) would refuse', () => {
    const ok = { formation: { master: { quantity: 1, size: 'private-m' }, worker: { quantity: 2 } }, buildpacks: [{ url: 'heroku/nodejs' }, { url: 'heroku/jvm' }, { url: 'https://github.com/x/y' }] };
    expect(appJsonProblems(ok, ['master', 'worker'], 'https://github.com/x/y')).toEqual([]);
    expect(appJsonProblems({ ...ok, name: 'x'.repeat(31) }, ['master', 'worker'])).toEqual(['name: is at most 30 characters']);
    expect(appJsonProblems({ ...ok, formation: { ...ok.formation, worker: { quantity: 2, size: 'standard-2x' } } }, ['master', 'worker'])[0]).toMatch(
      /^formation\.worker\.size: must be a Private Space dyno size/,
    );
    expect(appJsonProblems({ ...ok, formation: { ...ok.formation, worker: { quantity: -1 } } }, ['master', 'worker'])[0]).toMatch(/^formation\.worker\.quantity/);
    expect(appJsonProblems({ ...ok, env: { lower: 'x' } }, ['master', 'worker'])[0]).toMatch(/^env\.lower/);
    expect(appJsonProblems({ ...ok, addons: [{ plan: 'bucketeer:hobbyist', as: 'spark-s3' }] }, ['master', 'worker'])[0]).toMatch(/^addons\.0\.as/);
    expect(appJsonProblems({ ...ok, colour: 'red' }, ['master', 'worker'])[0]).toMatch(/colour/);
    expect(appJsonProblems(ok, ['worker'])).toEqual(['formation.master: the Procfile has no "master" process type']);
    expect(appJsonProblems({ ...ok, formation: { worker: { quantity: 1 } } }, ['master', 'worker'])).toEqual(['formation.master: missing (a cluster needs its master dynos)']);
    expect(appJsonProblems({ ...ok, buildpacks: [{ url: 'https://github.com/x/y' }, { url: 'heroku/nodejs' }, { url: 'heroku/jvm' }] }, ['master', 'worker'], 'https://github.com/x/y')).toEqual([
      "buildpacks: the last one must be this project's buildpack, https://github.com/x/y (found heroku/jvm)",
      'buildpacks: heroku/nodejs must come before this buildpack (bin/compile runs on Node.js)',
      'buildpacks: heroku/jvm must come before this buildpack (Spark runs on its Java)',
    ]);
    expect(repositoryUrl({ repository: 'https://github.com/a/b' })).toBe('https://github.com/a/b');
    expect(procfileTypes('master: bin/spark-master\n# no\nweb: bin/space-proxy\n')).toEqual(['master', 'web']);
  });
  it("deploy's manifest: worker count and size, masters with SPARK_MASTERS; an existing app's formation updates", () => {
    const m = deployManifest(appJson, { workers: 5, workerSize: 'private-xl', masters: 2 });
    expect(m.formation!.worker).toEqual({ quantity: 5, size: 'private-xl' });
    expect(m.formation!.master).toEqual({ quantity: 2, size: 'private-m' });
    expect(m.env!.SPARK_MASTERS!.value).toBe('2');
    expect(m.env!.SPARK_MASTERS!.description).toBe(appJson.env.SPARK_MASTERS.description);
    expect(deployManifest(appJson, {})).toEqual(appJson);
    expect(formationUpdates({ workers: 3 })).toEqual([{ type: 'worker', quantity: 3 }]);
    expect(formationUpdates({ workerSize: 'private-l', masters: 1 })).toEqual([
      { type: 'worker', dyno_size: { name: 'private-l' } },
      { type: 'master', quantity: 1 },
    ]);
    expect(formationUpdates({})).toEqual([]);
  });
});

describe('auth', () => {
  it('HEROKU_API_KEY first, else the .netrc machine of the API host; HEROKU_API_URL sets the host', () => {
    const netrc = 'machine api.heroku.com\n  login me@example.com\n  password tok-netrc\nmachine git.heroku.com login me password tok-git\n';
    expect(parseNetrc(netrc)).toEqual({ 'api.heroku.com': { login: 'me@example.com', password: 'tok-netrc' }, 'git.heroku.com': { login: 'me', password: 'tok-git' } });
    expect(authFrom({ HEROKU_API_KEY: 'tok-env' }, netrc)).toEqual({ token: 'tok-env', baseUrl: 'https://api.heroku.com', from: 'HEROKU_API_KEY' });
    expect(authFrom({}, netrc)).toEqual({ token: 'tok-netrc', baseUrl: 'https://api.heroku.com', from: '~/.netrc (machine api.heroku.com)' });
    expect(authFrom({ HEROKU_API_URL: 'http://127.0.0.1:5000/' }, netrc)).toEqual({ missing: '127.0.0.1' });
    expect(authFrom({}, undefined)).toEqual({ missing: 'api.heroku.com' });
    expect(problemOf(() => authFrom({ HEROKU_API_URL: 'api.heroku.com' }, netrc))).toMatchObject({
      code: 'bad-input',
      message: expect.stringContaining('HEROKU_API_URL="api.heroku.com" is not an http(s) URL'),
    });
  });
});

describe('status verdict', () => {
  const formation = [
    { type: 'master', quantity: 1, size: 'Private-M' },
    { type: 'worker', quantity: 2, size: 'Private-L' },
  ];
  const up = [
    { name: 'master.1', type: 'master', state: 'up' },
    { name: 'worker.1', type: 'worker', state: 'up' },
    { name: 'worker.2', type: 'worker', state: 'up' },
  ];
  const w = (n: number, state = 'ALIVE') => ({ id: `w${n}`, host: `${n}.worker.a.app.localspace`, state, cores: 8, coresused: 0, memory: 1000, memoryused: 0 });
  it('healthy only with every dyno up, the master ALIVE and every worker registered', () => {
    expect(statusReport('a', formation, up, { status: 'ALIVE', workers: [w(1), w(2)] }).healthy).toBe(true);
    expect(statusReport('a', formation, up, { status: 'STANDBY', workers: [w(1), w(2)] }).problems).toEqual(['the master answering the proxy is STANDBY, not ALIVE']);
    expect(statusReport('a', formation, up, { status: 'ALIVE', workers: [w(1), w(2, 'DEAD')] }).problems).toEqual(['1 of 2 workers registered ALIVE with the master']);
    const crashed = statusReport('a', formation, [up[0]!, up[1]!, { ...up[2]!, state: 'crashed' }], { error: 'HTTP 502' });
    expect(crashed.problems).toEqual(['worker: 1 of 2 dynos up (worker.2 crashed)', "the master's /json could not be read through the proxy: HTTP 502"]);
    expect(renderStatus(crashed)).toContain('=== a: UNHEALTHY');
    expect(renderStatus(crashed)).toMatch(/worker\s+Private-L\s+1\/2\s+worker\.1 worker\.2\(crashed\)/);
  });

  it('status_waiting: an application holding no core that asks for some is listed; over a minute WAITING it is a problem; an idle server is neither', () => {
    const apps = [
      { id: 'app-1', name: 'Thrift JDBC/ODBC Server', cores: 0, state: 'WAITING', duration: 20 * 60_000 },
      { id: 'app-2', name: 'Spark Connect server', cores: 0, state: 'WAITING', duration: 20 * 60_000 },
      { id: 'app-3', name: 'etl', cores: 0, state: 'RUNNING', duration: 5_000 },
      { id: 'app-4', name: 'busy', cores: 8, state: 'RUNNING', duration: 5_000 },
    ];
    const full = [
      { ...w(1), coresused: 8 },
      { ...w(2), coresused: 8 },
    ];
    // app-2 is an idle server under dynamic allocation (asks for none); app-3 asks for 2 more
    const r = statusReport('a', formation, up, { status: 'ALIVE', workers: full, activeapps: apps }, undefined, { 'app-1': 4, 'app-2': 0, 'app-3': 2 });
    expect(r.master!.waiting).toEqual([
      { id: 'app-1', name: 'Thrift JDBC/ODBC Server', asks: 4, forMs: 1_200_000 },
      { id: 'app-3', name: 'etl', asks: 2, forMs: undefined },
    ]);
    expect(r.healthy).toBe(false);
    expect(r.problems).toEqual([
      'app-1 (Thrift JDBC/ODBC Server) holds no core, asks for 4, waiting for 20 min: the workers have 0 cores free (at most 1000 MB free on one): add workers (or SPARK_AUTOSCALE_MAX), end what holds them (`apps`), or cap the SQL servers (SPARK_SERVER_MAX_CORES)',
    ]);
    expect(renderStatus(r)).toContain('Waiting for cores:\n  app-1 (Thrift JDBC/ODBC Server) holds no core, asks for 4, waiting for 20 min\n  app-3 (etl) holds no core, asks for 2\n');
    // the page unreadable: a WAITING one still counts; a RUNNING one with no core does not
    expect(statusReport('a', formation, up, { status: 'ALIVE', workers: full, activeapps: apps }).master!.waiting.map((x) => x.id)).toEqual(['app-1', 'app-2']);
    expect(statusReport('a', formation, up, { status: 'ALIVE', workers: [w(1), w(2)], activeapps: [apps[3]!] }).healthy).toBe(true);
  });

  it('status_ha: with two masters the report is about the ALIVE one; a standby and an unreadable one are named', () => {
    const two = [{ ...formation[0]!, quantity: 2 }, formation[1]!];
    const dynos = [...up, { name: 'master.2', type: 'master', state: 'up' }];
    expect(
      leadingMaster([
        { dyno: 'master.1', status: 'STANDBY' },
        { dyno: 'master.2', status: 'ALIVE' },
      ]),
    ).toEqual({ dyno: 'master.2', status: 'ALIVE' });
    expect(
      leadingMaster([
        { dyno: 'master.1', error: 'HTTP 502' },
        { dyno: 'master.2', status: 'STANDBY' },
      ]),
    ).toEqual({ dyno: 'master.1', error: 'HTTP 502' });
    const failedOver = statusReport('a', two, dynos, [
      { dyno: 'master.1', status: 'STANDBY' },
      { dyno: 'master.2', status: 'ALIVE', workers: [w(1), w(2)] },
    ]);
    expect(failedOver).toMatchObject({
      healthy: true,
      problems: [],
      masters: [
        { dyno: 'master.1', status: 'STANDBY' },
        { dyno: 'master.2', status: 'ALIVE' },
      ],
      master: { dyno: 'master.2', status: 'ALIVE' },
    });
    expect(renderStatus(failedOver)).toContain('Masters: master.1 STANDBY, master.2 ALIVE');
    const none = statusReport('a', two, dynos, [
      { dyno: 'master.1', error: 'HTTP 502' },
      { dyno: 'master.2', status: 'STANDBY', workers: [] },
    ]);
    expect(none.healthy).toBe(false);
    expect(none.problems[0]).toBe('no master is ALIVE: master.1 unreadable (HTTP 502), master.2 STANDBY');
    // one master: as before, no masters line
    const one = statusReport('a', formation, up, [{ dyno: 'master.1', status: 'ALIVE', workers: [w(1), w(2)] }]);
    expect(one.masters).toBeUndefined();
    expect(one.healthy).toBe(true);
  });
});

describe('scale, ui, one-off, versions', () => {
  it('parses TYPE=N[:SIZE] and refuses the rest', () => {
    expect(parseScale(['worker=3', 'master=2:private-l'])).toEqual([
      { type: 'worker', quantity: 3 },
      { type: 'master', quantity: 2, dyno_size: { name: 'private-l' } },
    ]);
    expect(parseScale(['worker=:private-xl'])).toEqual([{ type: 'worker', dyno_size: { name: 'private-xl' } }]);
    for (const bad of [['worker=-1'], ['worker=101'], ['worker'], ['worker=x'], ['worker=1', 'worker=2'], ['master=0'], []])
      expect(
        problemOf(() => parseScale(bad)),
        bad.join(' '),
      ).toMatchObject({ code: 'bad-input' });
    expect(mastersWarning(2, '1')).toMatch(/^SPARK_MASTERS is 1 but there are now 2 master dynos.*needs ZooKeeper/);
    expect(mastersWarning(1, '1')).toBeUndefined();
    expect(mastersWarning(1, null)).toBeUndefined();
    expect(mastersWarning(undefined, '3')).toBeUndefined();
  });
  it('UI URLs through the proxy', () => {
    expect(uiUrl('https://a-1.herokuapp.com/', 'a', undefined)).toBe('https://a-1.herokuapp.com/');
    expect(uiUrl('https://a-1.herokuapp.com', 'a', 'worker.3')).toBe('https://a-1.herokuapp.com/set-backend/3.worker.a.app.localspace:8081');
    expect(problemOf(() => uiUrl('https://a-1.herokuapp.com', 'a', 'worker'))).toMatchObject({ code: 'bad-input' });
    expect(uiUrl('https://a-1.herokuapp.com', 'a', 'console.1')).toBe('https://a-1.herokuapp.com/set-backend/1.console.a.app.localspace:4040');
    expect(problemOf(() => uiUrl('https://a-1.herokuapp.com', 'a', 'app-20261123101500-0001'))).toMatchObject({ code: 'bad-input' });
    expect(herokuRunArgv('a', 'bin/spark-shell', ['--driver-memory', '2g'], 'private-m')).toEqual([
      'run',
      '--app',
      'a',
      '--size',
      'private-m',
      '--exit-code',
      '--',
      'bin/spark-shell',
      '--driver-memory',
      '2g',
    ]);
  });
  it("versions set keeps system.properties' Java when the Spark allows it, else the highest it supports", () => {
    const cat = builtinCatalog();
    expect(javaFor(findRelease(cat, '4.2.0'), 17)).toBe(17);
    expect(javaFor(findRelease(cat, '4.2.0'), 11)).toBe(17);
    expect(javaFor(findRelease(cat, '4.2.0'), 8)).toBe(17);
    expect(javaFor(findRelease(cat, '4.2.0'), 21)).toBe(21);
    expect(javaFor(findRelease(cat, '3.5.9'), 8)).toBe(8);
    expect(javaFor(findRelease(cat, '1.6.1'), 17)).toBe(8);
    expect(javaOf('java.runtime.version=1.8\n')).toBe(8);
    expect(javaOf('maven.version=3.9.9\njava.runtime.version = 17\n')).toBe(17);
    expect(javaOf(undefined)).toBeUndefined();
    expect(withJava('maven.version=3.9.9\njava.runtime.version=17\n', 8)).toBe('maven.version=3.9.9\njava.runtime.version=1.8\n');
    expect(withJava('maven.version=3.9.9', 21)).toBe('maven.version=3.9.9\njava.runtime.version=21\n');
    expect(withJava(undefined, 17)).toBe('java.runtime.version=17\n');
  });
});

describe('mayRetry', () => {
  it('heroku_retry_policy: GET/PATCH/PUT/DELETE retry 429, 5xx and network errors; a POST only when it never reached Heroku or was turned away (429)', () => {
    for (const m of ['GET', 'PATCH', 'PUT', 'DELETE'] as const) {
      expect(mayRetry(m, 503), m).toBe(true);
      expect(mayRetry(m, 429), m).toBe(true);
      expect(mayRetry(m, 0, 'UND_ERR_SOCKET'), m).toBe(true);
      expect(mayRetry(m, 404), m).toBe(false);
    }
    expect(mayRetry('POST', 429)).toBe(true);
    expect(mayRetry('POST', 0, 'ECONNREFUSED')).toBe(true);
    expect(mayRetry('POST', 0, 'UND_ERR_CONNECT_TIMEOUT')).toBe(true);
    // sent, then no answer, a timeout or a server error: Heroku may have acted
    expect(mayRetry('POST', 0, 'UND_ERR_SOCKET')).toBe(false);
    expect(mayRetry('POST', 0, 'ABORT_ERR')).toBe(false);
    expect(mayRetry('POST', 0)).toBe(false);
    expect(mayRetry('POST', 503)).toBe(false);
    expect(mayRetry('POST', 422)).toBe(false);
  });
});

describe('tokenReachWarning', () => {
  it('warns when the app token may access other apps (names a few), not when it reaches only this app; a refused token is said, other failures are not', async () => {
    const { tokenReachWarning } = await import('../../src/heroku/status.js');
    expect(tokenReachWarning('my-spark', { names: ['my-spark'] })).toBeUndefined();
    expect(tokenReachWarning('my-spark', { names: ['my-spark', 'billing'] })).toMatch(/^SPARK_HEROKU_ACCESS_TOKEN reaches 1 other app \(billing\): .*may access only my-spark/);
    expect(tokenReachWarning('x', { names: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'x'] })).toContain('(a, b, c, d, e, and 2 more)');
    expect(tokenReachWarning('x', { status: 401 })).toContain('refused');
    expect(tokenReachWarning('x', { status: 503 })).toBeUndefined();
  });
});
