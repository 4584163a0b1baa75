/**
 * The one `srvr` exchange with a ZooKeeper server (I/O beside the pure src/zookeeper/index.ts):
 * used by a master's launcher waiting for its ensemble, and by `local` for readiness and status.
 */
import { tcpProbe, type TcpAnswer } from '../net/tcp.js';
import { ZK_CLIENT_PORT } from './index.js';

export type SrvrAnswer = TcpAnswer;

/** Asks `srvr` on a client port; the text once the server closes, or why there is none. */
export const askSrvr = (host: string, port = ZK_CLIENT_PORT, timeoutMs = 2000): Promise<SrvrAnswer> => tcpProbe(host, port, { send: 'srvr', timeoutMs });

/** A server's answer to `srvr` ('' when it does not answer). */
export const zkSrvr = async (host: string, port = ZK_CLIENT_PORT, timeoutMs = 2000): Promise<string> => {
  const a = await askSrvr(host, port, timeoutMs);
  return a.ok ? a.text : '';
};
