import { findMissedUpdates } from '../lessons/missed-updates.ts';
import type { TraceEvent } from '../lessons/trace-event.ts';
import { eventBytes } from './timeline-format.ts';

/** Figures for one client, read from the trace. */
export interface ClientStats {
  client: string;
  requests: number;
  /** Answers by status code. */
  statuses: Record<number, number>;
  /** Bytes of all answers (status line, headers and body), of every chunk written to its event streams, and of every frame sent to its WebSockets. */
  bytes: number;
  /** Event streams the server opened for this client. */
  streams: number;
  /** Events its EventSources delivered to a listener. */
  messages: number;
  /** Times an EventSource lost its stream and went back to connecting, or a new WebSocket followed one that closed. */
  reconnects: number;
  /** WebSockets the server opened for this client (101 answers). */
  sockets: number;
  /** WebSocket frames both ways, ping, pong and close included. */
  frames: number;
  /** Every byte this client's connections carried, both ways: requests, answers, stream chunks, handshakes and frames. */
  wireBytes: number;
  /** Bytes that 304 answers saved against the average full answer. */
  bytesSaved: number;
  /** Requests per second over the last `RATE_WINDOW_MS`. */
  requestsPerSec: number;
  /** Answer bytes (and WebSocket frame bytes, both ways) per second over the last `RATE_WINDOW_MS`. */
  bytesPerSec: number;
  /** Most GET requests of one path this client had in flight at once (polls piling up). */
  maxInFlight: number;
  /** Median age of the value when shown, ms. */
  medianStaleMs?: number;
  /** The last version shown. */
  shownVersion?: number;
  errors: number;
  /** Versions the client never got although the server held one of its requests while they were the newest. */
  missed: number;
  /** How long the client was stale because of them (overlaps counted once), ms. */
  staleMs: number;
}

/** The window that request and byte rates are measured over, ms. */
export const RATE_WINDOW_MS = 10_000;

/** Sums up each client's requests, answers, bytes, staleness and missed updates from the server's and the page's events, as of server time `now`. */
export function computeClientStats(events: readonly TraceEvent[], clients: readonly string[], now: number): ClientStats[] {
  const stats = new Map(clients.map((client) => [client, emptyStats(client)]));
  const stale = new Map<string, number[]>();
  const inFlight = new Map<string, number>();
  const inFlightKey = new Map<string, string>();
  const socketsCreated = new Map<string, number>();
  const fullBytes = new Map<string, { sum: number; n: number }>();
  const notModified = new Map<string, { sum: number; n: number }>();

  const windowStart = Math.max(now - RATE_WINDOW_MS, events[0]?.t ?? now);
  const recent = (e: TraceEvent) => e.t >= windowStart;

  for (const e of events) {
    const s = e.client ? stats.get(e.client) : undefined;
    if (!s) continue;
    s.wireBytes += eventBytes(e) ?? 0;
    switch (e.kind) {
      case 'client-request': {
        s.requests++;
        if (recent(e)) s.requestsPerSec++;
        // Polls piling up: GETs of one path. A chat's POSTs beside its held poll are not.
        if (e.method !== 'GET') break;
        const key = `${s.client} ${e.url.split('?')[0]}`;
        inFlightKey.set(e.conn, key);
        const n = (inFlight.get(key) ?? 0) + 1;
        inFlight.set(key, n);
        s.maxInFlight = Math.max(s.maxInFlight, n);
        break;
      }
      case 'client-response':
      case 'client-abort': {
        const key = inFlightKey.get(e.conn);
        if (key !== undefined) inFlight.set(key, Math.max(0, (inFlight.get(key) ?? 0) - 1));
        break;
      }
      case 'http-response': {
        s.statuses[e.status] = (s.statuses[e.status] ?? 0) + 1;
        s.bytes += e.bytes;
        if (recent(e)) s.bytesPerSec += e.bytes;
        const bucket = e.status === 304 ? notModified : e.status === 200 ? fullBytes : undefined;
        if (bucket) {
          const b = bucket.get(s.client) ?? { sum: 0, n: 0 };
          bucket.set(s.client, { sum: b.sum + e.bytes, n: b.n + 1 });
        }
        break;
      }
      case 'stream-open':
        s.streams++;
        break;
      case 'stream-chunk':
        s.bytes += e.bytes;
        if (recent(e)) s.bytesPerSec += e.bytes;
        break;
      case 'ws-open':
        s.sockets++;
        break;
      case 'ws-frame':
        s.frames++;
        if (e.direction === 'out') s.bytes += e.bytes;
        if (recent(e)) s.bytesPerSec += e.bytes;
        break;
      case 'client-socket':
        if (e.state === 'connecting') {
          const n = (socketsCreated.get(s.client) ?? 0) + 1;
          socketsCreated.set(s.client, n);
          if (n > 1) s.reconnects++;
        }
        break;
      case 'client-message':
        s.messages++;
        break;
      case 'client-stream':
        if (e.state === 'connecting') s.reconnects++;
        break;
      case 'client-show':
        s.shownVersion = e.version;
        if (!stale.has(s.client)) stale.set(s.client, []);
        stale.get(s.client)!.push(e.staleMs);
        break;
      case 'client-error':
        s.errors++;
        break;
    }
  }

  const deliveries = findMissedUpdates(events, now);
  // Early on, the window is as long as the trace (at least a second, so one request is not "1000/s").
  const windowSec = Math.max(1, now - windowStart) / 1000;
  for (const s of stats.values()) {
    s.requestsPerSec /= windowSec;
    s.bytesPerSec /= windowSec;
    const delivery = deliveries.get(s.client);
    if (delivery) {
      s.missed = delivery.missed.length;
      s.staleMs = delivery.staleMs;
    }
    const full = fullBytes.get(s.client);
    const saved = notModified.get(s.client);
    if (full && saved) s.bytesSaved = Math.max(0, Math.round(saved.n * (full.sum / full.n) - saved.sum));
    const ages = stale.get(s.client);
    if (ages) s.medianStaleMs = median(ages);
  }
  return [...stats.values()];
}

function emptyStats(client: string): ClientStats {
  return { client, requests: 0, statuses: {}, bytes: 0, streams: 0, messages: 0, reconnects: 0, sockets: 0, frames: 0, wireBytes: 0, bytesSaved: 0, requestsPerSec: 0, bytesPerSec: 0, maxInFlight: 0, errors: 0, missed: 0, staleMs: 0 };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
