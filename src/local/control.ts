/**
 * The control socket of a running local space: `local restart|cycle|scale|down` are HTTP requests
 * over a Unix socket in the space's folder (mode 0600: only this user can drive the space).
 * Each request waits until the supervisor has carried it out and answers {ok, message}.
 * `node:http` is fetched where used, not imported: importing it as ESM loads undici (22 ms) in
 * every CLI command, and most never talk HTTP.
 */
import { chmodSync, rmSync } from 'node:fs';
import { fail, isProblem, SparkInSpaceError, type Problem } from '../errors.js';
import type { State } from './state.js';

export interface Controlled {
  restart(target?: string): Promise<string>;
  cycle(target?: string): Promise<string>;
  schedule(target: string | undefined, everyMs: number): string;
  scale(want: Record<string, number>): Promise<string>;
  halt(target: string): Promise<string>;
  snapshot(): State;
  stop(): Promise<void>;
}

export interface ControlServer {
  close(): Promise<void>;
}

export type ControlRequest =
  { op: 'restart'; target?: string } | { op: 'cycle'; target?: string; everyMs?: number } | { op: 'scale'; want: Record<string, number> } | { op: 'stop'; target?: string } | { op: 'state' };

export interface ControlAnswer {
  ok: boolean;
  message: string;
  /** a refusal's Problem, whole: the client fails with it (same code, same exit code as in the supervisor) */
  problem?: Problem;
  state?: State;
}

async function carryOut(s: Controlled, req: ControlRequest): Promise<ControlAnswer> {
  switch (req.op) {
    case 'restart':
      return { ok: true, message: await s.restart(req.target) };
    case 'cycle':
      return { ok: true, message: req.everyMs !== undefined ? s.schedule(req.target, req.everyMs) : await s.cycle(req.target) };
    case 'scale':
      return { ok: true, message: await s.scale(req.want) };
    case 'stop':
      if (req.target) return { ok: true, message: await s.halt(req.target) };
      // answered first: `local up` exits once everything is stopped
      setImmediate(() => void s.stop());
      return { ok: true, message: 'Stopping' };
    case 'state':
      return { ok: true, message: 'state', state: s.snapshot() };
  }
}

export async function startControl(socket: string, s: Controlled): Promise<ControlServer> {
  rmSync(socket, { force: true });
  const server = process.getBuiltinModule('node:http').createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      void (async () => {
        let answer: ControlAnswer;
        try {
          answer = await carryOut(s, JSON.parse(body || '{}') as ControlRequest);
        } catch (err) {
          answer = isProblem(err) ? { ok: false, message: err.message, problem: err.problem } : { ok: false, message: (err as Error).message };
        }
        res.writeHead(answer.ok ? 200 : 400, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer));
      })();
    });
  });
  // requests may take minutes (a cycle of 50 workers): no server-side timeouts
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  server.timeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, () => resolve());
  });
  chmodSync(socket, 0o600);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        rmSync(socket, { force: true });
      }),
  };
}

/** Sends one request to a running space's control socket and waits for the answer; a refusal fails with the supervisor's Problem. */
export async function ask(socket: string, req: ControlRequest): Promise<ControlAnswer> {
  const answer = await request(socket, req);
  if (!answer.ok) fail(answer.problem ?? { code: 'bad-input', message: answer.message });
  return answer;
}

/** Sends one request to a running space's control socket and waits for the answer. */
export function request(socket: string, req: ControlRequest): Promise<ControlAnswer> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify(req);
    const http = process.getBuiltinModule('node:http');
    const r = http.request({ socketPath: socket, path: '/', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString('utf8')));
      res.on('end', () => {
        try {
          resolve(JSON.parse(text) as ControlAnswer);
        } catch {
          reject(new Error(`the local space answered something unreadable: ${text.slice(0, 200)}`));
        }
      });
    });
    r.on('error', (err: NodeJS.ErrnoException) =>
      err.code === 'ECONNREFUSED' || err.code === 'ENOENT'
        ? reject(
            new SparkInSpaceError({
              code: 'space-not-running',
              message: `The local space does not answer on its control socket (${err.code}): it has stopped. \`spark-in-space local status\` shows what is left; \`local up --detach\` starts it again.`,
            }),
          )
        : reject(err),
    );
    r.end(body);
  });
}
