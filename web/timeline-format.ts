/**
 * Text for trace events, shared by the timeline tooltip and the trace table: durations,
 * byte counts, relative times and one-line summaries.
 */
import type { ClientSocketEvent, TraceEvent } from '../lessons/trace-event.ts';

/** One labelled detail of an event, as the tooltip lists them. */
export interface EventDetail {
  label: string;
  value: string;
}

/** The method and URL of the request an event belongs to, when the caller knows it. */
export interface RequestContext {
  method: string;
  url: string;
}

const MAX_PREVIEW = 60;
const MAX_HEADERS = 4;

// Headers that explain the technique being taught come first; the rest only fill up the room.
const INTERESTING_HEADERS = [
  'content-type',
  'accept',
  'cache-control',
  'etag',
  'if-none-match',
  'last-modified',
  'if-modified-since',
  'last-event-id',
  'upgrade',
  'sec-websocket-key',
  'sec-websocket-accept',
  'origin',
  'connection',
  'content-length',
];

/** Formats a duration: `850 ms`, `1.2 s`, `2 min 5 s`. */
export function formatDuration(ms: number): string {
  if (ms < 0) return `−${formatDuration(-ms)}`;
  const rounded = Math.round(ms);
  if (rounded < 1000) return `${rounded} ms`;
  const tenths = Math.round(ms / 100);
  if (tenths < 600) return `${(tenths / 10).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  return rest === 0 ? `${minutes} min` : `${minutes} min ${rest} s`;
}

/** Formats how old a value was when shown: `+1.2 s`, `+40 ms`. */
export function formatStaleness(ms: number): string {
  return ms < 0 ? formatDuration(ms) : `+${formatDuration(ms)}`;
}

/** Formats a byte count with SI units: `512 B`, `1.3 kB`, `2.4 MB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${Math.round(bytes)} B`;
  const units = ['kB', 'MB', 'GB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 999.5 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value < 9.95 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** Formats a time relative to an origin in seconds with a fixed number of decimals: `+12.345 s`, `0 s`, `−1.5 s`. */
export function formatRelativeTime(ms: number, decimals = 3): string {
  const text = (Math.abs(ms) / 1000).toFixed(decimals);
  if (Number(text) === 0) return `${(0).toFixed(decimals)} s`;
  return `${ms < 0 ? '−' : '+'}${text} s`;
}

/** The method and URL of each conn's request, for summaries of the events that follow it. */
export function requestsByConn(events: readonly TraceEvent[]): Map<string, RequestContext> {
  const requests = new Map<string, RequestContext>();
  for (const event of events) {
    if ((event.kind === 'http-request' || event.kind === 'client-request') && !requests.has(event.conn)) {
      requests.set(event.conn, { method: event.method, url: event.url });
    }
  }
  return requests;
}

/** The number of bytes an event put on the wire, when it says. */
export function eventBytes(event: TraceEvent): number | undefined {
  switch (event.kind) {
    case 'http-request':
    case 'http-response':
    case 'stream-chunk':
    case 'ws-open':
    case 'ws-frame':
      return event.bytes;
    default:
      return undefined;
  }
}

/** A one-line summary of an event: method + URL + status, version, or message. */
export function summarizeEvent(event: TraceEvent, request?: RequestContext): string {
  const about = request ? ` ${request.method} ${request.url}` : '';
  switch (event.kind) {
    case 'feed-change':
      return `v${event.version} = ${preview(event.value)} (${event.cause})`;
    case 'http-request':
    case 'client-request':
      return `${event.method} ${event.url}`;
    case 'http-held':
      return `held${about}`;
    case 'http-response':
      return `${event.status}${withVersion(event.version)}${about} in ${formatDuration(event.durationMs)}`;
    case 'client-response':
      return `${event.status}${withVersion(event.version)}${about} received`;
    case 'http-abort':
      return `aborted${about} after ${formatDuration(event.durationMs)}`;
    case 'stream-open':
      return `stream opened ${event.status}${about}`;
    case 'stream-chunk':
      return `chunk${withVersion(event.version)}: ${truncate(oneLine(event.text))}`;
    case 'stream-close':
      return `stream closed by ${event.by} after ${formatDuration(event.durationMs)}${event.reason ? `: ${event.reason}` : ''}`;
    case 'ws-open':
      return `101 Switching Protocols: WebSocket open ${event.url}`;
    case 'ws-frame': {
      const text = event.text === undefined ? '' : `: ${truncate(oneLine(event.text))}`;
      return `${event.direction === 'in' ? '→ server' : '→ client'} ${event.opcode}${withVersion(event.version)}${text}`;
    }
    case 'ws-close':
      return `WebSocket closed ${event.code}${event.reason ? ` ${event.reason}` : ''}${event.by ? ` (closed by the ${event.by})` : ''}`;
    case 'reload':
      return event.reason === 'start' ? `${event.file} started` : `reloaded #${event.generation} (${event.reason}) ${event.file}`;
    case 'error':
      return `${event.phase} error: ${event.message}`;
    case 'check':
      return `${CHECK_PHASES[event.phase]}: ${event.message}`;
    case 'client-show':
      return `showed v${event.version} (${formatStaleness(event.staleMs)} stale)`;
    case 'client-abort':
      return 'request cancelled by the page';
    case 'client-message':
      return `received ${event.type}${event.lastEventId ? ` id ${event.lastEventId}` : ''}: ${truncate(oneLine(event.data))}`;
    case 'client-stream':
      return CLIENT_STREAM_STATES[event.state];
    case 'client-socket':
      return describeClientSocket(event);
    case 'client-error':
      return `client error: ${event.message}`;
  }
}

