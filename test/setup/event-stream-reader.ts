import { get, type IncomingHttpHeaders } from 'node:http';
import { createGunzip } from 'node:zlib';
import { createEventStreamParser, type EventStreamEvent } from '../../web/event-stream-parser.ts';
import { waitFor } from './workbench.ts';

/** An event stream read over a real socket, as curl -N shows it and as a browser would parse it. */
export interface EventStreamReader {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body so far, decoded (and gunzipped, when the server compressed it). */
  text(): string;
  /** The events dispatched so far (WHATWG parsing rules), with the time each arrived. */
  events: (EventStreamEvent & { at: number })[];
  /** Values of `retry:` fields seen. */
  retries: number[];
  /** Resolves when the server ends the response (or the connection is cut). */
  ended: Promise<'end' | 'cut'>;
  /** Waits until at least `n` events (of `type`, when given) arrived; returns them. */
  waitForEvents(n: number, type?: string, timeoutMs?: number): Promise<(EventStreamEvent & { at: number })[]>;
  close(): void;
}

/** Opens `url` with `Accept: text/event-stream` (plus `headers`) and reads it as it arrives. */
export function readEventStream(url: string, headers: Record<string, string> = {}): Promise<EventStreamReader> {
  return new Promise((resolve, reject) => {
    const request = get(url, { headers: { accept: 'text/event-stream', ...headers }, agent: false }, (res) => {
      const events: EventStreamReader['events'] = [];
      const retries: number[] = [];
      let text = '';
      const parser = createEventStreamParser({ onEvent: (event) => events.push({ ...event, at: Date.now() }), onRetry: (ms) => retries.push(ms) });
      const body = res.headers['content-encoding'] === 'gzip' ? res.pipe(createGunzip()) : res;
      body.setEncoding('utf8');
      body.on('data', (chunk: string) => {
        text += chunk;
        parser.feed(chunk);
      });
      body.on('error', () => {});
      const ended = new Promise<'end' | 'cut'>((done) => {
        res.on('end', () => done('end'));
        res.on('aborted', () => done('cut'));
        res.on('error', () => done('cut'));
        res.on('close', () => done(res.complete ? 'end' : 'cut'));
      });
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        text: () => text,
        events,
        retries,
        ended,
        async waitForEvents(n, type, timeoutMs = 10_000) {
          const matching = () => events.filter((e) => type === undefined || e.type === type);
          await waitFor(() => matching().length >= n, { timeoutMs, what: `${n} ${type ?? ''} events from ${url}` });
          return matching();
        },
        close: () => request.destroy(),
      });
    });
    request.on('error', reject);
  });
}
