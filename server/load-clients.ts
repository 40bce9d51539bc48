/**
 * Headless clients of the four techniques, for load: the virtual clients of the choosing lesson
 * and the benchmarks. Each one receives the feed the way its technique does and reports every
 * new version it gets with the time it got it (latency = receipt − `changedAt`: same machine,
 * same clock). Plain `node:http` for the polls, `ws` for the sockets and a lean reader on a TCP
 * socket for the event streams (event-stream-reader.ts): no browser, thousands per process.
 */
import { request, type Agent } from 'node:http';
import { WebSocket } from 'ws';
import type { TechniqueKind } from '../lessons/lesson.ts';
import { readEventStream } from './event-stream-reader.ts';

export type { TechniqueKind };

export const TECHNIQUE_KINDS: readonly TechniqueKind[] = ['short-polling', 'long-polling', 'sse', 'websocket'];

/** What a client got: a version of the feed, and when. */
export interface Delivery {
  version: number;
  /** When the version was made, epoch ms (server clock). */
  changedAt: number;
  /** When this client had it parsed, epoch ms. */
  receivedAt: number;
  /** The first version this client got: the data as it was when it connected, not a change it was sent (its age is no latency). */
  first: boolean;
}

export interface LoadClientOptions {
  kind: TechniqueKind;
  /** The route's absolute URL, e.g. `http://127.0.0.1:5173/lessons/choosing/api/events` (http: also for WebSocket). */
  url: string;
  /** Names the client to the server (`?client=`): its lane, or a `virtual-` id that is counted but not drawn. */
  clientId: string;
  /** Keeps the polling clients' connections open between requests. */
  agent: Agent;
  /** Short polling: time between the end of one poll and the next, ms. @default 1000 */
  intervalMs?: number;
  /** Sent with every request and upgrade (e.g. `Origin`). */
  headers?: Record<string, string>;
  onDelivery(delivery: Delivery): void;
  /** A request or connection failed; the client carries on after a second. */
  onError?(error: Error): void;
  /** Stops the client and closes what it has open. */
  signal: AbortSignal;
}

/** Retry after a failure, ms. */
const RETRY_MS = 1_000;
/** Reconnect after the server ended a stream or socket (a reload), ms: soon, but never in a tight loop. */
const RECONNECT_MS = 250;

/** Starts one client; it runs until `signal` aborts. */
export function startLoadClient(options: LoadClientOptions): void {
  const start = { 'short-polling': shortPoll, 'long-polling': longPoll, sse: eventStream, websocket: webSocket }[options.kind];
  start(options, withClient(options.url, options.clientId));
}

function withClient(url: string, clientId: string): URL {
  const u = new URL(url);
  u.searchParams.set('client', clientId);
  return u;
}

/** Calls `onDelivery` for a JSON snapshot newer than the last one seen; returns its version. */
function deliver(options: LoadClientOptions, text: string, last: number): number {
  const receivedAt = Date.now();
  const snapshot = JSON.parse(text) as { version?: unknown; changedAt?: unknown };
  if (typeof snapshot.version !== 'number' || typeof snapshot.changedAt !== 'number' || snapshot.version <= last) return last;
  options.onDelivery({ version: snapshot.version, changedAt: snapshot.changedAt, receivedAt, first: last === -1 });
  return snapshot.version;
}

/** One GET; resolves to the status and the body. */
function get(options: LoadClientOptions, url: URL): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: options.agent, headers: options.headers, signal: options.signal }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Waits `ms`, or less when `signal` aborts first. */
const wait = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });

/** Runs `step` until aborted; a failed step is reported and retried after a second. */
async function loop(options: LoadClientOptions, step: () => Promise<void>): Promise<void> {
  while (!options.signal.aborted) {
    try {
      await step();
    } catch (error) {
      if (options.signal.aborted) return;
      options.onError?.(error as Error);
      await wait(RETRY_MS, options.signal);
    }
  }
}

function shortPoll(options: LoadClientOptions, url: URL): void {
  let last = -1;
  void loop(options, async () => {
    const { status, body } = await get(options, url);
    if (status === 200) last = deliver(options, body, last);
    await wait(options.intervalMs ?? 1_000, options.signal);
  });
}

function longPoll(options: LoadClientOptions, url: URL): void {
  let last = -1;
  void loop(options, async () => {
    url.searchParams.set('since', String(last));
    const { status, body } = await get(options, url);
    if (status === 200) last = deliver(options, body, last);
    else if (status !== 204) throw new Error(`long poll answered ${status}`);
  });
}

function eventStream(options: LoadClientOptions, url: URL): void {
  let last = -1;
  let lastEventId: string | undefined;
  void loop(options, async () => {
    const headers = { ...options.headers, ...(lastEventId ? { 'Last-Event-ID': lastEventId } : {}) };
    await readEventStream(url, {
      headers,
      signal: options.signal,
      onEvent: (event) => {
        lastEventId = event.lastEventId;
        last = deliver(options, event.data, last);
      },
    });
    // The server ended the stream (a reload): reconnect soon, as a browser would after `retry`.
    await wait(RECONNECT_MS, options.signal);
  });
}

function webSocket(options: LoadClientOptions, url: URL): void {
  let last = -1;
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  void loop(
    options,
    () =>
      new Promise<void>((resolve, reject) => {
        const socket = new WebSocket(url, { headers: options.headers });
        const stop = () => socket.close(1001, 'virtual client stopped');
        options.signal.addEventListener('abort', stop, { once: true });
        socket.on('message', (data) => (last = deliver(options, data.toString(), last)));
        socket.on('error', reject);
        socket.on('close', () => {
          options.signal.removeEventListener('abort', stop);
          resolve();
        });
      }).then(() => wait(RECONNECT_MS, options.signal)),
  );
}
