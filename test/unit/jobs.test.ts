/**
 * The jobs commands' decisions (src/jobs): a real Spark 4.2 master's /json and application page
 * (test/fixtures/jobs_master-4.2, saved from a local space) become rows; a worker's log chunk is
 * read; ids, end states and exit codes; and the actions against an in-memory link that answers as
 * a master and workers do (leader choice, kill confirmation, log paging, --wait's end).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exitCodeOf, isProblem, type Problem } from '../../src/errors.js';
import {
  appRows,
  driverEnd,
  driverRows,
  dynoOfHost,
  findJob,
  hostOfWorkerId,
  jobId,
  killFormOf,
  killRefusal,
  logPath,
  parseAppPage,
  parseLogChunk,
  renderApps,
  renderDrivers,
  submittedDriver,
  superviseOf,
  type JobsJson,
} from '../../src/jobs/index.js';
import { kill, leader, logReader, prefixed, waitForDriver } from '../../src/jobs/act.js';
import type { SparkLink } from '../../src/jobs/link.js';
import { mainClassOf, waitOptions } from '../../src/launch/submit-wait-options.js';
import { problemOf } from '../helpers/problem.js';
import { waitArgs } from '../../src/cli/commands/heroku/shell.js';

const FIX = path.resolve(import.meta.dirname, '../fixtures/jobs_master-4.2');
const JSON42 = JSON.parse(readFileSync(path.join(FIX, 'json.json'), 'utf8')) as JobsJson;
const PAGE42 = readFileSync(path.join(FIX, 'app-page.html'), 'utf8');
const CHUNK42 = readFileSync(path.join(FIX, 'log-chunk.txt'), 'utf8');

const rejects = async (p: Promise<unknown>): Promise<Problem> => {
  try {
    await p;
  } catch (err) {
    if (isProblem(err)) return err.problem;
    throw err;
  }
  throw new Error('no problem raised');
};

describe('ids, hosts, dynos', () => {
  it("Spark's ids name an application or a driver; anything else is bad input (exit 2) with an example", () => {
    expect(jobId('app-20261204213455-0000')).toEqual({ kind: 'app', id: 'app-20261204213455-0000' });
    expect(jobId('driver-20261204213538-0012')).toEqual({ kind: 'driver', id: 'driver-20261204213538-0012' });
    for (const bad of ['app-1', 'worker-20261204213446-1', 'driver-20261204213538-0000; rm -rf /', '']) {
      const p = problemOf(() => jobId(bad));
      expect(p.code).toBe('bad-input');
      expect(exitCodeOf(p)).toBe(2);
      expect(JSON.stringify(p)).toContain('app-20261204213455-0000');
    }
  });

  it('a space name is its dyno; a worker id is its host', () => {
    expect(dynoOfHost('3.worker.demo.app.localspace')).toBe('worker.3');
    expect(dynoOfHost('1.run.my-app.app.localspace')).toBe('run.1');
    expect(dynoOfHost('10.0.0.7')).toBe('10.0.0.7');
    expect(hostOfWorkerId('worker-20261204213446-2.worker.japp.app.localspace-40045')).toBe('2.worker.japp.app.localspace');
  });
});

describe("a real master's /json and pages (Spark 4.2)", () => {
  it('apps: running first (newest first), then at most N completed; fields as the master gives them; the driver dyno from its UI', () => {
    const running = JSON42.activeapps![0]!;
    const rows = appRows(JSON42, 2, { [running.id]: 'http://2.worker.japp.app.localspace:4040' });
    expect(rows).toHaveLength(1 + Math.min(2, JSON42.completedapps!.length));
    expect(rows[0]).toMatchObject({ id: running.id, name: 'sum-job', user: 'root', cores: 1, memoryPerExecutorMb: 512, state: 'RUNNING', driver: 'worker.2', active: true });
    expect(rows[0]!.started).toBe(new Date(running.starttime!).toISOString());
    expect(rows.slice(1).every((r) => !r.active && r.driver === undefined)).toBe(true);
    expect(rows[1]!.started >= rows[2]!.started).toBe(true);
    expect(appRows(JSON42, 0)).toHaveLength(1);
    expect(renderApps(rows, 'master.1')).toMatch(/^APP +NAME +USER +CORES +MEM\/EXECUTOR +STATE +DURATION +DRIVER\napp-\S+ +sum-job +root +1 +512 MB +RUNNING +\S+ +worker\.2\n/);
    expect(renderApps([], 'master.1')).toBe('No application on master.1.\n');
  });

  it('drivers: main class, state, worker dyno, start, --supervise when known', () => {
    const d = JSON42.activedrivers![0]!;
    const rows = driverRows(JSON42, 10, { [d.id]: true });
    expect(rows[0]).toMatchObject({ id: d.id, mainClass: 'SumJob', state: 'RUNNING', worker: 'worker.2', supervise: true, active: true, cores: 1, memoryMb: 512 });
    expect(rows.filter((r) => !r.active).map((r) => r.state)).toEqual(expect.arrayContaining(['FINISHED', 'FAILED', 'KILLED']));
    const text = renderDrivers(rows, 'master.1');
    expect(text.split('\n')[0]).toMatch(/^DRIVER +MAIN CLASS +STATE +WORKER +STARTED +SUPERVISE$/);
    expect(text).toContain('yes');
    expect(text).toContain('?');
    expect(renderDrivers([], 'master.1')).toContain('--deploy-mode cluster');
  });

  it("the application page: the driver's UI and each executor with its worker", () => {
    const p = parseAppPage(PAGE42);
    expect(p.ui).toBe('http://2.worker.japp.app.localspace:4040');
    expect(p.executors).toEqual([{ id: '0', workerUi: 'http://1.worker.japp.app.localspace:8081', worker: 'worker.1', cores: '1', memory: '512 MB', state: 'RUNNING' }]);
    expect(parseAppPage('<html>No running application with ID x</html>')).toEqual({ ui: undefined, executors: [] });
  });

  it("a worker's raw log: the byte range and the bytes, not the file's path", () => {
    const c = parseLogChunk(CHUNK42)!;
    expect(c).toMatchObject({ start: 0, end: 40, total: 880 });
    expect(c.body.startsWith('TICK 0\nTICK 1\n')).toBe(true);
    expect(c.body).not.toContain('/tmp/');
    expect(parseLogChunk('<html>')).toBeUndefined();
    expect(logPath({ kind: 'driver', id: 'driver-20261204213538-0000', workerUi: 'w:8081', label: '' }, 'stderr', 40, 100)).toBe(
      '/log/?driverId=driver-20261204213538-0000&logType=stderr&offset=40&byteLength=100',
    );
    expect(logPath({ kind: 'executor', app: 'app-20261204213455-0000', executor: '3', workerUi: 'w:8081', label: '' }, 'stdout', 0, 10)).toBe(
      '/log/?appId=app-20261204213455-0000&executorId=3&logType=stdout&offset=0&byteLength=10',
    );
  });

  it("--supervise from the driver's launch command only (its first line), nothing else of it", () => {
    const launch = (v: string) => `Launch Command: "/usr/bin/java" "-cp" "x" "-Dspark.driver.supervise=${v}" "org.apache.spark.deploy.worker.DriverWrapper"\n====\n`;
    expect(superviseOf(launch('true'))).toBe(true);
    expect(superviseOf(launch('false'))).toBe(false);
    expect(superviseOf('INFO something -Dspark.driver.supervise=true\n')).toBe(false);
  });
});

describe('end states and exit codes', () => {
  it('a driver ends FINISHED 0, FAILED 20, KILLED 21, ERROR 22, LOST 23 (unknown to the masters, or UNKNOWN)', () => {
    const end = (state?: string) => driverEnd(state === undefined ? undefined : { state });
    expect(['SUBMITTED', 'RUNNING', 'RELAUNCHING'].map(end)).toEqual([undefined, undefined, undefined]);
    expect(['FINISHED', 'FAILED', 'KILLED', 'ERROR', 'UNKNOWN', undefined].map(end)).toEqual(['FINISHED', 'FAILED', 'KILLED', 'ERROR', 'LOST', 'LOST']);
    const codes = (['FINISHED', 'FAILED', 'KILLED', 'ERROR', 'LOST'] as const).map((state) => exitCodeOf({ code: 'driver-ended', id: 'd', state, logs: '' }));
    expect(codes).toEqual([0, 20, 21, 22, 23]);
    expect(exitCodeOf({ code: 'job-unknown', id: 'x', where: 'y', hint: 'z' })).toBe(17);
    expect(exitCodeOf({ code: 'proxy-refused', proxy: 'p', why: 'w' })).toBe(18);
    expect(exitCodeOf({ code: 'kill-failed', id: 'x', state: 'FINISHED', why: 'w' })).toBe(19);
  });

  it("findJob: running or ended, with its worker; spark-submit's line names the driver", () => {
    expect(findJob(JSON42, { kind: 'driver', id: JSON42.activedrivers![0]!.id })).toMatchObject({ state: 'RUNNING', active: true, worker: JSON42.activedrivers![0]!.worker });
    expect(findJob(JSON42, { kind: 'app', id: JSON42.completedapps![0]!.id })?.active).toBe(false);
    expect(findJob(JSON42, { kind: 'app', id: 'app-20000101000000-0000' })).toBeUndefined();
    expect(submittedDriver('26/12/04 21:35:38 INFO ClientEndpoint: Driver successfully submitted as driver-20261204213538-0000\n')).toBe('driver-20261204213538-0000');
    expect(submittedDriver('nothing')).toBeUndefined();
  });
});

describe('bin/spark-submit --wait: our options among spark-submit’s', () => {
  it('taken only before the application (after it, every argument is the application’s); --follow-logs implies --wait', () => {
    expect(waitOptions(['--wait', '--deploy-mode', 'cluster', '--class', 'A', 'a.jar', '--wait'])).toEqual({
      wait: true,
      followLogs: false,
      rest: ['--deploy-mode', 'cluster', '--class', 'A', 'a.jar', '--wait'],
    });
    expect(waitOptions(['--class', '--wait', 'a.jar'])).toEqual({ wait: false, followLogs: false, rest: ['--class', '--wait', 'a.jar'] });
    expect(waitOptions(['--follow-logs', '--supervise', '--conf=x=1', 'a.jar'])).toEqual({ wait: true, followLogs: true, rest: ['--supervise', '--conf=x=1', 'a.jar'] });
    expect(waitOptions(['a.jar', '--follow-logs'])).toEqual({ wait: false, followLogs: false, rest: ['a.jar', '--follow-logs'] });
    expect(mainClassOf(['--class', 'com.x.Job', 'a.jar'])).toBe('com.x.Job');
    expect(mainClassOf(['--class=com.x.Job', 'a.jar'])).toBe('com.x.Job');
    expect(waitArgs({ wait: true, followLogs: false })).toEqual(['--wait']);
    expect(waitArgs({ wait: false, followLogs: true })).toEqual(['--wait', '--follow-logs']);
    expect(waitArgs({ wait: false, followLogs: false })).toEqual([]);
  });
});

/** A master (or two) and workers in memory, answering the paths the jobs code asks for. */
function fakeCluster(o: {
  masters: JobsJson[];
  logs?: Record<string, string[]>;
  onKill?: (path: string, form: Record<string, string>) => void;
  /** the master's front page (its kill forms) */
  page?: string;
  /** the status a kill POST gets instead of the redirect (Spark 4.3 without its token: 403) */
  refuse?: (form: Record<string, string>) => number | undefined;
}): SparkLink & { requests: string[] } {
  const requests: string[] = [];
  const reads: Record<string, number> = {};
  return {
    requests,
    where: 'the fake space',
    masters: o.masters.map((_, i) => ({ dyno: `master.${i + 1}`, backend: `${i + 1}.master.x.app.localspace:8080` })),
    async request(backend, p, r) {
      requests.push(`${r?.form ? 'POST' : 'GET'} ${backend}${p}`);
      const m = /^(\d+)\.master\./.exec(backend);
      if (m) {
        const json = o.masters[Number(m[1]) - 1]!;
        if (p === '/json/') return Response.json(json);
        if (r?.form) {
          const refused = o.refuse?.(r.form);
          if (refused) return new Response('', { status: refused });
          o.onKill?.(p, r.form);
          return new Response('', { status: 302, headers: { location: '/' } });
        }
        return new Response(o.page ?? '<html></html>');
      }
      const q = new URL(p, 'http://x').searchParams;
      const key = `${backend} ${q.get('driverId') ?? q.get('executorId')} ${q.get('logType')}`;
      const versions = o.logs?.[key];
      if (!versions) return { error: 'connection refused' };
      // each read of the whole log sees the next version of it (a log that grows, or rolls)
      const text = versions[Math.min(reads[key] ?? 0, versions.length - 1)]!;
      const off = Number(q.get('offset'));
      const len = Number(q.get('byteLength'));
      const end = Math.min(text.length, off + len);
      if (end >= text.length) reads[key] = (reads[key] ?? 0) + 1;
      return new Response(`==== Bytes ${off}-${end} of ${text.length} of /secret/path/stdout ====\n${text.slice(off, end)}`);
    },
    show: (b) => `http://${b}/`,
  };
}

