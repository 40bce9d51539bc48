/**
 * The "wire view" of a WebSocket connection: the HTTP upgrade handshake (or the server's refusal
 * of it), every frame both ways with its size on the wire, and how the connection ended. Pure
 * data, no DOM; `<socket-wire-view>` draws it.
 */
import { TEXT_LIMIT, type ClientSocketEvent, type HttpRequestEvent, type TraceEvent, type WsCloseEvent, type WsFrameEvent } from '../lessons/trace-event.ts';

/** The GUID a server appends to the client's key before hashing it (RFC 6455 §1.3). */
export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** How much a browser time may run ahead of the server clock and still count as after the upgrade, ms. */
export const CLOCK_SKEW_MS = 50;

/** Where a WebSocket conn stands. `refused`: the server answered the upgrade with an HTTP error; `aborted`: the connection ended before any answer. */
export type SocketStatus = 'connecting' | 'open' | 'closed' | 'refused' | 'aborted';

/** One WebSocket connection of the trace, for a socket picker. */
export interface SocketSummary {
  conn: string;
  /** The browser client that opened it, when the request named one. */
  client?: string;
  /** Path and query of the upgrade request. */
  url: string;
  /** Path of the upgrade request, without the query. */
  path: string;
  /** Server time of the upgrade request (of the `ws-open` when the trace lost the request). */
  openedAt: number;
  /** Server time it ended: its `ws-close`, refusal or abort. */
  closedAt?: number;
  /** Frames recorded, both ways. */
  frames: number;
  status: SocketStatus;
}

/** A header line as written on the wire, its name in the usual capitalisation. */
export interface WireHeader {
  name: string;
  /** `undefined` when a header the handshake needs is missing. */
  value?: string;
}

/** The upgrade request. */
export interface SocketRequest {
  seq: number;
  t: number;
  method: string;
  url: string;
  /** The headers that make the handshake, in the order they are explained; a missing required one has no value. */
  handshake: WireHeader[];
  /** Names of the request's other headers (User-Agent, Accept-Language, …). */
  otherHeaders: string[];
  /** `Sec-WebSocket-Key`, the nonce the accept is computed from. */
  key?: string;
  /** Bytes of the request: request line and headers. */
  bytes: number;
}

/** The server's `101 Switching Protocols`. */
export interface SocketUpgrade {
  seq: number;
  t: number;
  handshake: WireHeader[];
  otherHeaders: string[];
  /** `Sec-WebSocket-Accept` as the server sent it. */
  accept?: string;
  bytes: number;
}

/** The server's refusal of the upgrade (an HTTP error such as 403 instead of 101). */
export interface SocketRefusal {
  seq: number;
  t: number;
  status: number;
  /** The reason phrase for the status, or `''` for one not in the table. */
  statusText: string;
  headers: WireHeader[];
  body?: string;
  bytes: number;
  durationMs: number;
}

/** The connection ended before the server answered the upgrade. */
export interface SocketAbort {
  seq: number;
  t: number;
  durationMs: number;
}

/** One frame (or one fragmented message) as it went over the wire. */
export interface SocketFrame {
  seq: number;
  t: number;
  direction: WsFrameEvent['direction'];
  opcode: WsFrameEvent['opcode'];
  /** Ping, pong or close: frames of the protocol itself, not messages. */
  control: boolean;
  /** The whole frame on the wire (of all its fragments). */
  bytes: number;
  /** Payload length. */
  length: number;
  /** Frame bytes that are not payload: headers, and mask keys when masked. */
  overhead: number;
  masked: boolean;
  /** Frames the message took: 1, or more for a fragmented one (its last carries FIN). */
  fragments: number;
  /** A text frame's text; for a close frame, its reason. */
  text?: string;
  /** The trace kept only the start of a longer text. */
  truncated: boolean;
  /** A close frame's status code; 1005 when the frame carried none. */
  code?: number;
}

/** The end of the connection, from the server's side. */
export interface SocketClose {
  seq: number;
  t: number;
  /** The first close frame's code, or 1006 when none was sent. */
  code: number;
  reason: string;
  /** Who sent the first close frame; absent when the connection ended without one. */
  by?: 'server' | 'client';
  durationMs: number;
}

/** How the browser's WebSocket reported the end (its `close` event). */
export interface BrowserClose {
  seq: number;
  t: number;
  code?: number;
  reason?: string;
  wasClean?: boolean;
}

/** Frames, bytes on the wire and payload bytes of one direction. */
export interface DirectionTotals {
  frames: number;
  bytes: number;
  payload: number;
}

