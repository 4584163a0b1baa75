/**
 * Where a local space keeps its files, one folder per app: `<app dir>/.spark-in-space/local/<app>/`
 * holds state.json (what `local status` reads), the hosts files, the topology, logs/, dynos/ (each
 * dyno's conf, work and tmp dirs), data/ (Derby metastore and SQL warehouse) and the control socket.
 */
import { writeAtomicSync } from '../fs/atomic.js';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fail } from '../errors.js';
import type { DynoRecord } from './lifecycle.js';

export interface State {
  app: string;
  appDir: string;
  /** pid of the supervisor (`local up`) */
  supervisor: number;
  started: string;
  /** the control socket `local restart|cycle|scale|down` talk to */
  control: string;
  sparkHome: string;
  /** master URL the dynos use */
  masterUrl: string;
  /** the web dyno's URL, when the app has one */
  web?: string;
  /** dynos per type, as `heroku ps:scale` sets them */
  formation: Record<string, number>;
  dynos: DynoRecord[];
  /** `local cycle --every`: the running schedule */
  cycle?: { target?: string; everyMs: number; nextAt: number };
  /** the crash policy in force */
  crashPolicy: { cooldownMs: number; maxCooldownMs: number; stableMs: number };
  /** config vars `local up` set for every dyno (its options, the catalog's port and folder): no secret */
  vars?: Record<string, string | undefined>;
  /** `local up --postgres`: the space runs its own PostgreSQL (src/local/postgres.ts) */
  postgres?: boolean;
}

export const localRoot = (appDir: string) => path.join(appDir, '.spark-in-space', 'local');
export const spaceDir = (appDir: string, app: string) => path.join(localRoot(appDir), app);
export const statePath = (dir: string) => path.join(dir, 'state.json');
export const logsDir = (dir: string) => path.join(dir, 'logs');
/** the combined log of the space: every dyno's lines and the platform's own events */
export const spaceLog = (dir: string) => path.join(logsDir(dir), 'space.log');

/** A Unix socket path must stay under ~107 bytes: deep app dirs get one in the temp dir instead. */
export function controlSocket(dir: string): string {
  const inside = path.join(dir, 'control.sock');
  if (Buffer.byteLength(inside) < 100) return inside;
  return path.join(os.tmpdir(), `spark-in-space-${createHash('sha256').update(dir).digest('hex').slice(0, 16)}.sock`);
}

export function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The state of a running space (its supervisor alive), else undefined. */
export function readState(dir: string): State | undefined {
  try {
    const s = JSON.parse(readFileSync(statePath(dir), 'utf8')) as State;
    return alive(s.supervisor) ? s : undefined;
  } catch {
    return undefined;
  }
}

export function writeState(dir: string, s: State): void {
  writeAtomicSync(statePath(dir), JSON.stringify(s, null, 2));
}

/** Apps of this dir whose local space runs now. */
export function runningApps(appDir: string): string[] {
  const root = localRoot(appDir);
  if (!existsSync(root)) return [];
  return readdirSync(root).filter((app) => readState(path.join(root, app)));
}

/** Default app name of a dir, as Heroku would accept it. */
export const appNameOf = (dir: string) =>
  path
    .basename(path.resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, 30) || 'app';

/** The app of this dir whose space ran last (its log written last), if any ran here. */
function lastApp(appDir: string): string | undefined {
  const root = localRoot(appDir);
  if (!existsSync(root)) return undefined;
  const logged = readdirSync(root)
    .map((app) => ({ app, at: existsSync(spaceLog(path.join(root, app))) ? statSync(spaceLog(path.join(root, app))).mtimeMs : -1 }))
    .filter((x) => x.at >= 0)
    .sort((a, b) => b.at - a.at);
  return logged[0]?.app;
}

/**
 * Which app a command means: --app, else the one space running in this dir, else the one that ran
 * here last, else the dir's name. Several running and no --app is a usage error naming them.
 */
export function resolveApp(appDir: string, explicit: string | undefined): string {
  if (explicit) return explicit;
  const running = runningApps(appDir);
  if (running.length === 1) return running[0]!;
  if (running.length > 1) fail({ code: 'bad-input', message: `Several local spaces run in ${appDir}: ${running.join(', ')}. Name one with --app.` });
  return lastApp(appDir) ?? appNameOf(appDir);
}
