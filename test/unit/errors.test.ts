/** One table of exit codes (src/errors.ts): every kind of failure has one, docs/exit-codes.md shows exactly that table. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describe as words, DRIVER_END_EXIT, EXIT_CODES, exitCodeOf, exitCodesMarkdown, PROBLEM_EXIT, type Problem } from '../../src/errors.js';

const EXIT_PAGE = readFileSync(path.resolve(import.meta.dirname, '../../docs/exit-codes.md'), 'utf8');

describe('exit codes', () => {
  it("docs/exit-codes.md's table is EXIT_CODES, row for row (the page is generated: test/unit/docs.test.ts)", () => {
    for (const row of exitCodesMarkdown().split('\n').slice(2)) expect(EXIT_PAGE).toContain(row.replace(/ \|$/, ' |'));
  });

  it('every kind of problem exits with a documented code, and every documented failure code is used', () => {
    const documented = new Set(EXIT_CODES.map(([c]) => c));
    for (const [code, exit] of Object.entries(PROBLEM_EXIT)) expect(documented.has(exit), `${code} → ${exit}`).toBe(true);
    // heroku-api's by HTTP status, driver-ended's by the driver's end (submit --wait)
    const used = new Set([...Object.values(PROBLEM_EXIT), 3, 4, 5, 6, ...Object.values(DRIVER_END_EXIT)]);
    for (const [c] of EXIT_CODES) if (c !== 0) expect(used.has(c), `exit ${c}`).toBe(true);
  });

  it('the Platform API: 401/403 → 3, 404 → 4, 422 → 5, no answer or 5xx → 6', () => {
    const api = (status: number): Problem => ({ code: 'heroku-api', what: 'x', status, message: 'm' });
    expect([401, 403, 404, 422, 0, 503].map((s) => exitCodeOf(api(s)))).toEqual([3, 3, 4, 5, 6, 6]);
  });

  it('the same failure exits the same from every command: bad input 2, unhealthy 8, no local space 13, a port in use 14', () => {
    expect(exitCodeOf({ code: 'bad-input', message: 'x' })).toBe(2);
    expect(exitCodeOf({ code: 'cluster-unhealthy', app: 'a', problems: [] })).toBe(8);
    expect(exitCodeOf({ code: 'space-not-running', message: 'x' })).toBe(13);
    expect(exitCodeOf({ code: 'port-in-use', message: 'x' })).toBe(14);
    expect(words({ code: 'host-unfit', message: 'nginx refused it' })).toEqual(['nginx refused it']);
  });
});
