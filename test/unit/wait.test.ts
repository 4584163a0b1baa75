/** The e2e tests' polling helper: what it retries and what it reports. */
import { describe, expect, it } from 'vitest';
import { until } from '../helpers/wait.js';

describe('until', () => {
  it('wait_retry_errors: a failed poll is "not yet" and the next answer is returned', async () => {
    let n = 0;
    const v = await until(
      'a value',
      () => {
        n += 1;
        if (n === 1) throw new TypeError('terminated', { cause: new Error('other side closed') });
        return n === 3 ? 'ready' : false;
      },
      5000,
      1,
      { retryErrors: true },
    );
    expect(v).toBe('ready');
    expect(n).toBe(3);
  });

  it('wait_errors_thrown: without retryErrors the first error ends the wait', async () => {
    await expect(
      until(
        'a value',
        () => {
          throw new Error('boom');
        },
        5000,
        1,
      ),
    ).rejects.toThrow('boom');
  });

  it('wait_timeout: the message names what was awaited and the last error seen', async () => {
    await expect(
      until(
        'the listing',
        () => {
          throw new Error('reset', { cause: new Error('ECONNRESET') });
        },
        20,
        1,
        { retryErrors: true },
      ),
    ).rejects.toThrow(/timed out after 0 s waiting for the listing \(last error: reset \(ECONNRESET\)\)/);
  });
});
