import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { CLIENT_HEADER, CLIENT_PARAM, CONN_HEADER, type TraceInput, versionIn, type WsFrameEvent } from '../lessons/trace-event.ts';
import type { LessonLocator } from './lesson-locator.ts';
import { traceIdOf } from './trace-fields.ts';
import { createWebSocketFrameParser, OPCODES, type WebSocketFrame } from './websocket-frame-parser.ts';

export interface TraceWebSocketOptions {
  emit(event: TraceInput): void;
  locate: LessonLocator;
}

let count = 0;

/**
 * Records a WebSocket connection from the bytes on its socket, whatever the lesson does with it:
 * the 101 handshake (open), every frame both ways (text, binary, ping, pong, close with its
 * code) and the end. Call it with the upgrade's socket before the lesson's handler takes it.
 */
export function traceWebSocket({ emit, locate }: TraceWebSocketOptions, req: IncomingMessage, socket: Duplex): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const client = traceIdOf(req.headers[CLIENT_HEADER]) ?? traceIdOf(url.searchParams.get(CLIENT_PARAM));
  const conn = traceIdOf(req.headers[CONN_HEADER]) ?? traceIdOf(url.searchParams.get('conn')) ?? `ws${++count}`;
  const base = { lane: 'server', conn, ...(client ? { client } : {}) } as const;
  let open = false;
  let closeCode: number | undefined;
  let closeReason = '';
  let dataOpcode = 1;

  let outSource: WsFrameEvent['source'];
  const onFrame = (direction: WsFrameEvent['direction']) => (frame: WebSocketFrame) => {
    // A continuation frame belongs to the text or binary message it continues.
    const opcode = frame.opcode === 0 ? dataOpcode : frame.opcode;
    if (opcode === 1 || opcode === 2) dataOpcode = opcode;
    const name = OPCODES[opcode];
    if (!name || name === 'continuation') return;
    const text = name === 'text' ? frame.payload.toString('utf8') : name === 'close' ? closeText(frame.payload) : undefined;
    if (name === 'close' && closeCode === undefined && frame.payload.length >= 2) {
      closeCode = frame.payload.readUInt16BE(0);
      closeReason = frame.payload.subarray(2).toString('utf8');
    }
    const source = direction === 'out' ? outSource : undefined;
    emit({ ...base, kind: 'ws-frame', t: Date.now(), direction, opcode: name, bytes: frame.bytes, text, version: versionIn(text), source });
  };
  const inbound = createWebSocketFrameParser(onFrame('in'));
  // One parser per direction: ws may write a frame's header and payload in separate writes.
  const outbound = createWebSocketFrameParser(onFrame('out'));

  const write = socket.write;
  socket.write = function tracedWrite(this: Duplex, chunk: unknown, ...rest: unknown[]) {
    const data = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.isBuffer(chunk) ? chunk : undefined;
    if (!open && data?.subarray(0, 12).toString('latin1') === 'HTTP/1.1 101') {
      open = true;
      emit({ ...base, kind: 'ws-open', t: Date.now(), url: req.url ?? '/' });
      // The lesson's ws server adds its 'data' listener right after writing the 101; go before it, so
      // a message is recorded before the lesson's answer to it.
      queueMicrotask(() => socket.prependListener('data', (bytes: Buffer) => inbound.push(bytes)));
    } else if (open && data) {
      outSource = locate() ?? outSource;
      outbound.push(data);
    }
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as Duplex['write'];

  socket.once('close', () => {
    if (open) emit({ ...base, kind: 'ws-close', t: Date.now(), code: closeCode ?? 1006, reason: closeCode === undefined ? 'closed without a close frame' : closeReason });
  });
}

function closeText(payload: Buffer): string {
  return payload.length >= 2 ? `${payload.readUInt16BE(0)} ${payload.subarray(2).toString('utf8')}`.trim() : '';
}
