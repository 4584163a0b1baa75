/** The order test files go to the two workers (test/helpers/sequencer.ts): longest first, never two thrift spaces at once. */
import { describe, expect, it } from 'vitest';
import { scheduleFiles } from '../helpers/sequencer.js';

const f = (name: string, weight: number, thrift = false) => ({ name, weight, thrift });

describe('scheduleFiles', () => {
  it('longest first on two lanes; the second thrift file is held back until the first would have ended', () => {
    const order = scheduleFiles([f('small', 10), f('endpoints', 300, true), f('metastore', 330, true), f('decom', 280), f('ha', 315), f('s3a', 220)]).map((x) => x.name);
    // lanes: metastore 0–330 | ha 0–315; then decom at 315 (endpoints would wait until 330), endpoints at 330
    expect(order).toEqual(['metastore', 'ha', 'decom', 'endpoints', 's3a', 'small']);
  });

  it('a thrift file that cannot but wait (nothing else left) still runs, last', () => {
    expect(scheduleFiles([f('a', 100, true), f('b', 50, true)]).map((x) => x.name)).toEqual(['a', 'b']);
  });
});
