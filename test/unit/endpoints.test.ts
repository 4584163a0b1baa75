/**
 * Ways to send work, as pure decisions: argv of the thrift and connect dynos and of cluster-mode
 * spark-submit, what a one-off dyno runs, the driver conf (cluster mode, Connect's binding,
 * Prometheus), the proxy's JDBC credentials and metrics links, the build's examples note.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig, type Env } from '../../src/config/schema.js';
import { computeConf, driverAuthArgs, prometheusConf, renderConf, type Role } from '../../src/render/index.js';
import { argvFor, CLUSTER_SUBMIT_UNSET, CONNECT_MAIN, isClusterMode, THRIFT_MAIN, type ProcessType } from '../../src/launch/index.js';
import { connectNames, connectNginxConf } from '../../src/launch/connect.js';
import { oneOffCommand } from '../../src/local/oneoff.js';
import { thriftAuthHeaders, thriftBackend } from '../../src/proxy/index.js';
import { dynosFromTopology, landingHtml, metricsPath, setBackend } from '../../src/proxy/landing.js';
import { examplesNote, profileScript } from '../../src/buildpack/compile.js';
import { isProblem } from '../../src/errors.js';

const dyno = (type: string, n: number, ip = `10.0.9.${n}`): Env => ({
  DYNO: `${type}.${n}`,
  HEROKU_PRIVATE_IP: ip,
  HEROKU_DNS_DYNO_NAME: `${n}.${type}.demo.app.localspace`,
  HEROKU_DNS_FORMATION_NAME: `${type}.demo.app.localspace`,
  HEROKU_DNS_APP_NAME: 'demo.app.localspace',
});
const L = { memoryMb: 14336, cores: 8 };
const conf = (env: Env, role: Role, o: { process?: string; clusterMode?: boolean; version?: string } = {}) =>
  computeConf({ settings: parseConfig(env, 'run'), env, role, spark: { version: o.version ?? '4.2.0', log4j: 2 }, resources: L, process: o.process, clusterMode: o.clusterMode });
const argv = (type: ProcessType, env: Env, args: string[] = [], role: Role = 'driver') =>
  argvFor(type, { sparkHome: '/s', settings: parseConfig(env, 'run'), env, conf: conf(env, role, { process: type, clusterMode: isClusterMode(args) }), args, confDir: '/c' });

describe('thrift and connect dynos', () => {
  it('thrift: the Thrift server through spark-submit, HTTP transport on the private address, port 10001, /cliservice', () => {
    const a = argv('thrift', dyno('thrift', 1), ['--conf', 'spark.sql.shuffle.partitions=8']);
    expect(a.slice(0, 7)).toEqual(['/s/bin/spark-submit', '--class', THRIFT_MAIN, '--name', 'Thrift JDBC/ODBC Server', '--master', 'spark://1.master.demo.app.localspace:7077']);
    // spark-submit's own options before the primary resource, the server's --hiveconf after it
    expect(a.indexOf('--conf')).toBeLessThan(a.indexOf('spark-internal'));
    expect(a.slice(a.indexOf('spark-internal') + 1)).toEqual([
      '--hiveconf',
      'hive.server2.transport.mode=http',
      '--hiveconf',
      'hive.server2.thrift.http.port=10001',
      '--hiveconf',
      'hive.server2.thrift.bind.host=10.0.9.1',
      '--hiveconf',
      'hive.server2.thrift.http.path=cliservice',
    ]);
  });

  it('connect: the Connect server through spark-submit; the token is never in argv (it comes from the environment)', () => {
    const env = { ...dyno('connect', 1), SPARK_CONNECT_TOKEN: 't'.repeat(32) };
    const a = argv('connect', env);
    expect(a).toEqual(['/s/bin/spark-submit', '--class', CONNECT_MAIN, '--name', 'Spark Connect server', '--master', 'spark://1.master.demo.app.localspace:7077', 'spark-internal']);
    expect(a.join(' ')).not.toContain('tttt');
    expect(JSON.stringify(conf(env, 'driver', { process: 'connect' }))).not.toContain('tttt');
  });

  it('connect: the server listens on the dyno’s loopback behind TLS; under local on its own address (one loopback for all)', () => {
    const heroku = Object.fromEntries(conf(dyno('connect', 1), 'driver', { process: 'connect' }).defaults);
    expect(heroku['spark.connect.grpc.binding.address']).toBe('127.0.0.1');
    expect(heroku['spark.connect.grpc.binding.port']).toBe('15003');
    const local = Object.fromEntries(conf({ ...dyno('connect', 1, '127.40.8.1'), SPARK_IN_SPACE_LOCAL: '1' }, 'driver', { process: 'connect' }).defaults);
    expect(local['spark.connect.grpc.binding.address']).toBe('127.40.8.1');
    expect(Object.fromEntries(conf(dyno('run', 1), 'driver').defaults)['spark.connect.grpc.binding.address']).toBeUndefined();
  });

  it('connect: the TLS sidecar serves gRPC with TLS on the private address and passes it to the server', async () => {
    const c = connectNginxConf({ dir: '/c', tmp: '/t', listenHost: '10.0.9.1', backendHost: '127.0.0.1' });
    expect(c).toContain('listen 10.0.9.1:15002 ssl http2;');
    expect(c).toContain('ssl_certificate /c/connect-tls.crt;');
    expect(c).toContain('grpc_pass grpc://127.0.0.1:15003;');
    expect(c).not.toMatch(/^user /m);
    expect(connectNames(parseConfig(dyno('connect', 2), 'run'))).toEqual(['*.connect.demo.app.localspace', 'connect.demo.app.localspace', '2.connect.demo.app.localspace', 'localhost']);
  });

  it('SPARK_CONNECT_TOKEN and the TLS pair: bad values are named with an example, never echoed', () => {
    for (const [name, value, problem] of [
      ['SPARK_CONNECT_TOKEN', 'short-secret', /at least 16/],
      ['SPARK_CONNECT_TOKEN', 'has a space in it, sixteen+', /letters, digits/],
      ['SPARK_CONNECT_TLS_CERT', 'not-a-pem-certificate', /PEM certificate/],
      ['SPARK_CONNECT_TLS_KEY', 'not-a-pem-private-key', /PEM private key/],
    ] as const) {
      let err: unknown;
      try {
        parseConfig({ [name]: value }, 'run');
      } catch (e) {
        err = e;
      }
      expect(isProblem(err), name).toBe(true);
      const text = JSON.stringify(err);
      expect(text).toContain(name);
      expect(text).toMatch(problem);
      expect(text).not.toContain(value);
    }
    const pem = '-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----';
    expect(parseConfig({ SPARK_CONNECT_TLS_CERT: pem }, 'run').SPARK_CONNECT_TLS_CERT).toBe('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----');
  });
});

describe('cluster-mode spark-submit', () => {
  it('--deploy-mode cluster, in either spelling', () => {
    expect(isClusterMode(['--deploy-mode', 'cluster', 'x.jar'])).toBe(true);
    expect(isClusterMode(['--deploy-mode=cluster'])).toBe(true);
    expect(isClusterMode(['--deploy-mode', 'client'])).toBe(false);
    expect(isClusterMode(['--class', 'cluster'])).toBe(false);
  });

  it('nothing of the submitting dyno goes with the driver: its dirs, address and names unset, no spark-env.sh, the rendered properties', () => {
    const a = argv('spark-submit', dyno('run', 1), ['--deploy-mode', 'cluster', '--supervise', '--class', 'Job', 'job.jar']);
    expect(a[0]).toBe('env');
    const unset = a.flatMap((x, i) => (x === '-u' ? [a[i + 1]] : []));
    expect(unset).toEqual(CLUSTER_SUBMIT_UNSET);
    expect(unset).toEqual(expect.arrayContaining(['SPARK_CONF_DIR', 'SPARK_LOCAL_DIRS', 'SPARK_LOCAL_IP', 'SPARK_PUBLIC_DNS', 'HEROKU_PRIVATE_IP', 'DYNO']));
    expect(a.slice(a.indexOf('SPARK_ENV_LOADED=1'), a.indexOf('SPARK_ENV_LOADED=1') + 4)).toEqual(['SPARK_ENV_LOADED=1', '/s/bin/spark-submit', '--properties-file', '/c/spark-defaults.conf']);
    expect(a.slice(-6)).toEqual(['--deploy-mode', 'cluster', '--supervise', '--class', 'Job', 'job.jar']);
  });

  it('with SPARK_AUTH_SECRET the driver reads the secret from the workers’ argument file (0600), never a command line', async () => {
    const env = { ...dyno('run', 1), SPARK_HOME: '/app/spark-home', SPARK_AUTH_SECRET: 'a-secret-of-32-characters-0123456' };
    const d = Object.fromEntries(conf(env, 'driver', { clusterMode: true }).defaults);
    expect(d['spark.driver.extraJavaOptions']).toBe('@/app/spark-home/conf/driver-auth.args');
    expect(Object.fromEntries(conf({ ...env, SPARK_IN_SPACE_SHARED_DIR: '/state' }, 'driver', { clusterMode: true }).defaults)['spark.driver.extraJavaOptions']).toBe('@/state/driver-auth.args');
    expect(Object.fromEntries(conf(env, 'driver').defaults)['spark.driver.extraJavaOptions']).toBeUndefined();
    expect(driverAuthArgs('a"b\\c')).toBe('"-Dspark.authenticate.secret=a\\"b\\\\c"\n');
  });

  it('the driver conf of cluster mode binds nothing to the submitter’s address; client mode does', () => {
    const cluster = Object.fromEntries(conf(dyno('run', 1), 'driver', { clusterMode: true }).defaults);
    expect(cluster['spark.driver.host']).toBeUndefined();
    expect(cluster['spark.driver.bindAddress']).toBeUndefined();
    const client = Object.fromEntries(conf(dyno('run', 1), 'driver').defaults);
    expect(client['spark.driver.bindAddress']).toBe('10.0.9.1');
    expect(argv('spark-submit', dyno('run', 1), ['x.jar'])).toEqual(['/s/bin/spark-submit', '--master', 'spark://1.master.demo.app.localspace:7077', 'x.jar']);
  });
});

describe('Spark tools in one-off dynos', () => {
  const has = (app: string[], spark: string[]) => ({ app: (rel: string) => app.includes(rel), spark: (n: string) => spark.includes(n) });

  it('bin/<tool> the app lacks is Spark’s (our launchers for spark-shell and spark-submit); the app’s own wins; a bare name is left to PATH', () => {
    expect(oneOffCommand(['bin/spark-sql', '-e', 'SELECT 1'], has([], ['spark-sql']), '/s', '/bp/bin')).toEqual(['/s/bin/spark-sql', '-e', 'SELECT 1']);
    expect(oneOffCommand(['./bin/pyspark'], has([], ['pyspark']), '/s', '/bp/bin')).toEqual(['/s/bin/pyspark']);
    expect(oneOffCommand(['bin/spark-submit', '--deploy-mode', 'cluster'], has([], ['spark-submit']), '/s', '/bp/bin')).toEqual(['/bp/bin/spark-submit', '--deploy-mode', 'cluster']);
    expect(oneOffCommand(['bin/spark-shell'], has(['bin/spark-shell'], ['spark-shell']), '/s', '/bp/bin')).toEqual(['bin/spark-shell']);
    expect(oneOffCommand(['bin/job'], has([], ['spark-sql']), '/s', '/bp/bin')).toEqual(['bin/job']);
    expect(oneOffCommand(['beeline', '-u', 'x'], has([], ['beeline']), '/s', '/bp/bin')).toEqual(['beeline', '-u', 'x']);
  });

  it('a driver’s spark-env.sh makes `pyspark < script` run the script in the shell; daemons’ do not carry it', async () => {
    const driverEnv = renderConf(conf(dyno('run', 1), 'driver')).find((f) => f.name === 'spark-env.sh')!.content;
    expect(driverEnv).toContain('case "$0" in */pyspark) [ -t 0 ] || export PYSPARK_DRIVER_PYTHON_OPTS="${PYSPARK_DRIVER_PYTHON_OPTS:--i}" ;; esac');
    const workerEnv = renderConf(conf(dyno('worker', 1), 'worker')).find((f) => f.name === 'spark-env.sh')!.content;
    expect(workerEnv).not.toContain('pyspark');
  });

  it('.profile.d renders the driver conf in one-off dynos only (run.*), from the app’s launchers or the kit, never failing', () => {
    const p = profileScript();
    expect(p).toContain('case "${DYNO:-}" in\n  run.*)');
    expect(p).toContain('for _sis_launch in "$HOME/bin/support/launch.sh" "$HOME/.spark-in-space/buildpack/bin/support/launch.sh"; do');
    expect(p).toContain('( source "$_sis_launch" && launch_entry one-off-conf && "$NODE" "$LAUNCH_ENTRY" one-off-conf ) || true');
  });

  it('the build says whether run-example can work', () => {
    expect(examplesNote(['jars/a.jar', 'examples/jars/spark-examples_2.13-4.2.0.jar'])).toBe('Examples jar kept (examples/jars/spark-examples_2.13-4.2.0.jar): run-example works');
    expect(examplesNote(['jars/a.jar', 'examples/src/main/python/pi.py'])).toMatch(/^This distribution has no examples jar .*: run-example is not available$/);
  });
});

