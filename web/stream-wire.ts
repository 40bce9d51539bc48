/**
 * The "wire view" of a Server-Sent Events stream: the chunks the lesson server wrote, cut into
 * lines for display, the events a spec-true parser dispatched from them, and whether the
 * browser's EventSource delivered each one. Pure data, no DOM; `<stream-wire-view>` draws it.
 */
import {
  EVENT_TYPE_LIMIT,
  LAST_EVENT_ID_LIMIT,
  TEXT_LIMIT,
  type ClientMessageEvent,
  type StreamChunkEvent,
  type StreamCloseEvent,
  type TraceEvent,
} from '../lessons/trace-event.ts';
import { createEventStreamParser } from './event-stream-parser.ts';

/** How much a browser time may run ahead of the server clock and still count as after a write, ms. */
export const CLOCK_SKEW_MS = 50;
/** How long after a stream closed the browser may still report one of its events, ms. */
export const DELIVERY_GRACE_MS = 5_000;

// A wire event is compared with what a client-message report could hold, so long data still matches.
const BOM = 0xfeff;

/** One event stream of the trace, for a stream picker. */
export interface WireStreamSummary {
  conn: string;
  /** The browser client that opened it, when the request named one. */
  client?: string;
  /** Path and query of the request, or `''` when the trace has no request for it. */
  url: string;
  /** Server time of its `stream-open`. */
  openedAt: number;
  /** Server time of its `stream-close`, when it has ended. */
  closedAt?: number;
  /** Number of chunks written. */
  chunks: number;
  /** Bytes written in those chunks. */
  bytes: number;
}

/** The request that opened a stream. */
export interface WireRequest {
  method: string;
  url: string;
  /** The `Last-Event-ID` header: the browser resumed after this id. */
  lastEventId?: string;
  headers: Record<string, string>;
}

/** The stream's response head. */
export interface WireResponse {
  status: number;
  headers: Record<string, string>;
}

/** How a line ended on the wire: CRLF, LF, CR, or `''` when this chunk ended first. */
export type WireLineEnd = '\r\n' | '\n' | '\r' | '';

interface WireLineBase {
  /** The part of the line this chunk carried, without its line end. */
  text: string;
  /** How this chunk ended the line; `''` when the line goes on in the next chunk (or never ended). */
  end: WireLineEnd;
  /**
   * The line began in an earlier chunk: this is its rest, or only the LF of a CRLF whose CR ended
   * the previous chunk (then `text` is `''` and the kind is that of the line it ends).
   */
  continued: boolean;
}

/** A line starting with `:`, ignored by the parser (often a heartbeat). */
export interface WireCommentLine extends WireLineBase {
  kind: 'comment';
}

/** An empty line: the end of an event block. */
export interface WireBlankLine extends WireLineBase {
  kind: 'blank';
  /** It dispatched an event (the block had data); a blank line after no `data:` only resets. */
  dispatches: boolean;
}

/**
 * A `name: value` line (or a bare name). `name` and `value` are those of the whole line, wherever
 * it was cut; while the line has not ended yet, they are what is known so far (the name once its
 * colon has come, else `''`).
 */
export interface WireFieldLine extends WireLineBase {
  kind: 'field';
  /** The text before the line's first colon, or the whole line when it has none. */
  name: string;
  /** The text after the first colon, without the one leading space the parser drops. */
  value: string;
  /** `text` cut for colouring: the part of it in the name… */
  nameText: string;
  /** …whether the separating colon is in it… */
  colon: boolean;
  /** …and the part of it in the value (a leading space kept). */
  valueText: string;
}

/** One line (or the part of one that a chunk carried), classified for colouring only. */
export type WireLine = WireCommentLine | WireBlankLine | WireFieldLine;

/** An event the parser dispatched, as an EventSource would deliver it, and whether the browser did. */
export interface WireEvent {
  type: string;
  data: string;
  lastEventId: string;
  /** Time of the browser's matching `client-message`. */
  receivedAt?: number;
  /** Seq of that `client-message`. */
  receivedSeq?: number;
  /** Position among the stream's dispatched events, from 0. */
  index: number;
}

