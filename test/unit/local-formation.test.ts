import { describe, expect, it } from 'vitest';
import { dynoEnv, formation, hostsFile, parseDotenv, parseProcfile, subnetFor, LOCAL_DEFAULTS } from '../../src/local/formation.js';
import { parseConfig } from '../../src/config/schema.js';
import { pipPython, runtimesOf } from '../../src/local/runner.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const procfile = parseProcfile('master: bin/spark-master\nworker: bin/spark-worker\n# comment\nweb: bin/space-proxy\nconsole: bin/console\n');

describe('local formation', () => {
  it('parses a Procfile', () => {
    expect(procfile).toEqual({ master: 'bin/spark-master', worker: 'bin/spark-worker', web: 'bin/space-proxy', console: 'bin/console' });
  });

  it('gives each dyno its own loopback address and space name', () => {
    const f = formation('demo', procfile, { master: 2, worker: 3 });
    const b = subnetFor('demo');
    expect(f.dynos.map((d) => [d.name, d.ip, d.dns])).toEqual([
      ['master.1', `127.${b}.1.1`, '1.master.demo.app.localspace'],
      ['master.2', `127.${b}.1.2`, '2.master.demo.app.localspace'],
      ['worker.1', `127.${b}.2.1`, '1.worker.demo.app.localspace'],
      ['worker.2', `127.${b}.2.2`, '2.worker.demo.app.localspace'],
      ['worker.3', `127.${b}.2.3`, '3.worker.demo.app.localspace'],
    ]);
    expect(new Set(f.dynos.map((d) => d.ip)).size).toBe(5);
    expect(subnetFor('other-app')).not.toBe(undefined);
  });

  it('writes a hosts file with dyno names, round-robin names, localhost and this machine', () => {
    const f = formation('demo', procfile, { master: 1, worker: 2 });
    const b = subnetFor('demo');
    expect(hostsFile(f, 'box')).toBe(
      [
        '127.0.0.1 localhost',
        '127.0.0.1 box',
        `127.${b}.1.1 1.master.demo.app.localspace`,
        `127.${b}.1.1 master.demo.app.localspace`,
        `127.${b}.2.1 1.worker.demo.app.localspace`,
        `127.${b}.2.1 worker.demo.app.localspace`,
        `127.${b}.2.2 2.worker.demo.app.localspace`,
        '',
      ].join('\n'),
    );
  });

  it('gives each dyno Heroku’s environment, config vars over local defaults, and a valid config', () => {
    const [d] = formation('demo', procfile, { worker: 1 }).dynos;
    const env = dynoEnv(d!, { app: 'demo', config: { LOG_LEVEL: 'WARN', SPARK_EXECUTOR_MEMORY: '3g' }, stateDir: '/s', sparkHome: '/spark', port: 5001 });
    expect(env).toMatchObject({
      DYNO: 'worker.1',
      PORT: '5001',
      HEROKU_PRIVATE_IP: d!.ip,
      HEROKU_DNS_DYNO_NAME: '1.worker.demo.app.localspace',
      HEROKU_DNS_FORMATION_NAME: 'worker.demo.app.localspace',
      HEROKU_DNS_APP_NAME: 'demo.app.localspace',
      SPARK_HOME: '/spark',
      SPARK_CONF_DIR: '/s/dynos/worker.1/conf',
      LOG_LEVEL: 'WARN',
      SPARK_EXECUTOR_MEMORY: '3g',
      SPARK_DRIVER_MEMORY: LOCAL_DEFAULTS.SPARK_DRIVER_MEMORY,
      JAVA_TOOL_OPTIONS: '-Djdk.net.hosts.file=/s/hosts',
    });
    expect(() => parseConfig(env, 'run')).not.toThrow();
    expect(env.PYSPARK_PYTHON).toBeUndefined();
  });

  it("local_pip_python: pip's pyspark as the Spark runs under its environment's Python (the app's PYSPARK_PYTHON wins); Apache's layout and a user site under none", () => {
    const venv = mkdtempSync(path.join(os.tmpdir(), 'sis-venv-'));
    const home = path.join(venv, 'lib', 'python3.11', 'site-packages', 'pyspark');
    mkdirSync(home, { recursive: true });
    mkdirSync(path.join(venv, 'bin'));
    expect(pipPython(home)).toBeUndefined(); // no bin/python3 beside it
    writeFileSync(path.join(venv, 'bin', 'python3'), '');
    expect([pipPython(home), pipPython(`${home}/`)]).toEqual([path.join(venv, 'bin', 'python3'), path.join(venv, 'bin', 'python3')]);
    expect(pipPython('/opt/spark-4.2.0-bin-hadoop3')).toBeUndefined();
    const [d] = formation('demo', procfile, { worker: 1 }).dynos;
    const env = (config: Record<string, string>) => dynoEnv(d!, { app: 'demo', config, stateDir: '/s', sparkHome: home, port: 5001, ...runtimesOf(home) });
    expect(env({})).toMatchObject({ PYSPARK_PYTHON: path.join(venv, 'bin', 'python3'), PYSPARK_DRIVER_PYTHON: path.join(venv, 'bin', 'python3') });
    expect(env({ PYSPARK_PYTHON: '/opt/py/bin/python' })).toMatchObject({ PYSPARK_PYTHON: '/opt/py/bin/python', PYSPARK_DRIVER_PYTHON: '/opt/py/bin/python' });
    rmSync(venv, { recursive: true });
  });

  it('parses .env like heroku local', () => {
    expect(parseDotenv('# c\nA=1\nexport B="two words"\nC=\'x # y\'\nD=plain # comment\nE="l1\\nl2"\nbad line\n')).toEqual({ A: '1', B: 'two words', C: 'x # y', D: 'plain', E: 'l1\nl2' });
  });
});

describe('the e2e spaces', () => {
  it('every fixed app name of a local space (test/e2e, and test/integration’s stand-in spaces and proxies) gets its own 127.x subnet (files run two at a time: a shared one refuses the second space, or its DNS port)', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const path = await import('node:path');
    const names = new Set<string>();
    for (const layer of ['e2e', 'integration']) {
      const dir = path.resolve(import.meta.dirname, '..', layer);
      // heroku-cli names Heroku apps (no local space)
      for (const f of readdirSync(dir).filter((x) => x.endsWith('.test.ts') && x !== 'heroku-cli.test.ts')) {
        const text = readFileSync(path.join(dir, f), 'utf8');
        for (const m of text.matchAll(/const (?:APP|app|EXTERNAL|[A-Z_]*_APP) = '([a-z][a-z0-9-]+)'|'--app', '([a-z][a-z0-9-]+)'/g)) names.add((m[1] ?? m[2])!);
      }
    }
    expect(names).toContain('the-longest-app-name-of-heroku');
    expect(names.size).toBeGreaterThan(10);
    const bySubnet = new Map<number, string[]>();
    for (const n of names) bySubnet.set(subnetFor(n), [...(bySubnet.get(subnetFor(n)) ?? []), n]);
    expect([...bySubnet.values()].filter((v) => v.length > 1)).toEqual([]);
  });
});
