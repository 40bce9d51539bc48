import { STATUS_CODES } from 'node:http';
import type {
  HttpAbortEvent,
  HttpHeldEvent,
  HttpRequestEvent,
  HttpResponseEvent,
  StreamChunkEvent,
  StreamCloseEvent,
  StreamOpenEvent,
  TraceEvent,
  WsCloseEvent,
  WsFrameEvent,
  WsOpenEvent,
} from '../lessons/trace-event.ts';
import pkg from '../package.json' with { type: 'json' };

/** The longest `content.text` of an event stream: its chunks, concatenated, are cut to this many characters. */
export const HAR_STREAM_TEXT_LIMIT = 64 * 1024;

export interface HarOptions {
  /** Lesson slug, named in the log's comment. */
  lesson: string;
  /** Scheme and host the lesson URLs are made absolute with, e.g. `http://127.0.0.1:5173`. */
  origin: string;
  /** Where an exchange still open ends (a stream, a socket, a held poll); @default the trace's last event */
  now?: number;
}

export interface HarNameValue {
  name: string;
  value: string;
}

/** One entry of a HAR 1.2 log, with the custom fields Chrome DevTools reads and writes. */
export interface HarEntry {
  startedDateTime: string;
  time: number;
  request: {
    method: string;
    url: string;
    httpVersion: string;
    cookies: [];
    headers: HarNameValue[];
    queryString: HarNameValue[];
    headersSize: number;
    bodySize: number;
  };
  response: {
    status: number;
    statusText: string;
    httpVersion: string;
    cookies: [];
    headers: HarNameValue[];
    content: { size: number; mimeType: string; text?: string; comment?: string };
    redirectURL: string;
    headersSize: number;
    bodySize: number;
    /** Why there is no response (Chrome's field). */
    _error?: string;
  };
  cache: Record<string, never>;
  timings: { blocked: -1; dns: -1; connect: -1; send: number; wait: number; receive: number };
  comment?: string;
  _resourceType?: 'fetch' | 'eventsource' | 'websocket';
  _webSocketMessages?: HarWebSocketMessage[];
  /** The trace's conn id, to find the entry's events on the timeline. */
  _conn: string;
  /** The browser client that made the request, when known. */
  _client?: string;
}

/** A WebSocket frame as Chrome DevTools exports and imports it: `send` is from the browser. */
export interface HarWebSocketMessage {
  type: 'send' | 'receive';
  /** Seconds since the epoch. */
  time: number;
  opcode: number;
  data: string;
}

export interface Har {
  log: {
    version: '1.2';
    creator: { name: string; version: string };
    comment: string;
    entries: HarEntry[];
  };
}

/** The server-side events of one HTTP exchange (or WebSocket connection), by kind. */
interface Exchange {
  request: HttpRequestEvent;
  held?: HttpHeldEvent;
  response?: HttpResponseEvent;
  abort?: HttpAbortEvent;
  open?: StreamOpenEvent;
  chunks: StreamChunkEvent[];
  close?: StreamCloseEvent;
  wsOpen?: WsOpenEvent;
  frames: WsFrameEvent[];
  wsClose?: WsCloseEvent;
  /** Time of the exchange's last event. */
  last: number;
}

const WS_OPCODES: Record<WsFrameEvent['opcode'], number> = { text: 1, binary: 2, close: 8, ping: 9, pong: 10 };

/**
 * A lesson's recorded trace as a HAR 1.2 log: one entry per HTTP exchange the lesson server saw
 * (the server side is the source of truth; the browser's own events are not needed), event
 * streams spanning open to close, and WebSocket connections with their frames as Chrome's
 * `_webSocketMessages`. Exchanges whose request fell out of the trace are left out.
 */
