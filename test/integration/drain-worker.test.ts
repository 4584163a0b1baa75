/**
 * bin/support/drain-worker, the worker dyno's process under graceful decommission, with a stand-in
 * "worker JVM" (bash) that starts an "executor" child and drains it on SIGPWR like Spark's worker:
 * SIGTERM to the whole process group (as Heroku and `local` send it) → PWR to the JVM, which ignores
 * TERM; exit once no child is left, or at the deadline with the executors killed; SIGKILL for a JVM
 * that will not stop. The real Spark drain is in test/e2e/decommission.test.ts.
 */
import { existsSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { bin, tmpdir } from '../helpers/buildpack.js';
import { until } from '../helpers/wait.js';

const FAKE_JVM = `#!/usr/bin/env bash
grep SigIgn /proc/self/status > "$OUT/sigign"
sleep 1000 &
exe=$!
trap 'echo PWR >> "$OUT/signals"; [ "$DRAIN" = never ] || (sleep "$DRAIN"; kill -KILL $exe) &' PWR
echo $exe > "$OUT/executor"
[ -n "\${EXIT_WITH:-}" ] && { kill -KILL $exe; exit "$EXIT_WITH"; }
while kill -0 $exe 2>/dev/null; do wait $exe; done
[ -n "\${HANG:-}" ] && trap '' HUP
exec sleep 1000
`;

function start(budget: number, env: Record<string, string>, stopWait?: number) {
  const out = tmpdir('sis-drain-');
  const fake = path.join(out, 'fake-jvm');
  writeFileSync(fake, FAKE_JVM);
  chmodSync(fake, 0o755);
  const p = execa(path.join(bin('support'), 'drain-worker'), [String(budget), ...(stopWait ? [String(stopWait)] : []), '--', fake], {
    env: { OUT: out, ...env },
    detached: true,
    reject: false,
    all: true,
  });
  return { p, out, ready: () => until('the fake worker to start its executor', () => existsSync(path.join(out, 'executor')), 10_000, 50) };
}

/** running: not gone, not a zombie waiting for its (dying) parent to reap it */
const running = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};
const executorGone = (out: string) => until('the executor to be gone', () => !running(Number(readFileSync(path.join(out, 'executor'), 'utf8'))), 5000, 50);

async function termGroup(p: ReturnType<typeof start>['p']) {
  process.kill(-p.pid!, 'SIGTERM');
  const t0 = Date.now();
  const r = await p;
  return { r, seconds: (Date.now() - t0) / 1000 };
}

describe('drain-worker', () => {
  it('drain_drained: SIGTERM to every process → PWR to the JVM (TERM ignored by it and its children), exit 0 once no executor is left', async () => {
    const w = start(10, { DRAIN: '1' });
    await w.ready();
    const { r, seconds } = await termGroup(w.p);
    expect(r.exitCode, r.all).toBe(0);
    expect(seconds).toBeLessThan(5);
    expect(r.all).toMatch(/SIGTERM: decommissioning this worker; its executors drain for at most 10 s/);
    expect(r.all).toMatch(/drained in \d s: no executor left; stopping the worker/);
    expect(readFileSync(path.join(w.out, 'signals'), 'utf8')).toBe('PWR\n');
    // SigIgn is a hex mask: bit 14 is SIGTERM (15)
    const mask = BigInt(`0x${readFileSync(path.join(w.out, 'sigign'), 'utf8').split(/\s+/)[1]}`);
    expect(mask & (1n << 14n)).not.toBe(0n);
    await executorGone(w.out);
  });

  it('drain_deadline: an executor that cannot finish is killed at the budget; the dyno is gone well before Heroku’s SIGKILL', async () => {
    const w = start(2, { DRAIN: 'never' });
    await w.ready();
    const { r, seconds } = await termGroup(w.p);
    expect(r.exitCode, r.all).toBe(1);
    expect(seconds).toBeGreaterThanOrEqual(1.9);
    expect(seconds).toBeLessThan(6);
    expect(r.all).toMatch(/deadline: executor\(s\) \d+ still running after 2 s; stopping them/);
    await executorGone(w.out);
  });

  it('drain_hung_jvm: a JVM that does not stop on SIGHUP is killed 2 s later', async () => {
    const w = start(5, { DRAIN: '0.2', HANG: '1' });
    await w.ready();
    const { r, seconds } = await termGroup(w.p);
    expect(r.all).toContain('the worker JVM did not stop within 2 s of SIGHUP: SIGKILL');
    expect(seconds).toBeLessThan(8);
    expect(r.exitCode).toBe(0);
  });

  it('drain_stop_wait: a JVM writing its class-data archive at exit gets the longer wait it was given (then SIGKILL)', async () => {
    const w = start(5, { DRAIN: '0.2', HANG: '1' }, 4);
    await w.ready();
    const { r, seconds } = await termGroup(w.p);
    expect(r.all).toContain('the worker JVM did not stop within 4 s of SIGHUP: SIGKILL');
    expect(seconds).toBeGreaterThanOrEqual(4);
    expect(seconds).toBeLessThan(10);
  });

  it('drain_term_to_watcher_only: a SIGTERM only the watcher got still decommissions the JVM', async () => {
    const w = start(10, { DRAIN: '0.5' });
    await w.ready();
    process.kill(w.p.pid!, 'SIGTERM');
    const r = await w.p;
    expect(r.exitCode, r.all).toBe(0);
    expect(readFileSync(path.join(w.out, 'signals'), 'utf8')).toBe('PWR\n');
  });

  it('drain_crash: without SIGTERM the JVM’s own exit status is the dyno’s', async () => {
    const w = start(10, { EXIT_WITH: '7' });
    const r = await w.p;
    expect(r.exitCode, r.all).toBe(7);
    expect(r.all).not.toContain('decommissioning');
  });
});