/** One write to the socket (`stream-chunk`), as it went over the wire. */
export interface WireBlock {
  seq: number;
  t: number;
  bytes: number;
  text: string;
  /** The server kept only the start of a longer chunk, so the parse from here on may be off. */
  truncated: boolean;
  lines: WireLine[];
  /** Events dispatched while this chunk was parsed (an event split over chunks belongs to the last). */
  events: WireEvent[];
  /** A reconnection time this chunk set (`retry:`), ms. */
  retry?: number;
}

/** How the stream ended. */
export interface WireClose {
  t: number;
  by: StreamCloseEvent['by'];
  reason?: string;
}

/** Everything the wire view draws for one stream. */
export interface StreamWire {
  conn: string;
  client?: string;
  /** Path and query of the stream, or `''` when unknown. */
  url: string;
  openedAt: number;
  request?: WireRequest;
  response: WireResponse;
  blocks: WireBlock[];
  close?: WireClose;
  /** Dispatched events the browser did not report; 0 when the stream has no client to ask. */
  undelivered: number;
}

/** Lists every conn that opened an event stream, in the order they opened. */
export function listStreams(events: readonly TraceEvent[]): WireStreamSummary[] {
  const requests = new Map<string, { url: string; client?: string }>();
  const streams = new Map<string, WireStreamSummary>();
  for (const event of events) {
    switch (event.kind) {
      case 'http-request':
        if (!requests.has(event.conn)) requests.set(event.conn, { url: event.url, client: event.client });
        break;
      case 'stream-open':
        if (!streams.has(event.conn)) {
          const request = requests.get(event.conn);
          const client = event.client ?? request?.client;
          streams.set(event.conn, {
            conn: event.conn,
            ...(client === undefined ? {} : { client }),
            url: request?.url ?? '',
            openedAt: event.t,
            chunks: 0,
            bytes: 0,
          });
        }
        break;
      case 'stream-chunk': {
        const stream = streams.get(event.conn);
        if (stream) {
          stream.chunks++;
          stream.bytes += event.bytes;
        }
        break;
      }
      case 'stream-close': {
        const stream = streams.get(event.conn);
        if (stream && stream.closedAt === undefined) stream.closedAt = event.t;
        break;
      }
    }
  }
  return [...streams.values()];
}

/** Builds the wire view of one stream, or `undefined` when `conn` never opened one. Linear in the trace. */
export function buildStreamWire(events: readonly TraceEvent[], conn: string): StreamWire | undefined {
  let request: Extract<TraceEvent, { kind: 'http-request' }> | undefined;
  let open: Extract<TraceEvent, { kind: 'stream-open' }> | undefined;
  let close: StreamCloseEvent | undefined;
  const chunks: StreamChunkEvent[] = [];
  for (const event of events) {
    if (event.conn !== conn) continue;
    if (event.kind === 'http-request') request ??= event;
    else if (event.kind === 'stream-open') open ??= event;
    else if (event.kind === 'stream-chunk') chunks.push(event);
    else if (event.kind === 'stream-close') close ??= event;
  }
  if (!open) return undefined;

  const client = open.client ?? request?.client;
  const url = request?.url ?? '';
  const blocks = buildBlocks(chunks);
  let undelivered = 0;
  if (client !== undefined && request) {
    undelivered = matchDeliveries(blocks, selectMessages(events, { conn, client, url, openedAt: open.t, closedAt: close?.t }));
  }

  return {
    conn,
    ...(client === undefined ? {} : { client }),
    url,
    openedAt: open.t,
    ...(request ? { request: wireRequest(request) } : {}),
    response: { status: open.status, headers: open.headers },
    blocks,
    ...(close ? { close: { t: close.t, by: close.by, ...(close.reason === undefined ? {} : { reason: close.reason }) } } : {}),
    undelivered,
  };
}

