/**
 * The local space's dyno manager: starts the formation, restarts crashed dynos after the cool-downs
 * lifecycle.ts decides, and carries out `local restart`, `cycle` and `scale` requests arriving on
 * the control socket. Every (re)start is a new dyno on a new private address under the same DNS
 * name; the hosts files, the DNS server's table, the space topology and state.json follow at once.
 * It logs the platform's own events as `heroku[worker.1]` lines, like `heroku logs`.
 */
import type { ChildProcess } from 'node:child_process';
import type dgram from 'node:dgram';
import { mkdirSync, rmSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parseConfig, type Env } from '../config/schema.js';
import { fail } from '../errors.js';
import { MASTER_PORT, MASTER_UI_PORT, masterUrl, type MasterJson } from '../space/index.js';
import { specOf, type DynoType, type Readiness } from '../process-types.js';
import { startDns } from './dns.js';
import { LOCAL_TYPE_ENV } from './type-env.js';
import { publishNames } from './names.js';
import { appDomain, dnsAddress, dynoEnv, dynoFor, formation, subnetFor, slotFor, type Dyno, type Formation } from './formation.js';
import { LOCAL_CRASH_POLICY, nextAddress, onExit, scalePlan, select, type CrashPolicy, type DynoRecord, type Phase } from './lifecycle.js';
import { fileSink, getJson, groupAlive, portFree, portOpen, signalGroup, runtimesOf, spawnGroup, stopGroups } from './runner.js';
import { zkMode } from '../zookeeper/index.js';
import { zkSrvr } from '../zookeeper/srvr.js';
import { controlSocket, logsDir, spaceLog, statePath, writeState, type State } from './state.js';
import { spaceLogger } from './space-log.js';

export { localPassword, webUser } from './passwords.js';
import { startControl, type ControlServer } from './control.js';

export interface SpaceOptions {
  appDir: string;
  app: string;
  /** the state folder of this app's space */
  dir: string;
  sparkHome: string;
  config: Env;
  procfile: Record<string, string>;
  counts: Record<string, number>;
  /** port of the web dyno */
  port: number;
  crashPolicy?: CrashPolicy;
  /** SIGTERM → SIGKILL, as on Heroku */
  graceMs?: number;
  /** print dyno output on this terminal too */
  echo: boolean;
  /** what `local up` set beside .env (no secret), and whether the space runs its own PostgreSQL: one-off dynos get the same */
  vars?: Env;
  postgres?: boolean;
}

