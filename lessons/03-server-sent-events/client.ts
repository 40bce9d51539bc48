/**
 * Server-Sent Events, browser side: a real EventSource per stream. The browser keeps each one
 * open, reconnects by itself when a stream ends, and sends the last id it saw as `Last-Event-ID`.
 */
import type { ClientContext } from '../lesson.ts';

export default function startServerSentEvents({ EventSource, url, show, status, reportError, options, signal }: ClientContext) {
  /** A stream's URL, straight to the server or through the nginx stand-in (same path under /nginx). */
  const streamUrl = (path: string) => (options.via === 'nginx' ? url(path).replace('/lessons/', '/nginx/lessons/') : url(path));

  // The feed: the browser sends `Accept: text/event-stream`, so GET /data answers with a stream.
  const data = new EventSource(streamUrl('/data')); // [!code step:connect]
  // Events without an `event:` field arrive as `message`: one per change of the data.
  data.onmessage = (event) => show(JSON.parse(event.data)); // [!code step:onmessage]
  // The server could not replay what we missed (our id was too old): it sends the whole state.
  data.addEventListener('reset', (event) => show(JSON.parse(event.data))); // [!code step:on-reset]
  data.onerror = () => {
    // CONNECTING: the browser retries by itself after `retry` ms. CLOSED: it has given up for good.
    if (data.readyState === EventSource.CLOSED) reportError(new Error('The stream failed and the browser will not retry (a non-200 answer or a wrong Content-Type)')); // [!code step:onerror]
  };

  // Who else is listening: named events, each with its own listener.
  const here = new Set<string>();
  let count = 0;
  const presence = new EventSource(url('/client-count')); // [!code step:presence]
  presence.addEventListener('add', (event) => here.add(event.data)); // [!code step:named]
  presence.addEventListener('remove', (event) => here.delete(event.data));
  presence.addEventListener('client-count', (event) => {
    count = JSON.parse(event.data).count;
    status(`${count} listening: ${[...here].join(', ')}`);
  });

  // The server's clock, once a second.
  const time = options.time === true ? new EventSource(url('/time')) : undefined;
  time?.addEventListener('time', (event) => status(`${count} listening · server time ${JSON.parse(event.data).slice(11, 19)}`)); // [!code step:time]

  // Leaving the page (or restarting the client) closes the streams; the server sees each one go.
  signal.addEventListener('abort', () => {
    data.close(); // [!code step:close]
    presence.close();
    time?.close();
  });
}
