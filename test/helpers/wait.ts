/**
 * Waiting by polling for readiness (never fixed sleeps): `until(what, check, timeout)`.
 * With `retryErrors`, a check that throws (a connection reset, a response cut short while the server
 * is busy or restarting) counts as "not yet"; the errors seen are printed once the wait ends, and
 * the last one is in the timeout's message.
 */
export async function until<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 60_000, everyMs = 250, o: { retryErrors?: boolean } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  const errors: string[] = [];
  const describe = (e: unknown) => (e instanceof Error ? `${e.message}${e.cause instanceof Error ? ` (${e.cause.message})` : ''}` : String(e));
  for (;;) {
    let v: T | undefined | false;
    try {
      v = await check();
    } catch (e) {
      if (!o.retryErrors) throw e;
      errors.push(describe(e));
      v = false;
    }
    if (v) {
      if (errors.length) console.log(`while waiting for ${what}: ${errors.length} poll(s) failed and were retried: ${[...new Set(errors)].join('; ')}`);
      return v;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${errors.length ? ` (last error: ${errors.at(-1)})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
