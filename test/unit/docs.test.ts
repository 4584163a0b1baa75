/** The generated pages are what `npm run docs` writes today; every relative link of README and docs/ resolves. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchmarksReference, configReference, exitCodesReference } from '../../src/docs/reference.js';
import { EXIT_CODES, exitCodesFor, exitCodesHelp } from '../../src/errors.js';
import { VARS } from '../../src/config/schema.js';

const REPO = path.resolve(import.meta.dirname, '../..');
const read = (f: string) => readFileSync(path.join(REPO, f), 'utf8');

describe('generated reference pages', () => {
  it('docs/config.md and docs/exit-codes.md are current (run `npm run docs` after changing the schema or the exit codes)', () => {
    expect(read('docs/config.md')).toBe(configReference());
    expect(read('docs/exit-codes.md')).toBe(exitCodesReference());
    for (const name of Object.keys(VARS)) expect(read('docs/config.md'), name).toContain(`| \`${name}\``);
    for (const [c] of EXIT_CODES) expect(read('docs/exit-codes.md')).toMatch(new RegExp(`^\\| ${c} \\|`, 'm'));
  });

  it('docs/benchmarks.md is every figure of bench/results/*.json (run `npm run bench:report` after a bench)', () => {
    const dir = path.join(REPO, 'bench/results');
    const results = Object.fromEntries(
      readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .map((f) => [f.replace(/\.json$/, ''), JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as unknown]),
    );
    expect(read('docs/benchmarks.md')).toBe(benchmarksReference(results));
    expect(read('docs/benchmarks.md')).toContain('| `bench:api` | latency.select1.p50Ratio |');
  });

  it('--help lists only what a command can return: `local kill` 0, 2, 8, 13, 17, 19, then where the rest are', () => {
    expect(exitCodesFor(['local-space', 'health', 'job', 'kill'])).toEqual([0, 2, 8, 13, 17, 19]);
    const help = exitCodesHelp(['local-space', 'health', 'job', 'kill']);
    expect(help).not.toMatch(/^\s+3\s/m);
    expect(help).toContain('(every code: docs/exit-codes.md)');
  });
});

describe('links', () => {
  const pages = ['README.md', ...readdirSync(path.join(REPO, 'docs')).map((f) => `docs/${f}`), ...['CONTRIBUTING.md', 'ARCHITECTURE.md'].filter((f) => existsSync(path.join(REPO, f)))];
  it('every relative link of README and docs/ leads to a file (and an anchor of it, when it names one)', () => {
    const slug = (h: string) =>
      h
        .toLowerCase()
        .replace(/[`*_]/g, '')
        .replace(/[^\p{L}\p{N}\s-]/gu, '')
        .trim()
        .replace(/\s/g, '-');
    for (const page of pages) {
      const text = read(page).replace(/```[\s\S]*?```/g, '');
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const href = m[1]!;
        if (/^[a-z]+:/i.test(href)) continue;
        const [file, anchor] = href.split('#') as [string, string | undefined];
        const target = file ? path.normalize(path.join(path.dirname(page), file)) : page;
        expect(existsSync(path.join(REPO, target)), `${page}: ${href}`).toBe(true);
        if (anchor && target.endsWith('.md')) {
          const heads = read(target)
            .split('\n')
            .filter((l) => /^#{1,6} /.test(l))
            .map((l) => slug(l.replace(/^#+ /, '')));
          expect(heads, `${page}: ${href}`).toContain(anchor);
        }
      }
    }
  });
});