const driver = (id: string, state: string, worker = 'worker-20261204213446-2.worker.x.app.localspace-40045') => ({ id, state, worker, mainclass: 'Job', starttime: '1796420138408' });
const WORKERS = [
  { id: 'worker-20261204213446-2.worker.x.app.localspace-40045', host: '2.worker.x.app.localspace', state: 'ALIVE', cores: 1, memory: 1024, webuiaddress: 'http://2.worker.x.app.localspace:8081' },
];

describe('acting on a cluster (an in-memory master and workers)', () => {
  it('the leader is the ALIVE master, whichever it is; none ALIVE is cluster-unhealthy naming what each said', async () => {
    const l = await leader(
      fakeCluster({
        masters: [
          { status: 'STANDBY', workers: [] },
          { status: 'ALIVE', workers: [] },
        ],
      }),
    );
    expect(l.dyno).toBe('master.2');
    const p = await rejects(
      leader(
        fakeCluster({
          masters: [
            { status: 'STANDBY', workers: [] },
            { status: 'RECOVERING', workers: [] },
          ],
        }),
      ),
    );
    expect(p.code).toBe('cluster-unhealthy');
    expect(JSON.stringify(p)).toContain('master.1 STANDBY, master.2 RECOVERING');
  });

  it('kill: POSTs to the leader’s kill endpoint, then exits 0 only once the master says KILLED', async () => {
    const json: JobsJson = { status: 'ALIVE', workers: WORKERS, activedrivers: [driver('driver-20261204213538-0000', 'RUNNING')], completeddrivers: [] };
    let killed: Record<string, string> | undefined;
    const link = fakeCluster({
      masters: [{ status: 'STANDBY', workers: [] }, json],
      onKill: (p, form) => {
        expect(p).toBe('/driver/kill/');
        killed = form;
        json.completeddrivers = [driver('driver-20261204213538-0000', 'KILLED')];
        json.activedrivers = [];
      },
    });
    const r = await kill(link, { kind: 'driver', id: 'driver-20261204213538-0000' }, { everyMs: 10 });
    expect(killed).toEqual({ id: 'driver-20261204213538-0000', terminate: 'true' });
    expect(r).toMatchObject({ state: 'KILLED', leader: { dyno: 'master.2' } });
    expect(link.requests.filter((x) => x.startsWith('POST'))).toEqual(['POST 2.master.x.app.localspace:8080/driver/kill/']);
  });

  it('kill_csrf: Spark 4.3’s master takes a kill only with the CSRF token of its own page’s form; the token is read from the page and sent back', async () => {
    const page = readFileSync(path.resolve(import.meta.dirname, '../fixtures/jobs_master-4.3/master-page.html'), 'utf8');
    const token = /name="csrfToken" value="([0-9a-f]+)"/.exec(page)![1]!;
    expect(killFormOf(page)).toEqual({ csrfToken: token, version: '4.3.0' });
    // a page of 4.2 (no token in its forms) and one with kills off (no form at all)
    expect(killFormOf(readFileSync(path.join(FIX, 'app-page.html'), 'utf8'))).toEqual({ version: '4.2.0' });
    expect(killFormOf('<form action="app/kill/" method="POST"><input value="app-1" name="id" type="hidden"><input type=\'hidden\' value=\'t0k\' name=\'csrfToken\'></form>')).toEqual({
      csrfToken: 't0k',
    });

    const id = /app-\d{14}-\d{4}/.exec(page)![0];
    const json: JobsJson = { status: 'ALIVE', workers: [], activeapps: [{ id, name: 'Spark shell' }], completedapps: [] };
    let killed: Record<string, string> | undefined;
    const link = fakeCluster({
      masters: [json],
      page,
      // what 4.3 does: 403 without the page's token, whatever else is sent
      refuse: (form) => (form.csrfToken === token ? undefined : 403),
      onKill: (_, form) => {
        killed = form;
        json.completedapps = [{ id, name: 'Spark shell', state: 'KILLED' }];
        json.activeapps = [];
      },
    });
    const r = await kill(link, { kind: 'app', id }, { everyMs: 10 });
    expect(r.state).toBe('KILLED');
    expect(killed).toEqual({ id, terminate: 'true', csrfToken: token });
    expect(link.requests.slice(-3, -1)).toEqual(['GET 1.master.x.app.localspace:8080/', 'POST 1.master.x.app.localspace:8080/app/kill/']);

    // a UI that takes neither: the message says which Spark and what was tried
    const json2: JobsJson = { status: 'ALIVE', workers: [], activeapps: [{ id, name: 'a' }] };
    const neither = await rejects(kill(fakeCluster({ masters: [json2], page, refuse: () => 403 }), { kind: 'app', id }));
    expect(neither).toMatchObject({
      code: 'kill-failed',
      why: expect.stringContaining("with its page's CSRF token (HTTP 403): Spark 4.3.0's UI took neither the form with the token (4.3 and later) nor without it"),
    });
    // no kill form on the page (spark.ui.killEnabled=false): said so, not the token
    const off = await rejects(kill(fakeCluster({ masters: [json2], page: '<span class="version me-3">4.2.0</span>', refuse: () => 405 }), { kind: 'app', id }));
    expect(off).toMatchObject({ why: expect.stringContaining("HTTP 405): Spark 4.2.0's page carries no kill form to take a CSRF token from, so kills are off there (spark.ui.killEnabled=false?)") });
    expect(killRefusal(500, {})).toBe('the master refused the request (HTTP 500)');
  });

  it('kill: unknown id 17, already ended 19, not KILLED in time 19', async () => {
    const json: JobsJson = {
      status: 'ALIVE',
      workers: [],
      activeapps: [{ id: 'app-20261204213455-0001', name: 'a' }],
      completedapps: [{ id: 'app-20261204213455-0000', name: 'a', state: 'FINISHED' }],
    };
    const link = fakeCluster({ masters: [json] });
    expect(exitCodeOf(await rejects(kill(link, { kind: 'app', id: 'app-20261204213455-0009' })))).toBe(17);
    const ended = await rejects(kill(link, { kind: 'app', id: 'app-20261204213455-0000' }));
    expect(ended).toMatchObject({ code: 'kill-failed', state: 'FINISHED' });
    const stuck = await rejects(kill(link, { kind: 'app', id: 'app-20261204213455-0001' }, { timeoutMs: 100, everyMs: 10 }));
    expect(stuck).toMatchObject({ code: 'kill-failed', state: 'RUNNING' });
    expect(link.requests).toContain('POST 1.master.x.app.localspace:8080/app/kill/');
  });

  it('a log is read in chunks from where it was left, and again from its start when it rolled; the path is never shown', async () => {
    const w = '2.worker.x.app.localspace:8081';
    const link = fakeCluster({ masters: [], logs: { [`${w} driver-20261204213538-0000 stdout`]: ['a\nb\n', 'a\nb\nc\n', 'new\n'] } });
    const read = logReader(link, { kind: 'driver', id: 'driver-20261204213538-0000', workerUi: w, label: 'd' }, 'stdout', 2);
    expect(await read()).toBe('a\nb\n');
    expect(await read()).toBe('c\n');
    expect(await read()).toBe('new\n');
    expect(prefixed('executor 0', 'x\ny\n')).toBe('[executor 0] x\n[executor 0] y\n');
  });

  it("--wait: follows a supervised driver's relaunch to its end, with its log; a driver the masters forget is LOST", async () => {
    const w = '2.worker.x.app.localspace:8081';
    const json: JobsJson = { status: 'ALIVE', workers: WORKERS, activedrivers: [driver('driver-20261204213538-0000', 'RUNNING')], completeddrivers: [] };
    const link = fakeCluster({ masters: [json], logs: { [`${w} driver-20261204213538-0001 stdout`]: ['SUM=500000500000\n'], [`${w} driver-20261204213538-0001 stderr`]: [''] } });
    let polls = 0;
    const said: string[] = [];
    let out = '';
    const end = await waitForDriver(link, 'driver-20261204213538-0000', {
      followLogs: true,
      out: (s) => (out += s),
      err: () => undefined,
      say: (s) => said.push(s),
      everyMs: 1,
      stopped: () => {
        polls++;
        if (polls === 3) {
          json.completeddrivers = [driver('driver-20261204213538-0000', 'RELAUNCHING')];
          json.activedrivers = [driver('driver-20261204213538-0001', 'RUNNING')];
        }
        if (polls === 6) {
          json.activedrivers = [];
          json.completeddrivers!.push(driver('driver-20261204213538-0001', 'FINISHED'));
        }
        return false;
      },
    });
    expect(end).toEqual({ id: 'driver-20261204213538-0001', state: 'FINISHED' });
    expect(said.join('\n')).toContain('relaunched (--supervise) as driver-20261204213538-0001');
    expect(out).toBe('SUM=500000500000\n');
    const gone = await waitForDriver(fakeCluster({ masters: [{ status: 'ALIVE', workers: [] }] }), 'driver-20261204213538-0000', {
      followLogs: false,
      out() {},
      err() {},
      say() {},
      stopped: () => false,
    });
    expect(gone.state).toBe('LOST');
    const stopped = await waitForDriver(link, 'driver-20261204213538-0001', { followLogs: false, out() {}, err() {}, say() {}, stopped: () => true });
    expect(stopped.state).toBe('STOPPED');
  });
});