/** How a line end is shown: `\r\n`, `\n`, `\r` as escapes (control pictures are missing from common fonts), or nothing. */
export const LINE_END_GLYPHS: Readonly<Record<WireLineEnd, string>> = { '\r\n': '\\r\\n', '\n': '\\n', '\r': '\\r', '': '' };

/**
 * Makes the invisible characters of wire text visible: C0 controls and DEL as their control
 * pictures (`␀`, `␉`, `␛` …) and a byte order mark as `⟨BOM⟩`. Line ends are not in line text;
 * show them with {@link LINE_END_GLYPHS}.
 */
export function escapeWireText(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f\ufeff]/g, (c) => {
    const code = c.charCodeAt(0);
    if (code === BOM) return '⟨BOM⟩';
    if (code === 0x7f) return '␡';
    return String.fromCharCode(0x2400 + code);
  });
}

function wireRequest(request: Extract<TraceEvent, { kind: 'http-request' }>): WireRequest {
  const lastEventId = headerValue(request.headers, 'last-event-id');
  return {
    method: request.method,
    url: request.url,
    ...(lastEventId === undefined ? {} : { lastEventId }),
    headers: request.headers,
  };
}

function headerValue(headers: Record<string, string>, name: string): string | undefined {
  if (name in headers) return headers[name];
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

/** Where a piece of a line sits: a block's line list and its index there. */
interface Slot {
  lines: WireLine[];
  index: number;
}

/** A line under way across chunks, tracked so that each of its pieces is classified in O(its length). */
interface OpenLine {
  parts: string[];
  slots: Slot[];
  /** Characters so far, counting a leading BOM. */
  length: number;
  /** 1 when the line is the stream's first and starts with a BOM, which the parser drops. */
  bom: 0 | 1;
  /** Where each part starts in the line. */
  offsets: number[];
  /** Index of the first colon so far (counting the BOM), or -1. */
  colonAt: number;
  /** The field name, once the colon has come. */
  name?: string;
}

const newLine = (): OpenLine => ({ parts: [], slots: [], length: 0, bom: 0, offsets: [], colonAt: -1 });

/**
 * Cuts the chunks into lines and feeds them, in order, to one parser. A line that spans chunks is
 * shown piece by piece, each classified by what came before it; when the line ends, the pieces
 * learn its whole name and value. Each chunk's text is scanned once: linear in the stream's length.
 */
function buildBlocks(chunks: readonly StreamChunkEvent[]): WireBlock[] {
  const blocks: WireBlock[] = [];
  let current: WireBlock | undefined;
  let index = 0;
  const parser = createEventStreamParser({
    onEvent: (e) => current?.events.push({ type: e.type, data: e.data, lastEventId: e.lastEventId, index: index++ }),
    onRetry: (ms) => {
      if (current) current.retry = ms;
    },
  });

  let open = newLine();
  let last: WireLine | undefined; // the last line that ended, for the LF of a CRLF cut in two
  let firstLine = true;
  let skipLeadingLf = false;
  let hasData = false; // the block under way has a data field, so a blank line dispatches

  const addPart = (text: string) => {
    if (open.parts.length === 0 && firstLine && text.charCodeAt(0) === BOM) open.bom = 1;
    if (open.colonAt === -1) {
      const colon = text.indexOf(':');
      if (colon !== -1) {
        open.colonAt = open.length + colon;
        open.name = (joinLine(open) + text.slice(0, colon)).slice(open.bom);
      }
    }
    open.parts.push(text);
    open.offsets.push(open.length);
    open.length += text.length;
  };

  for (const chunk of chunks) {
    const text = chunk.text;
    const lines: WireLine[] = [];
    current = {
      seq: chunk.seq,
      t: chunk.t,
      bytes: chunk.bytes,
      text,
      truncated: text.length >= TEXT_LIMIT && chunk.bytes > utf8Length(text),
      lines,
      events: [],
    };
    blocks.push(current);

    let start = 0;
    if (skipLeadingLf && text.length > 0) {
      skipLeadingLf = false;
      if (text.charCodeAt(0) === 0x0a && last) {
        lines.push(lineEndOnly(last));
        start = 1;
      }
    }
    for (let i = start; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code !== 0x0a && code !== 0x0d) continue;
      let end: WireLineEnd = code === 0x0a ? '\n' : '\r';
      if (code === 0x0d) {
        if (i + 1 === text.length) skipLeadingLf = true;
        else if (text.charCodeAt(i + 1) === 0x0a) end = '\r\n';
      }
      addPart(text.slice(start, i));
      const line = finishLine(open, lines, end, hasData);
      if (line.kind === 'blank') hasData = false;
      else if (line.kind === 'field' && line.name === 'data') hasData = true;
      last = line;
      firstLine = false;
      open = newLine();
      if (end === '\r\n') i++;
      start = i + 1;
    }
    // The line goes on in the next chunk: show its start now, classified as far as it goes.
    if (start < text.length) {
      addPart(text.slice(start));
      open.slots.push({ lines, index: lines.length });
      lines.push(pieceOf(open, open.parts.length - 1, ''));
    }

    parser.feed(text);
  }
  current = undefined;
  return blocks;
}

