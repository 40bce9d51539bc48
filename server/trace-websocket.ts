import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { CLIENT_HEADER, CLIENT_PARAM, CONN_HEADER, TEXT_LIMIT, type TraceInput, versionIn, type WsFrameEvent } from '../lessons/trace-event.ts';
import type { LessonLocator } from './lesson-locator.ts';
import type { WriteLocator } from './write-locator.ts';
import type { OpenStream } from './trace-http.ts';
import { headersOf, requestBytes, traceIdOf } from './trace-fields.ts';
import { createWebSocketFrameParser, OPCODES, type WebSocketFrame } from './websocket-frame-parser.ts';

export interface TraceWebSocketOptions {
  emit(event: TraceInput): void;
  locate: LessonLocator;
  /** Finds the line writing a frame; shared by every socket, so that a broadcast is located once. @default locate */
  locateWrite?: WriteLocator;
  /** Where open sockets are kept while they last, so the workbench can cut them (the page's "drop the connection"). */
  streams?: Set<OpenStream>;
  /** Names a socket that named no connection: `ws3`, or with a generation tag `ws2.3`. */
  connId(kind: 'ws'): string;
}

/**
 * Records a WebSocket connection from the bytes on its socket, whatever the lesson does with it:
 * the upgrade request, the server's answer (the 101 handshake, or a refusal such as 403), every
 * frame both ways (text, binary, ping, pong, close with its code; a fragmented message as one)
 * and the end, with who closed it. Call it with the upgrade's socket before the lesson's handler
 * takes it.
 *
 * The server's frames are read after the turn that wrote them (each keeps the time and line of its
 * write): a broadcast reaches every client first, and is recorded after. Events are written out
 * whole, not spread from a shared `{ lane, conn, client }` (about ten times slower in V8).
 */
