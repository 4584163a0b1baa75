/**
 * The local space, as pure functions: which dynos run, each one's loopback address and
 * `*.app.localspace` names, the hosts file JVMs resolve them with, and each dyno's environment
 * (what Heroku sets in a Private Space: DYNO, PORT, HEROKU_PRIVATE_IP, HEROKU_DNS_*).
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { lookup, type Env } from '../config/schema.js';
import { SPACE_SUFFIX } from '../space/index.js';
import { ONE_OFF_SLOTS, specOf } from '../process-types.js';
import { userCacheDir } from '../paths.js';

export interface Dyno {
  type: string;
  index: number;
  /** `worker.2` */
  name: string;
  ip: string;
  /** `2.worker.<app>.app.localspace` */
  dns: string;
  command: string;
}

export interface Formation {
  app: string;
  /** second octet: 127.<subnet>.x.y, derived from the app name so two apps can run side by side */
  subnet: number;
  dynos: Dyno[];
}

export function subnetFor(app: string): number {
  return 16 + (createHash('sha256').update(app).digest()[0]! % 200);
}

/**
 * Pure: a local space's metastore port. Hive 2.3's service listens on every address of the machine,
 * so each space needs its own port: one per subnet (spaces side by side have different ones), below
 * the kernel's ephemeral range (no client socket takes it meanwhile), the same at every `up`.
 */
export const localMetastorePort = (subnet: number) => 29000 + subnet;

/** Third octet of a type's addresses: the table's slot; one-off dynos (`run`) and drivers on the host (`exec`) their own; an app's own types from 10 on. */
export function slotFor(type: string, procfileTypes: string[]): number {
  return specOf(type)?.slot ?? (Object.hasOwn(ONE_OFF_SLOTS, type) ? ONE_OFF_SLOTS[type as keyof typeof ONE_OFF_SLOTS] : undefined) ?? 10 + Math.max(0, procfileTypes.indexOf(type));
}

export const appDomain = (app: string) => `${app}.${SPACE_SUFFIX}`;

export function dynoFor(app: string, type: string, index: number, command: string, procfileTypes: string[]): Dyno {
  return {
    type,
    index,
    name: `${type}.${index}`,
    ip: `127.${subnetFor(app)}.${slotFor(type, procfileTypes)}.${index}`,
    dns: `${index}.${type}.${appDomain(app)}`,
    command,
  };
}

/** Parses a Procfile: `type: command` per line. */
export function parseProcfile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^([A-Za-z0-9_-]+):\s*(.+)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!.trim();
  }
  return out;
}

export function formation(app: string, procfile: Record<string, string>, counts: Record<string, number>): Formation {
  const types = Object.keys(procfile);
  const dynos: Dyno[] = [];
  for (const [type, n] of Object.entries(counts)) {
    const command = procfile[type];
    if (!command) continue;
    for (let i = 1; i <= n; i++) dynos.push(dynoFor(app, type, i, command, types));
  }
  return { app, subnet: subnetFor(app), dynos };
}

