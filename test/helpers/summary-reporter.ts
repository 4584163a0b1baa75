/**
 * At the end of a run: each test file's time (slowest first, with the run's wall time: where the
 * suite's budget goes), then the plain closing line CI reads: "N passed, N failed" (", N skipped"
 * when any).
 */
import path from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  private started = Date.now();

  onTestRunStart(): void {
    this.started = Date.now();
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const m of modules) {
      let failedHere = 0;
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failedHere++;
        else skipped++;
      }
      // a file that failed outside its tests (a hook, an import: its tests then count as skipped) is a failure too
      if (m.state() === 'failed' && failedHere === 0) failedHere = 1;
      failed += failedHere;
    }
    const times = modules.map((m) => ({ file: path.relative(process.cwd(), m.moduleId), s: m.diagnostic().duration / 1000 })).sort((a, b) => b.s - a.s);
    const wall = (Date.now() - this.started) / 1000;
    process.stdout.write(`\nTime per test file (wall ${fmt(wall)} for the run; files run two at a time):\n`);
    for (const t of times) process.stdout.write(`  ${fmt(t.s).padStart(8)}  ${t.file}\n`);
    process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
  }
}

function fmt(s: number): string {
  return s >= 60 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${s.toFixed(1)}s`;
}
