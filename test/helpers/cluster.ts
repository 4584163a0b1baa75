/** A test app with a real compiled Spark, and the CLI driving `local` against it. */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { bin, catalogFile, compile, copyBuildpack, REPO, tmpdir } from './buildpack.js';
import { inject } from 'vitest';
import { copyJdk, machineJdk } from './button.js';
import { startMirror } from './mirror.js';
import { testDist } from './spark.js';

/**
 * The build cache and the full JDK the run's apps share (global setup makes both: the cache warmed
 * by one build per version, so the files that build at once only read it). Outside vitest
 * (benchmarks): a cache of their own and the machine's JDK copied.
 */
function shared(): { buildCache: string; fullJdk: string } {
  try {
    const buildCache = inject('buildCache');
    const fullJdk = inject('fullJdk');
    if (buildCache && fullJdk) return { buildCache, fullJdk };
  } catch {
    /* not in a vitest worker */
  }
  return (ownShared ??= (() => {
    const fullJdk = path.join(tmpdir('sis-jdk-'), 'jdk');
    copyJdk(machineJdk(), fullJdk);
    return { buildCache: tmpdir('sis-cache-'), fullJdk };
  })());
}
let ownShared: { buildCache: string; fullJdk: string } | undefined;

/**
 * Lays a full JDK into a slug as the JVM buildpack does (`.jdk`, with its jmods): bin/compile links
 * it into a runtime, and `local` runs every dyno on the slug's `.jdk`, as on Heroku. Hard links of
 * one copy per run: jlink only reads it, and the build replaces it whole.
 */
export function layJdk(slug: string, fullJdk = shared().fullJdk): void {
  execFileSync('cp', ['-al', fullJdk, path.join(slug, '.jdk')]);
}

/**
 * The JVM flags of test spaces (under vitest only; benchmarks run JVMs as dynos do): C1 only and
 * the serial GC halve the CPU a daemon's or a spark-shell's start costs on 2 cores (measured:
 * `local up` 13.3 → 6.0 CPU-s, a spark-shell job 26 → 12 CPU-s), and nothing a test checks depends
 * on C2's code or on the GC. `java` reads JDK_JAVA_OPTIONS (executors get it from their worker).
 */
export const TEST_JVM_OPTIONS = '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC';

/** An app dir whose Procfile runs this repo's launchers, with Spark compiled into .spark-in-space/slug (and its .jdk linked). */
export async function appWithSpark(
  version: string,
  dotenv: Record<string, string> = {},
  withWeb = false,
  types: Record<string, string> = {},
  /** the build's config vars (ENV_DIR), beside the mirror and catalog */
  buildVars: Record<string, string> = {},
): Promise<{ app: string; sparkHome: string; build: string }> {
  const app = tmpdir('sis-local-');
  const procfile: Record<string, string> = { master: bin('spark-master'), worker: bin('spark-worker'), console: bin('console'), zookeeper: bin('zookeeper'), ...types };
  if (withWeb) procfile.web = bin('space-proxy');
  writeFileSync(
    path.join(app, 'Procfile'),
    `${Object.entries(procfile)
      .map(([t, c]) => `${t}: ${c}`)
      .join('\n')}\n`,
  );
  writeFileSync(path.join(app, '.spark.version'), `${version}\n`);
  // class-data archives (src/cds) are per app path, and each test app is new: its first starts would
  // only pay for recording; test/e2e/local-lifecycle.test.ts turns them on and checks them
  const env = process.env.VITEST ? { JDK_JAVA_OPTIONS: TEST_JVM_OPTIONS, SPARK_CDS: 'false', ...dotenv } : dotenv;
  writeFileSync(
    path.join(app, '.env'),
    Object.entries(env)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n',
  );
  const dist = testDist(version);
  const mirror = await startMirror(dist.mirrorRoot);
  try {
    const slug = path.join(app, '.spark-in-space', 'slug');
    mkdirSync(slug, { recursive: true });
    writeFileSync(path.join(slug, '.spark.version'), `${version}\n`);
    layJdk(slug);
    const r = await compile(slug, shared().buildCache, {
      SPARK_MIRROR_URL: mirror.url,
      SPARK_CATALOG: catalogFile([{ version, pinned: { hadoop3: { sha512: dist.sha512 } } }]),
      ...buildVars,
    });
    if (r.exitCode !== 0) throw new Error(`compile failed:\n${r.all}`);
    return { app, sparkHome: path.join(slug, 'spark-home'), build: r.all };
  } finally {
    await mirror.close();
  }
}

/**
 * An app whose space runs `thrift` and `connect` dynos beside the web proxy, with SPARK_AUTH_SECRET
 * (as app.json makes it), sized so both servers, one-off drivers and a cluster-mode driver fit at once.
 */
export function appWithEndpoints(version: string, o: { password: string; token: string; dotenv?: Record<string, string>; types?: Record<string, string>; buildVars?: Record<string, string> }) {
  return appWithSpark(
    version,
    {
      SPARK_AUTH_SECRET: randomBytes(24).toString('hex'),
      SPARK_CONNECT_TOKEN: o.token,
      SPACE_PROXY_PASSWORD: o.password,
      SPARK_WORKER_CORES: '4',
      SPARK_WORKER_MEMORY: '3g',
      SPARK_EXECUTOR_MEMORY: '512m',
      SPARK_DRIVER_MEMORY: '768m',
      SPARK_DEFAULT_CORES: '1',
      // the SQL servers give idle executors back after 5 s (the default is 60 s)
      SPARK_SERVER_IDLE_TIMEOUT: '5s',
      LOG_LEVEL: 'WARN',
      ...o.dotenv,
    },
    true,
    { thrift: bin('thrift'), connect: bin('connect'), ...o.types },
    o.buildVars,
  );
}

