/**
 * The generated reference pages (`npm run docs` writes them; test/unit/docs.test.ts renders them
 * again and fails when a file differs, so they cannot drift): every config var from the one schema,
 * every exit code from the one table, the benchmarks from bench/results/*.json. Pure.
 */
import { EXIT_CODES, EXIT_REACH } from '../errors.js';
import { VARS, type VarName } from '../config/schema.js';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** docs/config.md: every config var, build time then run time, with its default, old names and an example. */
export function configReference(): string {
  const rows = (phase: 'build' | 'run') =>
    (Object.entries(VARS) as [VarName, (typeof VARS)[VarName]][])
      .filter(([, v]) => v.phase === phase)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, v]) => {
        const s = v as { default?: string; legacy?: string[]; secret?: boolean; doc: string; example: string };
        const names = [`\`${name}\``, ...(s.legacy ?? []).map((l) => `\`${l}\` (old name)`)].join('<br>');
        return `| ${names} | ${s.default === undefined ? '—' : `\`${cell(s.default)}\``} | ${cell(s.doc)}${s.secret ? ' **Secret**: never logged; only the processes that need it hold it ([security](security.md#secrets-which-process-holds-what)).' : ''} | \`${cell(s.example)}\` |`;
      });
  const table = (phase: 'build' | 'run') => ['| var | default | what it does | example |', '| --- | --- | --- | --- |', ...rows(phase)].join('\n');
  return [
    '# Configuration reference',
    '',
    'Every config var spark-in-space reads, generated from the one schema that parses them',
    '(`src/config/schema.ts`) by `npm run docs`; a test fails when this page and the schema differ. A bad',
    'value fails the build or the dyno start naming the var, what is wrong and a good example.',
    '',
    '## At build time (`bin/compile`, `git push`)',
    '',
    table('build'),
    '',
    '## At run time (every dyno start)',
    '',
    table('run'),
    '',
  ].join('\n');
}

/** docs/exit-codes.md: every exit code, and which of them each kind of failure leads to. */
export function exitCodesReference(): string {
  const reachOf = (code: number) =>
    Object.entries(EXIT_REACH)
      .filter(([, codes]) => (codes as readonly number[]).includes(code))
      .map(([r]) => `\`${r}\``)
      .join(', ');
  return [
    '# Exit codes',
    '',
    'The CLI, the launchers and `submit --wait` exit with these codes, so a script tells a wrong token from',
    'a missing app from a failed build without reading prose. Generated from `src/errors.ts` by',
    "`npm run docs`; each command's `--help` lists only the codes it can return (0, 2 and those of what",
    'it reaches: the column on the right).',
    '',
    '| code | meaning | reached through |',
    '| --- | --- | --- |',
    ...EXIT_CODES.map(([c, w]) => `| ${c} | ${cell(w)} | ${c === 0 ? 'every command' : c === 2 ? 'every command' : reachOf(c)} |`),
    '',
  ].join('\n');
}

/** Pure: a result's figures as `path → value` rows (numbers and booleans; notes and dates left out). */
function figures(x: unknown, at = ''): [string, string][] {
  if (typeof x === 'number' || typeof x === 'boolean') return [[at, String(x)]];
  if (Array.isArray(x)) return x.length && x.every((v) => typeof v === 'number') ? [[at, x.join(', ')]] : [];
  if (x && typeof x === 'object')
    return Object.entries(x)
      .filter(([k]) => !['date', 'machine', 'note', 'notes'].includes(k))
      .flatMap(([k, v]) => figures(v, at ? `${at}.${k}` : k));
  return [];
}

/** docs/benchmarks.md: every figure of bench/results/*.json (`name` → its parsed JSON), one table. */
export function benchmarksReference(results: Record<string, unknown>): string {
  const rows = Object.entries(results)
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([name, r]) => {
      const meta = r as { date?: string; spark?: string; machine?: { cpus?: number; memoryGb?: number } };
      const when = `${meta.date?.slice(0, 10) ?? '—'}${meta.spark ? `, Spark ${meta.spark}` : ''}${meta.machine?.cpus ? `, ${meta.machine.cpus} cores` : ''}`;
      return figures(r).map(([k, v]) => `| \`bench:${name}\` | ${cell(k)} | ${cell(v)} | ${when} |`);
    });
  return [
    '# Benchmarks',
    '',
    'Every figure the benches measured, from `bench/results/*.json`, written by `npm run bench:report`',
    '(each `npm run bench:<name>` rewrites its own JSON; what each measures is at the top of',
    '`bench/<name>.ts`). Ratios compare figures of the same run on the same machine; seconds are wall',
    'time on the machine named. A test fails when this page and the JSON files differ.',
    '',
    '| bench | figure | value | measured |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
