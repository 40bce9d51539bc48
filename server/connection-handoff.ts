/**
 * Client connections move between the workbench and the lesson runners, whole: each process answers
 * the requests that are its own on the client's socket itself, and hands the socket to the other
 * process (over IPC, with the request it read from it) when a request is not. A lesson's traffic
 * thus crosses no proxy, and a kept-alive connection that a page also uses for its own requests
 * comes back to the workbench with the first of them.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import { HttpError } from './http-error.ts';

/** The most body a request may carry across (more than any route of the workbench takes). */
export const MAX_HANDED_BODY_BYTES = 1024 * 1024;

/** An IPC channel that can carry sockets: a `ChildProcess`, or `process` in the child. */
export interface ConnectionChannel {
  send(message: { type: 'connection'; head: string }, socket: Socket, options: { keepOpen: boolean }, callback: (error: Error | null) => void): boolean;
  once(event: 'disconnect', listener: () => void): unknown;
}

/**
 * The request as the client sent it, to be read again by the process that takes the socket:
 * request line, headers as sent, blank line, then what was read after them. A body read here is
 * sent with its length (no chunked framing, no `Expect: 100-continue`: it is all here already).
 */
export async function readRequestHead(req: IncomingMessage, url = req.url ?? '/', rest?: Buffer): Promise<Buffer> {
  const body = hasBody(req) ? await readBody(req) : undefined;
  let head = `${req.method} ${url} HTTP/${req.httpVersion}\r\n`;
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    if (body && /^(content-length|transfer-encoding|expect)$/i.test(name)) continue;
    head += `${name}: ${req.rawHeaders[i + 1]}\r\n`;
  }
  if (body) head += `Content-Length: ${body.length}\r\n`;
  return Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), body ?? Buffer.alloc(0), rest ?? Buffer.alloc(0)]);
}

/**
 * Gives `socket` to the process at the other end of `channel`, which reads `head` as the socket's
 * first bytes. The socket is kept open until the other side has it, then forgotten here (this
 * process's HTTP server drops it as on a close; the other copy stays open, no FIN is sent).
 * Rejects, the socket still here, when the channel closes first: Node sends one socket at a time
 * and waits for each to be acknowledged, and a process that exits acknowledges nothing.
 */
export function sendConnection(channel: ConnectionChannel, socket: Socket, head: Buffer): Promise<void> {
  // Node would otherwise count a server's socket as the other process's from now on, and make that
  // server's close() wait for the other process to say it is gone (it never does once it has
  // exited). The socket stays counted here until it is destroyed below, like any other.
  (socket as Socket & { server: unknown }).server = null;
  return new Promise((resolve, reject) => {
    const pending = pendingOn(channel);
    const settle = (error?: Error | null) => {
      if (!pending.delete(settle)) return;
      if (error) return reject(error);
      socket.destroy();
      resolve();
    };
    pending.add(settle);
    channel.send({ type: 'connection', head: head.toString('latin1') }, socket, { keepOpen: true }, settle);
  });
}

/** The sends not acknowledged yet on each channel, all failed by one listener when it closes. */
const pendingSends = new WeakMap<ConnectionChannel, Set<(error: Error) => void>>();

function pendingOn(channel: ConnectionChannel): Set<(error: Error) => void> {
  let pending = pendingSends.get(channel);
  if (!pending) {
    const sends = (pending = new Set());
    pendingSends.set(channel, sends);
    channel.once('disconnect', () => {
      for (const settle of [...sends]) settle(new Error('The other process went away before it took the connection'));
    });
  }
  return pending;
}

/** Serves a connection handed over with `head` (latin1) on `server`, as if it had just connected and sent it. */
export function takeConnection(server: Server, socket: Socket, head: string): void {
  server.emit('connection', socket);
  if (head) socket.emit('data', Buffer.from(head, 'latin1'));
  socket.resume();
}

function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

/** The whole body (a listener, not an iterator: ending an iterator destroys the request, and with it the socket). */
function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const onData = (chunk: Buffer) => {
      length += chunk.length;
      chunks.push(chunk);
      if (length <= MAX_HANDED_BODY_BYTES) return;
      req.off('data', onData);
      reject(new HttpError(413, `The request body is over ${MAX_HANDED_BODY_BYTES / 1024} KiB`));
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}
