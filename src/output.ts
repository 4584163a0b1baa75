/**
 * Buildpack output in Heroku's form, from one place: `-----> Step`, detail lines indented by
 * 7 spaces, warnings and errors on stderr behind ` !     `. Progress is a bar on a TTY and a line
 * about every 10% in build logs.
 */
export interface Output {
  step(text: string): void;
  detail(text: string): void;
  warn(text: string): void;
  error(lines: string[]): void;
  progress(label: string, total: number | undefined): Progress;
}

export interface Progress {
  update(done: number): void;
  /** a note (retry, resume) without breaking the bar */
  note(text: string): void;
  finish(): void;
}

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

export function consoleOutput(out: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout, err: NodeJS.WritableStream = process.stderr): Output {
  const tty = Boolean(out.isTTY) && process.env.CI !== 'true';
  const detail = (text: string) => out.write(`       ${text}\n`);
  return {
    step: (text) => out.write(`-----> ${text}\n`),
    detail,
    warn: (text) => err.write(` !     Warning: ${text}\n`),
    error: (lines) => {
      err.write('\n');
      for (const l of lines) err.write(` !     ${l}\n`);
      err.write('\n');
    },
    progress(label, total) {
      let lastDecile = -1;
      let lastDraw = 0;
      let lastDone = 0;
      const started = Date.now();
      const rate = (done: number) => `${(done / 1e6 / Math.max(0.001, (Date.now() - started) / 1000)).toFixed(1)} MB/s`;
      return {
        update(done) {
          lastDone = done;
          if (tty) {
            const now = Date.now();
            if (now - lastDraw < 100) return;
            lastDraw = now;
            const frac = total ? Math.min(1, done / total) : 0;
            const width = 30;
            const bar = total ? `[${'#'.repeat(Math.round(frac * width)).padEnd(width, '.')}] ${Math.floor(frac * 100)}%` : '';
            out.write(`\r       ${label} ${bar} ${mb(done)}${total ? ` of ${mb(total)}` : ''} ${rate(done)}   `);
            return;
          }
          if (!total) return;
          const decile = Math.floor((done / total) * 10);
          if (decile > lastDecile && decile < 10) {
            lastDecile = decile;
            if (decile > 0) detail(`${label}: ${decile * 10}% (${mb(done)} of ${mb(total)})`);
          }
        },
        note(text) {
          if (tty) out.write('\n');
          detail(text);
        },
        finish() {
          if (tty) out.write('\n');
          detail(`${label}: done, ${mb(total ?? lastDone)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        },
      };
    },
  };
}

/** Collects output in memory (unit tests). */
export function memoryOutput(): Output & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    step: (t) => lines.push(`-----> ${t}`),
    detail: (t) => lines.push(`       ${t}`),
    warn: (t) => lines.push(` !     Warning: ${t}`),
    error: (ls) => lines.push(...ls.map((l) => ` !     ${l}`)),
    progress: () => ({ update() {}, note: (t) => lines.push(`       ${t}`), finish() {} }),
  };
}