export type { MasterJson } from '../space/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Supervisor {
  private readonly records = new Map<string, DynoRecord>();
  private readonly children = new Map<string, ChildProcess>();
  /** exits we caused (stop, restart, cycle, scale): not crashes */
  private readonly expected = new Set<string>();
  private readonly restartTimers = new Map<string, NodeJS.Timeout>();
  private readonly readyWaiters = new Map<string, ((ok: boolean) => void)[]>();
  private readonly cursors = new Map<string, number>();
  private readonly table = new Map<string, string>();
  private readonly policy: CrashPolicy;
  private readonly graceMs: number;
  private readonly state: State;
  private readonly log: (name: string, line: string) => void;
  private dns?: dgram.Socket;
  private control?: ControlServer;
  private queue: Promise<unknown> = Promise.resolve();
  private cycleTimer?: NodeJS.Timeout;
  private stopping = false;
  private view?: { at: number; answers: Promise<(MasterJson | undefined)[]> };
  private markStopped!: () => void;
  /** resolves once `stop` has stopped everything */
  readonly stopped = new Promise<void>((resolve) => (this.markStopped = resolve));

  constructor(private readonly o: SpaceOptions) {
    this.policy = o.crashPolicy ?? LOCAL_CRASH_POLICY;
    this.graceMs = o.graceMs ?? 30_000;
    this.state = {
      app: o.app,
      appDir: o.appDir,
      supervisor: process.pid,
      started: new Date().toISOString(),
      control: controlSocket(o.dir),
      sparkHome: o.sparkHome,
      masterUrl: masterUrl({ SPARK_MASTERS: o.counts.master ?? 1, HEROKU_DNS_APP_NAME: appDomain(o.app) }),
      web: o.counts.web ? `http://127.0.0.1:${o.port}/` : undefined,
      formation: { ...o.counts },
      dynos: [],
      crashPolicy: this.policy,
      vars: o.vars,
      postgres: o.postgres,
    };
    this.log = spaceLogger(spaceLog(o.dir), o.echo ? (s) => process.stdout.write(s) : undefined, () => [...this.records.keys()], Boolean(process.stdout.isTTY));
  }

  /** A platform event about a dyno, as `heroku logs` shows them. */
  private event(dyno: string, line: string): void {
    this.log(`heroku[${dyno}]`, line);
  }

  private get formation(): Formation {
    return { app: this.o.app, subnet: subnetFor(this.o.app), dynos: [...this.records.values()].map((r) => this.asDyno(r)) };
  }

  private asDyno(r: DynoRecord): Dyno {
    return { type: r.type, index: r.index, name: r.name, ip: r.ip, dns: r.dns, command: r.command };
  }

  /** The master whose UI answers; its address follows cycles. */
  masterUi(): string | undefined {
    const m = [...this.records.values()].filter((r) => r.type === 'master').sort((a, b) => a.index - b.index);
    return m[0] ? `http://${m[0].ip}:${MASTER_UI_PORT}` : undefined;
  }

  /** `<n>.run.<app>.app.localspace` → its address, while that one-off dyno runs (src/local/oneoff.ts keeps its folder meanwhile). */
  private oneOffAddress(name: string): string | undefined {
    const m = /^(\d{1,3})\.run\.([a-z0-9-]+)\.app\.localspace$/.exec(name);
    if (!m || m[2] !== this.o.app || !existsSync(path.join(this.o.dir, 'dynos', `run.${m[1]}`))) return undefined;
    return dynoFor(this.o.app, 'run', Number(m[1]), '', []).ip;
  }

  /** Rewrites everything that maps names to addresses, then state.json: the space sees the change at once. */
  private publish(): void {
    this.table.clear();
    for (const [k, v] of publishNames(this.o.dir, this.formation)) this.table.set(k, v);
    this.state.dynos = [...this.records.values()].sort((a, b) => a.type.localeCompare(b.type) || a.index - b.index);
    writeState(this.o.dir, this.state);
  }

  private setPhase(r: DynoRecord, phase: Phase, why = ''): void {
    if (r.phase !== phase) this.event(r.name, `State changed from ${r.phase} to ${phase}${why ? ` (${why})` : ''}`);
    r.phase = phase;
    if (phase === 'up') r.upAt = Date.now();
    this.publish();
  }

  /** A fresh address for a new incarnation of `r` (the first start keeps the formation's own). */
  private allocate(r: DynoRecord): string {
    const prefix = `127.${subnetFor(this.o.app)}.${slotFor(r.type, Object.keys(this.o.procfile))}`;
    const inUse = new Set([...this.records.values()].map((x) => x.ip));
    const cursor = this.cursors.get(prefix) ?? Math.max(0, ...[...this.records.values()].filter((x) => x.ip.startsWith(`${prefix}.`)).map((x) => Number(x.ip.split('.')[3])));
    const next = nextAddress(prefix, inUse, cursor);
    this.cursors.set(prefix, next.cursor);
    return next.ip;
  }

  private envOf(r: DynoRecord): Env {
    const port = r.type === 'web' ? this.o.port : 5000 + r.index;
    const env = dynoEnv(this.asDyno(r), {
      app: this.o.app,
      config: this.o.config,
      stateDir: this.o.dir,
      sparkHome: this.o.sparkHome,
      port,
      masters: this.state.formation.master ?? 1,
      zookeepers: this.state.formation.zookeeper ?? 0,
      ...runtimesOf(this.o.sparkHome),
    });
    // what the type needs beside (./type-env.ts)
    return { ...env, ...LOCAL_TYPE_ENV[r.type as DynoType]?.({ dir: this.o.dir, app: this.o.app, config: this.o.config, name: r.name, formation: this.formation }) };
  }

  /** Starts the current incarnation of `r` (its address already set). */
  private spawn(r: DynoRecord): void {
    if (this.stopping) return;
    // a new dyno has a fresh disk: nothing of the last incarnation's scratch space (a ZooKeeper's data) is left
    rmSync(path.join(this.o.dir, 'dynos', r.name, 'tmp'), { recursive: true, force: true });
    for (const sub of ['conf', 'work', 'tmp']) mkdirSync(path.join(this.o.dir, 'dynos', r.name, sub), { recursive: true });
    const own = fileSink(path.join(logsDir(this.o.dir), `${r.name}.log`));
    r.startedAt = Date.now();
    r.upAt = undefined;
    r.restartAt = undefined;
    this.event(r.name, `Starting process with command \`${r.command}\` on ${r.ip} as ${r.dns}`);
    const child = spawnGroup(r.command, {
      cwd: this.o.appDir,
      env: this.envOf(r),
      onLine: (line) => {
        own(r.name, line);
        this.log(r.name, line);
      },
    });
    r.pid = child.pid;
    this.children.set(r.name, child);
    this.setPhase(r, 'starting');
    child.on('exit', (code, signal) => this.exited(r, child, code, signal));
    void this.watchReady(r, child);
  }

  private exited(r: DynoRecord, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.children.get(r.name) !== child) return;
    this.children.delete(r.name);
    const how = signal ? `signal ${signal}` : `status ${code}`;
    this.event(r.name, `Process exited with ${how}`);
    r.exitedAt = Date.now();
    r.lastExit = how;
    // the dyno is gone: nothing of it may live on (executors the worker started, a JVM a wrapper left)
    if (groupAlive(child.pid)) signalGroup(child.pid, 'SIGKILL');
    const expected = this.expected.has(r.name) || this.stopping;
    const d = onExit(r, Date.now(), expected, this.policy);
    if (d.action === 'none') {
      this.resolveReady(r.name, false);
      this.setPhase(r, 'down');
      return;
    }
    // whoever waits for this dyno to be up keeps waiting: its next incarnation may make it
    r.crashes = d.crashes;
    r.restartAt = Date.now() + d.delayMs;
    this.setPhase(r, 'crashed');
    this.event(r.name, d.delayMs ? `Crashed ${d.crashes} times in a row: restarting in ${Math.round(d.delayMs / 1000)} s` : 'Restarting');
    this.restartTimers.set(
      r.name,
      setTimeout(() => {
        this.restartTimers.delete(r.name);
        if (this.stopping || !this.records.has(r.name) || r.phase !== 'crashed') return;
        r.restarts++;
        r.ip = this.allocate(r);
        this.spawn(r);
      }, d.delayMs),
    );
  }

  private resolveReady(name: string, ok: boolean): void {
    for (const w of this.readyWaiters.get(name) ?? []) w(ok);
    this.readyWaiters.delete(name);
  }

  /**
   * Resolves true once `r` is up (across crash restarts), false when it is stopped on purpose or
   * `timeoutMs` passes.
   */
  private whenReady(r: DynoRecord, timeoutMs: number): Promise<boolean> {
    if (r.phase === 'up') return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      this.readyWaiters.set(r.name, [...(this.readyWaiters.get(r.name) ?? []), (ok) => (clearTimeout(t), resolve(ok))]);
    });
  }

  /** Polls what "up" means for the type (the table's `ready`; an app's own types: 3 s alive). */
  private async watchReady(r: DynoRecord, child: ChildProcess): Promise<void> {
    const current = () => this.children.get(r.name) === child && !this.stopping;
    const started = Date.now();
    while (current()) {
      const ready = await this.isReady(r, specOf(r.type)?.ready ?? { kind: 'running-for', ms: 3000 }, started);
      if (ready && current()) {
        this.setPhase(r, 'up');
        this.resolveReady(r.name, true);
        return;
      }
      await sleep(500);
    }
  }

  /** Carries out the table's readiness check of a dyno (src/process-types.ts). */
  private async isReady(r: DynoRecord, check: Readiness, started: number): Promise<boolean> {
    switch (check.kind) {
      case 'master-json':
        return (await getJson<MasterJson>(`http://${r.ip}:${MASTER_UI_PORT}/json`, 2000)) !== undefined;
      case 'worker-alive':
        return this.workerAlive(r.dns);
      case 'web-port':
        return portOpen('127.0.0.1', this.o.port);
      case 'ports': {
        const moved = check.portVar ? Number(this.o.config[check.portVar]) || undefined : undefined;
        for (const port of moved ? [moved] : check.ports) if (!(await portOpen(r.ip, port))) return false;
        return true;
      }
      case 'zookeeper-serving':
        return zkMode(await zkSrvr(r.ip)) !== undefined;
      case 'running-for':
        return Date.now() - started > check.ms;
    }
  }

  /** Every master's /json, asked at most every 400 ms however many workers are starting. */
  private mastersView(): Promise<(MasterJson | undefined)[]> {
    if (!this.view || Date.now() - this.view.at > 400) {
      const masters = [...this.records.values()].filter((x) => x.type === 'master');
      this.view = { at: Date.now(), answers: Promise.all(masters.map((m) => getJson<MasterJson>(`http://${m.ip}:${MASTER_UI_PORT}/json`, 2000))) };
    }
    return this.view.answers;
  }

  private async workerAlive(dns: string): Promise<boolean> {
    return (await this.mastersView()).some((j) => j?.status === 'ALIVE' && (j.workers ?? []).some((w) => w.host === dns && w.state === 'ALIVE'));
  }

  /** SIGTERM the dyno's group, SIGKILL after the grace period; resolves once nothing of it runs. */
  private async stopDyno(r: DynoRecord, why: string): Promise<void> {
    const timer = this.restartTimers.get(r.name);
    if (timer) clearTimeout(timer);
    this.restartTimers.delete(r.name);
    const child = this.children.get(r.name);
    if (!child) {
      if (r.phase !== 'down') this.setPhase(r, 'down', why);
      return;
    }
    this.expected.add(r.name);
    this.setPhase(r, 'stopping', why);
    this.event(r.name, 'Stopping all processes with SIGTERM');
    const exited = new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
    if ((await stopGroups([child.pid], this.graceMs)).length)
      this.event(r.name, `Error R12 (Exit timeout) -> At least one process failed to exit within ${Math.round(this.graceMs / 1000)} seconds of SIGTERM: SIGKILL`);
    await Promise.race([exited, sleep(5000)]);
    this.expected.delete(r.name);
  }

  /** A restart is a new dyno: stop, new address, start. */
  private async replace(r: DynoRecord, why: string): Promise<void> {
    await this.stopDyno(r, why);
    if (this.stopping) return;
    r.restarts++;
    r.crashes = 0;
    r.ip = this.allocate(r);
    this.spawn(r);
  }

  /** Runs control operations one at a time. */
  private serial<T>(op: () => Promise<T>): Promise<T> {
    const p = this.queue.then(op, op);
    this.queue = p.catch(() => undefined);
    return p;
  }

  private targets(target: string | undefined): DynoRecord[] {
    const all = [...this.records.values()].sort((a, b) => a.type.localeCompare(b.type) || a.index - b.index);
    const picked = select(all, target);
    if (!picked.length) fail({ code: 'bad-input', message: `No dyno or process type "${target}" in ${this.o.app}: it runs ${all.map((d) => d.name).join(', ')}.` });
    return picked;
  }

  /** `local restart [target]`: like `heroku ps:restart`, every selected dyno at once. */
  async restart(target?: string): Promise<string> {
    const picked = await this.serial(async () => {
      const p = this.targets(target);
      await Promise.all(p.map((r) => this.replace(r, 'restart')));
      return p;
    });
    // waited for outside the queue: a restarted worker waiting for its master does not hold up `local restart master`
    const ok = await Promise.all(picked.map((r) => this.whenReady(r, 180_000)));
    return `Restarted ${picked.map((r) => `${r.name} (now ${r.ip})`).join(', ')}${ok.every(Boolean) ? '' : ': not all are up yet'}`;
  }

  /** `local cycle [target]`: the daily restart, one dyno at a time, each back up before the next. */
  cycle(target?: string): Promise<string> {
    return this.serial(async () => {
      const picked = this.targets(target);
      const lines: string[] = [];
      for (const r of picked) {
        if (!this.records.has(r.name)) continue;
        const before = r.ip;
        this.event(r.name, 'Cycling');
        await this.replace(r, 'cycle');
        const ok = await this.whenReady(r, 180_000);
        lines.push(`${r.name}: ${before} → ${r.ip}${ok ? '' : ' (not up after 180 s)'}`);
      }
      return `Cycled ${lines.join(', ')}`;
    });
  }

  /** `local cycle --every`: cycles the selected dynos every `everyMs` (0 stops the schedule). */
  schedule(target: string | undefined, everyMs: number): string {
    if (this.cycleTimer) clearInterval(this.cycleTimer);
    this.cycleTimer = undefined;
    if (!everyMs) {
      this.state.cycle = undefined;
      this.publish();
      return 'Stopped the cycling schedule';
    }
    if (target) this.targets(target);
    this.state.cycle = { target, everyMs, nextAt: Date.now() + everyMs };
    this.cycleTimer = setInterval(() => {
      if (this.state.cycle) this.state.cycle.nextAt = Date.now() + everyMs;
      void this.cycle(target).catch(() => undefined);
    }, everyMs);
    this.publish();
    return `Cycling ${target ?? 'every dyno'} every ${Math.round(everyMs / 1000)} s, one dyno at a time`;
  }

  /** `local scale type=N …`: adds the next numbers or stops the highest ones, like `heroku ps:scale`. */
  scale(want: Record<string, number>): Promise<string> {
    return this.serial(async () => {
      for (const type of Object.keys(want))
        if (!this.o.procfile[type]) fail({ code: 'app-incomplete', message: `The Procfile has no "${type}" process type (it has ${Object.keys(this.o.procfile).join(', ')}).` });
      const plan = scalePlan([...this.records.values()], want);
      const gone = plan.stop.map((s) => this.records.get(`${s.type}.${s.index}`)!);
      await Promise.all(gone.map((r) => this.stopDyno(r, 'scaled down')));
      for (const r of gone) this.records.delete(r.name);
      Object.assign(this.state.formation, want);
      const added: DynoRecord[] = [];
      for (const s of plan.start) {
        const d = dynoFor(this.o.app, s.type, s.index, this.o.procfile[s.type]!, Object.keys(this.o.procfile));
        const r: DynoRecord = { name: d.name, type: d.type, index: d.index, command: d.command, ip: '', dns: d.dns, phase: 'down', restarts: 0, crashes: 0 };
        this.records.set(r.name, r);
        r.ip = this.allocate(r);
        added.push(r);
      }
      this.publish();
      added.forEach((r) => this.spawn(r));
      const ok = await Promise.all(added.map((r) => this.whenReady(r, 240_000)));
      const counts = Object.entries(want)
        .map(([t, n]) => `${t}=${n}`)
        .join(' ');
      return `Scaled to ${counts}${gone.length ? `; stopped ${gone.map((r) => r.name).join(', ')}` : ''}${added.length ? `; started ${added.map((r) => r.name).join(', ')}` : ''}${ok.every(Boolean) ? '' : ' (not all are up yet)'}`;
    });
  }

  /**
   * `local down DYNO`: stops the selected dynos gracefully (a worker drains) and keeps them down
   * until `local restart DYNO`; the rest of the space runs on.
   */
  halt(target: string): Promise<string> {
    return this.serial(async () => {
      const picked = this.targets(target);
      const t0 = Date.now();
      await Promise.all(picked.map((r) => this.stopDyno(r, 'local down')));
      return `Stopped ${picked.map((r) => `${r.name} (${r.lastExit ? `exited with ${r.lastExit}` : 'was not running'})`).join(', ')} in ${((Date.now() - t0) / 1000).toFixed(1)} s; \`local restart ${target}\` starts ${picked.length > 1 ? 'them' : 'it'} again`;
    });
  }

  snapshot(): State {
    return this.state;
  }

  /** Starts the formation: masters first (once one answers), then the rest. Resolves when all are spawned. */
  async start(): Promise<void> {
    const f = formation(this.o.app, this.o.procfile, this.o.counts);
    mkdirSync(logsDir(this.o.dir), { recursive: true });
    rmSync(path.join(this.o.dir, 'dynos'), { recursive: true, force: true });
    for (const d of f.dynos) this.records.set(d.name, { name: d.name, type: d.type, index: d.index, command: d.command, ip: d.ip, dns: d.dns, phase: 'down', restarts: 0, crashes: 0 });
    // every dyno's config is validated before any JVM starts: a broken conf never reaches Spark
    for (const r of this.records.values()) parseConfig(this.envOf(r), 'run', { processes: [r.type] });
    const master = this.records.get('master.1');
    if (master)
      for (const port of [MASTER_PORT, MASTER_UI_PORT])
        if (!(await portFree(master.ip, port)))
          fail({
            code: 'port-in-use',
            message: `${master.ip}:${port} is already in use: is another local space (an app whose name hashes to 127.${f.subnet}.x.x) running? Stop it, or pick another --app name.`,
          });
    if (this.records.has('web.1') && !(await portFree('127.0.0.1', this.o.port)))
      fail({ code: 'port-in-use', message: `127.0.0.1:${this.o.port} (the web dyno's port) is already in use: pick another with --port.` });
    this.publish();
    const dnsAt = dnsAddress(f);
    // the formation's names, and a one-off dyno's (`local run`: run.N) while it runs, as Heroku's DNS
    // discovery names one-off dynos too: the proxy then reaches a driver's UI in one (`apps show`, `ui run.1`)
    this.dns = await startDns(dnsAt.host, dnsAt.port, (name) => this.table.get(name) ?? this.oneOffAddress(name));
    this.control = await startControl(this.state.control, this);
    this.publish();
    this.event('api', `Local space ${this.o.app}: ${f.dynos.length} dynos on 127.${f.subnet}.0.0/16, Spark from ${this.o.sparkHome}`);
    // by the table's start waves: the ensemble first (masters wait for it anyway), then the masters,
    // then (once one master answers) the rest
    const wave = (r: DynoRecord) => specOf(r.type)?.startWave ?? 2;
    const first = [...this.records.values()].filter((r) => wave(r) < 2);
    first.forEach((r) => this.spawn(r));
    const gate = first.filter((r) => wave(r) === 1);
    if (gate.length) await Promise.race(gate.map((r) => this.whenReady(r, 180_000)));
    if (this.stopping) return;
    [...this.records.values()].filter((r) => wave(r) === 2).forEach((r) => this.spawn(r));
  }

  /** Resolves when every worker of the formation is up (or `timeoutMs` passes): true if all are. */
  async ready(timeoutMs: number): Promise<boolean> {
    const all = [...this.records.values()];
    return (await Promise.all(all.map((r) => this.whenReady(r, timeoutMs)))).every(Boolean);
  }

  /** Stops every dyno (SIGTERM, SIGKILL after the grace period), the DNS server and the control socket. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.cycleTimer) clearInterval(this.cycleTimer);
    for (const t of this.restartTimers.values()) clearTimeout(t);
    this.event('api', 'Stopping the local space (SIGTERM; SIGKILL after 30 s)');
    // by the table's stop waves: workers first, while a master can still pass their decommission
    // on to the drivers (else they would wait out their drain deadline); then masters and the
    // proxy; ZooKeeper last, so no master sees its ensemble vanish while it still runs
    const wave = (r: DynoRecord) => specOf(r.type)?.stopWave ?? 0;
    for (const w of [0, 1, 2]) await Promise.all([...this.records.values()].filter((r) => wave(r) === w).map((r) => this.stopDyno(r, 'local down')));
    this.dns?.close();
    await this.control?.close();
    rmSync(statePath(this.o.dir), { force: true });
    this.event('api', 'Stopped');
    this.markStopped();
  }
}