/** The hosts file every JVM reads (-Djdk.net.hosts.file): dyno names, round-robin names, this machine. */
export function hostsFile(f: Formation, hostname: string): string {
  const lines = ['127.0.0.1 localhost', `127.0.0.1 ${hostname}`];
  const seenTypes = new Set<string>();
  for (const d of f.dynos) {
    lines.push(`${d.ip} ${d.dns}`);
    if (!seenTypes.has(d.type)) {
      seenTypes.add(d.type);
      lines.push(`${d.ip} ${d.type}.${appDomain(f.app)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The Platform API's space topology (what /etc/heroku/space-topology.json holds), for the local space. */
export function topology(f: Formation): unknown {
  const byType = new Map<string, Dyno[]>();
  for (const d of f.dynos) byType.set(d.type, [...(byType.get(d.type) ?? []), d]);
  return {
    version: 1,
    apps: [
      {
        id: f.app,
        domains: [],
        formation: [...byType].map(([type, ds]) => ({
          id: `${f.app}-${type}`,
          process_type: type,
          dynos: ds.map((d) => ({ id: d.name, number: d.index, private_ip: d.ip, hostname: d.dns })),
        })),
      },
    ],
  };
}

/** Name → address for the local DNS server: dyno names and round-robin type names. */
export function dnsTable(f: Formation): Map<string, string> {
  const t = new Map<string, string>();
  for (const d of f.dynos) {
    t.set(d.dns, d.ip);
    if (!t.has(`${d.type}.${appDomain(f.app)}`)) t.set(`${d.type}.${appDomain(f.app)}`, d.ip);
  }
  return t;
}

/** Where the local DNS server listens: its own loopback address, an unprivileged port. */
export const dnsAddress = (f: Formation) => ({ host: `127.${f.subnet}.0.53`, port: 5353 });

/** Sensible local sizes, used only where neither the environment nor .env sets them. */
export const LOCAL_DEFAULTS: Env = {
  SPARK_EXECUTOR_MEMORY: '1g',
  SPARK_DRIVER_MEMORY: '1g',
  SPARK_WORKER_MEMORY: '2g',
  SPARK_DAEMON_MEMORY: '512m',
};

/**
 * A dyno's environment: config vars, then what Heroku sets, then local plumbing. Drivers keep
 * Derby's metastore (metastore_db/, derby.log) and the SQL warehouse in the space's data/ folder,
 * not in the app's tree (a Spark default in SPARK_DEFAULTS_EXTRA still wins); the thrift and
 * connect servers each have a metastore of their own, as their dynos do on Heroku.
 */
/**
 * Pure: the config every dyno of a local space starts from: local sizes, the formation's master
 * and ZooKeeper counts (SPARK_MASTERS, SPARK_ZOOKEEPERS), then the app's own config, which wins.
 */
export function spaceConfig(config: Env, counts: { master?: number; zookeeper?: number }): Env {
  return {
    ...LOCAL_DEFAULTS,
    ...(counts.master && counts.master > 1 ? { SPARK_MASTERS: String(counts.master) } : {}),
    ...(counts.zookeeper ? { SPARK_ZOOKEEPERS: String(counts.zookeeper) } : {}),
    ...config,
  };
}

export function dynoEnv(d: Dyno, a: { app: string; config: Env; stateDir: string; sparkHome: string; port: number; masters?: number; zookeepers?: number; javaHome?: string; python?: string }): Env {
  const dir = path.join(a.stateDir, 'dynos', d.name);
  const data = path.join(a.stateDir, 'data');
  const hostsOpt = `-Djdk.net.hosts.file=${path.join(a.stateDir, 'hosts')}`;
  // Derby's embedded metastore admits one JVM at a time: the long-running servers keep their own
  const metastore = specOf(d.type)?.sharedServer ? `metastore-${d.type}` : 'metastore';
  const submitOpts = [a.config.SPARK_SUBMIT_OPTS, `-Dderby.system.home=${path.join(data, metastore)}`, `-Dspark.sql.warehouse.dir=${path.join(data, 'warehouse')}`];
  // with a metastore, its default database lives where every dyno of the space reaches (unless the app says where, or has S3)
  const warehouse = lookup(a.config, 'SPARK_WAREHOUSE_DIR') || lookup(a.config, 'SPARK_S3_BUCKET_NAME') ? {} : { SPARK_WAREHOUSE_DIR: `file:${path.join(data, 'warehouse')}` };
  return {
    ...warehouse,
    // class-data archives (src/cds) kept across the space's starts and shared by its dynos: the machine has one disk (.env's value, even empty, wins)
    ...('SPARK_CDS_DIR' in a.config ? {} : { SPARK_CDS_DIR: userCacheDir('cds') }),
    ...spaceConfig(a.config, { master: a.masters, zookeeper: a.zookeepers }),
    DYNO: d.name,
    PORT: String(a.port),
    HEROKU_PRIVATE_IP: d.ip,
    HEROKU_DNS_DYNO_NAME: d.dns,
    HEROKU_DNS_FORMATION_NAME: `${d.type}.${appDomain(a.app)}`,
    HEROKU_DNS_APP_NAME: appDomain(a.app),
    SPARK_HOME: a.sparkHome,
    // the slug's own Java (the JVM buildpack's .jdk, as its .profile.d sets it on Heroku)
    ...(a.javaHome ? { JAVA_HOME: a.javaHome, PATH: [path.join(a.javaHome, 'bin'), a.config.PATH].filter(Boolean).join(':') } : {}),
    // pip's pyspark: its environment's Python for the pyspark shell, drivers and executors' Python workers (the app's own choice wins)
    ...(a.python ? { PYSPARK_PYTHON: a.config.PYSPARK_PYTHON ?? a.python, PYSPARK_DRIVER_PYTHON: a.config.PYSPARK_DRIVER_PYTHON ?? a.config.PYSPARK_PYTHON ?? a.python } : {}),
    SPARK_CONF_DIR: path.join(dir, 'conf'),
    SPARK_WORKER_DIR: path.join(dir, 'work'),
    SPARK_LOCAL_DIRS: path.join(dir, 'tmp'),
    JAVA_TOOL_OPTIONS: [a.config.JAVA_TOOL_OPTIONS, hostsOpt].filter(Boolean).join(' '),
    SPARK_SUBMIT_OPTS: submitOpts.filter(Boolean).join(' '),
    SPARK_IN_SPACE_LOCAL: '1',
    // what must be at one path for every dyno of the space (cluster-mode drivers' auth file)
    SPARK_IN_SPACE_SHARED_DIR: a.stateDir,
  };
}

/** Parses a .env file (KEY=value, optional quotes, # comments) as `heroku local` does. */
export function parseDotenv(text: string): Env {
  const out: Env = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let v = m[2]!;
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) {
      v = v.slice(1, -1);
      if (m[2]!.startsWith('"')) v = v.replace(/\\n/g, '\n');
    } else v = v.replace(/\s+#.*$/, '');
    out[m[1]!] = v;
  }
  return out;
}