/** Everything the wire view draws for one WebSocket connection. */
export interface SocketWire {
  conn: string;
  client?: string;
  /** Path and query of the upgrade request. */
  url: string;
  path: string;
  status: SocketStatus;
  /** Absent when the trace no longer holds it. */
  request?: SocketRequest;
  upgrade?: SocketUpgrade;
  refusal?: SocketRefusal;
  abort?: SocketAbort;
  frames: SocketFrame[];
  close?: SocketClose;
  /** The browser's own report of the close, when its client told the trace. */
  browserClose?: BrowserClose;
  /** `in`: client → server; `out`: server → client. */
  totals: { in: DirectionTotals; out: DirectionTotals };
}

// The handshake's headers, in the order RFC 6455 §4 explains them; optional ones only when sent.
const REQUEST_HEADERS: readonly { name: string; required: boolean }[] = [
  { name: 'Host', required: true },
  { name: 'Upgrade', required: true },
  { name: 'Connection', required: true },
  { name: 'Sec-WebSocket-Key', required: true },
  { name: 'Sec-WebSocket-Version', required: true },
  { name: 'Origin', required: false },
  { name: 'Sec-WebSocket-Protocol', required: false },
  { name: 'Sec-WebSocket-Extensions', required: false },
];
const UPGRADE_HEADERS: readonly { name: string; required: boolean }[] = [
  { name: 'Upgrade', required: true },
  { name: 'Connection', required: true },
  { name: 'Sec-WebSocket-Accept', required: true },
  { name: 'Sec-WebSocket-Protocol', required: false },
  { name: 'Sec-WebSocket-Extensions', required: false },
];

