/**
 * Locks out a client that keeps failing to log in: nginx logs every failed login (401, or 429 once
 * limit_req throttles them) to a FIFO; past `maxFailures` within `windowMs` the client's every
 * request is answered 429 for `lockMs`, the right password included, so guessing stops paying.
 * Pure decisions here; proxy/main.ts feeds it and renders lockout.map for nginx.
 */
export interface LockoutPolicy {
  maxFailures: number;
  windowMs: number;
  lockMs: number;
}

export const LOCKOUT: LockoutPolicy = { maxFailures: 30, windowMs: 60_000, lockMs: 10 * 60_000 };

export interface Lockout {
  failures: Map<string, number[]>;
  locked: Map<string, number>;
}

export const emptyLockout = (): Lockout => ({ failures: new Map(), locked: new Map() });

/** Pure-ish (mutates `l`): records a failure; true when it locked the client just now. */
export function recordFailure(l: Lockout, client: string, now: number, p: LockoutPolicy = LOCKOUT): boolean {
  if (!/^[0-9A-Fa-f.:]{2,45}$/.test(client)) return false;
  const recent = (l.failures.get(client) ?? []).filter((t) => now - t < p.windowMs);
  recent.push(now);
  l.failures.set(client, recent);
  if (recent.length < p.maxFailures || (l.locked.get(client) ?? 0) > now) return false;
  l.locked.set(client, now + p.lockMs);
  l.failures.delete(client);
  return true;
}

/** Drops expired locks; true when any expired (the map must be rendered again). */
export function expire(l: Lockout, now: number, p: LockoutPolicy = LOCKOUT): boolean {
  let changed = false;
  for (const [client, until] of l.locked)
    if (until <= now) {
      l.locked.delete(client);
      changed = true;
    }
  for (const [client, ts] of l.failures) if (ts.every((t) => now - t >= p.windowMs)) l.failures.delete(client);
  return changed;
}

/** Pure: the lines nginx includes into `map $space_client $space_locked`. */
export function lockoutMap(l: Lockout, now: number): string {
  return [...l.locked]
    .filter(([, until]) => until > now)
    .map(([client]) => `"${client}" 1;`)
    .join('\n')
    .concat('\n');
}
