/** Heroku's classic buildpack API: detect, release, and compile from a buildpack dir that is not the app. */
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { bin, buildpackDir, catalogFile, compile, copyBuildpack, makeApp, read, tmpdir } from '../helpers/buildpack.js';
import { startMirror } from '../helpers/mirror.js';
import { publish, sparkEntries, tgz } from '../helpers/tarball.js';
import { KIT_DIR } from '../../src/buildpack/kit.js';
import { PROCESS_TYPES_LIST, releaseYaml } from '../../src/process-types.js';

describe('detect', () => {
  it('applies to an app with .spark.version', async () => {
    const r = await execa(bin('detect'), [makeApp('4.2.0')]);
    expect(r.stdout).toBe('Spark');
  });

  it('applies to an app whose Procfile runs Spark', async () => {
    const app = makeApp();
    writeFileSync(path.join(app, 'Procfile'), 'master: bin/spark-master\n');
    expect((await execa(bin('detect'), [app])).exitCode).toBe(0);
  });

  it('does not apply (exit 1) to an app without either, and says what to add', async () => {
    const r = await execa(bin('detect'), [makeApp()], { reject: false });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain('.spark.version');
  });
});

describe('release', () => {
  it("prints YAML with the default process types: the buildpack's Procfile, by the kit's launchers (src/process-types.ts)", async () => {
    const { stdout } = await execa(bin('release'), [makeApp()]);
    expect(stdout.startsWith('---\n')).toBe(true);
    expect(`${stdout}\n`).toBe(releaseYaml(KIT_DIR));
    // one line per type of the table, in its order (the Procfile's lines are checked in test/unit/process-types.test.ts)
    expect(Object.keys(parse(stdout).default_process_types as Record<string, string>)).toEqual(PROCESS_TYPES_LIST.map((t) => t.name));
    // every default is a launcher of the kit bin/compile installs
    for (const l of Object.values(parse(stdout).default_process_types as Record<string, string>))
      expect(existsSync(path.join(buildpackDir(), l.replace('.spark-in-space/buildpack/', ''))), l).toBe(true);
  });
});

describe('compile_buildpack_dir', () => {
  const V = '4.2.7';
  const closers: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of closers) await c();
  });

  it('works when the buildpack dir is not the build dir, and exports SPARK_HOME for the next buildpack', async () => {
    const bp = copyBuildpack(tmpdir('sis-bp-'));
    const root = tmpdir('sis-mirror-');
    publish(root, V, tgz(sparkEntries(V)));
    const m = await startMirror(root);
    closers.push(m.close);
    const app = makeApp(V);
    const cache = tmpdir('sis-cache-');
    const vars = { SPARK_MIRROR_URL: m.url, SPARK_CATALOG: catalogFile([{ version: V, pinned: {} }]) };
    for (const run of ['cold', 'cached']) {
      const r = await compile(app, cache, vars, { bpDir: bp });
      expect(r.exitCode, `${run}: ${r.all}`).toBe(0);
      expect(existsSync(path.join(app, 'spark-home/bin/spark-submit'))).toBe(true);
      expect(existsSync(path.join(bp, 'spark-home'))).toBe(false);
      expect(read(bp, 'export')).toContain(`export SPARK_HOME="${path.join(app, 'spark-home')}"`);
      // the launcher kit: what the app's dynos run, with the buildpack dir gone
      for (const f of ['bin/spark-shell', 'bin/support/launch.sh', 'templates/spark-defaults.conf.ejs', 'dist/launch.mjs', 'dist/sidecar.mjs', 'dist/proxy.mjs'])
        expect(existsSync(path.join(app, '.spark-in-space/buildpack', f)), f).toBe(true);
      expect(read(app, 'bin/spark-shell')).toContain('.spark-in-space/buildpack/bin/spark-shell');
      // what only some launchers load (the metastore's pg, adm-zip) is in chunks beside launch.mjs: all there, each loads
      const chunks = readdirSync(path.join(app, KIT_DIR, 'dist/launch-chunks'));
      expect(chunks.length).toBeGreaterThan(1);
      const load = await execa(process.execPath, ['--input-type=module', '-e', `for (const f of ${JSON.stringify(chunks)}) await import('./dist/launch-chunks/' + f);`], {
        cwd: path.join(app, KIT_DIR),
        reject: false,
      });
      expect(load.exitCode, load.stderr).toBe(0);
      if (run === 'cold') expect(r.stdout).toMatch(/Launchers in \.spark-in-space\/buildpack\/ \(\d+ files\); added bin\/spark-shell, bin\/spark-submit/);
      else expect(r.stdout).toMatch(/Launchers in \.spark-in-space\/buildpack\/ \(\d+ files\)\n/);
      if (run === 'cached') expect(r.stdout).toContain('Using the build cache');
    }
  });

  // no node on PATH; a Node 18 (its version read with `node --version`, no V8 start); one whose version is not a version
  for (const fake of [undefined, 'echo v18.20.4', 'echo garbage']) {
    it(`fails with a clear message when node is ${fake ? `too old or unreadable (${fake})` : 'missing'}`, async () => {
      const pathDir = tmpdir('sis-path-');
      for (const tool of ['bash', 'dirname', 'env', 'cat', 'sed']) {
        const which = (await execa('bash', ['-c', `command -v ${tool}`])).stdout.trim();
        symlinkSync(which, path.join(pathDir, tool));
      }
      if (fake) writeFileSync(path.join(pathDir, 'node'), `#!${(await execa('bash', ['-c', 'command -v bash'])).stdout.trim()}\n${fake}\n`, { mode: 0o755 });
      mkdirSync(path.join(pathDir, 'empty'));
      const r = await execa(bin('compile'), [makeApp('4.2.0'), tmpdir(), tmpdir()], {
        reject: false,
        env: { PATH: pathDir },
        extendEnv: false,
      });
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toContain('needs Node.js 20 or newer');
      expect(r.stderr).toContain('heroku buildpacks:add --index 1 heroku/nodejs');
    });
  }
});
