/**
 * A small DNS server on loopback for the local space: answers A queries for the dynos'
 * `*.app.localspace` names (what a Private Space's DNS discovery does) so nginx and other non-JVM
 * tools resolve them; everything else gets NXDOMAIN (the local space reaches nothing else).
 */
import dgram from 'node:dgram';

/** Pure: reads the question of a DNS query. */
export function parseQuery(msg: Buffer): { id: number; name: string; type: number; questionEnd: number } | undefined {
  if (msg.length < 12 || msg.readUInt16BE(4) < 1) return undefined;
  const labels: string[] = [];
  let off = 12;
  while (off < msg.length) {
    const len = msg[off]!;
    if (len === 0) break;
    if (len > 63 || off + 1 + len > msg.length) return undefined;
    labels.push(msg.toString('ascii', off + 1, off + 1 + len));
    off += 1 + len;
  }
  if (off + 5 > msg.length) return undefined;
  return { id: msg.readUInt16BE(0), name: labels.join('.').toLowerCase(), type: msg.readUInt16BE(off + 1), questionEnd: off + 5 };
}

/** Name → IPv4: a table, or a function (the formation's table, then the one-off dynos running now). */
export type Names = Map<string, string> | ((name: string) => string | undefined);

/** Pure: the answer to a query given a name → IPv4 table. */
export function answer(msg: Buffer, table: Names): Buffer | undefined {
  const q = parseQuery(msg);
  if (!q) return undefined;
  const ip = typeof table === 'function' ? table(q.name) : table.get(q.name);
  const question = msg.subarray(12, q.questionEnd);
  const withA = ip !== undefined && q.type === 1;
  const header = Buffer.alloc(12);
  header.writeUInt16BE(q.id, 0);
  // QR, opcode 0, AA, RD copied; RA; rcode 0 (NOERROR) or 3 (NXDOMAIN)
  header.writeUInt16BE(0x8400 | (msg.readUInt16BE(2) & 0x0100) | 0x0080 | (ip === undefined ? 3 : 0), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(withA ? 1 : 0, 6);
  if (!withA) return Buffer.concat([header, question]);
  const rr = Buffer.alloc(16);
  rr.writeUInt16BE(0xc00c, 0); // pointer to the question's name
  rr.writeUInt16BE(1, 2); // A
  rr.writeUInt16BE(1, 4); // IN
  rr.writeUInt32BE(5, 6); // TTL 5 s
  rr.writeUInt16BE(4, 10);
  ip.split('.').forEach((o, i) => rr.writeUInt8(Number(o), 12 + i));
  return Buffer.concat([header, question, rr]);
}

export async function startDns(host: string, port: number, table: Names): Promise<dgram.Socket> {
  const sock = dgram.createSocket('udp4');
  sock.on('message', (msg, rinfo) => {
    const reply = answer(msg, table);
    if (reply) sock.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(port, host, () => resolve());
  });
  return sock;
}