describe('Prometheus', () => {
  it('the PrometheusServlet sink on every UI; executors’ endpoint switched on before 4.0 (on by default from 4.0)', () => {
    const four = Object.fromEntries(prometheusConf('4.2.0'));
    expect(four['spark.metrics.conf.*.sink.prometheusServlet.class']).toBe('org.apache.spark.metrics.sink.PrometheusServlet');
    expect(four['spark.metrics.conf.*.sink.prometheusServlet.path']).toBe('/metrics/prometheus');
    expect(four['spark.metrics.conf.master.sink.prometheusServlet.path']).toBe('/metrics/master/prometheus');
    expect(four['spark.metrics.conf.applications.sink.prometheusServlet.path']).toBe('/metrics/applications/prometheus');
    expect(four['spark.ui.prometheus.enabled']).toBeUndefined();
    expect(Object.fromEntries(prometheusConf('3.5.9'))['spark.ui.prometheus.enabled']).toBe('true');
    expect(prometheusConf('2.4.8')).toEqual([]);
    const off = Object.fromEntries(conf({ ...dyno('master', 1), SPARK_PROMETHEUS: 'false' }, 'master').defaults);
    expect(Object.keys(off).filter((k) => k.startsWith('spark.metrics.'))).toEqual([]);
  });

  it('/_dynos links each UI’s metrics; /set-backend?to= leads only to a metrics path', () => {
    expect(metricsPath({ type: 'master', port: 8080 })).toBe('/metrics/master/prometheus/');
    expect(metricsPath({ type: 'worker', port: 8081 })).toBe('/metrics/prometheus/');
    expect(metricsPath({ type: 'thrift', port: 4040 })).toBe('/metrics/prometheus/');
    expect(metricsPath({ type: 'history', port: 18080 })).toBeUndefined();
    const allowed = () => true;
    expect(setBackend('/set-backend/1.worker.demo.app.localspace:8081?to=/metrics/prometheus/', 'c', allowed).headers.location).toBe('/metrics/prometheus/');
    for (const to of ['https://evil.example/', '//evil.example/metrics/', '/metrics/../../x', '/jobs/'])
      expect(setBackend(`/set-backend/1.worker.demo.app.localspace:8081?to=${encodeURIComponent(to)}`, 'c', allowed).headers.location, to).toBe('/');
    const dynos = dynosFromTopology({ apps: [{ formation: [{ process_type: 'thrift', dynos: [{ number: 1, hostname: '1.thrift.demo.app.localspace' }] }] }] });
    const html = landingHtml({ app: 'demo', dynos, source: 'x', allowed });
    expect(html).toContain('href="/set-backend/1.thrift.demo.app.localspace:4040?to=/metrics/prometheus/"');
    expect(html).toContain('JDBC at /cliservice');
  });
});

