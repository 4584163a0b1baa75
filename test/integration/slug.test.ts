/**
 * What bin/compile leaves out of the slug and the slug-size guard, with the real default Spark:
 * SPARK_SLIM's features gone and every tool or process type that needed one refusing before any
 * JVM starts, naming the var; the rules for the other buildpacks' files when they cannot apply;
 * the guard's warning above 300 MB (with what would bring it under) and its failure, with the parts
 * and what to drop, past 990 MB (Heroku refuses 1 GB since March 2026).
 * (The Button's whole slug, and everything running on it: test/e2e/button-slug.test.ts.)
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { bin, catalogFile, compile, dynoVars, makeApp, tmpdir } from '../helpers/buildpack.js';
import { layJdk } from '../helpers/cluster.js';
import { startMirror } from '../helpers/mirror.js';
import { DEFAULT_VERSION, testDist } from '../helpers/spark.js';

const dyno = (type: string) => dynoVars(type, '127.0.0.1');

let vars: Record<string, string>;
// the run's warm cache; a run without test distributions (SPARK_TEST_DISTS=0) has none: a temp one
let ownCache: string | undefined;
const cache = () => inject('buildCache') ?? (ownCache ??= tmpdir('sis-cache-'));

/** bin/compile of an app dir (the run's warm cache: these builds differ only in what they install). */
async function build(app: string, extra: Record<string, string> = {}) {
  const dist = testDist(DEFAULT_VERSION);
  const mirror = await startMirror(dist.mirrorRoot);
  try {
    return await compile(app, cache(), { ...vars, SPARK_MIRROR_URL: mirror.url, ...extra });
  } finally {
    await mirror.close();
  }
}

beforeAll(() => {
  const dist = testDist(DEFAULT_VERSION);
  vars = { SPARK_CATALOG: catalogFile([{ version: DEFAULT_VERSION, pinned: { hadoop3: { sha512: dist.sha512 } } }]) };
});

