/**
 * A daemon that starts before what it needs waits instead of crash-looping: a worker waits for a
 * master, a master for its ZooKeeper ensemble. The launcher polls until one of them answers, with
 * a visible message at first and then every 30 s, and only then execs the JVM. Names are looked
 * up the way the JVM will look them up (the space's hosts file under `local`, DNS on Heroku), so
 * a dyno that came back on a new address is found at its new one.
 */
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Env, Settings } from '../config/schema.js';
import { masterHosts, MASTER_PORT } from '../space/index.js';
import { zkMode, zookeeperUrl } from '../zookeeper/index.js';
import { askSrvr } from '../zookeeper/srvr.js';
import { tcpProbe } from '../net/tcp.js';
import { specOf, type ProcessType } from '../process-types.js';
import { metastoreOn, metastoreUri } from '../metastore/index.js';
import { launchLog } from '../log/index.js';

export interface Needs {
  /** what is waited for, in the message: "a master", "ZooKeeper" */
  what: string;
  /** host:port, any one of which will do */
  endpoints: { host: string; port: number }[];
  /** a ZooKeeper server counts only once it serves (`srvr` reports a mode) */
  zookeeper: boolean;
}

/** Pure: what a process type must reach before its JVM starts (the table's `waitsFor`; undefined: nothing). */
export function needsOf(p: ProcessType, s: Settings): Needs | undefined {
  const waits = specOf(p)?.waitsFor;
  if (waits === 'a master') return { what: waits, endpoints: masterHosts(s).map((host) => ({ host, port: MASTER_PORT })), zookeeper: false };
  if (waits === 'the metastore') return metastoreOn(s) ? { what: waits, endpoints: [{ host: new URL(metastoreUri(s)).hostname, port: s.SPARK_METASTORE_PORT }], zookeeper: false } : undefined;
  if (waits === 'ZooKeeper') {
    const zk = zookeeperUrl(s);
    if (!zk) return undefined;
    const endpoints = zk.split(',').map((hp) => {
      const [host, port] = hp.split(':') as [string, string];
      return { host, port: Number(port) };
    });
    return { what: waits, endpoints, zookeeper: true };
  }
  return undefined;
}

/** Pure: the jdk.net.hosts.file a JVM of this environment resolves names with, if any. */
export function jvmHostsFile(env: Env): string | undefined {
  return /-Djdk\.net\.hosts\.file=(\S+)/.exec(`${env.JAVA_TOOL_OPTIONS ?? ''} ${env.SPARK_DAEMON_JAVA_OPTS ?? ''}`)?.[1];
}

/** Pure: a name's address in a hosts file's text. */
export function fromHostsFile(text: string, host: string): string | undefined {
  for (const line of text.split('\n')) {
    const [ip, ...names] = line.replace(/#.*/, '').trim().split(/\s+/);
    if (ip && names.some((n) => n.toLowerCase() === host.toLowerCase())) return ip;
  }
  return undefined;
}

/** Pure: whether to say again that we are still waiting (first time, then every `everyMs`). */
export const shouldReport = (lastAt: number | undefined, now: number, everyMs: number) => lastAt === undefined || now - lastAt >= everyMs;

export type Probe = { ok: true } | { ok: false; why: string };

async function resolve(host: string, env: Env): Promise<string | undefined> {
  // node:net and node:dns fetched here, not imported: every launcher loads this module, few wait
  if (process.getBuiltinModule('node:net').isIP(host)) return host;
  const file = jvmHostsFile(env);
  if (file) return fromHostsFile(await readFile(file, 'utf8').catch(() => ''), host);
  const { lookup } = process.getBuiltinModule('node:dns/promises');
  return (await lookup(host, { family: 4 }).catch(() => undefined))?.address;
}

/** Connects; for ZooKeeper asks `srvr` and wants a mode (a server without quorum does not serve). */
async function connect(ip: string, port: number, zookeeper: boolean, timeoutMs = 2000): Promise<Probe> {
  if (zookeeper) {
    const a = await askSrvr(ip, port, timeoutMs);
    if (!a.ok) return a;
    // a server that does not allow `srvr` (4lw.commands.whitelist) still says so: take it as serving
    return zkMode(a.text) || /is not executed because it is not in the whitelist/.test(a.text) ? { ok: true } : { ok: false, why: 'is not serving yet (no quorum)' };
  }
  const a = await tcpProbe(ip, port, { timeoutMs });
  return a.ok ? { ok: true } : a;
}

export async function probe(e: { host: string; port: number }, zookeeper: boolean, env: Env): Promise<Probe> {
  const ip = await resolve(e.host, env);
  if (!ip) return { ok: false, why: 'does not resolve' };
  return connect(ip, e.port, zookeeper);
}

/**
 * Waits until one endpoint of `needs` answers. Says so on stderr at once, then every `reportMs`;
 * never gives up (the dyno's SIGTERM ends the wait). Returns how long it waited.
 */
export async function waitFor(needs: Needs, env: Env, o: { pollMs?: number; reportMs?: number; say?: (line: string) => void } = {}): Promise<number> {
  const say = o.say ?? launchLog(env);
  const t0 = Date.now();
  let lastReport: number | undefined;
  for (;;) {
    const answers = await Promise.all(needs.endpoints.map((e) => probe(e, needs.zookeeper, env)));
    if (answers.some((a) => a.ok)) {
      if (lastReport !== undefined) say(`${needs.what} answers after ${Math.round((Date.now() - t0) / 1000)} s: starting`);
      return Date.now() - t0;
    }
    if (shouldReport(lastReport, Date.now(), o.reportMs ?? 30_000)) {
      lastReport = Date.now();
      const why = needs.endpoints.map((e, i) => `${e.host}:${e.port} ${(answers[i] as { why: string }).why}`).join('; ');
      say(`waiting for ${needs.what} (${why}); still trying every ${Math.round((o.pollMs ?? 2000) / 1000)} s, next note in ${Math.round((o.reportMs ?? 30_000) / 1000)} s`);
    }
    await sleep(o.pollMs ?? 2000);
  }
}
