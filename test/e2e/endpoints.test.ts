/**
 * Every way to send work to a real local space (one cluster for the file): Spark's own tools as
 * one-off dynos (spark-sql, pyspark, beeline, run-example), cluster-mode drivers with and without
 * --supervise, JDBC to the thrift dyno (in the space and through the proxy's /cliservice), Spark
 * Connect with pyspark-client (PyPI) against the connect dyno (TLS + token), and Prometheus text
 * through the proxy. The cluster runs with SPARK_AUTH_SECRET, as app.json makes it.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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
    ({ app, sparkHome } = await appWithEndpoints(DEFAULT_VERSION, { password: PASSWORD, token: TOKEN, types: { metastore: bin('metastore') } }));
    jar = await buildJobJar(sparkHome);
    port = await freePort();
    releaseThrift = await thriftLock();
    const up = await cli(['local', 'up', '--detach', '--dir', app, '--app', APP, '--workers', '2', '--thrift', '1', '--connect', '1', '--port', String(port)], { timeout: 600_000 });
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