const CHECK_PHASES = {
  start: 'check started',
  pass: 'check passed',
  fail: 'check failed',
} as const;

const CLIENT_STREAM_STATES = {
  open: 'EventSource open',
  connecting: 'EventSource reconnecting',
  closed: 'EventSource closed for good (no reconnect)',
} as const;

function describeClientSocket(event: ClientSocketEvent): string {
  if (event.state === 'connecting') return 'WebSocket connecting';
  if (event.state === 'open') return 'WebSocket open';
  return `WebSocket closed ${event.code ?? ''}${event.reason ? ` ${event.reason}` : ''}${event.wasClean === false ? ' (not clean: no close handshake)' : ''}`.replace('  ', ' ');
}

/** How the server ended a held request, as far as the trace says: its answer, or `aborted`. */
export type HeldOutcome = { status: number; version?: number } | 'aborted';

/** Why a client never got a version, for the tooltip of a missed update: `v7 was never delivered to naive: …`. */
export function describeMissedUpdate(version: number, client: string, outcome?: HeldOutcome): string {
  const cause = `v${version} was never delivered to ${client}: the server held its request while v${version} was the newest`;
  if (outcome === undefined) return `${cause} and has not answered it yet`;
  if (outcome === 'aborted') return `${cause} until the request was aborted`;
  if (outcome.version === undefined) return `${cause} and answered only with a ${outcome.status} without a version`;
  return `${cause} and answered only with v${outcome.version}`;
}

