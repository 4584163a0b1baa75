/**
 * The process-type table (src/process-types.ts) is the one place a type is described: the
 * Procfile, bin/release, app.json, the launchers of the kit and README must agree with it, and
 * what derives from it (addresses, readiness, order, `/_dynos`, `ui`) follows it.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KIT_FILES } from '../../src/buildpack/kit.js';
import { allDocs } from '../helpers/docs.js';
import { DYNO_TYPES, isNodeService, PROCESS_TYPE_TABLE, PROCESS_TYPES_LIST, specOf } from '../../src/process-types.js';
import { parseProcfile, slotFor } from '../../src/local/formation.js';
import { needsOf } from '../../src/launch/await.js';
import { LAUNCHERS, PROCESS_TYPES, roleOf } from '../../src/launch/index.js';
import { dynosFromTopology } from '../../src/proxy/landing.js';
import { uiUrl } from '../../src/cli/commands/heroku/ui.js';
import { parseConfig, VARS } from '../../src/config/schema.js';
import { isProblem } from '../../src/errors.js';

const REPO = path.resolve(import.meta.dirname, '../..');
const read = (f: string) => readFileSync(path.join(REPO, f), 'utf8');

describe('the process-type table and the files Heroku reads', () => {
  it('the Procfile runs each type by its launcher, and nothing else (bin/release prints its lines as the defaults)', () => {
    const procfile = parseProcfile(read('Procfile'));
    for (const t of PROCESS_TYPES_LIST) expect(procfile[t.name], `Procfile: add the line \`${t.name}: bin/${t.launcher}\``).toBe(`bin/${t.launcher}`);
    expect(Object.keys(procfile).sort()).toEqual([...DYNO_TYPES].sort());
  });

  it("app.json's formation is the table's (quantity and size of every type)", () => {
    const formation = JSON.parse(read('app.json')).formation as Record<string, { quantity: number; size: string }>;
    for (const t of PROCESS_TYPES_LIST) expect(formation[t.name], `app.json: add "${t.name}": ${JSON.stringify(t.formation)} to "formation"`).toEqual(t.formation);
    expect(formation).toEqual(Object.fromEntries(PROCESS_TYPES_LIST.map((t) => [t.name, t.formation])));
  });

  it('each launcher is an executable of bin/ (which the kit copies) that hands its own type to the launch entry', () => {
    expect(KIT_FILES).toContain('bin');
    for (const t of PROCESS_TYPES_LIST) {
      const file = path.join(REPO, 'bin', t.launcher);
      expect(existsSync(file), file).toBe(true);
      expect(statSync(file).mode & 0o111, file).not.toBe(0);
      const text = readFileSync(file, 'utf8');
      // the proxy and the API have their own entries (with only their secrets: run_as); every other launcher is `launch <type>` over bin/support/launch.sh
      if (t.role === 'proxy') expect(text).toContain('dist/proxy.mjs');
      else if (t.role === 'service') expect(text).toMatch(new RegExp(`dist/${t.name}\\.mjs[\\s\\S]*run_as ${t.name} `));
      else expect(text, file).toMatch(new RegExp(`^launch ${t.name} "\\$@"$`, 'm'));
    }
  });

  it("docs/run-time.md's process table has a row for every type, and names its launcher", () => {
    const readme = allDocs();
    for (const t of PROCESS_TYPES_LIST) {
      expect(readme, `docs/run-time.md: add a row \`| ${t.name} | <its command> |\` to the process table`).toMatch(new RegExp(`^\\| ${t.name} \\|`, 'm'));
      expect(readme, t.launcher).toContain(`bin/${t.launcher}`);
    }
  });
});

describe('what derives from the table', () => {
  it('each type has its own address slot, below the one-off dynos', () => {
    const slots = PROCESS_TYPES_LIST.map((t) => slotFor(t.name, []));
    expect(new Set(slots).size).toBe(slots.length);
    expect(slots).toEqual(PROCESS_TYPES_LIST.map((t) => t.slot));
    expect(slotFor('run', [])).toBe(100);
    expect(slotFor('exec', [])).toBe(101);
    // an app's own type: from 10 on, by its place in the Procfile
    expect(slotFor('etl', ['master', 'etl'])).toBe(11);
    expect(slotFor('constructor', ['constructor'])).toBe(10);
  });

  it('launch types are the table minus the proxy, plus Spark tools; roles come from the table', () => {
    expect(PROCESS_TYPES).toEqual([...DYNO_TYPES.filter((t) => !isNodeService(PROCESS_TYPE_TABLE[t])), 'spark-shell', 'spark-submit']);
    expect(roleOf('master')).toBe('master');
    expect(roleOf('zookeeper')).toBe('console');
    expect(roleOf('thrift')).toBe('driver');
    expect(roleOf('spark-shell')).toBe('driver');
  });

  it('a worker waits for a master, a master for ZooKeeper only when there is one, nothing else waits', () => {
    const s = parseConfig({ HEROKU_DNS_APP_NAME: 'demo.app.localspace', SPARK_ZOOKEEPERS: '3' }, 'run');
    expect(needsOf('worker', s)?.what).toBe('a master');
    expect(needsOf('master', s)?.what).toBe('ZooKeeper');
    expect(needsOf('master', parseConfig({ HEROKU_DNS_APP_NAME: 'demo.app.localspace' }, 'run'))).toBeUndefined();
    for (const t of ['console', 'history', 'thrift', 'connect', 'zookeeper'] as const) expect(needsOf(t, s), t).toBeUndefined();
  });

  it('a `local up` option on when .env sets a var names a var of the schema; what it sits beside are types of the table', () => {
    for (const t of PROCESS_TYPES_LIST) {
      const o = t.localOption;
      if (o?.onWhenSet) expect(Object.keys(VARS), t.name).toContain(o.onWhenSet);
      for (const b of o?.alsoBeside ?? []) expect(DYNO_TYPES, t.name).toContain(b);
    }
    expect(PROCESS_TYPE_TABLE.metastore.localOption).toMatchObject({ onWhenSet: 'SPARK_METASTORE_DATABASE_URL', alsoBeside: ['thrift', 'connect'] });
  });

  it('each launch type has a row in the launcher table, and nothing else does', () => {
    expect(Object.keys(LAUNCHERS).sort()).toEqual([...PROCESS_TYPES].sort());
  });

  it('start order: ZooKeeper, then masters, then the rest; stop order: workers first, ZooKeeper last', () => {
    const order = (k: 'startWave' | 'stopWave') => [...DYNO_TYPES].sort((a, b) => PROCESS_TYPE_TABLE[a][k] - PROCESS_TYPE_TABLE[b][k]);
    expect(order('startWave').slice(0, 2)).toEqual(['zookeeper', 'master']);
    expect(order('stopWave')[0]).toBe('worker');
    expect(order('stopWave').at(-1)).toBe('zookeeper');
    expect(PROCESS_TYPE_TABLE.master.stopWave).toBeLessThan(PROCESS_TYPE_TABLE.zookeeper.stopWave);
  });

  it("/_dynos and `ui` link each type's UI port (a driver's 4040 for a type without one), never the proxy's", () => {
    const topology = { apps: [{ formation: DYNO_TYPES.map((t) => ({ process_type: t, dynos: [{ number: 1, hostname: `1.${t}.demo.app.localspace` }] })) }] };
    const links = dynosFromTopology(topology);
    expect(links.map((l) => l.type)).toEqual(DYNO_TYPES.filter((t) => !isNodeService(PROCESS_TYPE_TABLE[t])));
    for (const l of links) {
      expect(l.port, l.type).toBe(specOf(l.type)!.uiPort ?? 4040);
      expect(uiUrl('https://x.example', 'demo', l.name)).toBe(
        l.type === 'master' ? 'https://x.example/set-backend/1.master.demo.app.localspace:8080' : `https://x.example/set-backend/1.${l.type}.demo.app.localspace:${l.port}`,
      );
    }
    expect(links.find((l) => l.type === 'thrift')!.note).toBe(PROCESS_TYPE_TABLE.thrift.serves);
    expect(() => uiUrl('https://x.example', 'demo', 'web.1')).toThrow(/not a dyno with a UI/);
  });

  it("a type's required vars are refused by the one schema when that type starts, naming the var with an example", () => {
    for (const t of PROCESS_TYPES_LIST)
      for (const v of t.requires) {
        const env = { HEROKU_DNS_APP_NAME: 'demo.app.localspace', DYNO: `${t.name}.1` };
        expect(() => parseConfig(env, 'run')).not.toThrow();
        let err: unknown;
        try {
          parseConfig(env, 'run', { processes: [t.name] });
        } catch (e) {
          err = e;
        }
        expect(isProblem(err, 'config-invalid'), `${t.name} without ${v.name}`).toBe(true);
        expect((err as Error).message).toContain(`${v.name}: ${v.problem} (example: ${v.example})`);
      }
  });

  it('several masters need ZooKeeper: refused for a master (and a formation with one), not for a worker that only lists them', () => {
    const env = { HEROKU_DNS_APP_NAME: 'demo.app.localspace', SPARK_MASTERS: '2' };
    expect(() => parseConfig(env, 'run', { processes: ['master'] })).toThrow(/SPARK_MASTERS: is 2, but more than one master needs ZooKeeper/);
    expect(() => parseConfig(env, 'run', { processes: ['worker', 'master'] })).toThrow(/needs ZooKeeper/);
    expect(parseConfig(env, 'run', { processes: ['worker'] }).SPARK_MASTERS).toBe(2);
    expect(parseConfig({ ...env, KAFKA_ZOOKEEPER_URL: 'zookeeper://10.0.0.1:2181' }, 'run', { processes: ['master'] }).SPARK_ZK_ZOOKEEPER_URL).toBe('10.0.0.1:2181');
    expect(parseConfig({ ...env, SPARK_ZOOKEEPERS: '3' }, 'run', { processes: ['master'] }).SPARK_ZOOKEEPERS).toBe(3);
  });
});
