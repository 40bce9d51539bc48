/**
 * The trace-event schema: the one definition of "what happened on the wire", shared by the
 * workbench server, the lesson runner and the page. Every hop emits these; the timeline,
 * the table view and `GET /api/trace` all read them.
 */

/** Lesson files that can be pointed at from an event. */
export const LESSON_FILES = ['server.ts', 'client.ts'] as const;
export type LessonFile = (typeof LESSON_FILES)[number];

/** Where in the lesson's code an event came from (1-based line of the file as shown). */
export interface SourceLocation {
  file: LessonFile;
  line: number;
}

/** A timeline lane: the feed, the lesson server, the runner that hosts it, or one browser client. */
export type Lane = 'feed' | 'server' | `client:${string}`;

/** The lane of a browser client, by its client id. */
export function clientLane(clientId: string): Lane {
  return `client:${clientId}`;
}

interface TraceBase {
  /** Sequence number within the lesson's trace, assigned by the trace hub; increases by one. */
  seq: number;
  /** Lesson slug. */
  lesson: string;
  /** When it happened, in server epoch ms (browser times are corrected by the measured clock offset). */
  t: number;
  /** Which lane draws it. */
  lane: Lane;
  /** The HTTP request, stream or socket this event belongs to (same id on server and client sides). */
  conn?: string;
  /** The browser client the event concerns, when known (server events learn it from the request). */
  client?: string;
  /** The line of lesson code that produced the event, when there is one. */
  source?: SourceLocation;
}

/** The workbench-owned data changed. */
export interface FeedChangeEvent extends TraceBase {
  kind: 'feed-change';
  version: number;
  changedAt: number;
  value: unknown;
  /** What made the change: the running scenario, a person (button or POST), or a rule of the lesson. */
  cause: 'scenario' | 'manual' | 'race';
}

/** An HTTP request reached the lesson server. */
export interface HttpRequestEvent extends TraceBase {
  kind: 'http-request';
  conn: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  /** Request bytes as they arrived at the lesson server: request line, headers and body. */
  bytes: number;
}

/** The lesson server is holding a request open without answering yet (long polling, slow handlers). */
export interface HttpHeldEvent extends TraceBase {
  kind: 'http-held';
  conn: string;
}

/** The lesson server finished its answer. */
export interface HttpResponseEvent extends TraceBase {
  kind: 'http-response';
  conn: string;
  status: number;
  headers: Record<string, string>;
  /** Response bytes written to the socket: status line, headers and body. */
  bytes: number;
  /** Time from request to the end of the response, ms. */
  durationMs: number;
  /** The feed version the body carried, when it is JSON with a numeric `version`. */
  version?: number;
  /** A short preview of the body. */
  body?: string;
}

/** The client went away before the answer was finished. */
export interface HttpAbortEvent extends TraceBase {
  kind: 'http-abort';
  conn: string;
  durationMs: number;
}

/** A streamed response (text/event-stream) started. */
export interface StreamOpenEvent extends TraceBase {
  kind: 'stream-open';
  conn: string;
  status: number;
  headers: Record<string, string>;
}

/** A chunk was written to an open stream. */
export interface StreamChunkEvent extends TraceBase {
  kind: 'stream-chunk';
  conn: string;
  bytes: number;
  /** The chunk as text (truncated for very large chunks). */
  text: string;
  version?: number;
}

/** A stream ended, by the server or the client. */
export interface StreamCloseEvent extends TraceBase {
  kind: 'stream-close';
  conn: string;
  by: 'server' | 'client';
  durationMs: number;
  /** Why the server ended it, when it was not the lesson code's own `res.end()` (a slow consumer dropped, the stream ended from the page). */
  reason?: string;
}

/**
 * A WebSocket connection opened: the server answered the upgrade with `101 Switching Protocols`.
 * The upgrade request itself is the `http-request` on the same conn; an upgrade the server refused
 * ends with an `http-response` instead (a 403 for a foreign Origin).
 */
export interface WsOpenEvent extends TraceBase {
  kind: 'ws-open';
  conn: string;
  url: string;
  /** The 101 response's headers (`Upgrade`, `Connection`, `Sec-WebSocket-Accept`, …). */
  headers: Record<string, string>;
  /** Bytes of the 101 response: status line and headers. */
  bytes: number;
}