/** Ends the open line in this chunk: adds its last piece and gives the earlier pieces its whole name and value. */
function finishLine(open: OpenLine, lines: WireLine[], end: WireLineEnd, hasData: boolean): WireLine {
  const piece = pieceOf(open, open.parts.length - 1, end, hasData);
  lines.push(piece);
  for (let p = 0; p < open.slots.length; p++) {
    const slot = open.slots[p]!;
    const earlier = slot.lines[slot.index]!;
    if (earlier.kind === 'field' && piece.kind === 'field') {
      earlier.name = piece.name;
      earlier.value = piece.value;
    } else if (earlier.kind !== piece.kind) {
      // Only a line that was a lone BOM so far can change kind.
      slot.lines[slot.index] = pieceOf(open, p, '', hasData);
    }
  }
  return piece;
}

/** The piece `p` of the open line, classified by the line so far; `end` is how it ends in its chunk. */
function pieceOf(open: OpenLine, p: number, end: WireLineEnd, hasData = false): WireLine {
  const text = open.parts[p]!;
  const continued = p > 0;
  const first = open.parts[0]!;
  const lead = open.bom ? (first.length > 1 ? first.charCodeAt(1) : (open.parts[1]?.charCodeAt(0) ?? -1)) : first.charCodeAt(0);
  if (open.length === open.bom) {
    // Nothing but a BOM so far: blank if it ends here; a partial one is shown as a field until it ends.
    if (end !== '') return { kind: 'blank', text, end, continued, dispatches: !continued && hasData };
  } else if (lead === 0x3a) {
    return { kind: 'comment', text, end, continued };
  }
  // The whole line is known once it ended: when this is its last piece or an earlier one being redone.
  const whole = end === '' && p === open.parts.length - 1 ? undefined : joinLine(open);
  const colonAt = open.colonAt;
  const offset = open.offsets[p]!;
  const cut = colonAt === -1 ? text.length : Math.max(0, Math.min(text.length, colonAt - offset));
  const colon = colonAt >= offset && colonAt < offset + text.length;
  // A line still under way has its name once the colon came, and its value only when it ends.
  let name = open.name ?? '';
  let value = '';
  if (whole !== undefined) {
    if (colonAt === -1) name = whole.slice(open.bom);
    else {
      value = whole.slice(colonAt + 1);
      if (value.charCodeAt(0) === 0x20) value = value.slice(1);
    }
  }
  return { kind: 'field', text, end, continued, name, value, nameText: text.slice(0, cut), colon, valueText: text.slice(colon ? cut + 1 : cut) };
}

function joinLine(open: OpenLine): string {
  return open.parts.length === 1 ? open.parts[0]! : open.parts.join('');
}