const STATUS_TEXTS: Readonly<Record<number, string>> = {
  101: 'Switching Protocols',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  426: 'Upgrade Required',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

const CLOSE_CODES: Readonly<Record<number, string>> = {
  1000: 'normal closure',
  1001: 'going away',
  1002: 'protocol error',
  1003: 'unsupported data',
  1005: 'no status code',
  1006: 'abnormal closure (no close frame)',
  1007: 'invalid payload data',
  1008: 'policy violation',
  1009: 'message too big',
  1011: 'internal error',
  1012: 'service restart',
  1013: 'try again later',
};

/** What a close code means (RFC 6455 §7.4 and the IANA registry): `normal closure`, `application-defined` … */
export function closeCodeMeaning(code: number): string {
  const known = CLOSE_CODES[code];
  if (known) return known;
  if (code >= 4000 && code <= 4999) return 'application-defined';
  if (code >= 3000 && code <= 3999) return 'registered (libraries, frameworks)';
  if (code >= 1000 && code <= 2999) return 'reserved by the protocol';
  return 'not a valid close code';
}

/** The reason phrase of an HTTP status, or `''` for one this view does not know. */
export function statusText(status: number): string {
  return STATUS_TEXTS[status] ?? '';
}

/**
 * The `Sec-WebSocket-Accept` a server must answer `key` with:
 * base64(SHA-1(key + {@link WEBSOCKET_GUID})). Rejects where Web Crypto is missing
 * (a page served over plain HTTP from another host than localhost).
 */
export async function expectedAccept(key: string): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new Error('Web Crypto is not available here (it needs HTTPS or localhost)');
  const digest = new Uint8Array(await subtle.digest('SHA-1', new TextEncoder().encode(key + WEBSOCKET_GUID)));
  let binary = '';
  for (const byte of digest) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Whether an `http-request` asks for a WebSocket: its `Upgrade` header names `websocket`. */
export function isWebSocketRequest(event: HttpRequestEvent): boolean {
  return /(^|,)\s*websocket\s*(,|$)/i.test(headerValue(event.headers, 'upgrade') ?? '');
}

/** Lists every WebSocket conn of the trace, in the order their upgrade requests came. Linear in the trace. */
export function listSockets(events: readonly TraceEvent[]): SocketSummary[] {
  const sockets = new Map<string, SocketSummary>();
  const start = (conn: string, t: number, url: string, client: string | undefined): SocketSummary => {
    const summary: SocketSummary = { conn, ...(client === undefined ? {} : { client }), url, path: pathOf(url), openedAt: t, frames: 0, status: 'connecting' };
    sockets.set(conn, summary);
    return summary;
  };
  for (const event of events) {
    if (event.lane !== 'server' || event.conn === undefined) continue;
    const socket = sockets.get(event.conn);
    switch (event.kind) {
      case 'http-request':
        if (!socket && isWebSocketRequest(event)) start(event.conn, event.t, event.url, event.client);
        break;
      case 'ws-open':
        // The trace may have dropped the request of a long-lived socket; the open still names it.
        (socket ?? start(event.conn, event.t, event.url, event.client)).status = 'open';
        break;
      case 'ws-frame':
        if (socket) socket.frames++;
        break;
      case 'ws-close':
        if (socket) end(socket, event.t, 'closed');
        break;
      case 'http-response':
        if (socket?.status === 'connecting') end(socket, event.t, 'refused');
        break;
      case 'http-abort':
        if (socket?.status === 'connecting') end(socket, event.t, 'aborted');
        break;
    }
  }
  return [...sockets.values()];
}

function end(socket: SocketSummary, t: number, status: SocketStatus): void {
  if (socket.closedAt !== undefined) return;
  socket.closedAt = t;
  socket.status = status;
}

/** Builds the wire view of one conn, or `undefined` when `conn` is not a WebSocket conn of the trace. Linear in the trace. */
export function buildSocketWire(events: readonly TraceEvent[], conn: string): SocketWire | undefined {
  let request: HttpRequestEvent | undefined;
  let open: Extract<TraceEvent, { kind: 'ws-open' }> | undefined;
  let refusal: Extract<TraceEvent, { kind: 'http-response' }> | undefined;
  let abort: Extract<TraceEvent, { kind: 'http-abort' }> | undefined;
  let close: WsCloseEvent | undefined;
  const frames: WsFrameEvent[] = [];
  for (const event of events) {
    if (event.conn !== conn || event.lane !== 'server') continue;
    switch (event.kind) {
      case 'http-request':
        request ??= event;
        break;
      case 'ws-open':
        open ??= event;
        break;
      case 'http-response':
        if (!open) refusal ??= event;
        break;
      case 'http-abort':
        if (!open) abort ??= event;
        break;
      case 'ws-frame':
        frames.push(event);
        break;
      case 'ws-close':
        close ??= event;
        break;
    }
  }
  if (!open && !(request && isWebSocketRequest(request))) return undefined;

  const client = request?.client ?? open?.client;
  const url = request?.url ?? open?.url ?? '';
  const status: SocketStatus = close ? 'closed' : open ? 'open' : refusal ? 'refused' : abort ? 'aborted' : 'connecting';
  const wireFrames = frames.map(wireFrame);
  const totals = { in: emptyTotals(), out: emptyTotals() };
  for (const frame of wireFrames) {
    const side = totals[frame.direction];
    side.frames++;
    side.bytes += frame.bytes;
    side.payload += frame.length;
  }
  const openedAt = request?.t ?? open!.t;
  const endedAt = close?.t ?? refusal?.t ?? abort?.t;
  const browserClose = client === undefined ? undefined : findBrowserClose(events, { client, path: pathOf(url), conn, openedAt, endedAt });

  return {
    conn,
    ...(client === undefined ? {} : { client }),
    url,
    path: pathOf(url),
    status,
    ...(request ? { request: socketRequest(request) } : {}),
    ...(open ? { upgrade: socketUpgrade(open) } : {}),
    ...(!open && refusal ? { refusal: socketRefusal(refusal) } : {}),
    ...(!open && !refusal && abort ? { abort: { seq: abort.seq, t: abort.t, durationMs: abort.durationMs } } : {}),
    frames: wireFrames,
    ...(close ? { close: socketClose(close) } : {}),
    ...(browserClose ? { browserClose } : {}),
    totals,
  };
}

function emptyTotals(): DirectionTotals {
  return { frames: 0, bytes: 0, payload: 0 };
}

function socketRequest(event: HttpRequestEvent): SocketRequest {
  const key = headerValue(event.headers, 'sec-websocket-key');
  return {
    seq: event.seq,
    t: event.t,
    method: event.method,
    url: event.url,
    ...pickHeaders(event.headers, REQUEST_HEADERS),
    ...(key === undefined ? {} : { key }),
    bytes: event.bytes,
  };
}

function socketUpgrade(event: Extract<TraceEvent, { kind: 'ws-open' }>): SocketUpgrade {
  const accept = headerValue(event.headers, 'sec-websocket-accept');
  return { seq: event.seq, t: event.t, ...pickHeaders(event.headers, UPGRADE_HEADERS), ...(accept === undefined ? {} : { accept }), bytes: event.bytes };
}

function socketRefusal(event: Extract<TraceEvent, { kind: 'http-response' }>): SocketRefusal {
  return {
    seq: event.seq,
    t: event.t,
    status: event.status,
    statusText: statusText(event.status),
    headers: Object.entries(event.headers).map(([name, value]) => ({ name: headerCase(name), value })),
    ...(event.body === undefined ? {} : { body: event.body }),
    bytes: event.bytes,
    durationMs: event.durationMs,
  };
}

function socketClose(event: WsCloseEvent): SocketClose {
  return { seq: event.seq, t: event.t, code: event.code, reason: event.reason, ...(event.by ? { by: event.by } : {}), durationMs: event.durationMs };
}

function wireFrame(event: WsFrameEvent): SocketFrame {
  let text = event.text;
  let code: number | undefined;
  if (event.opcode === 'close') {
    // The tracer writes a close frame's payload as "<code> <reason>", and 1005 for an empty one.
    const match = /^(\d+)(?: ([\s\S]*))?$/.exec(event.text ?? '');
    code = match ? Number(match[1]) : 1005;
    text = match?.[2] ?? '';
  }
  // A close frame's reason is at most 123 bytes, so only a long text frame can have been cut.
  const truncated = event.opcode === 'text' && text !== undefined && text.length >= TEXT_LIMIT && event.length > utf8Length(text);
  return {
    seq: event.seq,
    t: event.t,
    direction: event.direction,
    opcode: event.opcode,
    control: event.opcode === 'ping' || event.opcode === 'pong' || event.opcode === 'close',
    bytes: event.bytes,
    length: event.length,
    overhead: event.bytes - event.length,
    masked: event.masked,
    fragments: event.fragments,
    ...(text === undefined ? {} : { text }),
    truncated,
    ...(code === undefined ? {} : { code }),
  };
}

interface SocketScope {
  client: string;
  path: string;
  conn: string;
  openedAt: number;
  endedAt?: number;
}

/**
 * The browser's `closed` report for this socket: same client and path, after the upgrade request
 * and before that client asked for the same path again, the nearest in time to the server's end.
 */
function findBrowserClose(events: readonly TraceEvent[], scope: SocketScope): BrowserClose | undefined {
  let until = Infinity;
  let seenOwn = false;
  const candidates: ClientSocketEvent[] = [];
  for (const event of events) {
    if (event.client !== scope.client) continue;
    if (event.kind === 'http-request' && event.lane === 'server') {
      if (event.conn === scope.conn) seenOwn = true;
      else if (seenOwn && event.t < until && isWebSocketRequest(event) && pathOf(event.url) === scope.path) until = event.t;
    } else if (event.kind === 'client-socket' && event.state === 'closed') {
      candidates.push(event);
    }
  }
  const from = scope.openedAt - CLOCK_SKEW_MS;
  const target = scope.endedAt ?? from;
  let best: ClientSocketEvent | undefined;
  for (const event of candidates) {
    if (event.t < from || event.t >= until || pathOf(event.url) !== scope.path) continue;
    if (!best || Math.abs(event.t - target) < Math.abs(best.t - target)) best = event;
  }
  if (!best) return undefined;
  return {
    seq: best.seq,
    t: best.t,
    ...(best.code === undefined ? {} : { code: best.code }),
    ...(best.reason === undefined ? {} : { reason: best.reason }),
    ...(best.wasClean === undefined ? {} : { wasClean: best.wasClean }),
  };
}

function pickHeaders(headers: Record<string, string>, wanted: readonly { name: string; required: boolean }[]): { handshake: WireHeader[]; otherHeaders: string[] } {
  const handshake: WireHeader[] = [];
  for (const { name, required } of wanted) {
    const value = headerValue(headers, name.toLowerCase());
    if (value !== undefined) handshake.push({ name, value });
    else if (required) handshake.push({ name });
  }
  const shown = new Set(wanted.map((h) => h.name.toLowerCase()));
  const otherHeaders = Object.keys(headers)
    .filter((name) => !shown.has(name.toLowerCase()))
    .map(headerCase);
  return { handshake, otherHeaders };
}

/** `sec-websocket-accept` → `Sec-WebSocket-Accept`, `content-type` → `Content-Type`. */
export function headerCase(name: string): string {
  return name
    .toLowerCase()
    .split('-')
    .map((part) => (part === 'websocket' ? 'WebSocket' : part.charAt(0).toUpperCase() + part.slice(1)))
    .join('-');
}

function headerValue(headers: Record<string, string>, name: string): string | undefined {
  if (name in headers) return headers[name];
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

function pathOf(url: string): string {
  const query = url.search(/[?#]/);
  return query === -1 ? url : url.slice(0, query);
}

function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}
