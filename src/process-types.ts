/**
 * The process types of a spark-in-space app, one row each: everything that differs per type lives
 * here, and the rest derives from it — the launchers (`src/launch`: role, what a dyno waits for,
 * required vars), the local space (`src/local`: addresses, readiness, start and stop order, `local
 * up`'s options), the space proxy's `/_dynos` page and `spark-in-space ui`; the files Heroku reads
 * itself (the Procfile, whose lines bin/release prints as the defaults, and app.json's formation)
 * and docs/run-time.md are checked against it by test/unit/process-types.test.ts, which says what line to add.
 *
 * Adding a process type: one row here, its launcher `bin/<launcher>` (three lines over
 * bin/support/launch.sh), its row in `src/launch/launchers.ts` `LAUNCHERS` (argv, class-data sharing, the
 * SPARK_SLIM part it needs, its checks and preparation: the compiler asks for it),
 * and the lines the test names in Procfile, app.json and docs/run-time.md.
 */
import { API_PORT, CONNECT_BACKEND_PORT, CONNECT_PORT, HISTORY_UI_PORT, MASTER_UI_PORT, METASTORE_PORT, THRIFT_HTTP_PORT, WORKER_UI_PORT } from './ports.js';

/** The part a JVM plays in Spark's conf (src/render): a daemon's, a driver's, a console's. */
export type Role = 'master' | 'worker' | 'driver' | 'console' | 'history';

/** What "up" means for a dyno of the type (the local space polls it; `local status` shows it). */
export type Readiness =
  /** the master's /json answers */
  | { kind: 'master-json' }
  /** a master lists the dyno ALIVE */
  | { kind: 'worker-alive' }
  /** the web dyno's $PORT accepts connections */
  | { kind: 'web-port' }
  /** every one of these ports on the dyno's address accepts connections (`portVar`: the config var that moves the port, if set) */
  | { kind: 'ports'; ports: number[]; portVar?: string }
  /** ZooKeeper's `srvr` reports a mode (leader, follower, standalone) */
  | { kind: 'zookeeper-serving' }
  /** the process has run this long without exiting */
  | { kind: 'running-for'; ms: number };

/** A config var a type cannot start without: the launcher and `local up` refuse, naming it. */
export interface RequiredVar {
  name: string;
  problem: string;
  example: string;
  /** not needed when one of these is set (another way to the same end) */
  unless?: string[];
}

export interface ProcessTypeSpec {
  /** the Procfile's name of the type */
  name: DynoType;
  /** `bin/<launcher>` of this repository, and `.spark-in-space/buildpack/bin/<launcher>` of the kit */
  launcher: string;
  /** what the JVM is, for Spark's conf (src/render): daemons, a driver, or a dyno that runs drivers; `proxy` and `service`: ours in Node, no JVM, no Spark UI */
  role: Role | 'proxy' | 'service';
  /** third octet of the type's loopback addresses in the local space (127.<app>.<slot>.<n>) */
  slot: number;
  /** the UI a browser reaches through the space proxy (`/_dynos`, `spark-in-space ui TYPE.N`); else a driver's 4040 */
  uiPort?: number;
  /** what `/_dynos` says a dyno of the type serves besides its UI */
  serves?: string;
  ready: Readiness;
  /** local start order: lower first (the ensemble, then the masters once one answers, then the rest) */
  startWave: 0 | 1 | 2;
  /** local stop order: lower first (workers drain while a master still runs; ZooKeeper last) */
  stopWave: 0 | 1 | 2;
  /** what the launcher waits for before it starts the JVM (src/launch/await.ts) */
  waitsFor?: 'a master' | 'ZooKeeper' | 'the metastore';
  /** config vars the type cannot start without */
  requires: RequiredVar[];
  /** a driver that runs for days serving many users' queries: it gives idle executors back (SPARK_SERVER_*, src/render) */
  sharedServer?: true;
  /** app.json's formation: the Button's dynos */
  formation: { quantity: number; size: string };
  /**
   * `local up --<name> N`: the most one local space runs, and the option's help (none: not an option);
   * its default is 1 when .env sets `onWhenSet` (a config var) or beside a dyno of `alsoBeside`, and the Procfile has the type
   */
  localOption?: { max: number; why: string; help: string; default?: number; onWhenSet?: string; alsoBeside?: DynoType[] };
  /** one line for README and `--help` */
  summary: string;
}

export const DYNO_TYPES = ['master', 'worker', 'console', 'web', 'zookeeper', 'history', 'thrift', 'connect', 'metastore', 'api'] as const;
export type DynoType = (typeof DYNO_TYPES)[number];

