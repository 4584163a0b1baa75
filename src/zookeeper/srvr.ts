/**
 * The one `srvr` exchange with a ZooKeeper server (I/O beside the pure src/zookeeper/index.ts):
 * used by a master's launcher waiting for its ensemble, and by `local` for readiness and status.
 */
import net from 'node:net';
import { ZK_CLIENT_PORT } from './index.js';

export type SrvrAnswer = { ok: true; text: string } | { ok: false; why: string };

/** Asks `srvr` on a client port; the text once the server closes, or why there is none. */
export function askSrvr(host: string, port = ZK_CLIENT_PORT, timeoutMs = 2000): Promise<SrvrAnswer> {
  return new Promise((done) => {
    const s = net.connect({ host, port });
    let text = '';
    const end = (a: SrvrAnswer) => {
      s.destroy();
      done(a);
    };
    s.setTimeout(timeoutMs, () => end({ ok: false, why: 'does not answer' }));
    s.once('error', (e: NodeJS.ErrnoException) => end({ ok: false, why: e.code === 'ECONNREFUSED' ? 'refuses connections' : `cannot be reached (${e.code ?? e.message})` }));
    s.once('connect', () => s.write('srvr'));
    s.on('data', (b) => (text += b.toString()));
    s.once('end', () => end({ ok: true, text }));
  });
}

/** A server's answer to `srvr` ('' when it does not answer). */
export const zkSrvr = async (host: string, port = ZK_CLIENT_PORT, timeoutMs = 2000): Promise<string> => {
  const a = await askSrvr(host, port, timeoutMs);
  return a.ok ? a.text : '';
};