describe('JDBC through the space proxy', () => {
  it('the thrift backend is the cluster’s thrift.1 on 10001', () => {
    expect(thriftBackend(parseConfig(dyno('web', 1), 'run'))).toBe('1.thrift.demo.app.localspace:10001');
    expect(thriftBackend(parseConfig({ ...dyno('web', 1), SPARK_CLUSTER_APP: 'cluster' }, 'run'))).toBe('1.thrift.cluster.app.localspace:10001');
  });

  it('the Thrift server gets the proxy user’s name with a placeholder password, never the proxy’s password', () => {
    const h = thriftAuthHeaders(['spark:{PLAIN}the-real-password', 'ops:$apr1$abc$def', 'bad user:{PLAIN}x']);
    expect(h.map(([u]) => u)).toEqual(['spark', 'ops']);
    expect(Buffer.from(h[0]![1].replace(/^Basic /, ''), 'base64').toString()).toBe('spark:space-proxy');
    expect(JSON.stringify(h)).not.toContain(Buffer.from('spark:the-real-password').toString('base64'));
  });
});

describe('local up says where the servers answer', () => {
  it('JDBC through the proxy and in the space, Connect by its name; nothing for types not started', async () => {
    const { endpointLines } = await import('../../src/cli/commands/local/up.js');
    expect(endpointLines('demo', true, true, 'http://127.0.0.1:5000/')).toEqual([
      "JDBC: beeline -u 'jdbc:hive2://127.0.0.1:5000/default;transportMode=http;httpPath=cliservice' -n spark -p <password>",
      'JDBC in the space: jdbc:hive2://1.thrift.demo.app.localspace:10001/default;transportMode=http;httpPath=cliservice',
      "Spark Connect: spark-in-space local exec -- python … with sc://1.connect.demo.app.localspace:15002/;token=<SPARK_CONNECT_TOKEN> (TLS; local exec trusts the space's certificate)",
    ]);
    expect(endpointLines('demo', false, false, 'http://127.0.0.1:5000/')).toEqual([]);
    expect(endpointLines('demo', false, false, 'http://127.0.0.1:5000/', true)).toEqual([
      `HTTP API: curl -u spark:<password> -H 'Content-Type: application/json' -d '{"statement": "SELECT 1"}' http://127.0.0.1:5000/api/v1/statements`,
      'HTTP API in the space: http://1.api.demo.app.localspace:8998/api/v1/ with Authorization: Bearer <SPARK_API_TOKEN> (docs/api.md)',
    ]);
  });
});