/** The details of one event, as labelled rows (a few headers, bytes, timings, values, messages). */
export function describeEvent(event: TraceEvent, { headers = true }: { headers?: boolean } = {}): EventDetail[] {
  const rows: EventDetail[] = [{ label: 'kind', value: event.kind }];
  const add = (label: string, value: string | number | undefined) => {
    if (value !== undefined && value !== '') rows.push({ label, value: String(value) });
  };
  switch (event.kind) {
    case 'feed-change':
      add('version', event.version);
      add('value', preview(event.value));
      add('cause', event.cause);
      break;
    case 'http-request':
      add('method', event.method);
      add('URL', event.url);
      if (headers) addHeaders(rows, event.headers);
      add('bytes', formatBytes(event.bytes));
      break;
    case 'http-response':
      add('status', event.status);
      if (headers) addHeaders(rows, event.headers);
      add('bytes', formatBytes(event.bytes));
      add('duration', formatDuration(event.durationMs));
      add('version', event.version);
      add('body', event.body === undefined ? undefined : truncate(oneLine(event.body)));
      break;
    case 'http-abort':
      add('duration', formatDuration(event.durationMs));
      break;
    case 'stream-open':
      add('status', event.status);
      if (headers) addHeaders(rows, event.headers);
      break;
    case 'stream-chunk':
      add('bytes', formatBytes(event.bytes));
      add('version', event.version);
      add('text', truncate(oneLine(event.text)));
      break;
    case 'stream-close':
      add('closed by', event.by);
      add('duration', formatDuration(event.durationMs));
      add('reason', event.reason);
      break;
    case 'ws-open':
      add('status', '101 Switching Protocols');
      add('URL', event.url);
      if (headers) addHeaders(rows, event.headers);
      add('bytes', formatBytes(event.bytes));
      break;
    case 'ws-frame':
      add('direction', event.direction === 'in' ? 'in (client → server)' : 'out (server → client)');
      add('opcode', event.opcode);
      add('payload', formatBytes(event.length));
      add('frame', `${formatBytes(event.bytes)}${event.masked ? ', masked' : ''}${event.fragments > 1 ? `, in ${event.fragments} fragments` : ''}`);
      add('version', event.version);
      add('text', event.text === undefined ? undefined : truncate(oneLine(event.text)));
      break;
    case 'ws-close':
      add('code', event.code);
      add('reason', event.reason);
      add('closed by', event.by ?? 'nobody (no close frame)');
      add('open for', formatDuration(event.durationMs));
      break;
    case 'reload':
      add('generation', event.generation);
      add('reason', event.reason);
      add('file', event.file);
      break;
    case 'error':
      add('phase', event.phase);
      add('message', event.message);
      break;
    case 'check':
      add('phase', event.phase);
      add('message', event.message);
      add('version', event.version);
      break;
    case 'client-request':
      add('method', event.method);
      add('URL', event.url);
      break;
    case 'client-response':
      add('status', event.status);
      add('version', event.version);
      break;
    case 'client-show':
      add('version', event.version);
      add('staleness', formatStaleness(event.staleMs));
      break;
    case 'client-message':
      add('URL', event.url);
      add('type', event.type);
      add('last event ID', event.lastEventId);
      add('data', truncate(event.data));
      break;
    case 'client-stream':
      add('URL', event.url);
      add('state', CLIENT_STREAM_STATES[event.state]);
      break;
    case 'client-socket':
      add('URL', event.url);
      add('state', event.state);
      add('code', event.code);
      add('reason', event.reason);
      add('clean', event.wasClean === undefined ? undefined : event.wasClean ? 'yes' : 'no');
      break;
    case 'client-error':
      add('message', event.message);
      break;
    case 'http-held':
      break;
  }
  add('lane', event.lane);
  add('conn', event.conn);
  add('source', event.source ? `${event.source.file}:${event.source.line}` : undefined);
  return rows;
}

function addHeaders(rows: EventDetail[], headers: Record<string, string>): void {
  const names = Object.keys(headers);
  const rank = (name: string) => {
    const index = INTERESTING_HEADERS.indexOf(name.toLowerCase());
    return index === -1 ? INTERESTING_HEADERS.length : index;
  };
  const picked = names
    .filter((name) => !name.toLowerCase().startsWith('x-workbench-'))
    .sort((a, b) => rank(a) - rank(b))
    .slice(0, MAX_HEADERS);
  for (const name of picked) rows.push({ label: name, value: truncate(headers[name] ?? '') });
}

function withVersion(version: number | undefined): string {
  return version === undefined ? '' : ` v${version}`;
}

function preview(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return truncate(text);
}

function oneLine(text: string): string {
  return text.trim().replace(/\s*\n\s*/g, ' ⏎ ');
}

function truncate(text: string, max = MAX_PREVIEW): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
