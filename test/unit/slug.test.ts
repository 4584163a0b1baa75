/** The slug's pure decisions: which JDK modules, which files of which buildpack go, SPARK_SLIM, the guard. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_SLIM, FEATURE_NAMES, primaryResource, slimFiles, slimRefusal } from '../../src/spark-features.js';
import { missingFeature } from '../../src/launch/launchers.js';
import { jdkPlan, jlinkModules, JDK_MODULES, packageManagersPlan, rubyPlan } from '../../src/buildpack/slim.js';
import { partOf, slugAdvice, slugLines, slugVerdict, type SlugEstimate } from '../../src/buildpack/slug.js';
import { parseConfig } from '../../src/config/schema.js';
import { problemOf } from '../helpers/problem.js';

describe('the jlinked runtime', () => {
  it('slug_jdk_modules: what jdeps finds over Spark’s jars (+ the jcmd tools) is in the list; modules the JDK lacks are skipped', () => {
    const names = JDK_MODULES.map((m) => m.module);
    // jdeps over Spark 4.2's jars, per jar (build-time-only references left out: doclets, javassist's HotSwapper)
    for (const m of ['java.se', 'jdk.unsupported', 'jdk.management', 'jdk.incubator.vector', 'jdk.jcmd', 'jdk.attach', 'jdk.security.auth', 'jdk.crypto.ec']) expect(names).toContain(m);
    expect(JDK_MODULES.every((m) => m.why.length > 10)).toBe(true);
    // JDK 22+: jdk.crypto.ec is part of java.base
    expect(jlinkModules(['java.base', 'java.se', 'jdk.unsupported'])).toEqual(['java.se', 'jdk.unsupported']);
  });

  it('slug_jdk_plan: only a full JDK (bin/java, bin/jlink, jmods with java.base) is linked; otherwise left as it is, saying why', () => {
    const full = { hasJdk: true, jmods: ['java.base', 'java.se'], hasJlink: true, hasJava: true };
    expect(jdkPlan(full)).toEqual({ jlink: true });
    expect(jdkPlan({ ...full, hasJdk: false })).toMatchObject({ jlink: false, why: expect.stringContaining('no .jdk') });
    expect(jdkPlan({ ...full, jmods: [] })).toMatchObject({ jlink: false, why: expect.stringContaining('no jmods/') });
    expect(jdkPlan({ ...full, hasJlink: false })).toMatchObject({ jlink: false, why: expect.stringContaining('no bin/jlink') });
    expect(jdkPlan({ ...full, hasJava: false })).toMatchObject({ jlink: false, why: expect.stringContaining('no bin/java') });
    expect(jdkPlan({ ...full, jmods: ['java.se'] })).toMatchObject({ jlink: false, why: expect.stringContaining('no java.base') });
  });

  it('slug_ruby: the nginx buildpack’s Ruby goes unless a process type runs start-nginx, erb or ruby', () => {
    expect(rubyPlan('web: bin/space-proxy\nworker: bin/spark-worker\n')).toMatchObject({ remove: true });
    expect(rubyPlan(undefined)).toMatchObject({ remove: true });
    expect(rubyPlan('web: bin/start-nginx-solo\n')).toMatchObject({ remove: false, why: expect.stringContaining('(web)') });
    expect(rubyPlan('release: ruby migrate.rb\n')).toMatchObject({ remove: false });
    // a comment mentioning it is not a process type
    expect(rubyPlan('# start-nginx is not used\nweb: bin/space-proxy\n')).toMatchObject({ remove: true });
  });
});

describe('Node’s package managers', () => {
  it('slug_npm: npm and corepack go unless a process type runs a package manager', () => {
    expect(packageManagersPlan('master: bin/spark-master\nweb: bin/space-proxy\n')).toMatchObject({ remove: true });
    expect(packageManagersPlan('web: npm start\nworker: bin/spark-worker\n')).toMatchObject({ remove: false, why: expect.stringContaining('(web)') });
    expect(packageManagersPlan('release: npx prisma migrate deploy\n')).toMatchObject({ remove: false });
    expect(packageManagersPlan('web: yarn start\n')).toMatchObject({ remove: false });
    expect(packageManagersPlan(undefined)).toMatchObject({ remove: true });
  });
});

describe('SPARK_SLIM', () => {
  const files = [
    'jars/connect-repl/ammonite_2.13-3.0.8.jar',
    'jars/spark-connect_2.13-4.2.0.jar',
    'jars/hive-exec-2.3.10-core.jar',
    'jars/hive-storage-api-2.8.1.jar',
    'jars/spark-hive_2.13-4.2.0.jar',
    'jars/spark-hive-thriftserver_2.13-4.2.0.jar',
    'jars/datanucleus-core-4.1.17.jar',
    'jars/derby-10.16.1.1.jar',
    'jars/spark-mllib_2.13-4.2.0.jar',
    'jars/breeze_2.13-2.1.0.jar',
    'jars/spark-graphx_2.13-4.2.0.jar',
    'jars/scala-compiler-2.13.18.jar',
    'jars/scala-reflect-2.13.18.jar',
    'jars/spark-repl_2.13-4.2.0.jar',
    'jars/spark-sql_2.13-4.2.0.jar',
    'python/pyspark/__init__.py',
    'bin/pyspark',
  ];

  it('slug_slim_files: each part takes its own files and nothing Spark SQL needs (hive-storage-api stays: ORC reads with it)', () => {
    expect(slimFiles(['connect-repl'], files)).toEqual(['jars/connect-repl/ammonite_2.13-3.0.8.jar']);
    expect(slimFiles(['connect'], files)).toEqual(['jars/connect-repl/ammonite_2.13-3.0.8.jar', 'jars/spark-connect_2.13-4.2.0.jar']);
    expect(slimFiles(['hive'], files)).toEqual([
      'jars/hive-exec-2.3.10-core.jar',
      'jars/spark-hive_2.13-4.2.0.jar',
      'jars/spark-hive-thriftserver_2.13-4.2.0.jar',
      'jars/datanucleus-core-4.1.17.jar',
      'jars/derby-10.16.1.1.jar',
    ]);
    expect(slimFiles(['mllib'], files)).toEqual(['jars/spark-mllib_2.13-4.2.0.jar', 'jars/breeze_2.13-2.1.0.jar', 'jars/spark-graphx_2.13-4.2.0.jar']);
    expect(slimFiles(['repl'], files)).toEqual(['jars/scala-compiler-2.13.18.jar', 'jars/spark-repl_2.13-4.2.0.jar']);
    expect(slimFiles(['python'], files)).toEqual(['python/pyspark/__init__.py']);
    expect(slimFiles([], files)).toEqual([]);
  });

  it('slug_slim_var: a comma list or none; the default leaves out connect-repl only; a bad part names the var and the choices', () => {
    expect(parseConfig({ SPARK_SLIM: 'hive, python,hive' }, 'build').SPARK_SLIM).toEqual(['hive', 'python']);
    expect(parseConfig({ SPARK_SLIM: 'NONE' }, 'build').SPARK_SLIM).toEqual([]);
    expect(DEFAULT_SLIM).toEqual(['connect-repl']);
    expect(parseConfig({ SPARK_JDK_LINK: 'false' }, 'build').SPARK_JDK_LINK).toBe(false);
    expect(JSON.stringify(problemOf(() => parseConfig({ SPARK_JDK_LINK: 'maybe' }, 'build')))).toContain('SPARK_JDK_LINK');
    const p = problemOf(() => parseConfig({ SPARK_SLIM: 'hive,sparkr' }, 'build'));
    expect(p).toMatchObject({ code: 'config-invalid' });
    expect(JSON.stringify(p)).toContain('SPARK_SLIM');
    expect(JSON.stringify(p)).toContain(`must be none or a comma list of ${FEATURE_NAMES.join(', ')}`);
    expect(JSON.stringify(p)).toContain('SPARK_SLIM=connect-repl,connect,python');
  });

  it('slug_slim_refusal: which process type or tool needs which part', () => {
    const all = [...FEATURE_NAMES];
    expect(missingFeature('thrift', [], ['hive'])).toBe('hive');
    expect(missingFeature('connect', [], ['connect'])).toBe('connect');
    expect(missingFeature('connect', [], ['connect-repl'])).toBeUndefined();
    expect(missingFeature('spark-shell', [], ['repl'])).toBe('repl');
    expect(missingFeature('spark-submit', ['--name', 'x', 'job.py', 'arg'], ['python'])).toBe('python');
    expect(missingFeature('spark-submit', ['--py-files', 'deps.zip', '--class', 'Main', 'job.jar'], ['python'])).toBe('python');
    expect(missingFeature('spark-submit', ['--class', 'Main', 'job.jar', 'x.py'], all)).toBeUndefined();
    expect(missingFeature('master', [], all)).toBeUndefined();
    expect(primaryResource(['--master', 'spark://m:7077', '--supervise', '--conf=a=b', 'app.jar', '1'])).toBe('app.jar');
    const m = slimRefusal('spark-sql', 'hive', ['connect-repl', 'hive']);
    expect(m).toContain('spark-sql is not in this slug: the build left out Hive support');
    expect(m).toContain('(SPARK_SLIM=connect-repl,hive)');
    expect(m).toContain('set SPARK_SLIM=connect-repl and build again');
    expect(slimRefusal('pyspark', 'python', ['python'])).toContain('set SPARK_SLIM=none');
  });
});

describe('the slug-size guard', () => {
  const est = (parts: [string, number][]): SlugEstimate => ({
    compressed: parts.reduce((n, [, c]) => n + c, 0),
    bytes: 0,
    files: 10,
    parts: parts.map(([p, c]) => ({ path: p, bytes: c * 1.2, compressed: c })),
  });

  it('slug_verdict: ok up to 300 MB, a warning above, a failure above 990 MB (Heroku refuses 1 GB since March 2026)', () => {
    expect(slugVerdict(299e6)).toBe('ok');
    expect(slugVerdict(301e6)).toBe('warn');
    // what Heroku refused until March 2026 and accepts now
    expect(slugVerdict(520e6)).toBe('warn');
    expect(slugVerdict(990e6)).toBe('warn');
    expect(slugVerdict(991e6)).toBe('fail');
  });

  it('slug_parts: what a file counts towards', () => {
    expect(partOf('spark-home/jars/x.jar')).toBe('spark-home/jars');
    expect(partOf('.heroku/node/bin/node')).toBe('.heroku/node');
    expect(partOf('.jdk/lib/modules')).toBe('.jdk');
    expect(partOf('data/model.bin')).toBe('data');
    expect(partOf('Procfile')).toBe('(files at the top)');
  });

  it('slug_advice: what to drop follows what is there and what is already left out', () => {
    const e = est([
      ['spark-home/jars', 300e6],
      ['.jdk', 180e6],
      ['data', 60e6],
      ['.heroku/node', 40e6],
    ]);
    const a = slugAdvice(e, { slim: ['connect-repl'], s3a: true, jdkLinked: false });
    expect(a[0]).toContain('SPARK_SLIM=connect-repl,hive,connect,python,mllib,repl');
    expect(a).toContain('Without S3, SPARK_S3A=false drops the S3A connector.');
    expect(a.join('\n')).toContain('.jdk is a full JDK (180.0 MB) that was not linked into a runtime');
    expect(a.join('\n')).toContain("Your app's own files: data (60.0 MB)");
    const lean = slugAdvice(est([['spark-home/jars', 480e6]]), { slim: [...FEATURE_NAMES], s3a: false, jdkLinked: true });
    expect(lean).toEqual([]);
    expect(slugLines(e, 2)).toEqual([
      "Slug estimate: 580.0 MB compressed (0.0 MB in 10 files; Heroku's limit 1000.0 MB, boot-time warning above 300.0 MB)",
      ' 300.0 MB  spark-home/jars',
      ' 180.0 MB  .jdk',
    ]);
  });
});
