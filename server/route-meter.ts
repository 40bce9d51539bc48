import type { TraceInput } from '../lessons/trace-event.ts';

/** What one route of a lesson's API did since the last reading. */
export interface RouteCounts {
  /** Requests received (a WebSocket upgrade is one). */
  requests: number;
  /** Bytes the server read: request lines, headers, bodies, frames in. */
  bytesIn: number;
  /** Bytes the server wrote: status lines, headers, bodies, stream chunks, frames out. */
  bytesOut: number;
  /**
   * The most connections open on the route at once since the last reading: held requests, streams,
   * sockets. (At the reading itself, a long-poll route that just answered a change would read 0:
   * every poll answered, the next ones not arrived yet.)
   */
  open: number;
  /** Distinct clients that used the route in the last `clientWindowMs` (a client that polls every few seconds counts all the time). */
  clients: number;
}

export interface RouteMeter {
  /** Counts one trace event of the lesson server. */
  add(event: TraceInput): void;
  /** The counts per route (`/events`) since the last reading, then starts again; undefined when nothing happened. */
  take(): Record<string, RouteCounts> | undefined;
}

interface RouteState {
  requests: number;
  bytesIn: number;
  bytesOut: number;
  open: number;
  /** The most open at once since the last reading. */
  peak: number;
  /** When each client last used the route. */
  clients: Map<string, number>;
}

/**
 * Counts a lesson server's traffic per route, from the same trace events the timeline draws
 * (their byte counts include headers and framing), so that the virtual clients of the choosing
 * lesson can be counted without drawing each one. `apiBase` is cut from the URLs
 * (`/lessons/choosing/api/events?client=a` counts under `/events`).
 */
export function createRouteMeter(apiBase: () => string, { clientWindowMs = 10_000, now = Date.now } = {}): RouteMeter {
  const routes = new Map<string, RouteState>();
  const routeOf = new Map<string, RouteState>(); // conn → its route, while the connection is open
  let changed = false;

  const route = (url: string): RouteState => {
    const path = url.split('?')[0]!;
    const base = apiBase();
    const key = path.startsWith(base) ? path.slice(base.length) || '/' : path;
    let state = routes.get(key);
    if (!state) routes.set(key, (state = { requests: 0, bytesIn: 0, bytesOut: 0, open: 0, peak: 0, clients: new Map() }));
    return state;
  };
  const close = (conn: string) => {
    const state = routeOf.get(conn);
    if (!state) return;
    state.open--;
    routeOf.delete(conn);
  };

  return {
    add(event) {
      if (event.lane !== 'server' || !('conn' in event) || event.conn === undefined) return;
      const conn = event.conn;
      let state = routeOf.get(conn);
      if (event.kind === 'http-request') {
        state = route(event.url);
        state.requests++;
        state.bytesIn += event.bytes;
        state.peak = Math.max(state.peak, ++state.open);
        routeOf.set(conn, state);
      }
      if (!state) return;
      changed = true;
      if (event.client) state.clients.set(event.client, event.t);
      switch (event.kind) {
        case 'http-response':
          state.bytesOut += event.bytes;
          return close(conn);
        case 'http-abort':
        case 'stream-close':
        case 'ws-close':
          return close(conn);
        case 'stream-chunk':
        case 'ws-open':
          state.bytesOut += event.bytes;
          return;
        case 'ws-frame':
          if (event.direction === 'in') state.bytesIn += event.bytes;
          else state.bytesOut += event.bytes;
          return;
      }
    },
    take() {
      const since = now() - clientWindowMs;
      for (const state of routes.values()) for (const [client, at] of state.clients) if (at < since) state.clients.delete(client);
      if (!changed && [...routes.values()].every((s) => s.open === 0 && s.clients.size === 0)) return undefined;
      changed = false;
      const counts: Record<string, RouteCounts> = {};
      for (const [key, state] of routes) {
        counts[key] = { requests: state.requests, bytesIn: state.bytesIn, bytesOut: state.bytesOut, open: state.peak, clients: state.clients.size };
        Object.assign(state, { requests: 0, bytesIn: 0, bytesOut: 0, peak: state.open });
      }
      return counts;
    },
  };
}