export function traceToHar(events: readonly TraceEvent[], { lesson, origin, now }: HarOptions): Har {
  const end = now ?? events.reduce((latest, e) => Math.max(latest, e.t), 0);
  const entries = exchangesOf(events)
    .sort((a, b) => a.request.t - b.request.t || a.request.seq - b.request.seq)
    .map((exchange) => entryOf(exchange, origin, end));
  return {
    log: {
      version: '1.2',
      creator: { name: pkg.name, version: pkg.version },
      comment: `The recorded trace of the ${lesson} lesson, as the lesson server saw it`,
      entries,
    },
  };
}

/** Groups server events by conn; a new request on a conn id already seen (ids restart with a reloaded lesson) starts a new exchange. */
function exchangesOf(events: readonly TraceEvent[]): Exchange[] {
  const all: Exchange[] = [];
  const current = new Map<string, Exchange>();
  for (const event of events) {
    if (event.kind === 'http-request') {
      const exchange: Exchange = { request: event, chunks: [], frames: [], last: event.t };
      current.set(event.conn, exchange);
      all.push(exchange);
      continue;
    }
    if (event.lane !== 'server' || event.conn === undefined) continue;
    const exchange = current.get(event.conn);
    if (!exchange) continue;
    exchange.last = Math.max(exchange.last, event.t);
    switch (event.kind) {
      case 'http-held':
        exchange.held = event;
        break;
      case 'http-response':
        exchange.response = event;
        break;
      case 'http-abort':
        exchange.abort = event;
        break;
      case 'stream-open':
        exchange.open = event;
        break;
      case 'stream-chunk':
        exchange.chunks.push(event);
        break;
      case 'stream-close':
        exchange.close = event;
        break;
      case 'ws-open':
        exchange.wsOpen = event;
        break;
      case 'ws-frame':
        exchange.frames.push(event);
        break;
      case 'ws-close':
        exchange.wsClose = event;
        break;
    }
  }
  return all;
}

function entryOf(exchange: Exchange, origin: string, now: number): HarEntry {
  const { request } = exchange;
  const isSocket = request.headers.upgrade?.toLowerCase() === 'websocket';
  const url = new URL(`${origin}${request.url.startsWith('/') ? '' : '/'}${request.url}`);
  if (isSocket) url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const requestBody = contentLength(request.headers) ?? 0;
  const answer = answerOf(exchange, now);
  const wait = Math.max(0, answer.firstByte - request.t);
  const receive = Math.max(0, answer.end - Math.max(answer.firstByte, request.t));
  const entry: HarEntry = {
    startedDateTime: new Date(request.t).toISOString(),
    time: wait + receive,
    request: {
      method: request.method,
      url: url.href,
      httpVersion: 'HTTP/1.1',
      cookies: [],
      headers: headerList(request.headers),
      queryString: [...url.searchParams].map(([name, value]) => ({ name, value })),
      headersSize: request.bytes - requestBody,
      bodySize: requestBody,
    },
    response: answer.response,
    cache: {},
    timings: { blocked: -1, dns: -1, connect: -1, send: 0, wait, receive },
    ...(answer.comment ? { comment: answer.comment } : {}),
    ...resourceTypeOf(exchange, isSocket),
    _conn: request.conn,
    ...(request.client ? { _client: request.client } : {}),
  };
  if (exchange.wsOpen) entry._webSocketMessages = exchange.frames.map(messageOf);
  return entry;
}