const EVENTLOG_REQUIRED: RequiredVar = {
  name: 'SPARK_EVENTLOG_DIR',
  problem: 'is not set: the history server shows the event logs applications write there, so every app and the history dyno need the same directory',
  example: 'SPARK_EVENTLOG_DIR=s3a://my-bucket/spark-events',
};
const CONNECT_TOKEN_REQUIRED: RequiredVar = {
  name: 'SPARK_CONNECT_TOKEN',
  problem: "is not set: the Connect server runs any client's code, so it only starts with a token clients must send",
  example: 'SPARK_CONNECT_TOKEN=$(openssl rand -hex 32)',
};
const METASTORE_DATABASE_REQUIRED: RequiredVar = {
  name: 'SPARK_METASTORE_DATABASE_URL',
  problem: "is not set (nor DATABASE_URL): the metastore keeps the cluster's tables in PostgreSQL (attach Heroku Postgres, or set the URL of another)",
  example: 'heroku addons:create heroku-postgresql:essential-0 -a my-spark',
  // a local space's catalog on Derby (local up, without a database)
  unless: ['SPARK_METASTORE_DERBY_DIR'],
};
const API_TOKEN_REQUIRED: RequiredVar = {
  name: 'SPARK_API_TOKEN',
  problem: 'is not set: the API runs SQL and jobs on the cluster, so it only starts with a token clients must send',
  example: 'SPARK_API_TOKEN=$(openssl rand -hex 32)',
};
const ZOOKEEPERS_REQUIRED: RequiredVar = {
  name: 'SPARK_ZOOKEEPERS',
  problem: 'is not set: a zookeeper dyno needs the size of its ensemble (the number of zookeeper dynos, 1 or 3)',
  example: 'SPARK_ZOOKEEPERS=3',
};

export const PROCESS_TYPE_TABLE = {
  master: {
    name: 'master',
    launcher: 'spark-master',
    role: 'master',
    slot: 1,
    uiPort: MASTER_UI_PORT,
    ready: { kind: 'master-json' },
    startWave: 1,
    stopWave: 1,
    waitsFor: 'ZooKeeper',
    requires: [],
    formation: { quantity: 1, size: 'private-m' },
    summary: "Spark's standalone master (several with ZooKeeper: one leads, the others stand by)",
  },
  worker: {
    name: 'worker',
    launcher: 'spark-worker',
    role: 'worker',
    slot: 2,
    uiPort: WORKER_UI_PORT,
    ready: { kind: 'worker-alive' },
    startWave: 2,
    stopWave: 0,
    waitsFor: 'a master',
    requires: [],
    formation: { quantity: 2, size: 'private-l' },
    summary: 'a Spark worker: its cores and memory run executors (and cluster-mode drivers)',
  },
  console: {
    name: 'console',
    launcher: 'console',
    role: 'console',
    slot: 4,
    ready: { kind: 'running-for', ms: 3000 },
    startWave: 2,
    stopWave: 0,
    requires: [],
    formation: { quantity: 0, size: 'private-m' },
    summary: 'an idle dyno with the cluster conf, to `heroku ps:exec` into and run drivers',
  },
  web: {
    name: 'web',
    launcher: 'space-proxy',
    role: 'proxy',
    slot: 3,
    ready: { kind: 'web-port' },
    startWave: 2,
    stopWave: 1,
    requires: [],
    formation: { quantity: 1, size: 'private-s' },
    summary: "the space proxy (nginx): the cluster's UIs, metrics and JDBC behind basic auth",
  },
  zookeeper: {
    name: 'zookeeper',
    launcher: 'zookeeper',
    role: 'console',
    slot: 5,
    ready: { kind: 'zookeeper-serving' },
    startWave: 0,
    stopWave: 2,
    requires: [ZOOKEEPERS_REQUIRED],
    formation: { quantity: 0, size: 'private-s' },
    summary: "a ZooKeeper server of the app's own ensemble (from Spark's jars), for master HA",
  },
  history: {
    name: 'history',
    launcher: 'history',
    role: 'history',
    slot: 6,
    uiPort: HISTORY_UI_PORT,
    ready: { kind: 'ports', ports: [HISTORY_UI_PORT] },
    startWave: 2,
    stopWave: 0,
    requires: [EVENTLOG_REQUIRED],
    formation: { quantity: 0, size: 'private-s' },
    localOption: {
      max: 1,
      why: 'one history server reads the whole event log dir',
      help: "Spark's history server on SPARK_EVENTLOG_DIR (default 1 when .env sets it)",
      onWhenSet: 'SPARK_EVENTLOG_DIR',
    },
    summary: "Spark's history server on SPARK_EVENTLOG_DIR",
  },
  thrift: {
    name: 'thrift',
    launcher: 'thrift',
    role: 'driver',
    slot: 7,
    serves: `JDBC at /cliservice of this proxy (transportMode=http;httpPath=cliservice); in the space 1.thrift…:${THRIFT_HTTP_PORT}; driver UI while it runs`,
    ready: { kind: 'ports', ports: [THRIFT_HTTP_PORT] },
    startWave: 2,
    stopWave: 0,
    requires: [],
    formation: { quantity: 0, size: 'private-m' },
    sharedServer: true,
    waitsFor: 'the metastore',
    localOption: { max: 1, why: "the proxy's /cliservice and 1.thrift… reach one Thrift server", help: "the Thrift JDBC server; beeline through the proxy's /cliservice", default: 0 },
    summary: "Spark's Thrift JDBC/ODBC server (HTTP transport) on the cluster",
  },
  connect: {
    name: 'connect',
    launcher: 'connect',
    role: 'driver',
    slot: 8,
    serves: `Spark Connect at sc://<host>:${CONNECT_PORT} (TLS, token); driver UI while it runs`,
    ready: { kind: 'ports', ports: [CONNECT_PORT, CONNECT_BACKEND_PORT] },
    startWave: 2,
    stopWave: 0,
    requires: [CONNECT_TOKEN_REQUIRED],
    formation: { quantity: 0, size: 'private-m' },
    sharedServer: true,
    waitsFor: 'the metastore',
    localOption: { max: 1, why: 'clients reach 1.connect…', help: 'the Spark Connect server, TLS + SPARK_CONNECT_TOKEN from .env', default: 0 },
    summary: 'the Spark Connect server (TLS, token) on the cluster',
  },
  metastore: {
    name: 'metastore',
    launcher: 'metastore',
    role: 'console',
    slot: 9,
    serves: `the Hive metastore (Thrift, in the space at 1.metastore…:${METASTORE_PORT}) every driver's catalog is in`,
    ready: { kind: 'ports', ports: [METASTORE_PORT], portVar: 'SPARK_METASTORE_PORT' },
    startWave: 1,
    stopWave: 1,
    requires: [METASTORE_DATABASE_REQUIRED],
    formation: { quantity: 0, size: 'private-s' },
    localOption: {
      max: 1,
      why: 'drivers reach 1.metastore…',
      help: 'the Hive metastore: on SPARK_METASTORE_DATABASE_URL or DATABASE_URL, --postgres, else Derby in the space (default 1 with a database, or beside thrift or connect)',
      onWhenSet: 'SPARK_METASTORE_DATABASE_URL',
      // the servers and every other driver share one catalog
      alsoBeside: ['thrift', 'connect'],
    },
    summary: "the Hive metastore service (from Spark's jars) on PostgreSQL: one catalog for every driver",
  },
  api: {
    name: 'api',
    launcher: 'api',
    role: 'service',
    slot: 10,
    serves: `the HTTP API at /api/v1/ of this proxy; in the space http://1.api…:${API_PORT} with SPARK_API_TOKEN`,
    ready: { kind: 'ports', ports: [API_PORT], portVar: 'SPARK_API_PORT' },
    startWave: 2,
    stopWave: 0,
    requires: [API_TOKEN_REQUIRED],
    formation: { quantity: 0, size: 'private-s' },
    localOption: { max: 1, why: 'the proxy and apps reach 1.api…', help: 'the HTTP API (statements on the thrift dyno, batches on the cluster): /api/v1/ through the proxy', default: 0 },
    summary: 'the HTTP API: SQL statements (on the thrift server) and batch jobs over plain HTTP+JSON',
  },
} satisfies Record<DynoType, ProcessTypeSpec>;