/**
 * A job app (another app of the space, SPARK_CLUSTER_APP) built as Heroku builds it: bin/compile of
 * a copy of the buildpack that is deleted afterwards, so the slug must hold everything its dynos run.
 */
export async function buildJobApp(version: string, files: Record<string, string | Buffer>): Promise<{ slug: string; build: string }> {
  const slug = tmpdir('sis-job-app-');
  writeFileSync(path.join(slug, '.spark.version'), `${version}\n`);
  for (const [f, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(slug, f)), { recursive: true });
    writeFileSync(path.join(slug, f), content);
  }
  const dist = testDist(version);
  const mirror = await startMirror(dist.mirrorRoot);
  const bp = copyBuildpack(tmpdir('sis-job-bp-'));
  try {
    const vars = { SPARK_MIRROR_URL: mirror.url, SPARK_CATALOG: catalogFile([{ version, pinned: { hadoop3: { sha512: dist.sha512 } } }]) };
    const r = await compile(slug, tmpdir('sis-cache-'), vars, { bpDir: bp });
    if (r.exitCode !== 0) throw new Error(`compile of the job app failed:\n${r.all}`);
    return { slug, build: r.all };
  } finally {
    await mirror.close();
    rmSync(bp, { recursive: true, force: true });
  }
}

export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

export function cli(args: string[], opts: { input?: string; env?: Record<string, string>; timeout?: number; cwd?: string } = {}) {
  // the bundled entry package.json's `bin` installs: what users run
  return execa(process.execPath, [path.join(REPO, 'dist/cli.mjs'), ...args], { reject: false, all: true, ...opts });
}

/** `local status --json` of the space of `app` (the app dir's only space when omitted), parsed. */
export async function localStatus<T>(dir: string, app?: string): Promise<T> {
  return JSON.parse((await cli(['local', 'status', '--json', '--dir', dir, ...(app ? ['--app', app] : [])])).stdout) as T;
}

/**
 * A Spark job jar built with javac against the distribution's jars: prints SUM=<1L..1000000L>
 * (`fail`: exit 3; `throw`: an exception out of main; `sleep`: READY, then waits; `tick N`: prints
 * TICK 1..N, one every 300 ms, before the sum; `sql QUERY`: SQL=<its rows> through the cluster's catalog).
 */
export async function buildJobJar(sparkHome: string): Promise<string> {
  const dir = tmpdir('sis-job-');
  writeFileSync(
    path.join(dir, 'SumJob.java'),
    `import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

public class SumJob {
  public static void main(String[] args) {
    if (args.length > 1 && args[0].equals("sql")) {
      // the cluster's catalog: prints SQL=<the query's rows>
      org.apache.spark.sql.SparkSession spark = org.apache.spark.sql.SparkSession.builder().appName("sum-job").getOrCreate();
      System.out.println("SQL=" + spark.sql(args[1]).collectAsList());
      spark.stop();
      return;
    }
    JavaSparkContext sc = new JavaSparkContext(new SparkConf().setAppName("sum-job"));
    if (args.length > 0 && args[0].equals("fail")) {
      sc.stop();
      System.exit(3);
    }
    if (args.length > 0 && args[0].equals("throw")) {
      throw new IllegalStateException("SumJob was told to throw");
    }
    if (args.length > 1 && args[0].equals("tick")) {
      for (int i = 1; i <= Integer.parseInt(args[1]); i++) {
        System.out.println("TICK " + i);
        System.out.flush();
        try { Thread.sleep(300); } catch (InterruptedException e) { }
      }
    }
    if (args.length > 0 && args[0].equals("sleep")) {
      System.out.println("READY");
      System.out.flush();
      try { Thread.sleep(600_000); } catch (InterruptedException e) { }
    }
    if (args.length > 1 && args[0].equals("wait-for")) {
      // a supervised driver's first run waits here until the test has killed its worker
      System.out.println("WAITING on " + args[1]);
      System.out.flush();
      while (!new java.io.File(args[1]).exists()) {
        try { Thread.sleep(200); } catch (InterruptedException e) { }
      }
    }
    List<Long> xs = LongStream.rangeClosed(1, 1000000).boxed().collect(Collectors.toList());
    long sum = sc.parallelize(xs, 4).reduce(Long::sum);
    System.out.println("SUM=" + sum);
    sc.stop();
  }
}
`,
  );
  await execa('javac', ['-cp', `${sparkHome}/jars/*`, '-d', path.join(dir, 'classes'), path.join(dir, 'SumJob.java')]);
  await execa('jar', ['cf', path.join(dir, 'sum-job.jar'), '-C', path.join(dir, 'classes'), '.']);
  return path.join(dir, 'sum-job.jar');
}

/**
 * One local space with a thrift dyno at a time across the run's test files: Spark's Thrift server
 * (HTTP) listens on port 10001 of every address, so `local up` refuses a second (exit 14). A lock
 * dir in the run's temp dir (shared by the workers); waits for it, returns the release.
 */
export async function thriftLock(): Promise<() => void> {
  const dir = path.join(os.tmpdir(), 'sis-lock-thrift-10001');
  for (;;) {
    try {
      mkdirSync(dir);
      return () => rmSync(dir, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
