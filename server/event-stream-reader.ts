/**
 * A lean `text/event-stream` reader for headless load clients: one HTTP/1.1 GET on a plain TCP
 * socket, the response's chunked framing (when it has one) undone, and the stream parsed by the
 * WHATWG rules (the page's own parser, web/event-stream-parser.ts).
 * It exists because thousands of them share one process: `node:http`'s response stream costs
 * about a third more CPU per event, and a load generator slower than the server it measures
 * measures itself.
 */
import { connect } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { createEventStreamParser, type EventStreamEvent } from '../web/event-stream-parser.ts';

/** One dispatched event: its data, and the stream's last event id after it (what a reconnect sends as `Last-Event-ID`). */
export type StreamEvent = Pick<EventStreamEvent, 'data' | 'lastEventId'>;

export interface EventStreamOptions {
  /** Request headers besides `Host` and `Accept`. */
  headers?: Record<string, string>;
  onEvent(event: StreamEvent): void;
  /** Closes the stream (the promise then resolves). */
  signal: AbortSignal;
}

/** Bytes of response head kept before giving up on it. */
const MAX_HEAD_BYTES = 16 * 1024;

/**
 * Reads one event stream from `url` (http:). Resolves when the server ends it or `signal` aborts;
 * rejects on a status other than 200, a malformed response or a socket error.
 */
export function readEventStream(url: URL, { headers = {}, onEvent, signal }: EventStreamOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return resolve();
    if (url.protocol !== 'http:') return reject(new Error(`event stream: only http: URLs are read here, got ${url.protocol}`));
    const socket = connect({ host: url.hostname, port: Number(url.port || 80) });
    socket.setNoDelay(true);
    const fields = Object.entries({ ...headers, Accept: 'text/event-stream' })
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    socket.write(`GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n${fields}\r\n`);

    const parser = createEventStreamParser({ onEvent: ({ data, lastEventId }) => onEvent({ data, lastEventId }) });
    const decoder = new StringDecoder('utf8');
    const text = (bytes: Buffer) => parser.feed(decoder.write(bytes));
    let body: ((bytes: Buffer) => void) | undefined;
    let head: Buffer = Buffer.alloc(0);

    const stop = () => socket.destroy();
    signal.addEventListener('abort', stop, { once: true });
    const fail = (error: Error) => {
      socket.destroy();
      reject(error);
    };
    socket.on('data', (data: Buffer) => {
      if (body) return body(data);
      head = Buffer.concat([head, data]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return void (head.length > MAX_HEAD_BYTES && fail(new Error('event stream: no end to the response head')));
      const lines = head.subarray(0, end).toString('latin1').split('\r\n');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1];
      if (status !== '200') return fail(new Error(`event stream answered ${status ?? JSON.stringify(lines[0])}`));
      const chunked = lines.some((line) => /^transfer-encoding:.*\bchunked\b/i.test(line));
      body = chunked ? createChunkedDecoder(text, () => socket.end(), fail) : text;
      body(head.subarray(end + 4));
    });
    socket.on('error', (error) => (signal.aborted ? resolve() : reject(error)));
    socket.on('close', () => {
      signal.removeEventListener('abort', stop);
      if (!body && !signal.aborted) reject(new Error('event stream: the connection closed before a response'));
      else resolve();
    });
  });
}

/**
 * Undoes HTTP/1.1 chunked framing, fed bytes as they arrive: `onData` gets the chunks' contents,
 * `onEnd` the last (empty) chunk, `onError` a malformed size line.
 */
export function createChunkedDecoder(onData: (bytes: Buffer) => void, onEnd: () => void, onError: (error: Error) => void): (bytes: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  /** Bytes still to come of the current chunk and its CRLF, or -1 while reading a size line. */
  let left = -1;
  let ended = false;
  return (bytes) => {
    if (ended) return;
    pending = pending.length > 0 ? Buffer.concat([pending, bytes]) : bytes;
    let at = 0;
    while (at < pending.length) {
      if (left < 0) {
        const eol = pending.indexOf('\r\n', at);
        if (eol < 0) break;
        const size = /^[0-9a-f]+/i.exec(pending.toString('latin1', at, eol))?.[0]; // after it, chunk extensions
        if (size === undefined) return void ((ended = true), onError(new Error('event stream: a malformed chunk size')));
        at = eol + 2;
        if (size.replace(/^0+/, '') === '') return void ((ended = true), onEnd());
        left = parseInt(size, 16) + 2;
      }
      const take = Math.min(left, pending.length - at);
      const data = Math.min(take, left - 2); // what is left of the chunk before its CRLF
      if (data > 0) onData(pending.subarray(at, at + data));
      left -= take;
      at += take;
      if (left === 0) left = -1;
    }
    pending = pending.subarray(at);
  };
}