/** The types whose row has a `localOption`: `local up --<type> N` (src/cli/commands/local/up.ts takes them from the rows). */
export type LocalOptionType = { [K in DynoType]: (typeof PROCESS_TYPE_TABLE)[K] extends { localOption: object } ? K : never }[DynoType];

export const PROCESS_TYPES_LIST: ProcessTypeSpec[] = DYNO_TYPES.map((t) => PROCESS_TYPE_TABLE[t]);

/** A type whose process is ours in Node, not a JVM, and has no Spark UI: the proxy (web), the API. */
export const isNodeService = (t: Pick<ProcessTypeSpec, 'role'>): boolean => t.role === 'proxy' || t.role === 'service';

/** The row of a Procfile type, if it is one of ours (an app's own types have none). */
export const specOf = (type: string): ProcessTypeSpec | undefined => ((DYNO_TYPES as readonly string[]).includes(type) ? PROCESS_TYPE_TABLE[type as DynoType] : undefined);

/** Slots of what is not a Procfile type in the local space: one-off dynos and drivers on the host. */
export const ONE_OFF_SLOTS = { run: 100, exec: 101 } as const;

/** Pure: what bin/release prints (every type, by the kit's launcher: the defaults work in any app built with this buildpack). */
export function releaseYaml(kitDir: string): string {
  const lines = PROCESS_TYPES_LIST.map((t) => `  ${t.name}: ${kitDir}/bin/${t.launcher}`);
  return ['---', 'default_process_types:', ...lines, ''].join('\n');
}

/** What a launcher starts: a Procfile type of the table (web is the proxy's: src/proxy), or one of Spark's tools. */
export type ProcessType = Exclude<DynoType, 'web' | 'api'> | 'spark-shell' | 'spark-submit';
export const PROCESS_TYPES: ProcessType[] = [...DYNO_TYPES.filter((t): t is Exclude<DynoType, 'web' | 'api'> => t !== 'web' && t !== 'api'), 'spark-shell', 'spark-submit'];
