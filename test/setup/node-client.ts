import type { ChatBox, ChatBoxOptions, ClientContext, ClientOptions, LessonClient } from '../../lessons/lesson.ts';
import { CLIENT_HEADER, CONN_HEADER, clientLane, type TraceInput } from '../../lessons/trace-event.ts';
import { EventSource } from 'eventsource';
import { WebSocket } from 'ws';
import { pause } from '../../web/pause.ts';
import { createTracedEventSource } from '../../web/traced-event-source.ts';
import { createTracedWebSocket } from '../../web/traced-web-socket.ts';

export interface NodeClientOptions {
  /** Where the lesson's API lives, e.g. `http://127.0.0.1:5173/lessons/long-polling/api`. */
  apiBase: string;
  clientId: string;
  /** The client's name. @default its id */
  label?: string;
  options: ClientOptions;
  /** Receives the client's trace events (client-request, client-response, client-show, client-error). */
  emit(event: TraceInput): void;
  /** Network delay added before each request leaves and after each answer arrives, ms. @default none */
  networkDelayMs?(): number;
  /** Receives the client's status lines. @default ignored */
  onStatus?(text: string): void;
  /** Makes the chat box the client asks for (a test types into it through `options`). @default one that drops its lines */
  chatBox?(options: ChatBoxOptions): ChatBox;
}

/**
 * Runs a lesson's real client.ts in Node, as the page would: the same code, a context built on
 * Node's fetch, the `eventsource` package (a spec-following EventSource for Node) and the `ws`
 * package's WebSocket (the browser API's shape), and the same
 * trace events the page reports. Returns the function that stops it.
 */
export function runNodeClient(start: LessonClient, { apiBase, clientId, label = clientId, options, emit, networkDelayMs = () => 0, onStatus = () => {}, chatBox = () => ({ add() {} }) }: NodeClientOptions): () => void {
  const abort = new AbortController();
  const base = { lane: clientLane(clientId), client: clientId } as const;
  let requests = 0;
  const reportError = (error: unknown) => {
    if (!abort.signal.aborted) emit({ ...base, kind: 'client-error', t: Date.now(), message: error instanceof Error ? error.message : String(error) });
  };
  const pauseClient = (ms: number) => pause(ms, abort.signal);
  const sources = createTracedEventSource(EventSource as unknown as typeof globalThis.EventSource, {
    clientId,
    baseUrl: apiBase,
    stopped: abort.signal,
    record: (event) => emit({ ...base, ...event, t: Date.now() }),
  });
  const sockets = createTracedWebSocket(WebSocket as unknown as typeof globalThis.WebSocket, {
    clientId,
    baseUrl: apiBase,
    record: (event) => emit({ ...base, ...event, t: Date.now() }),
  });

  const context: ClientContext = {
    clientId,
    label,
    async fetch(input, init) {
      const conn = `${clientId}-${++requests}`;
      const request = new Request(input, init);
      request.headers.set(CLIENT_HEADER, clientId);
      request.headers.set(CONN_HEADER, conn);
      const url = new URL(request.url);
      await pauseClient(networkDelayMs());
      emit({ ...base, kind: 'client-request', t: Date.now(), conn, method: request.method, url: url.pathname + url.search });
      const response = await fetch(request);
      // Read the body now, so that the delay covers the whole answer.
      const body = await response.arrayBuffer();
      await pauseClient(networkDelayMs());
      emit({ ...base, kind: 'client-response', t: Date.now(), conn, status: response.status });
      return new Response(response.status === 204 || response.status === 304 ? null : body, { status: response.status, headers: response.headers });
    },
    url: (path) => `${apiBase}${path.startsWith('/') ? path : `/${path}`}`,
    show(snapshot) {
      const t = Date.now();
      emit({ ...base, kind: 'client-show', t, version: snapshot.version, changedAt: snapshot.changedAt, staleMs: Math.max(0, t - snapshot.changedAt) });
    },
    EventSource: sources.EventSource,
    WebSocket: sockets.WebSocket,
    chatBox,
    reportError,
    status: onStatus,
    options,
    signal: abort.signal,
    pause: pauseClient,
  };
  start(context);
  return () => {
    abort.abort();
    sources.closeAll();
    sockets.closeAll();
  };
}