/** The response part of an entry, when its first byte came and when it ended. */
function answerOf(exchange: Exchange, now: number): { response: HarEntry['response']; firstByte: number; end: number; comment?: string } {
  const { open, wsOpen, response, abort } = exchange;
  if (open) {
    const text = exchange.chunks.map((c) => c.text).join('');
    const size = exchange.chunks.reduce((sum, c) => sum + c.bytes, 0);
    const cut = text.length > HAR_STREAM_TEXT_LIMIT || exchange.chunks.some((c) => Buffer.byteLength(c.text) < c.bytes);
    const { close } = exchange;
    return {
      response: {
        ...responseHead(open.status, open.headers),
        content: {
          size,
          mimeType: open.headers['content-type'] ?? 'text/event-stream',
          text: text.slice(0, HAR_STREAM_TEXT_LIMIT),
          ...(cut ? { comment: 'Cut short: the stream as the trace kept it' } : {}),
        },
        headersSize: -1,
        bodySize: size,
      },
      firstByte: open.t,
      end: close?.t ?? Math.max(now, exchange.last),
      comment: close ? `Stream closed by the ${close.by}${close.reason ? `: ${close.reason}` : ''}` : 'Stream still open when the trace was exported',
    };
  }
  if (wsOpen) {
    const { wsClose } = exchange;
    return {
      response: { ...responseHead(101, wsOpen.headers), content: { size: 0, mimeType: 'x-unknown' }, headersSize: wsOpen.bytes, bodySize: 0 },
      firstByte: wsOpen.t,
      end: wsClose?.t ?? Math.max(now, exchange.last),
      comment: wsClose
        ? `WebSocket closed ${wsClose.by ? `by the ${wsClose.by} ` : ''}with ${wsClose.code}${wsClose.reason ? `: ${wsClose.reason}` : ''}`
        : 'WebSocket still open when the trace was exported',
    };
  }
  if (response) {
    const length = contentLength(response.headers);
    const bodySize = length ?? (response.status < 200 || response.status === 204 || response.status === 304 ? 0 : -1);
    const body = response.body ?? '';
    const size = length ?? Buffer.byteLength(body);
    return {
      response: {
        ...responseHead(response.status, response.headers),
        content: {
          size,
          mimeType: response.headers['content-type'] ?? 'x-unknown',
          ...(response.body ? { text: body } : {}),
          ...(response.body && Buffer.byteLength(body) < size ? { comment: 'Cut short: the start of the body as the trace kept it' } : {}),
        },
        headersSize: length === undefined ? -1 : response.bytes - length,
        bodySize,
      },
      firstByte: response.t,
      end: response.t,
      ...(exchange.held ? { comment: `Held by the server for ${response.t - exchange.held.t} ms` } : {}),
    };
  }
  const end = abort?.t ?? Math.max(now, exchange.last);
  return {
    response: {
      status: 0,
      statusText: '',
      httpVersion: '',
      cookies: [],
      headers: [],
      content: { size: 0, mimeType: 'x-unknown' },
      redirectURL: '',
      headersSize: -1,
      bodySize: -1,
      _error: abort ? 'Aborted: the client went away before the answer' : 'No answer yet when the trace was exported',
    },
    firstByte: end,
    end,
    ...(exchange.held ? { comment: `Held by the server for ${end - exchange.held.t} ms` } : {}),
  };
}

function responseHead(status: number, headers: Record<string, string>) {
  return { status, statusText: STATUS_CODES[status] ?? '', httpVersion: 'HTTP/1.1', cookies: [] as [], headers: headerList(headers), redirectURL: headers.location ?? '' };
}

function resourceTypeOf({ open, request }: Exchange, isSocket: boolean): Pick<HarEntry, '_resourceType'> {
  if (isSocket) return { _resourceType: 'websocket' };
  if (open || request.headers.accept?.includes('text/event-stream')) return { _resourceType: 'eventsource' };
  // The page's context.fetch names its client; Fetch (a browser's, or Node's) sends Sec-Fetch-Mode.
  const mode = request.headers['sec-fetch-mode'];
  if (request.client || (mode && mode !== 'navigate')) return { _resourceType: 'fetch' };
  return {};
}

function messageOf(frame: WsFrameEvent): HarWebSocketMessage {
  return {
    type: frame.direction === 'in' ? 'send' : 'receive',
    time: frame.t / 1000,
    opcode: WS_OPCODES[frame.opcode],
    data: frame.opcode === 'text' || frame.opcode === 'close' ? (frame.text ?? '') : '',
  };
}

function headerList(headers: Record<string, string>): HarNameValue[] {
  return Object.entries(headers).map(([name, value]) => ({ name, value }));
}

function contentLength(headers: Record<string, string>): number | undefined {
  const value = headers['content-length'];
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}
