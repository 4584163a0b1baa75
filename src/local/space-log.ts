/**
 * The space's log as `local up` writes it: every line to the space's log file (`local logs` reads
 * it), and in the foreground to the terminal as `HH:MM:SS name | line`, each dyno in a colour of its own.
 */
import { fileSink } from './runner.js';

const COLORS = [36, 33, 32, 35, 34, 31, 96, 93, 92, 95];

/** Pure: a terminal line: the time, the name padded to the widest, colour on a TTY (index: the name's colour). */
export function terminalLine(name: string, line: string, o: { now: Date; width: number; color?: number }): string {
  const label = `${o.now.toTimeString().slice(0, 8)} ${name.padEnd(o.width)} |`;
  return o.color === undefined ? `${label} ${line}\n` : `\x1b[${COLORS[o.color % COLORS.length]}m${label}\x1b[0m ${line}\n`;
}

/** A writer of the space's lines: to `file`, and to `echo` (the terminal) when given; `names` are the dynos now, for the width. */
export function spaceLogger(file: string, echo: ((s: string) => void) | undefined, names: () => string[], tty: boolean): (name: string, line: string) => void {
  const sink = fileSink(file);
  const colorIndex = new Map<string, number>();
  return (name, line) => {
    sink(name, line);
    if (!echo) return;
    let i = colorIndex.get(name);
    if (i === undefined) colorIndex.set(name, (i = colorIndex.size));
    echo(terminalLine(name, line, { now: new Date(), width: Math.max(6, ...names().map((n) => n.length + 8)), color: tty ? i : undefined }));
  };
}