export function traceWebSocket({ emit, locate, locateWrite = () => locate(), streams, connId }: TraceWebSocketOptions, req: IncomingMessage, socket: Duplex): void {
  const started = Date.now();
  const url = new URL(req.url ?? '/', 'http://localhost');
  const client = traceIdOf(req.headers[CLIENT_HEADER]) ?? traceIdOf(url.searchParams.get(CLIENT_PARAM));
  const conn = traceIdOf(req.headers[CONN_HEADER]) ?? traceIdOf(url.searchParams.get('conn')) ?? connId('ws');
  emit({ lane: 'server', conn, client, kind: 'http-request', t: started, method: req.method ?? 'GET', url: req.url ?? '/', headers: headersOf(req.headers), bytes: requestBytes(req) });

  let answered = false;
  let openedAt: number | undefined;
  let close: { code: number; reason: string; by: 'server' | 'client' } | undefined;
  let outSource: WsFrameEvent['source'];
  /** When the frame being read was written (the server's) or read (the client's). */
  let frameAt = started;
  /** The server's writes not read yet: the bytes, when, and from which line. */
  let unread: { data: Buffer; t: number; source: WsFrameEvent['source'] }[] = [];
  // Cut from the page: the TCP connection ends without a close frame, as when a network drops.
  const open: OpenStream = { conn, client, end: (reason) => socket.destroy(new Error(reason)) };

  const onMessage = (direction: WsFrameEvent['direction']) => {
    // A fragmented message is one event: its frames' sizes add up, its payload is the first 4 KiB.
    let partial: { opcode: number; bytes: number; length: number; fragments: number; payload: Buffer } | undefined;
    return (frame: WebSocketFrame) => {
      if (frame.opcode === 0 || ((frame.opcode === 1 || frame.opcode === 2) && !frame.fin)) {
        if (!partial) partial = { opcode: frame.opcode, bytes: 0, length: 0, fragments: 0, payload: Buffer.alloc(0) };
        partial.bytes += frame.bytes;
        partial.length += frame.length;
        partial.fragments += 1;
        if (partial.payload.length < TEXT_LIMIT * 2) partial.payload = Buffer.concat([partial.payload, frame.payload]);
        if (!frame.fin) return;
        const whole = partial;
        partial = undefined;
        return record(direction, { ...frame, ...whole });
      }
      record(direction, { ...frame, fragments: 1 });
    };
  };
  const record = (direction: WsFrameEvent['direction'], frame: WebSocketFrame & { fragments: number }) => {
    const opcode = OPCODES[frame.opcode];
    if (!opcode || opcode === 'continuation') return;
    let text: string | undefined;
    if (opcode === 'text') text = frame.payload.toString('utf8').slice(0, TEXT_LIMIT);
    if (opcode === 'close') {
      const code = frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005;
      const reason = frame.payload.subarray(2).toString('utf8');
      close ??= { code, reason, by: direction === 'in' ? 'client' : 'server' };
      text = `${code} ${reason}`.trim();
    }
    const source = direction === 'out' ? outSource : undefined;
    emit({ lane: 'server', conn, client, kind: 'ws-frame', t: frameAt, direction, opcode, bytes: frame.bytes, length: frame.length, masked: frame.masked, fragments: frame.fragments, text, version: versionIn(text), source });
  };
  const inbound = createWebSocketFrameParser(onMessage('in'));
  // One parser per direction: ws may write a frame's header and payload in separate writes.
  const outbound = createWebSocketFrameParser(onMessage('out'));

  /** The server's first bytes: the 101 that opens the socket, or the status that refuses it. */
  const onAnswer = (data: Buffer) => {
    answered = true;
    const text = data.toString('latin1');
    const end = text.indexOf('\r\n\r\n');
    const head = end === -1 ? text : text.slice(0, end);
    const [statusLine = '', ...lines] = head.split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const t = Date.now();
    if (status === 101) {
      openedAt = t;
      streams?.add(open);
      emit({ lane: 'server', conn, client, kind: 'ws-open', t, url: req.url ?? '/', headers, bytes: end === -1 ? data.length : end + 4 });
      // The lesson's ws server adds its 'data' listener right after writing the 101; go before it, so
      // a message is recorded before the lesson's answer to it.
      queueMicrotask(() =>
        socket.prependListener('data', (bytes: Buffer) => {
          readWrites();
          frameAt = Date.now();
          inbound.push(bytes);
        }),
      );
    } else {
      const body = end === -1 ? '' : data.subarray(end + 4).toString('utf8');
      emit({ lane: 'server', conn, client, kind: 'http-response', t, status, headers, bytes: data.length, durationMs: t - started, body: body.slice(0, TEXT_LIMIT), version: versionIn(body), source: locate() });
    }
  };
  const readWrites = () => {
    const writes = unread;
    unread = [];
    for (const { data, t, source } of writes) {
      frameAt = t;
      outSource = source ?? outSource;
      outbound.push(data);
    }
  };
  const traced = (data: Buffer) => {
    if (!answered) return onAnswer(data);
    if (openedAt === undefined) return;
    if (unread.length === 0) setImmediate(readWrites);
    unread.push({ data, t: Date.now(), source: locateWrite(data) });
  };

  const { write, end } = socket;
  socket.write = function tracedWrite(this: Duplex, chunk: unknown, ...rest: unknown[]) {
    const data = bufferOf(chunk);
    if (data) traced(data);
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as Duplex['write'];
  // `end(chunk)` writes without going through `write` (a refusal is usually one `end`).
  socket.end = function tracedEnd(this: Duplex, chunk?: unknown, ...rest: unknown[]) {
    const data = bufferOf(chunk);
    if (data) traced(data);
    return (end as (...args: unknown[]) => Duplex).call(this, chunk, ...rest);
  } as Duplex['end'];

  socket.once('close', () => {
    readWrites();
    streams?.delete(open);
    const t = Date.now();
    if (openedAt === undefined) {
      if (!answered) emit({ lane: 'server', conn, client, kind: 'http-abort', t, durationMs: t - started });
      return;
    }
    // Destroyed with an error by the lesson (a slow consumer dropped) says why; otherwise the close frame does.
    const dropped = socket.errored?.message;
    emit({
      lane: 'server',
      conn,
      client,
      kind: 'ws-close',
      t,
      code: close?.code ?? 1006,
      reason: close?.reason || (dropped ?? (close ? '' : 'ended without a close frame')),
      ...(close ? { by: close.by } : {}),
      durationMs: t - openedAt,
    });
  });
}

function bufferOf(chunk: unknown): Buffer | undefined {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, 'latin1');
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return undefined;
}
