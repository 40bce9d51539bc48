import type { ChatBox, ChatBoxOptions, ClientContext, ClientOptions, FeedSnapshot } from '../lessons/lesson.ts';
import { CLIENT_HEADER, CONN_HEADER, clientLane, type TraceInput } from '../lessons/trace-event.ts';
import { clientFrameOf, createClientSourceLocator, type StackFrame } from './client-source-locator.ts';
import { pause } from './pause.ts';
import { createTracedEventSource } from './traced-event-source.ts';
import { createTracedWebSocket } from './traced-web-socket.ts';

const locate = createClientSourceLocator();

export interface ClientContextOptions {
  slug: string;
  clientId: string;
  label: string;
  options: ClientOptions;
  /** Server time now (browser time corrected by the measured offset). */
  now(): number;
  /** The lesson's current slow-motion factor (client pauses stretch with it). */
  timeScale(): number;
  /** Where the client's trace events go. */
  report(event: TraceInput): void;
  /** Called when the client shows a value. */
  onShow(snapshot: FeedSnapshot): void;
  /** Called when the client shows a line of status text. */
  onStatus(text: string): void;
  /** Puts a chat box on the client's card. */
  chatBox(options: ChatBoxOptions): ChatBox;
}

/**
 * Builds the context a lesson's client.ts runs with: the browser's real fetch, wrapped so that
 * every request and response lands on the client's timeline lane (and carries headers that let
 * the server side join it), the browser's real EventSource and WebSocket, tagged and recorded the
 * same way, plus `show`, `status`, `chatBox` and `reportError`. `stop()` aborts the client and
 * closes its streams and sockets.
 */
export function createClientContext({ slug, clientId, label, options, now, timeScale, report, onShow, onStatus, chatBox }: ClientContextOptions): { context: ClientContext; stop(): void } {
  const abort = new AbortController();
  const lane = clientLane(clientId);
  const base = { lane, client: clientId } as const;
  let requests = 0;
  // Events wait for their client.ts line (the first needs the source map fetched), in order.
  let queue = Promise.resolve();
  const reportFrom = (frame: StackFrame | undefined, event: TraceInput) => {
    queue = queue.then(async () => report({ ...event, source: await locate(frame) }));
  };

  const tracedFetch: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const conn = `${clientId}-${Date.now().toString(36)}-${++requests}`;
    request.headers.set(CLIENT_HEADER, clientId);
    request.headers.set(CONN_HEADER, conn);
    const url = new URL(request.url);
    const frame = clientFrameOf(new Error().stack);
    reportFrom(frame, { ...base, kind: 'client-request', t: now(), conn, method: request.method, url: url.pathname + url.search });
    try {
      const response = await fetch(request);
      const t = now();
      reportFrom(frame, { ...base, kind: 'client-response', t, conn, status: response.status, version: await versionOf(response) });
      return response;
    } catch (error) {
      if (abort.signal.aborted) reportFrom(frame, { ...base, kind: 'client-abort', t: now(), conn });
      else reportError(error);
      throw error;
    }
  };

  const sources = createTracedEventSource(EventSource, {
    clientId,
    baseUrl: location.href,
    stopped: abort.signal,
    record: (event, stack) => reportFrom(clientFrameOf(stack), { ...base, ...event, t: now() }),
  });

  const sockets = createTracedWebSocket(WebSocket, {
    clientId,
    baseUrl: location.href,
    record: (event, stack) => reportFrom(clientFrameOf(stack), { ...base, ...event, t: now() }),
  });

  const reportError = (error: unknown) => {
    if (abort.signal.aborted) return; // stopping the client aborts its requests: not an error
    const frame = clientFrameOf(error instanceof Error ? error.stack : undefined);
    reportFrom(frame, { ...base, kind: 'client-error', t: now(), message: error instanceof Error ? error.message : String(error) });
  };

  let shown = false;
  const context: ClientContext = {
    clientId,
    label,
    fetch: tracedFetch,
    EventSource: sources.EventSource,
    WebSocket: sockets.WebSocket,
    chatBox,
    url: (path) => new URL(`/lessons/${slug}/api${path.startsWith('/') ? path : `/${path}`}`, location.href).href,
    show(snapshot) {
      const t = now();
      const frame = clientFrameOf(new Error().stack);
      const first = !shown;
      shown = true;
      reportFrom(frame, { ...base, kind: 'client-show', t, version: snapshot.version, changedAt: snapshot.changedAt, staleMs: Math.max(0, t - snapshot.changedAt), ...(first ? { first } : {}) });
      onShow(snapshot);
    },
    reportError,
    status: onStatus,
    options,
    signal: abort.signal,
    pause: (ms) => pause(ms * timeScale(), abort.signal),
  };
  return {
    context,
    stop() {
      abort.abort();
      sources.closeAll();
      sockets.closeAll();
    },
  };
}

/** The feed version in a JSON answer, read from a clone so the client can still read the body. */
async function versionOf(response: Response): Promise<number | undefined> {
  if (!response.headers.get('content-type')?.includes('json')) return undefined;
  try {
    const body = (await response.clone().json()) as { version?: unknown };
    return typeof body?.version === 'number' ? body.version : undefined;
  } catch {
    return undefined;
  }
}
