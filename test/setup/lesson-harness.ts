import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import express from 'express';
import { DEFAULT_SETTINGS, type LessonServer, type LessonSettings, type SettingValue } from '../../lessons/lesson.ts';
import type { TraceEvent, TraceInput } from '../../lessons/trace-event.ts';
import { createFeed, type Feed } from '../../server/feed.ts';
import { rejectUpgrade } from '../../server/reject-upgrade.ts';
import { countConns, traceHttpMiddleware } from '../../server/trace-http.ts';
import { traceWebSocket } from '../../server/trace-websocket.ts';
import { createUpgradeRoutes } from '../../server/upgrade-routes.ts';

export interface LessonHarness {
  /** The lesson's API base URL, e.g. `http://127.0.0.1:40123/lessons/long-polling/api`. */
  apiBase: string;
  feed: Feed;
  /** The settings the lesson reads; change `settings.params` to turn a parameter live. */
  settings: LessonSettings;
  /** Everything recorded so far, in order, with `seq` numbers. */
  events: TraceEvent[];
  /** Records an event (for clients running beside the server). */
  emit(event: TraceInput): void;
  /**
   * Bytes on the server's sockets so far, both directions, from the sockets' own counters
   * (`bytesRead`, `bytesWritten`): every byte of the lesson's HTTP, framing included, summed over
   * every connection the server accepted, closed ones too. TCP/IP headers are not in it.
   */
  wireBytes(): WireBytes;
  close(): Promise<void>;
}

export interface WireBytes {
  /** Bytes the server read: request lines, headers, bodies. */
  read: number;
  /** Bytes the server wrote: status lines, headers, bodies, chunked framing. */
  written: number;
  /** Connections the server accepted. */
  connections: number;
}

export interface LessonHarnessOptions {
  slug: string;
  params?: Record<string, SettingValue>;
  /** Server delay before each request is handled, ms (called per request). @default none */
  delayMs?(): number;
}

/**
 * Serves a lesson's real server.ts in this process, on a real loopback socket, with the
 * workbench's own HTTP and WebSocket tracing and a feed of its own: many independent copies can run side by
 * side (property tests, benchmarks) without a workbench or a runner process.
 */
export async function startLessonHarness(server: LessonServer, { slug, params = {}, delayMs }: LessonHarnessOptions): Promise<LessonHarness> {
  const events: TraceEvent[] = [];
  const emit = (input: TraceInput) => void events.push({ ...input, seq: events.length + 1, lesson: slug } as TraceEvent);
  const feed = createFeed();
  // Subscribed before the lesson: a change is recorded before the answers it causes.
  feed.subscribe((s, cause) => emit({ kind: 'feed-change', t: s.changedAt, lane: 'feed', version: s.version, changedAt: s.changedAt, value: s.value, cause }));
  const settings: LessonSettings = { ...DEFAULT_SETTINGS, params };
  const abort = new AbortController();
  const apiBase = `/lessons/${slug}/api`;
  const upgrades = createUpgradeRoutes(() => apiBase);
  const router = server({
    slug,
    feed: { current: feed.current, subscribe: (listener) => feed.subscribe((snapshot) => listener(snapshot)) },
    settings: () => settings,
    signal: abort.signal,
    onUpgrade: upgrades.add,
  });
  const app = express();
  const connId = countConns();
  app.use(apiBase, traceHttpMiddleware({ emit, locate: () => undefined, delayMs, connId }), router);
  const http = createServer(app);
  http.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    const handler = upgrades.handlerFor(req);
    if (!handler) return rejectUpgrade(socket, 404);
    traceWebSocket({ emit, locate: () => undefined, connId }, req, socket);
    handler(req, socket, head);
  });
  // Counted per socket, kept when it closes: the sum covers every connection ever accepted.
  const sockets = new Set<Socket>();
  const closed: WireBytes = { read: 0, written: 0, connections: 0 };
  http.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      closed.read += socket.bytesRead;
      closed.written += socket.bytesWritten;
      closed.connections++;
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    apiBase: `http://127.0.0.1:${port}${apiBase}`,
    feed,
    settings,
    events,
    emit,
    wireBytes() {
      const total = { ...closed, connections: closed.connections + sockets.size };
      for (const socket of sockets) {
        total.read += socket.bytesRead;
        total.written += socket.bytesWritten;
      }
      return total;
    },
    async close() {
      abort.abort();
      http.closeAllConnections();
      for (const socket of sockets) socket.destroy(); // upgraded ones are no longer the HTTP server's
      await new Promise((resolve) => http.close(resolve));
    },
  };
}
