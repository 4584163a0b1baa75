/**
 * Publishing the space's names: every file that maps a dyno's name to its address, rewritten at
 * each change (a start, a cycle, a scale) so the space sees it at once: the hosts file JVMs read, the
 * /etc/hosts `local exec` bind-mounts, the topology the space proxy follows, and the DNS table.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeAtomicSync } from '../fs/atomic.js';
import { dnsTable, hostsFile, topology, type Formation } from './formation.js';

/** Writes the space's name files under `dir` and returns the DNS table (name → address). */
export function publishNames(dir: string, f: Formation): Map<string, string> {
  const hosts = hostsFile(f, os.hostname());
  // JVMs read this file (-Djdk.net.hosts.file) at every lookup; the JVM caches answers for 30 s at most
  writeAtomicSync(path.join(dir, 'hosts'), hosts);
  // `local exec` bind-mounts this one over /etc/hosts: rewritten in place (same inode), never renamed.
  // It carries this machine's own /etc/hosts too, unless that already is a space's (a supervisor
  // started from inside `local exec`).
  const system = existsSync('/etc/hosts') ? readFileSync('/etc/hosts', 'utf8') : '';
  const text = `${hosts}\n# this machine's /etc/hosts\n${system.includes('# spark-in-space local space') ? '' : system}`;
  writeFileSync(path.join(dir, 'etc-hosts'), `# spark-in-space local space ${f.app}\n${text}`);
  writeAtomicSync(path.join(dir, 'space-topology.json'), JSON.stringify(topology(f), null, 2));
  return new Map(dnsTable(f));
}