/** One WebSocket frame, in or out of the lesson server. */
export interface WsFrameEvent extends TraceBase {
  kind: 'ws-frame';
  conn: string;
  direction: 'in' | 'out';
  opcode: 'text' | 'binary' | 'ping' | 'pong' | 'close';
  /** The whole frame on the wire: header, mask key and payload (of all its fragments). */
  bytes: number;
  /** The payload's length (the message's, for a fragmented one). */
  length: number;
  /** Whether the payload was masked: every frame from a client is, no frame from a server is. */
  masked: boolean;
  /** How many frames carried it: more than 1 for a fragmented message. */
  fragments: number;
  /** The text of a text frame, or the code and reason of a close frame (truncated). */
  text?: string;
  version?: number;
}

/** A WebSocket connection closed. */
export interface WsCloseEvent extends TraceBase {
  kind: 'ws-close';
  conn: string;
  /** The code of the first close frame, or 1006 when the connection ended without one. */
  code: number;
  /** The close frame's reason; why the server cut it (a slow consumer dropped); or what happened instead of a close frame. */
  reason: string;
  /** Who sent the first close frame; absent when the TCP connection ended without one (terminated, or lost). */
  by?: 'server' | 'client';
  durationMs: number;
}

/** The lesson server code was (re)loaded into a fresh runner. */
export interface ReloadEvent extends TraceBase {
  kind: 'reload';
  /** Generation number: 1 for the first load, then one more per reload. */
  generation: number;
  file: LessonFile;
  /** What loaded it: the first use, a save on disk, a restart after a crash, an edit from the page, or a reset of that edit. */
  reason: 'start' | 'file-changed' | 'restart' | 'edited' | 'reset';
}

/** Something failed: a compile error, a throw in lesson code, a lost runner, a client error, a step's action in a presentation. */
export interface ErrorEvent extends TraceBase {
  kind: 'error';
  message: string;
  phase: 'compile' | 'load' | 'runtime' | 'runner' | 'client' | 'proxy' | 'presentation';
}

/**
 * "Check my code": a lesson's check started on a client's lane, passed, or failed (with the
 * version that never reached the client).
 */
export interface CheckEvent extends TraceBase {
  kind: 'check';
  client: string;
  phase: 'start' | 'pass' | 'fail';
  /** What the check expects ("Every version reaches the naive client"), or why it passed or failed. */
  message: string;
  /** The version that did not arrive (a failed check of feed delivery). */
  version?: number;
}

/** The browser sent a request (client side of `http-request`). */
export interface ClientRequestEvent extends TraceBase {
  kind: 'client-request';
  conn: string;
  client: string;
  method: string;
  url: string;
}

/** The browser received a full response (client side of `http-response`). */
export interface ClientResponseEvent extends TraceBase {
  kind: 'client-response';
  conn: string;
  client: string;
  status: number;
  version?: number;
}

/** The page showed a value to the user. */
export interface ClientShowEvent extends TraceBase {
  kind: 'client-show';
  client: string;
  version: number;
  changedAt: number;
  /** How old the value was when it was shown: show time minus `changedAt`, ms. */
  staleMs: number;
  /**
   * The first value this run of the client showed (since the page or an edit started it): the data
   * as it was when the client came, not a change delivered to it, so no measure of delivery latency.
   */
  first?: true;
}

/** The page cancelled a request before its answer came (the client was stopped or restarted). */
export interface ClientAbortEvent extends TraceBase {
  kind: 'client-abort';
  conn: string;
  client: string;
}

/** The browser's EventSource delivered an event (the client side of `stream-chunk`). */
export interface ClientMessageEvent extends TraceBase {
  kind: 'client-message';
  client: string;
  /** Path and query of the stream's URL. */
  url: string;
  /** The event's type: its `event:` field, or `message`. */
  type: string;
  /** The EventSource's last event ID when the event fired (what a reconnect sends as `Last-Event-ID`). */
  lastEventId: string;
  /** The event's data (truncated for very large events). */
  data: string;
  version?: number;
}

