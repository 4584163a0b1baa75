/**
 * A real HTTP mirror on 127.0.0.1 for tests and benchmarks: serves a directory laid out like
 * Apache's (<root>/spark-X/<file>), with Range, ETag and Last-Modified, and faults on demand:
 * drop the connection mid-body, hang, ignore Range, or answer 404/500.
 */
import { createReadStream, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';

export interface Faults {
  /** path → drop the connection after this many body bytes, for the first `times` requests */
  drop?: Record<string, { afterBytes: number; times: number }>;
  /** path → send headers, then never a byte */
  hang?: Set<string>;
  /** path → HTTP status to answer instead, for the first `times` requests (default: always) */
  status?: Record<string, { code: number; times?: number }>;
  /** ignore Range headers (answer 200 with the whole file) */
  noRange?: boolean;
}

export interface Mirror {
  url: string;
  port: number;
  requests: { path: string; range?: string; ifRange?: string; authorization?: string; status: number }[];
  faults: Faults;
  close(): Promise<void>;
}

export async function startMirror(root: string, faults: Faults = {}, host = '127.0.0.1'): Promise<Mirror> {
  const requests: Mirror['requests'] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const urlPath = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const record = (status: number) =>
      requests.push({
        path: urlPath,
        range: req.headers.range,
        ifRange: req.headers['if-range'] as string | undefined,
        authorization: req.headers.authorization,
        status,
      });
    const forced = faults.status?.[urlPath];
    if (forced && (forced.times === undefined || forced.times-- > 0)) {
      record(forced.code);
      res.writeHead(forced.code, { 'content-type': 'text/plain' }).end(`status ${forced.code}\n`);
      return;
    }
    const file = path.join(root, path.normalize(urlPath));
    let size: number;
    let mtime: Date;
    try {
      const st = statSync(file);
      if (!st.isFile() || !file.startsWith(root)) throw new Error();
      size = st.size;
      mtime = st.mtime;
    } catch {
      record(404);
      res.writeHead(404).end('not found\n');
      return;
    }
    const etag = `"${size.toString(16)}-${mtime.getTime().toString(16)}"`;
    const headers: Record<string, string | number> = {
      'accept-ranges': faults.noRange ? 'none' : 'bytes',
      etag,
      'last-modified': mtime.toUTCString(),
      'content-type': 'application/octet-stream',
    };
    let start = 0;
    let status = 200;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const ifRange = req.headers['if-range'];
    if (range && !faults.noRange && (!ifRange || ifRange === etag)) {
      start = Number(range[1]);
      if (start >= size) {
        record(416);
        res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
        return;
      }
      status = 206;
      headers['content-range'] = `bytes ${start}-${size - 1}/${size}`;
    }
    headers['content-length'] = size - start;
    record(status);
    res.writeHead(status, headers);
    if (req.method === 'HEAD') return void res.end();
    if (faults.hang?.has(urlPath)) {
      res.flushHeaders();
      return; // never a byte; the client's idle timeout must fire
    }
    const drop = faults.drop?.[urlPath];
    if (drop && drop.times > 0) {
      drop.times--;
      const stream = createReadStream(file, { start, end: Math.min(size - 1, start + drop.afterBytes - 1) });
      stream.pipe(res, { end: false });
      // every byte of the part sent reaches the client (end flushes, then closes): exactly afterBytes arrive before the connection drops
      stream.on('end', () => setImmediate(() => req.socket.end()));
      return;
    }
    createReadStream(file, { start }).pipe(res);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    port,
    requests,
    faults,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
