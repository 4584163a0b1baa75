/**
 * ZooKeeper for master HA, as pure functions of config vars: which ensemble the masters use
 * (SPARK_ZK_ZOOKEEPER_URL, else the space's own `zookeeper` dynos), and the `zoo.cfg` and `myid`
 * a `zookeeper` dyno runs with. The launcher (src/launch) execs ZooKeeper's QuorumPeerMain from
 * the jars Spark ships.
 */
import { fail } from '../errors.js';
import type { Env, Settings } from '../config/schema.js';
import { clusterDomain, parseDyno } from '../space/index.js';
import { ZK_CLIENT_PORT, ZK_ELECTION_PORT, ZK_PEER_PORT } from '../ports.js';

export { ZK_CLIENT_PORT, ZK_PEER_PORT, ZK_ELECTION_PORT } from '../ports.js';

/**
 * Session limits of the space's own ZooKeeper. Spark asks Curator for a 60 s session (hard-coded,
 * no Spark key changes it); the server caps what a client gets at maxSessionTimeout. A stopped
 * leader closes its session (HANDOVER_FACTORY): the standby leads at once. One that dies without
 * closing it (kill -9, a lost dyno) holds the leadership until the session expires, within one
 * tick of the cap: 6 s, so a standby leads within 8 s. The client counts its connection lost after
 * 2/3 of the session (4 s) without a word from the server: a leader paused longer (a long GC, a
 * stopped process) steps down at once (Curator's latch: SUSPENDED is lost leadership), before its
 * session can expire, so there are never two leaders.
 */
export const ZK_TICK_MS = 500;
export const ZK_MAX_SESSION_MS = 6000;

/**
 * The master's recovery factory (src/zookeeper/java/HandoverRecoveryModeFactory.java): Spark's
 * ZooKeeper recovery, plus the leader's latch and session closed at JVM exit. Compiled by the build
 * (src/buildpack/handover.ts) into spark-home/jars as HANDOVER_JAR; named in the conf only when there.
 */
export const HANDOVER_FACTORY = 'sparkinspace.HandoverRecoveryModeFactory';
export const HANDOVER_JAR = 'spark-in-space-handover.jar';

/** `N.zookeeper.<app>.app.localspace` of the space's own ensemble (SPARK_ZOOKEEPERS dynos). */
export function ownEnsemble(s: Settings): string[] {
  return Array.from({ length: s.SPARK_ZOOKEEPERS }, (_, i) => `${i + 1}.zookeeper.${clusterDomain(s)}`);
}

/** Pure: the `host:port,…` list the masters use, or undefined when the cluster runs without ZooKeeper. */
export function zookeeperUrl(s: Settings): string | undefined {
  if (s.SPARK_ZK_ZOOKEEPER_URL) return s.SPARK_ZK_ZOOKEEPER_URL;
  const own = ownEnsemble(s);
  return own.length ? own.map((h) => `${h}:${ZK_CLIENT_PORT}`).join(',') : undefined;
}

/** Pure: the znode under which the masters elect a leader and keep their state: `/<cluster app>`. */
export function zookeeperDir(s: Settings): string {
  return `/${(s.SPARK_CLUSTER_APP ?? s.HEROKU_DNS_APP_NAME ?? 'spark').split('.')[0]}`;
}

export interface ZooKeeperServer {
  /** this dyno's number in the ensemble: ZooKeeper's myid */
  myid: number;
  /** zoo.cfg */
  config: string;
}

/**
 * Pure: the zoo.cfg of `zookeeper.N`. Peers are named, never numbered by address: after a cycle a
 * peer comes back on a new IP under the same name, and ZooKeeper resolves the name again when it
 * reconnects. A dyno of a 3-dyno ensemble starts with an empty disk and syncs from the quorum.
 */
export function zooKeeperServer(s: Settings, env: Env, dataDir: string): ZooKeeperServer {
  const d = parseDyno(env.DYNO);
  const ensemble = ownEnsemble(s);
  const refuse = (name: string, problem: string, example: string) => fail({ code: 'config-invalid', issues: [{ name, problem, example }] });
  if (!d || d.type !== 'zookeeper') return refuse('DYNO', `is ${env.DYNO ?? 'not set'}: bin/zookeeper runs as a zookeeper dyno (DYNO=zookeeper.N), not outside one`, 'DYNO=zookeeper.1');
  if (!ensemble.length) return refuse('SPARK_ZOOKEEPERS', 'is not set: set it to the number of zookeeper dynos (1 or 3)', 'SPARK_ZOOKEEPERS=3');
  if (d.index > ensemble.length)
    return refuse(
      'SPARK_ZOOKEEPERS',
      `is ${ensemble.length}, so zookeeper.${d.index} is beyond SPARK_ZOOKEEPERS=${ensemble.length}: scale zookeeper to ${ensemble.length} or set SPARK_ZOOKEEPERS to the new size (a running ensemble is resized one dyno at a time)`,
      `SPARK_ZOOKEEPERS=${ensemble.length}`,
    );
  const lines = [
    '# Rendered by spark-in-space at dyno start (src/zookeeper/index.ts).',
    `tickTime=${ZK_TICK_MS}`,
    // 10 s to connect and sync with the leader, 5 s behind it: as with 2 s ticks
    `initLimit=${10_000 / ZK_TICK_MS}`,
    `syncLimit=${5_000 / ZK_TICK_MS}`,
    `dataDir=${dataDir}`,
    `clientPort=${ZK_CLIENT_PORT}`,
    // each dyno has its own private address: bind there, not on every interface
    ...(s.HEROKU_PRIVATE_IP ? [`clientPortAddress=${s.HEROKU_PRIVATE_IP}`] : []),
    `minSessionTimeout=${2 * ZK_TICK_MS}`,
    `maxSessionTimeout=${ZK_MAX_SESSION_MS}`,
    'maxClientCnxns=200',
    'autopurge.snapRetainCount=3',
    'autopurge.purgeInterval=1',
    'admin.enableServer=false',
    '4lw.commands.whitelist=srvr,ruok,mntr',
  ];
  if (ensemble.length > 1) {
    lines.push('standaloneEnabled=false', 'reconfigEnabled=false');
    ensemble.forEach((host, i) => lines.push(`server.${i + 1}=${host}:${ZK_PEER_PORT}:${ZK_ELECTION_PORT}`));
  }
  return { myid: d.index, config: `${lines.join('\n')}\n` };
}

/** Pure: the mode a ZooKeeper server reports to `srvr` (leader, follower, standalone), if it serves. */
export function zkMode(srvr: string): string | undefined {
  return /^Mode:\s*(\w+)/m.exec(srvr)?.[1];
}
