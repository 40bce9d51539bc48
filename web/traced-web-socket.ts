import { CLIENT_PARAM, CLOSE_REASON_LIMIT, type ClientSocketEvent } from '../lessons/trace-event.ts';

/** What a traced WebSocket records, before the caller adds the time, lane and client. */
export type WebSocketRecord = Pick<ClientSocketEvent, 'kind' | 'url' | 'state' | 'code' | 'reason' | 'wasClean'>;

export interface TracedWebSocketOptions {
  clientId: string;
  /** Resolves relative URLs (the page's location). */
  baseUrl: string;
  /** Records one state change; `stack` is where the lesson code created the socket. */
  record(event: WebSocketRecord, stack: string | undefined): void;
}

export interface TracedWebSockets {
  /** A WebSocket class to hand to lesson code. */
  WebSocket: typeof WebSocket;
  /** Closes every socket still open or connecting with 1000 (the client stopped). */
  closeAll(): void;
}

/**
 * Wraps a real WebSocket class (the browser's, or the `ws` package's in Node tests): the client is
 * named in the URL (`?client=<id>`: the API cannot send headers), an `http(s)` URL becomes
 * `ws(s)` as the WHATWG spec says, and the socket's life is recorded: created, open, closed with
 * its code, reason and `wasClean`. Frames are recorded on the server side, where all of them
 * (ping, pong, close) can be seen; the browser's API shows only messages.
 */
export function createTracedWebSocket(Base: typeof WebSocket, { clientId, baseUrl, record }: TracedWebSocketOptions): TracedWebSockets {
  const sockets = new Set<WebSocket>();

  class TracedWebSocket extends Base {
    constructor(url: string | URL, protocols?: string | string[]) {
      const tagged = new URL(url, baseUrl);
      if (tagged.protocol === 'http:') tagged.protocol = 'ws:';
      if (tagged.protocol === 'https:') tagged.protocol = 'wss:';
      tagged.searchParams.set(CLIENT_PARAM, clientId);
      super(tagged.href, protocols);
      const path = tagged.pathname + tagged.search;
      const stack = new Error().stack;
      sockets.add(this);
      // The close event that follows says what happened. (The `ws` package, which Node tests use, throws an unheard error.)
      this.addEventListener('error', () => {});
      record({ kind: 'client-socket', url: path, state: 'connecting' }, stack);
      this.addEventListener('open', () => record({ kind: 'client-socket', url: path, state: 'open' }, stack));
      this.addEventListener('close', (event) => {
        sockets.delete(this);
        const { code, reason, wasClean } = event as CloseEvent;
        record({ kind: 'client-socket', url: path, state: 'closed', code, reason: reason.slice(0, CLOSE_REASON_LIMIT), wasClean }, stack);
      });
    }
  }

  return {
    WebSocket: TracedWebSocket,
    closeAll() {
      for (const socket of sockets) socket.close(1000, 'client stopped');
    },
  };
}