describe('the slug-size guard', () => {
  it('above 300 MB: a warning in Heroku’s form, the estimate and its parts; the build succeeds', async () => {
    const app = makeApp(DEFAULT_VERSION);
    // Spark whole: about 350 MB
    const r = await build(app, { SPARK_SLIM: 'none' });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toMatch(/-----> Slug estimate: [\d.]+ MB compressed \([\d.]+ MB in \d+ files; Heroku's limit 1000\.0 MB/);
    expect(r.stdout).toMatch(/^ {7} +[\d.]+ MB {2}spark-home\/jars$/m);
    expect(r.stderr).toMatch(/^ ! {5}Warning: the slug is over 300 MB compressed \(about [\d.]+ MB\): Heroku accepts it \(up to 1 GB\), but every dyno start downloads and unpacks it/m);
    expect(r.stderr).toMatch(/To bring it under 300 MB:\n.*SPARK_SLIM=hive,connect,python,mllib,repl/);
    expect(r.stdout).toContain('Nothing to shrink: no .jdk with jmods/, no .heroku/node, no vendored Ruby');
  });

  it('slug_over_old_limit: about 550 MB (Spark whole with S3A off, and 200 MB of the app’s own) builds, as Heroku accepts it now, warning with what to drop', async () => {
    const app = makeApp(DEFAULT_VERSION);
    mkdirSync(path.join(app, 'data'));
    // incompressible, as media or models are
    writeFileSync(path.join(app, 'data', 'model.bin'), randomBytes(200 * 1024 * 1024));
    const r = await build(app, { SPARK_SLIM: 'none' });
    expect(r.exitCode, r.all).toBe(0);
    const mbOf = Number(/Slug estimate: ([\d.]+) MB compressed/.exec(r.stdout)?.[1]);
    expect(mbOf).toBeGreaterThan(500);
    expect(r.stderr).toMatch(/Warning: the slug is over 300 MB compressed/);
    expect(r.stderr).toMatch(/Your app's own files: data \(2\d\d\.\d MB\); list what dynos do not need in \.slugignore/);
  });

  it('past 990 MB: fails before Heroku would, naming the parts (the app’s own files first) and what to drop', async () => {
    const app = makeApp(DEFAULT_VERSION);
    mkdirSync(path.join(app, 'data'));
    // incompressible, as media or models are: 3 × 240 MB
    for (const n of [1, 2, 3]) writeFileSync(path.join(app, 'data', `model-${n}.bin`), randomBytes(240 * 1024 * 1024));
    const r = await build(app, { SPARK_SLIM: 'hive' });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('The slug would be too large for Heroku (it refuses slugs over 1 GB compressed): the build stops here');
    expect(r.stderr).toMatch(/ ! +7\d\d\.\d MB {2}data\n/);
    expect(r.stderr).toMatch(/ ! +[\d.]+ MB {2}spark-home\/jars\n/);
    expect(r.stderr).toMatch(/SPARK_SLIM=hive,connect,python,mllib,repl /);
    expect(r.stderr).toMatch(/Your app's own files: data \(7\d\d\.\d MB\); list what dynos do not need in \.slugignore/);
  });
});

describe('the other buildpacks’ files: rules that cannot apply leave them whole', () => {
  it('a .jdk without jmods/ (a runtime already) is left as it is, and said so', async () => {
    const app = makeApp(DEFAULT_VERSION);
    layJdk(app);
    await execa('rm', ['-rf', path.join(app, '.jdk', 'jmods')]);
    const modules = statSync(path.join(app, '.jdk', 'lib', 'modules')).ino;
    const r = await build(app);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain('JDK: .jdk has no jmods/ (not a full JDK, or already a runtime): left as it is');
    expect(statSync(path.join(app, '.jdk', 'lib', 'modules')).ino).toBe(modules);
  });

  it('SPARK_JDK_LINK=false keeps a full .jdk whole (an app whose code needs a module the runtime leaves out)', async () => {
    const app = makeApp(DEFAULT_VERSION);
    layJdk(app);
    const jmod = statSync(path.join(app, '.jdk', 'jmods', 'java.base.jmod')).ino;
    // a full JDK beside the whole default Spark: over 300 MB, under Heroku's 1 GB: it builds, and the warning names the var that would link it
    const over = await build(app, { SPARK_JDK_LINK: 'false' });
    expect(over.exitCode, over.all).toBe(0);
    expect(over.stdout).toMatch(/^ {7} +1\d\d\.\d MB {2}\.jdk$/m);
    expect(over.stderr).toMatch(/Warning: the slug is over 300 MB compressed[\s\S]*that was not linked into a runtime: see the JDK line above \(SPARK_JDK_LINK=true links it\)/);
    expect(over.stdout).toContain('JDK: .jdk kept whole (SPARK_JDK_LINK=false)');
    // with parts of Spark left out too, the JDK is still untouched
    const r = await build(app, { SPARK_JDK_LINK: 'false', SPARK_SLIM: 'connect-repl,hive,mllib' });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain('JDK: .jdk kept whole (SPARK_JDK_LINK=false)');
    expect(r.stdout).not.toContain('Nothing to shrink');
    expect(statSync(path.join(app, '.jdk', 'jmods', 'java.base.jmod')).ino).toBe(jmod);
  });

  it('a Procfile that runs start-nginx keeps the nginx buildpack’s Ruby (its erb needs it)', async () => {
    const app = makeApp(DEFAULT_VERSION);
    mkdirSync(path.join(app, '.heroku-buildpack-nginx', 'ruby', 'bin'), { recursive: true });
    writeFileSync(path.join(app, '.heroku-buildpack-nginx', 'ruby', 'bin', 'erb'), '#!/bin/sh\n');
    mkdirSync(path.join(app, '.profile.d'));
    writeFileSync(path.join(app, '.profile.d', 'ruby.sh'), 'export PATH="${HOME}/.heroku-buildpack-nginx/ruby/bin:${PATH}"\n');
    writeFileSync(path.join(app, 'Procfile'), 'web: bin/start-nginx bin/space-proxy\nworker: bin/spark-worker\n');
    const r = await build(app);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain("the Procfile runs start-nginx or Ruby (web): the nginx buildpack's Ruby is kept");
    expect(existsSync(path.join(app, '.heroku-buildpack-nginx', 'ruby', 'bin', 'erb'))).toBe(true);
    expect(existsSync(path.join(app, '.profile.d', 'ruby.sh'))).toBe(true);
  });
});

describe('SPARK_SLIM: what is left out refuses clearly, naming the var, before any JVM', () => {
  const ALL = 'connect-repl,connect,hive,python,mllib,repl';
  let slim: string;
  let full: string;

  beforeAll(async () => {
    const a = makeApp(DEFAULT_VERSION);
    const r = await build(a, { SPARK_SLIM: ALL });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toMatch(/SPARK_SLIM=connect-repl,connect,hive,python,mllib,repl: left out [\d.]+ MB/);
    slim = path.join(a, 'spark-home');
    const b = makeApp(DEFAULT_VERSION);
    expect((await build(b, { SPARK_SLIM: 'none' })).exitCode).toBe(0);
    full = path.join(b, 'spark-home');
  });

  it('none keeps everything (connect-repl included); the list leaves out the jars of each part and keeps what Spark SQL needs', () => {
    expect(existsSync(path.join(full, 'jars', 'connect-repl'))).toBe(true);
    const jars = readdirSync(path.join(slim, 'jars'));
    for (const gone of [
      /^spark-connect_/,
      /^spark-hive_/,
      /^spark-hive-thriftserver_/,
      /^hive-exec/,
      /^datanucleus-/,
      /^derby-/,
      /^spark-mllib_/,
      /^breeze_/,
      /^spark-graphx_/,
      /^scala-compiler-/,
      /^spark-repl_/,
    ])
      expect(
        jars.filter((j) => gone.test(j)),
        String(gone),
      ).toEqual([]);
    for (const kept of [/^spark-sql_/, /^spark-catalyst_/, /^hive-storage-api-/, /^orc-core-/, /^scala-reflect-/, /^spark-core_/])
      expect(
        jars.some((j) => kept.test(j)),
        String(kept),
      ).toBe(true);
    expect(existsSync(path.join(slim, 'python'))).toBe(false);
    expect(existsSync(path.join(slim, 'jars', 'connect-repl'))).toBe(false);
  });

  it('Spark’s own tools of a part left out are stubs that say so (spark-sql, beeline, pyspark, spark-connect-shell)', async () => {
    // spark-connect-shell is gone with connect-repl and with connect: it comes back only without both
    for (const [tool, took] of [
      ['spark-sql', ['hive']],
      ['beeline', ['hive']],
      ['pyspark', ['python']],
      ['spark-connect-shell', ['connect-repl', 'connect']],
    ] as const) {
      const r = await execa(path.join(slim, 'bin', tool), [], { reject: false, all: true });
      expect(r.exitCode, tool).toBe(15); // feature-left-out (src/errors.ts PROBLEM_EXIT)
      expect(r.stderr, tool).toContain(`${tool} is not in this slug: the build left out`);
      expect(r.stderr, tool).toContain(`SPARK_SLIM=${ALL}`);
      expect(r.stderr, tool).toContain(
        `set SPARK_SLIM=${ALL.split(',')
          .filter((f) => !(took as readonly string[]).includes(f))
          .join(',')} and build again`,
      );
    }
  });

  const launch = (launcher: string, args: string[], type = launcher) =>
    execa(bin(launcher), args, { reject: false, all: true, env: { SPARK_HOME: slim, SPARK_CONF_DIR: tmpdir('sis-conf-'), SPARK_CONNECT_TOKEN: 'a-token-of-24-characters', ...dyno(type) } });

  it('the thrift and connect process types, spark-shell and a Python job refuse at the launcher, no JVM started', async () => {
    const cases: [string, string[], string, RegExp][] = [
      ['thrift', [], 'thrift', /the thrift process type is not in this slug: the build left out Hive support/],
      ['connect', [], 'connect', /the connect process type is not in this slug: the build left out the Spark Connect server/],
      ['spark-shell', [], 'run', /spark-shell is not in this slug: the build left out the Scala shell/],
      ['spark-submit', ['--name', 'x', 'job.py'], 'run', /spark-submit is not in this slug: the build left out Python/],
    ];
    for (const [launcher, args, type, message] of cases) {
      const r = await launch(launcher, args, type);
      expect(r.exitCode, launcher).toBe(15); // feature-left-out, as the stubs exit
      expect(r.stderr, launcher).toMatch(message);
      expect(r.stderr, launcher).toContain(`SPARK_SLIM=${ALL}`);
      expect(r.all, launcher).not.toMatch(/ClassNotFound|NoClassDefFound|Exception/);
    }
  });

  it('a job jar whose classes use MLlib is refused before its driver starts; one that does not is not', async () => {
    const dir = tmpdir('sis-ml-job-');
    writeFileSync(path.join(dir, 'Ml.java'), 'public class Ml { public static void main(String[] a) { System.out.println(org.apache.spark.ml.linalg.Vectors.dense(1.0, 2.0)); } }\n');
    writeFileSync(path.join(dir, 'Plain.java'), 'public class Plain { public static void main(String[] a) { System.out.println("plain"); } }\n');
    await execa('javac', ['-cp', `${full}/jars/*`, '-d', path.join(dir, 'classes'), path.join(dir, 'Ml.java'), path.join(dir, 'Plain.java')]);
    await execa('jar', ['cf', path.join(dir, 'ml.jar'), '-C', path.join(dir, 'classes'), 'Ml.class']);
    const r = await launch('spark-submit', ['--class', 'Ml', path.join(dir, 'ml.jar')], 'run');
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/ml\.jar \(its classes use org\.apache\.spark\.ml\) is not in this slug: the build left out MLlib and GraphX/);
    expect(r.stderr).toContain('SPARK_SLIM=');
    // a jar that does not use them runs (locally here: no cluster in this test)
    await execa('jar', ['cf', path.join(dir, 'plain.jar'), '-C', path.join(dir, 'classes'), 'Plain.class']);
    const plain = await launch('spark-submit', ['--master', 'local[1]', '--class', 'Plain', path.join(dir, 'plain.jar')], 'run');
    expect(plain.exitCode, plain.all).toBe(0);
    expect(plain.stdout).toContain('plain');
  });

  it('with MLlib left out and Python kept, `import pyspark.ml` raises an ImportError naming SPARK_SLIM', async () => {
    const a = makeApp(DEFAULT_VERSION);
    expect((await build(a, { SPARK_SLIM: 'mllib' })).exitCode).toBe(0);
    const home = path.join(a, 'spark-home');
    const py4j = readdirSync(path.join(home, 'python', 'lib')).find((f) => f.startsWith('py4j'))!;
    const r = await execa('python3', ['-c', 'import pyspark.ml'], { reject: false, all: true, env: { PYTHONPATH: `${home}/python:${home}/python/lib/${py4j}` } });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/ImportError: pyspark\.ml is not in this slug: the build left out MLlib and GraphX .*\(SPARK_SLIM=mllib\)\. To have it, set SPARK_SLIM=none/);
    // the rest of pyspark still imports
    expect((await execa('python3', ['-c', 'import pyspark.sql; print("ok")'], { reject: false, all: true, env: { PYTHONPATH: `${home}/python:${home}/python/lib/${py4j}` } })).stdout).toBe('ok');
  });
});
