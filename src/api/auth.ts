/**
 * Who may use the API: a bearer token (SPARK_API_TOKEN) checked in constant time. Apps in the space
 * send it to the api dyno; the space proxy checks its own users (basic auth, its lockout) and sends
 * the token on their behalf, with a proof that it is the proxy (`proxyProof`): failures it forwards
 * are counted by the proxy's lockout, not here. Every other failure is counted per client address
 * by the same policy as the proxy's (src/proxy/lockout.ts): past it, the client is answered 429.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { emptyLockout, expire, recordFailure, LOCKOUT, type Lockout } from '../proxy/lockout.js';

/** The header the proxy proves itself with. */
export const PROXY_PROOF_HEADER = 'x-spark-api-proxy';

/** Pure: what the proxy sends in PROXY_PROOF_HEADER (derived from the token: whoever has one can make it). */
export const proxyProof = (token: string) => createHmac('sha256', token).update('spark-in-space space proxy').digest('hex');

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Pure: `a` equals `b`, in time that does not depend on where they differ (nor on their lengths). */
export const sameSecret = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

/** Pure: the bearer token of an Authorization header. */
export const bearerOf = (header: string | undefined) => /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];

export class ApiAuth {
  private readonly lockout: Lockout = emptyLockout();
  private readonly proof: string;
  constructor(private readonly token: string) {
    this.proof = proxyProof(token);
    setInterval(() => expire(this.lockout, Date.now()), 15_000).unref();
  }

  /** 'ok', 'locked' (429) or 'denied' (401) for a request from `client` with these headers. */
  check(client: string, authorization: string | undefined, proof: string | undefined, now = Date.now()): 'ok' | 'locked' | 'denied' {
    const viaProxy = proof !== undefined && sameSecret(proof, this.proof);
    if (!viaProxy && (this.lockout.locked.get(client) ?? 0) > now) return 'locked';
    const bearer = bearerOf(authorization);
    if (bearer !== undefined && sameSecret(bearer, this.token)) return 'ok';
    if (!viaProxy && recordFailure(this.lockout, client, now)) return 'locked';
    return 'denied';
  }

  static readonly POLICY = LOCKOUT;
}
