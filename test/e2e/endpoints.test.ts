/**
 * Every way to send work to a real local space (one cluster for the file): Spark's own tools as
 * one-off dynos (spark-sql, pyspark, beeline, run-example), cluster-mode drivers with and without
 * --supervise, JDBC to the thrift dyno (in the space and through the proxy's /cliservice), Spark
 * Connect with pyspark-client (PyPI) against the connect dyno (TLS + token), and Prometheus text
 * through the proxy, and the HTTP API (the api dyno: statements, batches) with Node's fetch and
 * Python's requests. The cluster runs with SPARK_AUTH_SECRET, as app.json makes it.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { execa } from 'execa';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, tmpdir } from '../helpers/buildpack.js';
import { appWithEndpoints, buildJobJar, cli, freePort, thriftLock } from '../helpers/cluster.js';
import { DEFAULT_VERSION, testPysparkClient } from '../helpers/spark.js';
import { until } from '../helpers/wait.js';
import { beelineRows, beelineViaProxy } from '../helpers/sql.js';

const APP = 'e2e-endpoints';
const DOMAIN = `${APP}.app.localspace`;
const PASSWORD = randomBytes(12).toString('hex');
const TOKEN = randomBytes(24).toString('hex');
const API_TOKEN_E2E = randomBytes(24).toString('hex');
const SUM = '500000500000';
const rows = beelineRows;

interface Driver {
  id: string;
  state: string;
  worker: string;
}
interface MasterJson {
  activeapps: { name: string }[];
  completedapps: { name: string }[];
  activedrivers: Driver[];
  completeddrivers: Driver[];
}

describe(`endpoints of a local space, real Spark ${DEFAULT_VERSION}`, () => {
  let app: string;
  let sparkHome: string;
  let jar: string;
  let port: number;
  let state: string;
  let clientPython: string;
  let masterUi: string;
  let upOut: string;
  let releaseThrift: (() => void) | undefined;
  const auth = `Basic ${Buffer.from(`spark:${PASSWORD}`).toString('base64')}`;
  const proxy = (p: string, headers: Record<string, string> = {}, init: RequestInit = {}) =>
    fetch(`http://127.0.0.1:${port}${p}`, { redirect: 'follow', ...init, headers: { authorization: auth, ...headers } });
  const master = async (): Promise<MasterJson> => (await fetch(`${masterUi}/json/`)).json() as Promise<MasterJson>;

  beforeAll(async () => {
    clientPython = testPysparkClient(DEFAULT_VERSION);
    // the Procfile has a metastore type, no database: the space runs it on Derby, one catalog for all
    ({ app, sparkHome } = await appWithEndpoints(DEFAULT_VERSION, {
      password: PASSWORD,
      token: TOKEN,
      dotenv: { SPARK_API_TOKEN: API_TOKEN_E2E },
      types: { metastore: bin('metastore'), api: bin('api') },
    }));
    jar = await buildJobJar(sparkHome);
    port = await freePort();
    releaseThrift = await thriftLock();
    const up = await cli(['local', 'up', '--detach', '--dir', app, '--app', APP, '--workers', '2', '--thrift', '1', '--connect', '1', '--api', '1', '--port', String(port)], { timeout: 600_000 });
    expect(up.exitCode, up.all).toBe(0);
    upOut = up.all;
    state = path.join(app, '.spark-in-space', 'local', APP);
    const s = JSON.parse((await cli(['local', 'status', '--json', '--dir', app])).stdout) as { dynos: { name: string; ip: string }[] };
    masterUi = `http://${s.dynos.find((d) => d.name === 'master.1')!.ip}:8080`;
  });
  afterAll(async () => {
    if (app) await cli(['local', 'down', '--dir', app]);
    releaseThrift?.();
  });

  it('the thrift and connect dynos are up and their servers are applications on the cluster', async () => {
    const s = JSON.parse((await cli(['local', 'status', '--json', '--dir', app])).stdout) as { dynos: { name: string; phase: string }[] };
    expect(s.dynos.filter((d) => ['thrift.1', 'connect.1'].includes(d.name)).map((d) => d.phase)).toEqual(['up', 'up']);
    const apps = (await until(
      'both servers registered on the master',
      async () => {
        const names = (await master()).activeapps.map((a) => a.name);
        return names.includes('Thrift JDBC/ODBC Server') && names.includes('Spark Connect server') && names;
      },
      120_000,
    )) as string[];
    expect(apps).toEqual(expect.arrayContaining(['Thrift JDBC/ODBC Server', 'Spark Connect server']));
  });

  it('local run spark-sql -e: the answer, computed on the cluster (a completed SparkSQL app on the master)', async () => {
    const before = (await master()).completedapps.length;
    const r = await cli(['local', 'run', '--dir', app, 'spark-sql', '-e', 'SELECT sum(id) AS s FROM range(1000001)'], { timeout: 300_000 });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain(SUM);
    const done = (await master()).completedapps;
    expect(done.length).toBe(before + 1);
    expect(done.map((a) => a.name)).toContainEqual(expect.stringMatching(/^SparkSQL::127\./));
  });

  it('local run pyspark with a piped script: spark and sc exist, the master is the cluster’s', async () => {
    const r = await cli(['local', 'run', '--dir', app, 'pyspark'], {
      input: 'print("ANS", spark.range(1, 1000001).selectExpr("sum(id) AS s").first()[0], sc.master)\n',
      timeout: 300_000,
    });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain(`ANS ${SUM} spark://1.master.${DOMAIN}:7077`);
  });

  it('local run bin/spark-sql (the app has none): Spark’s own, with the cluster’s conf', async () => {
    const r = await cli(['local', 'run', '--dir', app, 'bin/spark-sql', '-e', 'SELECT 6 * 7'], { timeout: 300_000 });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout.trim().split('\n')).toContain('42');
  });

  it('local run run-example without an examples jar (PyPI’s layout): refused, saying why', async () => {
    const r = await cli(['local', 'run', '--dir', app, 'run-example', 'SparkPi']);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/has no examples jar \(examples\/jars\/spark-examples_\*\.jar\)/);
  });

  it('beeline in the space: JDBC over HTTP to 1.thrift.<app>.app.localspace:10001', async () => {
    const url = `jdbc:hive2://1.thrift.${DOMAIN}:10001/default;transportMode=http;httpPath=cliservice`;
    // beeline waits on an open stdin even with -e: give it an empty one, as a terminal user's would end
    const r = await cli(['local', 'run', '--dir', app, 'beeline', '-u', url, '-n', 'analyst', '-p', 'x', '--silent=true', '--outputformat=csv2', '-e', 'SELECT 40 + 2 AS answer'], {
      timeout: 300_000,
      input: '',
    });
    expect(r.exitCode, r.all).toBe(0);
    expect(rows(r.stdout)).toEqual(['answer', '42']);
  });

  it('beeline through the space proxy: /cliservice is 401 without credentials; with them, the answer', async () => {
    const bare = await fetch(`http://127.0.0.1:${port}/cliservice`, { method: 'POST', body: '' });
    expect(bare.status).toBe(401);
    const beeline = (password: string) => beelineViaProxy(sparkHome, port, password, ['SELECT sum(id) AS s FROM range(1000001)']);
    const wrong = await beeline('not-the-password');
    expect(wrong.exitCode).not.toBe(0);
    expect(wrong.all).toMatch(/401/);
    const right = await beeline(PASSWORD);
    expect(right.exitCode, right.all).toBe(0);
    expect(rows(right.stdout)).toEqual(['s', SUM]);
  });

  it('one catalog without a database: a table made through the thrift server is read through the connect server and by a one-off spark-sql; up says where it is', async () => {
    const catalog = path.join(state, 'data', 'catalog');
    expect(upOut).toMatch(/catalog: one for every driver, the metastore dyno \(port \d+\) on Derby in \S+data\/catalog/);
    expect(existsSync(path.join(catalog, 'metastore_db'))).toBe(true);
    const url = `jdbc:hive2://1.thrift.${DOMAIN}:10001/default;transportMode=http;httpPath=cliservice`;
    const made = await cli(
      [
        'local',
        'run',
        '--dir',
        app,
        'beeline',
        '-u',
        url,
        '-n',
        'analyst',
        '-p',
        'x',
        '--silent=true',
        '--outputformat=csv2',
        '-e',
        'CREATE TABLE shared_sums USING parquet AS SELECT id FROM range(1, 1000001)',
      ],
      { timeout: 300_000, input: '' },
    );
    expect(made.exitCode, made.all).toBe(0);
    const f = path.join(tmpdir('sis-connect-'), 'shared.py');
    writeFileSync(
      f,
      [
        'import sys',
        'from pyspark.sql import SparkSession',
        `spark = SparkSession.builder.remote("sc://1.connect.${DOMAIN}:15002/;token=" + sys.argv[1]).getOrCreate()`,
        'r = spark.sql("SELECT count(*) AS n, sum(id) AS s FROM shared_sums").collect()[0]',
        'print("ROWS", r["n"], r["s"])',
      ].join('\n'),
    );
    const viaConnect = await cli(['local', 'exec', '--dir', app, '--', clientPython, f, TOKEN], { timeout: 300_000, cwd: tmpdir('sis-connect-cwd-') });
    expect(viaConnect.exitCode, viaConnect.all).toBe(0);
    expect(viaConnect.stdout).toContain(`ROWS 1000000 ${SUM}`);
    const oneOff = await cli(['local', 'run', '--dir', app, 'spark-sql', '-e', 'SELECT count(*), sum(id) FROM shared_sums'], { timeout: 300_000, input: '' });
    expect(oneOff.exitCode, oneOff.all).toBe(0);
    expect(oneOff.stdout.trim().split('\n')).toContain(`1000000\t${SUM}`);
  });

  describe('Spark Connect (pyspark-client from PyPI, through `local exec`)', () => {
    const script = () => {
      const f = path.join(tmpdir('sis-connect-'), 'query.py');
      writeFileSync(
        f,
        [
          'import sys',
          'from pyspark.sql import SparkSession',
          'token = sys.argv[1]',
          `url = "sc://1.connect.${DOMAIN}:15002/" + (";token=" + token if token else ";use_ssl=true")`,
          'spark = SparkSession.builder.remote(url).getOrCreate()',
          'print("ANS", spark.range(1, 1000001).selectExpr("sum(id) AS s").collect()[0]["s"])',
        ].join('\n'),
      );
      return f;
    };
    const query = (token: string) => cli(['local', 'exec', '--dir', app, '--', clientPython, script(), token], { timeout: 300_000, cwd: tmpdir('sis-connect-cwd-') });

    it('with the token: a DataFrame query’s answer over TLS', async () => {
      const r = await query(TOKEN);
      expect(r.exitCode, r.all).toBe(0);
      expect(r.stdout).toContain(`ANS ${SUM}`);
    });

    it('with a wrong token, or none: refused (UNAUTHENTICATED)', async () => {
      const wrong = await query('wrong-token-0123456789');
      expect(wrong.exitCode).not.toBe(0);
      expect(wrong.all).toMatch(/UNAUTHENTICATED[\s\S]*Invalid authentication token/);
      const none = await query('');
      expect(none.exitCode).not.toBe(0);
      expect(none.all).toMatch(/UNAUTHENTICATED[\s\S]*No authentication token provided/);
    });

    it('idle, both servers hold no core (dynamic allocation): a job asking for every core gets all 8 within 10 s; both servers answer afterwards; status lists no one waiting', async () => {
      type App = { id: string; name: string; cores: number; starttime: number; state: string };
      const servers = ['Thrift JDBC/ODBC Server', 'Spark Connect server'];
      const apps = async () => (await master()).activeapps as App[];
      // the queries above gave them executors; SPARK_SERVER_IDLE_TIMEOUT (5 s here) takes them back
      await until('both servers holding no core', async () => (await apps()).filter((a) => servers.includes(a.name) && a.cores === 0).length === 2, 120_000, 500);
      const idle = JSON.parse((await cli(['local', 'status', '--json', '--dir', app])).stdout) as { healthy: boolean; waiting: unknown[] };
      expect([idle.healthy, idle.waiting]).toEqual([true, []]);

      const job = cli(['local', 'run', '--dir', app, 'bin/spark-submit', '--total-executor-cores', '8', '--class', 'SumJob', jar], { timeout: 300_000 });
      const granted = await until(
        'the job holding all 8 cores',
        async () => {
          const a = (await apps()).find((x) => x.name === 'sum-job');
          return a && a.cores === 8 && { ms: Date.now() - a.starttime };
        },
        240_000,
        200,
      );
      expect(granted.ms).toBeLessThan(10_000);
      const r = await job;
      expect(r.exitCode, r.all).toBe(0);
      expect(r.stdout).toContain(`SUM=${SUM}`);

      // the servers take executors again for their queries
      const url = `jdbc:hive2://1.thrift.${DOMAIN}:10001/default;transportMode=http;httpPath=cliservice`;
      const b = await cli(['local', 'run', '--dir', app, 'beeline', '-u', url, '-n', 'analyst', '-p', 'x', '--silent=true', '--outputformat=csv2', '-e', 'SELECT sum(id) AS s FROM range(1000001)'], {
        timeout: 300_000,
        input: '',
      });
      expect(b.exitCode, b.all).toBe(0);
      expect(rows(b.stdout)).toEqual(['s', SUM]);
      const c = await query(TOKEN);
      expect(c.exitCode, c.all).toBe(0);
      expect(c.stdout).toContain(`ANS ${SUM}`);
    });

    it('the token is in no log and no command line', () => {
      const logs = path.join(state, 'logs');
      for (const f of readdirSync(logs)) expect(readFileSync(path.join(logs, f), 'utf8'), f).not.toContain(TOKEN);
      for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
        let cmdline: string;
        try {
          cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        } catch {
          continue;
        }
        expect(cmdline, `pid ${pid}`).not.toContain(TOKEN);
      }
    });
  });

  describe('Prometheus through the proxy', () => {
    it('the master’s, without choosing a backend; 401 without credentials', async () => {
      const r = await proxy('/metrics/master/prometheus/');
      expect(r.status).toBe(200);
      expect(await r.text()).toMatch(/^metrics_master_aliveWorkers_Value\{type="gauges"\} 2$/m);
      expect((await fetch(`http://127.0.0.1:${port}/metrics/master/prometheus/`)).status).toBe(401);
    });

    it('a worker’s and a running application’s (the thrift server’s driver and executors), by the backend cookie', async () => {
      const worker = await proxy('/metrics/prometheus/', { cookie: `space_backend=1.worker.${DOMAIN}:8081` });
      expect(worker.status).toBe(200);
      expect(await worker.text()).toMatch(/^metrics_worker_coresFree_Value\{type="gauges"\} \d+$/m);
      const driver = await proxy('/metrics/prometheus/', { cookie: `space_backend=1.thrift.${DOMAIN}:4040` });
      expect(driver.status).toBe(200);
      expect(await driver.text()).toMatch(/^metrics_app_\d+_\d+_driver_BlockManager_memory_maxMem_MB_Value\{type="gauges"\} \d+/m);
      const executors = await proxy('/metrics/executors/prometheus', { cookie: `space_backend=1.thrift.${DOMAIN}:4040` });
      expect(executors.status).toBe(200);
      expect(await executors.text()).toMatch(/^metrics_executor_memoryUsed_bytes\{application_id="app-[^"]+", application_name="Thrift JDBC\/ODBC Server", executor_id="driver"\}/m);
    });

    it('/_dynos links each UI’s metrics through /set-backend, which then leads there', async () => {
      const page = await (await proxy('/_dynos')).text();
      const link = `/set-backend/1.worker.${DOMAIN}:8081?to=/metrics/prometheus/`;
      expect(page).toContain(`href="${link}"`);
      expect(page).toContain(`href="/set-backend/1.master.${DOMAIN}:8080?to=/metrics/master/prometheus/"`);
      expect(page).toMatch(/<td>thrift<\/td><td>thrift\.1<\/td>.*JDBC at \/cliservice/);
      const r = await proxy(link, {}, { redirect: 'manual' });
      expect(r.status).toBe(302);
      expect(r.headers.get('location')).toBe('/metrics/prometheus/');
      expect(r.headers.get('set-cookie')).toContain(`space_backend=1.worker.${DOMAIN}:8081`);
    });
  });

  describe('the HTTP API (api dyno): Node fetch and Python requests, through the proxy and in the space', () => {
    const API_TOKEN = API_TOKEN_E2E;
    const bearer = { authorization: `Bearer ${API_TOKEN}` };
    const json = { 'content-type': 'application/json' };
    /** the API through the space proxy, as the proxy's user (basic auth), with Node's fetch */
    const viaProxy = (p: string, init: RequestInit = {}) => proxy(p, { ...json, ...(init.headers as Record<string, string>) }, init);
    /** the api dyno in the space, with the bearer token */
    let apiUrl: string;
    const direct = (p: string, init: RequestInit = {}) => fetch(`${apiUrl}${p}`, { ...init, headers: { ...json, ...bearer, ...(init.headers as Record<string, string>) } });
    const post = (p: string, body: unknown, headers: Record<string, string> = {}) => viaProxy(p, { method: 'POST', body: JSON.stringify(body), headers });
    type Batch = { id: string; state: string; ended?: boolean; applicationId?: string };
    const batchEnd = (id: string) =>
      until(
        `batch ${id} to end`,
        async () => ((await (await viaProxy(`/api/v1/batches/${id}`)).json()) as Batch).ended && ((await (await viaProxy(`/api/v1/batches/${id}`)).json()) as Batch),
        240_000,
        1000,
      );
    const logOf = async (id: string, stream = 'stdout') => ((await (await viaProxy(`/api/v1/batches/${id}/log?stream=${stream}`)).json()) as { text: string }).text;
    /** a Python script run with pyspark-client's venv (requests) in the space: `local exec` gives it the space's names */
    const python = (code: string, ...args: string[]) => {
      const f = path.join(tmpdir('sis-api-py-'), 'client.py');
      writeFileSync(f, code);
      return cli(['local', 'exec', '--dir', app, '--', clientPython, f, ...args], { timeout: 300_000, cwd: tmpdir('sis-api-cwd-') });
    };

    beforeAll(async () => {
      const s = JSON.parse((await cli(['local', 'status', '--json', '--dir', app])).stdout) as { dynos: { name: string; ip: string; phase: string }[] };
      const api = s.dynos.find((d) => d.name === 'api.1');
      expect(api?.phase).toBe('up');
      apiUrl = `http://${api!.ip}:8998`;
    });

    it('a statement through the proxy (Node fetch, basic auth): the sum, with its columns; the same in the space with the bearer token', async () => {
      const r = await post('/api/v1/statements', { statement: 'SELECT sum(id) AS s FROM range(1000000)', wait: '50s' });
      const body = (await r.json()) as { state: string; columns: { name: string; type: string }[]; rows: unknown[][]; totalRows: number; next?: string };
      expect(r.status, JSON.stringify(body)).toBe(200);
      expect(body).toMatchObject({ state: 'SUCCEEDED', columns: [{ name: 's', type: 'BIGINT' }], rows: [[499999500000]], totalRows: 1 });
      expect(body.next).toBeUndefined();
      const d = await direct('/api/v1/statements', {
        method: 'POST',
        body: JSON.stringify({
          statement: 'SELECT :n * 2 AS twice, :s AS s',
          parameters: [
            { name: 'n', value: 21 },
            { name: 's', value: "it's" },
          ],
        }),
      });
      expect(await d.json()).toMatchObject({ state: 'SUCCEEDED', rows: [[42, "it's"]] });
    });

    it('Python requests in the space pages a 200,000-row result (rows and bytes capped per page, said in the answer)', async () => {
      const r = await python(
        [
          'import sys, requests',
          'api, token = sys.argv[1], sys.argv[2]',
          's = requests.Session(); s.headers["Authorization"] = "Bearer " + token',
          'r = s.post(api + "/api/v1/statements", json={"statement": "SELECT id, concat(\'row-\', id) AS s FROM range(200000)", "wait": "50s"}).json()',
          'while r["state"] in ("PENDING", "RUNNING"): r = s.get(api + "/api/v1/statements/" + r["id"], params={"wait": "10s"}).json()',
          'assert r["state"] == "SUCCEEDED", r',
          'rows, pages, limit = list(r["rows"]), 1, r["limits"]["pageRows"]',
          'while r.get("next"):',
          '    r = s.get(api + r["next"]).json(); rows += r["rows"]; pages += 1',
          '    assert len(r["rows"]) <= limit',
          'print("ROWS", len(rows), "PAGES", pages, "SUM", sum(x[0] for x in rows), "LAST", rows[-1][1], "TOTAL", r.get("totalRows"))',
        ].join('\n'),
        `http://1.api.${DOMAIN}:8998`,
        API_TOKEN,
      );
      expect(r.exitCode, r.all).toBe(0);
      expect(r.stdout).toContain('ROWS 200000 PAGES 20 SUM 19999900000 LAST row-199999 TOTAL 200000');
    });

    it('a long query answers 202 RUNNING; DELETE cancels it on the cluster (the thrift server’s job ends, CANCELED)', async () => {
      const r = await post('/api/v1/statements', { statement: 'SELECT sum(id) FROM range(0, 50000000000, 1, 8)', wait: '2s' });
      expect(r.status).toBe(202);
      const { id, state } = (await r.json()) as { id: string; state: string };
      expect(state).toBe('RUNNING');
      const c = await viaProxy(`/api/v1/statements/${id}`, { method: 'DELETE' });
      expect(await c.json()).toMatchObject({ id, state: 'CANCELED' });
      // the thrift server's driver (its REST API, through the proxy's backend cookie): the query's job no longer runs
      const ui = { cookie: `space_backend=1.thrift.${DOMAIN}:4040` };
      const apps = (await (await proxy('/api/v1/applications', ui)).json()) as { id: string }[];
      await until(
        'the canceled job to end',
        async () => {
          const jobs = (await (await proxy(`/api/v1/applications/${apps[0]!.id}/jobs`, ui)).json()) as { status: string; description?: string }[];
          const job = jobs.find((j) => j.description?.includes('50000000000'));
          return job && job.status !== 'RUNNING' && job;
        },
        30_000,
        500,
      );
      expect(((await (await viaProxy(`/api/v1/statements/${id}`)).json()) as { state: string }).state).toBe('CANCELED');
    });

    it('a jar batch (a path in the slug), sent twice with one Idempotency-Key: one driver, FINISHED, its output through …/log; apps, drivers and logs of the CLI list it', async () => {
      copyFileSync(jar, path.join(app, 'sum-job.jar'));
      const before = (await master()).activedrivers.length + (await master()).completeddrivers.length;
      const key = randomBytes(8).toString('hex');
      const body = { file: 'sum-job.jar', className: 'SumJob', name: 'api-sum' };
      const first = await post('/api/v1/batches', body, { 'idempotency-key': key });
      const b = (await first.json()) as Batch;
      expect(first.status, JSON.stringify(b)).toBe(201);
      expect(b.id).toMatch(/^driver-\d{14}-\d{4}$/);
      const again = await post('/api/v1/batches', body, { 'idempotency-key': key });
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(((await again.json()) as Batch).id).toBe(b.id);
      const other = await post('/api/v1/batches', { ...body, name: 'other' }, { 'idempotency-key': key });
      expect(other.status).toBe(422);
      expect((await master()).activedrivers.length + (await master()).completeddrivers.length).toBe(before + 1);
      const done = await batchEnd(b.id);
      expect(done.state).toBe('FINISHED');
      expect(await logOf(b.id)).toContain(`SUM=${SUM}`);
      const drivers = JSON.parse((await cli(['local', 'drivers', '--json', '--dir', app])).stdout) as unknown;
      expect(JSON.stringify(drivers)).toContain(b.id);
      const logs = await cli(['local', 'logs', b.id, '--dir', app]);
      expect(logs.stdout).toContain(`SUM=${SUM}`);
      if (done.applicationId) expect((await cli(['local', 'apps', '--json', '--dir', app])).stdout).toContain(done.applicationId);
    });

    it('a Python batch from an http:// URL (Python requests) runs on a worker, FINISHED, its output through …/log; meanwhile a long jar batch is killed by DELETE (KILLED, a second DELETE 409)', async () => {
      const long = await post('/api/v1/batches', { file: 'sum-job.jar', className: 'SumJob', args: ['sleep'] });
      const l = (await long.json()) as Batch;
      expect(long.status, JSON.stringify(l)).toBe(201);
      const dir = tmpdir('sis-api-files-');
      writeFileSync(
        path.join(dir, 'pysum.py'),
        [
          'import sys',
          'from pyspark.sql import SparkSession',
          'spark = SparkSession.builder.getOrCreate()',
          'print("PYSUM=%d" % spark.sparkContext.parallelize(range(1, int(sys.argv[1]) + 1)).sum())',
          'spark.stop()',
        ].join('\n'),
      );
      const server = http.createServer((req, res) => res.end(readFileSync(path.join(dir, path.basename(req.url ?? '')))));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      try {
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/pysum.py`;
        const r = await python(
          [
            'import sys, json, requests',
            'api, token, url = sys.argv[1:4]',
            'r = requests.post(api + "/api/v1/batches", json={"file": url, "args": ["1000000"]}, headers={"Authorization": "Bearer " + token})',
            'print("BATCH", r.status_code, json.dumps(r.json()))',
          ].join('\n'),
          `http://1.api.${DOMAIN}:8998`,
          API_TOKEN,
          url,
        );
        expect(r.exitCode, r.all).toBe(0);
        const b = JSON.parse(/BATCH 201 (.*)/.exec(r.stdout)![1]!) as Batch & { mainClass: string };
        expect(b.mainClass).toBe('org.apache.spark.deploy.PythonRunner');
        await until('the long batch to run', async () => (await logOf(l.id).catch(() => '')).includes('READY'), 120_000, 1000);
        const k = await viaProxy(`/api/v1/batches/${l.id}`, { method: 'DELETE' });
        expect(k.status).toBe(200);
        expect(((await k.json()) as Batch).state).toBe('KILLED');
        const again = await viaProxy(`/api/v1/batches/${l.id}`, { method: 'DELETE' });
        expect(again.status).toBe(409);
        expect(((await again.json()) as { error: { code: string } }).error.code).toBe('conflict');
        const list = (await (await viaProxy('/api/v1/batches')).json()) as { batches: Batch[] };
        expect(list.batches.find((x) => x.id === l.id)?.state).toBe('KILLED');
        const done = await batchEnd(b.id);
        expect(done.state).toBe('FINISHED');
        expect(await logOf(b.id)).toContain(`PYSUM=${SUM}`);
      } finally {
        server.close();
      }
    });

    it('bad input: a JSON error with a status and a stable code, never a stack trace', async () => {
      const code = async (res: Response) => ({ status: res.status, code: ((await res.json()) as { error: { code: string; message: string } }).error.code });
      expect(await code(await fetch(`${apiUrl}/api/v1/statements`, { method: 'POST', headers: json, body: '{}' }))).toEqual({ status: 401, code: 'unauthorized' });
      expect(await code(await direct('/api/v1/openapi.json', { headers: { authorization: 'Bearer wrong-token-0000000000' } }))).toEqual({ status: 401, code: 'unauthorized' });
      expect((await fetch(`http://127.0.0.1:${port}/api/v1/batches`)).status).toBe(401);
      expect(await code(await direct('/api/v1/statements', { method: 'POST', body: '{"statement": "SELECT 1",' }))).toEqual({ status: 400, code: 'malformed-json' });
      const unknown = await direct('/api/v1/statements', { method: 'POST', body: JSON.stringify({ statement: 'SELECT 1', limit: 5 }) });
      expect(await unknown.json()).toEqual({ error: { code: 'invalid-request', message: 'unknown field "limit"', field: 'limit' } });
      const big = JSON.stringify({ statement: `SELECT '${'x'.repeat(1_200_000)}'` });
      expect(await code(await direct('/api/v1/statements', { method: 'POST', body: big }))).toEqual({ status: 413, code: 'body-too-large' });
      expect(await code(await post('/api/v1/statements', JSON.parse(big)))).toEqual({ status: 413, code: 'body-too-large' });
      expect(await code(await viaProxy('/api/v1/statements/00000000-0000-0000-0000-000000000000'))).toEqual({ status: 404, code: 'not-found' });
      expect(await code(await viaProxy('/api/v1/batches/driver-20200101000000-0042'))).toEqual({ status: 404, code: 'not-found' });
      const ftp = await post('/api/v1/batches', { file: 'ftp://host/job.jar', className: 'Job' });
      const ftpBody = (await ftp.json()) as { error: { code: string; message: string; supported: string } };
      expect([ftp.status, ftpBody.error.code]).toEqual([400, 'unsupported-file']);
      expect(ftpBody.error.supported).toMatch(/s3a:\/\/.*https:\/\/.*slug/);
      const bad = await post('/api/v1/statements', { statement: 'SELEC 1' });
      const failed = (await bad.json()) as { state: string; error: { errorClass: string; message: string } };
      expect(failed).toMatchObject({ state: 'FAILED', error: { errorClass: 'PARSE_SYNTAX_ERROR' } });
      expect(failed.error.message).not.toMatch(/\tat |Exception/);
      expect(await code(await viaProxy('/api/v1/statements', { method: 'POST', body: 'statement=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }))).toEqual({
        status: 415,
        code: 'unsupported-media-type',
      });
      // Spark's own REST API stays where its UIs call it, through the proxy
      expect((await proxy('/api/v1/applications', { cookie: `space_backend=1.thrift.${DOMAIN}:4040` })).status).toBe(200);
    });

    it('the OpenAPI document describes every endpoint; the token is in no log and no command line', async () => {
      const doc = (await (await viaProxy('/api/v1/openapi.json')).json()) as { openapi: string; paths: Record<string, unknown> };
      expect(doc.openapi).toBe('3.1.0');
      expect(Object.keys(doc.paths).sort()).toEqual([
        '/api/v1/batches',
        '/api/v1/batches/{id}',
        '/api/v1/batches/{id}/log',
        '/api/v1/openapi.json',
        '/api/v1/statements',
        '/api/v1/statements/{id}',
        '/api/v1/statements/{id}/result',
      ]);
      for (const f of readdirSync(path.join(state, 'logs'))) expect(readFileSync(path.join(state, 'logs', f), 'utf8'), f).not.toContain(API_TOKEN);
      const ps = (await execa('ps', ['-eo', 'args', '--no-headers'])).stdout;
      expect(ps).not.toContain(API_TOKEN);
    });
  });

  describe('cluster-mode drivers (bin/spark-submit --deploy-mode cluster)', () => {
    const driverOutput = (d: Driver) => {
      const n = /-(\d+)\.worker\./.exec(d.worker)?.[1];
      const f = path.join(state, 'dynos', `worker.${n}`, 'work', d.id, 'stdout');
      return existsSync(f) ? readFileSync(f, 'utf8') : '';
    };
    const drivers = async () => {
      const m = await master();
      return [...m.activedrivers, ...m.completeddrivers];
    };

    it('a job jar finishes on a worker (spark-submit by its bare name): FINISHED on the master, its output in the worker’s driver dir', async () => {
      // the bare name, as a user types it in a one-off dyno: the launcher (bin/support/path), not Spark's own
      const r = await cli(['local', 'run', '--dir', app, 'spark-submit', '--deploy-mode', 'cluster', '--class', 'SumJob', jar], { timeout: 300_000 });
      expect(r.exitCode, r.all).toBe(0);
      const id = /Driver successfully submitted as (driver-\S+)/.exec(r.all ?? '')?.[1];
      expect(id, r.all).toBeTruthy();
      const d = await until(`${id} FINISHED`, async () => (await drivers()).find((x) => x.id === id && ['FINISHED', 'FAILED', 'ERROR', 'KILLED'].includes(x.state)), 240_000, 1000);
      expect(d.state, driverOutput(d)).toBe('FINISHED');
      expect(driverOutput(d)).toContain(`SUM=${SUM}`);
    });

    it('--supervise: killing the driver’s worker relaunches it on the other worker, where it finishes', async () => {
      const go = path.join(tmpdir('sis-supervise-'), 'go');
      const r = await cli(['local', 'run', '--dir', app, 'bin/spark-submit', '--deploy-mode', 'cluster', '--supervise', '--class', 'SumJob', jar, 'wait-for', go], { timeout: 300_000 });
      expect(r.exitCode, r.all).toBe(0);
      const id = /Driver successfully submitted as (driver-\S+)/.exec(r.all ?? '')![1]!;
      const first = await until(
        `${id} waiting on its worker`,
        async () => {
          const d = (await drivers()).find((x) => x.id === id && x.state === 'RUNNING');
          return d && driverOutput(d).includes('WAITING') && d;
        },
        240_000,
        1000,
      );
      const n = /-(\d+)\.worker\./.exec(first.worker)![1];
      const s = JSON.parse((await cli(['local', 'status', '--json', '--dir', app])).stdout) as { dynos: { name: string; pid: number }[] };
      process.kill(-s.dynos.find((d) => d.name === `worker.${n}`)!.pid, 'SIGKILL');
      const again = await until(
        'the driver relaunched on the other worker',
        async () => {
          const d = (await drivers()).find((x) => x.id !== id && x.state === 'RUNNING' && !x.worker.includes(`-${n}.worker.`) && x.id > id);
          return d && driverOutput(d).includes('WAITING') && d;
        },
        240_000,
        1000,
      );
      writeFileSync(go, '');
      const done = await until(`${again.id} FINISHED`, async () => (await drivers()).find((x) => x.id === again.id && x.state !== 'RUNNING' && x.state !== 'SUBMITTED'), 240_000, 1000);
      expect(done.state, driverOutput(done)).toBe('FINISHED');
      expect(driverOutput(done)).toContain(`SUM=${SUM}`);
      // the space restarts the killed worker (a new dyno under the same name)
      await until(
        'worker restarted',
        async () => JSON.parse((await cli(['local', 'status', '--json', '--dir', app])).stdout).dynos.find((d: { name: string; phase: string }) => d.name === `worker.${n}`)?.phase === 'up',
        120_000,
        1000,
      );
    });
  });
});
