import { CLIENT_KINDS, CLOSE_REASON_LIMIT, EVENT_TYPE_LIMIT, LAST_EVENT_ID_LIMIT, LESSON_FILES, TEXT_LIMIT as MAX_TEXT, type TraceInput } from '../lessons/trace-event.ts';

const ID = /^[\w.:-]{1,64}$/;
const STREAM_STATES = ['open', 'connecting', 'closed'] as const;
const SOCKET_STATES = ['connecting', 'open', 'closed'] as const;

/**
 * Checks one event a page reports about its own clients and keeps only the known fields.
 * Anything else (a server-side kind, a lane that is not the client's, a missing time) is refused.
 */
export function parseClientEvent(input: unknown): TraceInput | undefined {
  const e = input as Record<string, unknown> | null;
  if (!e || typeof e !== 'object' || !(CLIENT_KINDS as readonly unknown[]).includes(e.kind)) return undefined;
  const client = e.client;
  if (typeof client !== 'string' || !ID.test(client) || e.lane !== `client:${client}` || !finite(e.t)) return undefined;
  const base = {
    t: e.t as number,
    lane: `client:${client}` as const,
    client,
    ...(typeof e.conn === 'string' && ID.test(e.conn) ? { conn: e.conn } : {}),
    ...sourceOf(e.source),
  };
  switch (e.kind) {
    case 'client-request':
      if (typeof base.conn !== 'string' || typeof e.method !== 'string' || typeof e.url !== 'string') return undefined;
      return { ...base, kind: 'client-request', conn: base.conn, method: e.method.slice(0, 16), url: e.url.slice(0, MAX_TEXT) };
    case 'client-response':
      if (typeof base.conn !== 'string' || !finite(e.status)) return undefined;
      return { ...base, kind: 'client-response', conn: base.conn, status: e.status as number, ...(finite(e.version) ? { version: e.version as number } : {}) };
    case 'client-show':
      if (!finite(e.version) || !finite(e.changedAt) || !finite(e.staleMs)) return undefined;
      return { ...base, kind: 'client-show', version: e.version as number, changedAt: e.changedAt as number, staleMs: e.staleMs as number, ...(e.first === true ? { first: true } : {}) };
    case 'client-abort':
      if (typeof base.conn !== 'string') return undefined;
      return { ...base, kind: 'client-abort', conn: base.conn };
    case 'client-message':
      if (typeof e.url !== 'string' || typeof e.type !== 'string' || typeof e.lastEventId !== 'string' || typeof e.data !== 'string') return undefined;
      return {
        ...base,
        kind: 'client-message',
        url: e.url.slice(0, MAX_TEXT),
        type: e.type.slice(0, EVENT_TYPE_LIMIT),
        lastEventId: e.lastEventId.slice(0, LAST_EVENT_ID_LIMIT),
        data: e.data.slice(0, MAX_TEXT),
        ...(finite(e.version) ? { version: e.version as number } : {}),
      };
    case 'client-stream':
      if (typeof e.url !== 'string' || !(STREAM_STATES as readonly unknown[]).includes(e.state)) return undefined;
      return { ...base, kind: 'client-stream', url: e.url.slice(0, MAX_TEXT), state: e.state as (typeof STREAM_STATES)[number] };
    case 'client-socket':
      if (typeof e.url !== 'string' || !(SOCKET_STATES as readonly unknown[]).includes(e.state)) return undefined;
      return {
        ...base,
        kind: 'client-socket',
        url: e.url.slice(0, MAX_TEXT),
        state: e.state as (typeof SOCKET_STATES)[number],
        ...(Number.isInteger(e.code) && (e.code as number) >= 0 && (e.code as number) <= 4999 ? { code: e.code as number } : {}),
        ...(typeof e.reason === 'string' ? { reason: e.reason.slice(0, CLOSE_REASON_LIMIT) } : {}),
        ...(typeof e.wasClean === 'boolean' ? { wasClean: e.wasClean } : {}),
      };
    case 'client-error':
      if (typeof e.message !== 'string') return undefined;
      return { ...base, kind: 'client-error', message: e.message.slice(0, MAX_TEXT) };
    default:
      return undefined;
  }
}

function finite(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value);
}

function sourceOf(source: unknown): { source?: { file: (typeof LESSON_FILES)[number]; line: number } } {
  const s = source as { file?: unknown; line?: unknown } | null;
  if (!s || typeof s !== 'object' || !(LESSON_FILES as readonly unknown[]).includes(s.file)) return {};
  if (typeof s.line !== 'number' || !Number.isInteger(s.line) || s.line < 1) return {};
  return { source: { file: s.file as (typeof LESSON_FILES)[number], line: s.line } };
}