/** The LF of a CRLF whose CR ended the previous chunk: no text, the kind of the line it ends. */
function lineEndOnly(line: WireLine): WireLine {
  switch (line.kind) {
    case 'field':
      return { ...line, text: '', end: '\n', continued: true, nameText: '', colon: false, valueText: '' };
    case 'blank':
      return { kind: 'blank', text: '', end: '\n', continued: true, dispatches: false };
    case 'comment':
      return { kind: 'comment', text: '', end: '\n', continued: true };
  }
}

function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

interface StreamScope {
  conn: string;
  client: string;
  url: string;
  openedAt: number;
  closedAt?: number;
}

/**
 * The browser's reports that may belong to this stream: same client and URL, from its opening to
 * a grace period after its close, and before the same client opened the same URL again (by then
 * the EventSource has left this connection), ordered by time.
 */
function selectMessages(events: readonly TraceEvent[], scope: StreamScope): ClientMessageEvent[] {
  const paths = new Map<string, string>();
  const pathOf = (url: string) => {
    let path = paths.get(url);
    if (path === undefined) {
      path = pathAndQuery(url);
      paths.set(url, path);
    }
    return path;
  };
  const path = pathOf(scope.url);
  const requestUrls = new Map<string, string>();
  let until = scope.closedAt === undefined ? Infinity : scope.closedAt + DELIVERY_GRACE_MS;
  const messages: ClientMessageEvent[] = [];
  let seenOwnOpen = false;
  for (const event of events) {
    if (event.client !== scope.client) continue;
    if (event.kind === 'http-request') {
      if (!requestUrls.has(event.conn)) requestUrls.set(event.conn, event.url);
    } else if (event.kind === 'stream-open') {
      if (event.conn === scope.conn) seenOwnOpen = true;
      else if (seenOwnOpen && event.t < until) {
        const url = requestUrls.get(event.conn);
        if (url !== undefined && pathOf(url) === path) until = event.t;
      }
    } else if (event.kind === 'client-message') {
      messages.push(event);
    }
  }
  const from = scope.openedAt - CLOCK_SKEW_MS;
  return messages.filter((m) => m.t >= from && m.t <= until && pathOf(m.url) === path).sort((a, b) => a.t - b.t || a.seq - b.seq);
}

/** Pairs each dispatched event with the first unused report of it at or after its write; returns the unmatched count. */
function matchDeliveries(blocks: readonly WireBlock[], messages: readonly ClientMessageEvent[]): number {
  const queues = new Map<string, ClientMessageEvent[]>();
  for (const message of messages) {
    const key = deliveryKey(message.type, message.lastEventId, message.data);
    const queue = queues.get(key);
    if (queue) queue.push(message);
    else queues.set(key, [message]);
  }
  const heads = new Map<string, number>();
  let unmatched = 0;
  for (const block of blocks) {
    const earliest = block.t - CLOCK_SKEW_MS;
    for (const event of block.events) {
      const key = deliveryKey(event.type, event.lastEventId, event.data);
      const queue = queues.get(key);
      let head = heads.get(key) ?? 0;
      // Chunk times only grow, so a report too early for this event is too early for the rest.
      while (queue && head < queue.length && queue[head]!.t < earliest) head++;
      const match = queue?.[head];
      if (match) {
        event.receivedAt = match.t;
        event.receivedSeq = match.seq;
        heads.set(key, head + 1);
      } else {
        unmatched++;
        if (queue) heads.set(key, head);
      }
    }
  }
  return unmatched;
}

function deliveryKey(type: string, lastEventId: string, data: string): string {
  const t = type.slice(0, EVENT_TYPE_LIMIT);
  const id = lastEventId.slice(0, LAST_EVENT_ID_LIMIT);
  // Length prefixes keep the key unambiguous whatever characters the fields hold.
  return `${t.length}:${t}${id.length}:${id}${data.slice(0, TEXT_LIMIT)}`;
}

function pathAndQuery(url: string): string {
  try {
    const parsed = new URL(url, 'http://localhost');
    return parsed.pathname + parsed.search;
  } catch {
    return url;
  }
}
