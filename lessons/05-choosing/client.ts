/**
 * Choosing a technique, browser side: one client per technique, each the shortest correct
 * client for it. They all show the same feed; the timeline and the figures show what each costs.
 */
import type { ClientContext, FeedSnapshot } from '../lesson.ts';

export default function startChoosing(context: ClientContext) {
  const start = { short: shortPoll, long: longPoll, sse: serverSentEvents, ws: webSocket }[String(context.options.technique)];
  if (!start) throw new Error(`unknown technique ${String(context.options.technique)}: short, long, sse or ws`);
  start(context);
}

/** Short polling: ask every `intervalMs`, whether or not anything changed. */
function shortPoll({ fetch, url, show, reportError, options, signal, pause }: ClientContext) {
  void (async () => {
    while (!signal.aborted) {
      try {
        const res = await fetch(url('/poll'), { cache: 'no-store', signal }); // [!code step:short-client]
        show((await res.json()) as FeedSnapshot);
      } catch (error) {
        if (!signal.aborted) reportError(error);
      }
      await pause(Number(options.intervalMs)).catch(() => {});
    }
  })();
}

/** Long polling with `since=`: ask for anything newer than what we have; ask again at once. */
function longPoll({ fetch, url, show, reportError, signal, pause }: ClientContext) {
  let since = -1;
  void (async () => {
    while (!signal.aborted) {
      try {
        const res = await fetch(url(`/long-poll?since=${since}`), { cache: 'no-store', signal }); // [!code step:long-client]
        if (res.status === 200) {
          const snapshot = (await res.json()) as FeedSnapshot;
          since = snapshot.version; // [!code step:long-since]
          show(snapshot);
        }
      } catch (error) {
        if (signal.aborted) return;
        reportError(error);
        await pause(1_000).catch(() => {}); // do not hammer a server that is down
      }
    }
  })();
}

/** Server-Sent Events: one stream; the browser reconnects (with Last-Event-ID) by itself. */
function serverSentEvents({ EventSource, url, show, signal }: ClientContext) {
  const source = new EventSource(url('/events')); // [!code step:sse-client]
  source.onmessage = (event) => show(JSON.parse(event.data));
  signal.addEventListener('abort', () => source.close());
}

/** WebSocket: one socket; reconnecting after a close is the page's own job. */
function webSocket({ WebSocket, url, show, signal, pause }: ClientContext) {
  const connect = () => {
    const socket = new WebSocket(url('/socket')); // [!code step:ws-client]
    socket.onmessage = (event) => show(JSON.parse(event.data));
    socket.onclose = () => {
      if (!signal.aborted) void pause(1_000).then(connect, () => {}); // [!code step:ws-reconnect]
    };
    signal.addEventListener('abort', () => socket.close(1000), { once: true });
  };
  connect();
}