/** The browser's EventSource changed state: open, reconnecting (after an error or the end of the stream), or closed for good. */
export interface ClientStreamEvent extends TraceBase {
  kind: 'client-stream';
  client: string;
  /** Path and query of the stream's URL. */
  url: string;
  state: 'open' | 'connecting' | 'closed';
}

/**
 * The browser's WebSocket changed state: created (connecting), open, or closed with the code and
 * reason its `close` event carried (1006 and `wasClean: false` when the connection was lost).
 */
export interface ClientSocketEvent extends TraceBase {
  kind: 'client-socket';
  client: string;
  /** Path and query of the socket's URL. */
  url: string;
  state: 'connecting' | 'open' | 'closed';
  code?: number;
  reason?: string;
  wasClean?: boolean;
}

/** The browser client failed (network error, parse error, thrown in client.ts). */
export interface ClientErrorEvent extends TraceBase {
  kind: 'client-error';
  client: string;
  message: string;
}

export type TraceEvent =
  | FeedChangeEvent
  | HttpRequestEvent
  | HttpHeldEvent
  | HttpResponseEvent
  | HttpAbortEvent
  | StreamOpenEvent
  | StreamChunkEvent
  | StreamCloseEvent
  | WsOpenEvent
  | WsFrameEvent
  | WsCloseEvent
  | ReloadEvent
  | ErrorEvent
  | CheckEvent
  | ClientRequestEvent
  | ClientResponseEvent
  | ClientShowEvent
  | ClientAbortEvent
  | ClientMessageEvent
  | ClientStreamEvent
  | ClientSocketEvent
  | ClientErrorEvent;

export type TraceKind = TraceEvent['kind'];

/** A trace event before the hub stamps it with `seq` and `lesson`. */
export type TraceInput = TraceEvent extends infer E ? (E extends TraceEvent ? Omit<E, 'seq' | 'lesson'> : never) : never;

/** Longest text an event keeps (bodies, chunks, event data, messages); longer text is cut to this many characters. */
export const TEXT_LIMIT = 2_000;
/** Longest event type a page may report for an EventSource event. */
export const EVENT_TYPE_LIMIT = 64;
/** Longest last event ID a page may report. */
export const LAST_EVENT_ID_LIMIT = 256;
/** Longest WebSocket close reason: a close frame's payload is at most 125 bytes, 2 of them the code. */
export const CLOSE_REASON_LIMIT = 123;

/** Kinds the browser may report; anything else from a page is refused. */
export const CLIENT_KINDS = ['client-request', 'client-response', 'client-show', 'client-abort', 'client-message', 'client-stream', 'client-socket', 'client-error'] as const satisfies readonly TraceKind[];

/** Headers every HTTP request from a lesson client carries, so the server side can join the trace. */
export const CLIENT_HEADER = 'x-workbench-client';
export const CONN_HEADER = 'x-workbench-conn';
/**
 * The query parameter that names the client when a request cannot carry headers: the browser's
 * `EventSource` and `WebSocket` APIs have no way to set them.
 */
export const CLIENT_PARAM = 'client';

/**
 * Client ids of the choosing lesson's virtual clients start with this: the lesson server counts
 * their traffic (figures) but does not trace each request, which thousands of them would flood.
 */
export const VIRTUAL_CLIENT_PREFIX = 'virtual-';

/** The numeric `version` in a JSON text (a body, an SSE chunk or event, a WebSocket message), if it has one. */
export function versionIn(text: string | undefined): number | undefined {
  const match = text === undefined ? null : /"version"\s*:\s*(\d+)/.exec(text);
  return match ? Number(match[1]) : undefined;
}

/** The client id and the name of the audience's `n`th member in a class (`guest-7`, "Guest 7"). */
export function audienceMember(n: number): { id: string; label: string } {
  return { id: `guest-${n}`, label: `Guest ${n}` };
}

/** The name of a client the page does not run, for its lane: an audience member's name, else its id. */
export function clientLabel(client: string): string {
  const guest = /^guest-(\d+)$/.exec(client);
  return guest ? audienceMember(Number(guest[1])).label : client;
}
