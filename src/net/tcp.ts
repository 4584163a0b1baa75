/**
 * The one TCP probe: connect to host:port, optionally send a few bytes and read until the server
 * closes, within a deadline; the answer says why not in words a message can use. Used by the
 * launchers' waits (src/launch/await.ts), ZooKeeper's `srvr` (src/zookeeper/srvr.ts) and the local
 * space's readiness checks (src/local/runner.ts `portOpen`).
 *
 * `node:net` is fetched when used (process.getBuiltinModule), not imported: the launchers load this
 * module and most of them never open a socket (bench:cli's hand-over).
 */
import type { AddressInfo } from 'node:net';

export type TcpAnswer = { ok: true; text: string } | { ok: false; why: string };

/**
 * Connects; without `send` the answer is ok as soon as the connection opens, with it the text the
 * server sends back before closing.
 */
export function tcpProbe(host: string, port: number, o: { send?: string; timeoutMs?: number } = {}): Promise<TcpAnswer> {
  return new Promise((done) => {
    const s = process.getBuiltinModule('node:net').connect({ host, port });
    let text = '';
    const end = (a: TcpAnswer) => {
      s.destroy();
      done(a);
    };
    s.setTimeout(o.timeoutMs ?? 2000, () => end({ ok: false, why: 'does not answer' }));
    s.once('error', (e: NodeJS.ErrnoException) => end({ ok: false, why: e.code === 'ECONNREFUSED' ? 'refuses connections' : `cannot be reached (${e.code ?? e.message})` }));
    s.once('connect', () => (o.send === undefined ? end({ ok: true, text: '' }) : s.write(o.send)));
    s.on('data', (b: Buffer) => (text += b.toString()));
    s.once('end', () => end({ ok: true, text }));
  });
}

/**
 * Binds `port` on `host` (every address when undefined) and lets it go: the port it got, or
 * undefined when taken. Port 0 asks the kernel for a free one. Used by `local up` (a port a server
 * binds on every address) and the space's PostgreSQL (a free port on its space address).
 */
export function bindable(port: number, host?: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const s = process.getBuiltinModule('node:net').createServer();
    s.once('error', () => resolve(undefined));
    s.listen(port, host, () => {
      const got = (s.address() as AddressInfo).port;
      s.close(() => resolve(got));
    });
  });
}
