import { describe, expect, it } from 'vitest';
import type { TraceEvent, TraceInput } from '../lessons/trace-event.ts';
import pkg from '../package.json' with { type: 'json' };
import { harProblems } from '../test/setup/har-problems.ts';
import { HAR_STREAM_TEXT_LIMIT, traceToHar, type Har, type HarEntry } from './trace-har.ts';

const ORIGIN = 'http://127.0.0.1:5173';
const T0 = Date.UTC(2026, 0, 2, 3, 4, 5, 0);

/** A trace of `inputs`, stamped with seq and lesson as the hub does; `t` is ms after T0. */
function trace(...inputs: TraceInput[]): TraceEvent[] {
  return inputs.map((input, i) => ({ ...input, t: T0 + input.t, seq: i + 1, lesson: 'demo' }) as TraceEvent);
}

const server = { lane: 'server' } as const;
const request = (conn: string, t: number, url: string, headers: Record<string, string> = {}, more: object = {}): TraceInput => ({
  ...server,
  kind: 'http-request',
  conn,
  t,
  method: 'GET',
  url,
  headers: { host: '127.0.0.1:5173', ...headers },
  bytes: 100,
  ...more,
});
const response = (conn: string, t: number, durationMs: number, more: Partial<Extract<TraceInput, { kind: 'http-response' }>> = {}): TraceInput => ({
  ...server,
  kind: 'http-response',
  conn,
  t,
  status: 200,
  headers: { 'content-type': 'application/json; charset=utf-8', 'content-length': '13' },
  bytes: 213,
  durationMs,
  body: '{"version":3}',
  ...more,
});

/** The HAR of `events`, after checking it against the HAR 1.2 rules. */
function harOf(events: TraceEvent[], now?: number): Har {
  const har = traceToHar(events, { lesson: 'demo', origin: ORIGIN, now });
  expect(harProblems(JSON.parse(JSON.stringify(har)))).toEqual([]);
  return har;
}
const only = (har: Har): HarEntry => {
  expect(har.log.entries).toHaveLength(1);
  return har.log.entries[0]!;
};

describe('traceToHar', () => {
  it('writes a HAR 1.2 log created by the workbench, with no pages', () => {
    expect(harOf([])).toEqual({
      log: { version: '1.2', creator: { name: pkg.name, version: pkg.version }, comment: 'The recorded trace of the demo lesson, as the lesson server saw it', entries: [] },
    });
  });

  it('makes one entry of a request and its response, with absolute URL, parsed query, sizes and timings', () => {
    const entry = only(
      harOf(
        trace(
          request('c1', 0, '/lessons/demo/api/data?since=12&tag=a%20b', { 'x-workbench-client': 'ada', 'sec-fetch-mode': 'cors' }, { client: 'ada' }),
          response('c1', 40, 40, { client: 'ada' }),
        ),
      ),
    );
    expect(entry).toEqual({
      startedDateTime: '2026-01-02T03:04:05.000Z',
      time: 40,
      request: {
        method: 'GET',
        url: 'http://127.0.0.1:5173/lessons/demo/api/data?since=12&tag=a%20b',
        httpVersion: 'HTTP/1.1',
        cookies: [],
        headers: [
          { name: 'host', value: '127.0.0.1:5173' },
          { name: 'x-workbench-client', value: 'ada' },
          { name: 'sec-fetch-mode', value: 'cors' },
        ],
        queryString: [
          { name: 'since', value: '12' },
          { name: 'tag', value: 'a b' },
        ],
        headersSize: 100,
        bodySize: 0,
      },
      response: {
        status: 200,
        statusText: 'OK',
        httpVersion: 'HTTP/1.1',
        cookies: [],
        headers: [
          { name: 'content-type', value: 'application/json; charset=utf-8' },
          { name: 'content-length', value: '13' },
        ],
        content: { size: 13, mimeType: 'application/json; charset=utf-8', text: '{"version":3}' },
        redirectURL: '',
        headersSize: 200,
        bodySize: 13,
      },
      cache: {},
      timings: { blocked: -1, dns: -1, connect: -1, send: 0, wait: 40, receive: 0 },
      _resourceType: 'fetch',
      _conn: 'c1',
      _client: 'ada',
    });
  });

  it('counts a request body out of the request headers and says when a body preview is cut short', () => {
    const entry = only(
      harOf(
        trace(
          { ...(request('c1', 0, '/api/x', { 'content-length': '40' }) as object), method: 'POST' } as TraceInput,
          response('c1', 5, 5, { headers: { 'content-length': '5000', 'content-type': 'text/plain' }, bytes: 5150, body: 'x'.repeat(2000) }),
        ),
      ),
    );
    expect(entry.request).toMatchObject({ method: 'POST', headersSize: 60, bodySize: 40 });
    expect(entry.response).toMatchObject({ headersSize: 150, bodySize: 5000, content: { size: 5000, mimeType: 'text/plain', text: 'x'.repeat(2000), comment: expect.stringMatching(/cut short/i) } });
    expect(entry._resourceType).toBeUndefined();
  });

  it('gives a held long poll its hold as wait time', () => {
    const entry = only(harOf(trace(request('p1', 0, '/api/data?wait=1'), { ...server, kind: 'http-held', conn: 'p1', t: 2 }, response('p1', 2502, 2502))));
    expect(entry.timings).toEqual({ blocked: -1, dns: -1, connect: -1, send: 0, wait: 2502, receive: 0 });
    expect(entry.time).toBe(2502);
    expect(entry.comment).toBe('Held by the server for 2500 ms');
  });

  it('answers an aborted request with status 0 and an _error', () => {
    const entry = only(harOf(trace(request('p1', 0, '/api/data?wait=1'), { ...server, kind: 'http-held', conn: 'p1', t: 1 }, { ...server, kind: 'http-abort', conn: 'p1', t: 900, durationMs: 900 })));
    expect(entry.response).toEqual({
      status: 0,
      statusText: '',
      httpVersion: '',
      cookies: [],
      headers: [],
      content: { size: 0, mimeType: 'x-unknown' },
      redirectURL: '',
      headersSize: -1,
      bodySize: -1,
      _error: 'Aborted: the client went away before the answer',
    });
    expect(entry.time).toBe(900);
  });

  it('runs a request never answered up to `now`, with status 0 and an _error', () => {
    const entry = only(harOf(trace(request('p1', 0, '/api/data?wait=1')), T0 + 1_234));
    expect(entry.response).toMatchObject({ status: 0, _error: 'No answer yet when the trace was exported' });
    expect(entry.timings.wait).toBe(1_234);
  });

  describe('an event stream', () => {
    const open: TraceInput = { ...server, kind: 'stream-open', conn: 's1', t: 5, status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' } };
    const chunk = (t: number, text: string): TraceInput => ({ ...server, kind: 'stream-chunk', conn: 's1', t, bytes: Buffer.byteLength(text), text });

    it('spans open to close, with the chunks as its content', () => {
      const entry = only(
        harOf(
          trace(
            request('s1', 0, '/api/time', { accept: 'text/event-stream' }),
            open,
            chunk(6, 'retry: 2000\n\n'),
            chunk(1006, 'event: time\ndata: 1\n\n'),
            { ...server, kind: 'stream-close', conn: 's1', t: 1500, by: 'client', durationMs: 1500 },
          ),
        ),
      );
      expect(entry.time).toBe(1500);
      expect(entry.timings).toEqual({ blocked: -1, dns: -1, connect: -1, send: 0, wait: 5, receive: 1495 });
      expect(entry.response).toMatchObject({
        status: 200,
        statusText: 'OK',
        headersSize: -1,
        bodySize: 34,
        content: { size: 34, mimeType: 'text/event-stream; charset=utf-8', text: 'retry: 2000\n\nevent: time\ndata: 1\n\n' },
      });
      expect(entry._resourceType).toBe('eventsource');
      expect(entry.comment).toBe('Stream closed by the client');
    });

    it('runs a stream still open up to `now`, and keeps at most 64 KiB of its text', () => {
      const big = 'data: ' + 'x'.repeat(1990) + '\n\n';
      const chunks = Array.from({ length: 40 }, (_, i) => chunk(10 + i, big));
      const entry = only(harOf(trace(request('s1', 0, '/api/time'), open, ...chunks), T0 + 10_000));
      expect(entry.time).toBe(10_000);
      expect(entry.response.content.text).toHaveLength(HAR_STREAM_TEXT_LIMIT);
      expect(entry.response.content).toMatchObject({ size: 40 * big.length, comment: expect.stringMatching(/cut short/i) });
      expect(entry.comment).toBe('Stream still open when the trace was exported');
    });
  });

  it('writes a WebSocket as its upgrade answered 101, with its frames as Chrome’s _webSocketMessages', () => {
    const frame = (t: number, direction: 'in' | 'out', opcode: 'text' | 'binary' | 'ping' | 'close', text?: string): TraceInput => ({
      ...server,
      kind: 'ws-frame',
      conn: 'w1',
      t,
      direction,
      opcode,
      bytes: 10,
      length: 4,
      masked: direction === 'in',
      fragments: 1,
      text,
    });
    const entry = only(
      harOf(
        trace(
          request('w1', 0, '/lessons/websocket/api/chat?name=ada', { upgrade: 'websocket', connection: 'Upgrade' }),
          { ...server, kind: 'ws-open', conn: 'w1', t: 3, url: '/lessons/websocket/api/chat?name=ada', headers: { upgrade: 'websocket', connection: 'Upgrade' }, bytes: 129 },
          frame(10, 'in', 'text', '{"type":"chat","text":"hi"}'),
          frame(12, 'out', 'text', '{"type":"chat","text":"hi","from":"ada"}'),
          frame(20, 'out', 'ping'),
          frame(21, 'in', 'binary'),
          frame(30, 'in', 'close', '1000 bye'),
          frame(31, 'out', 'close', '1000 bye'),
          { ...server, kind: 'ws-close', conn: 'w1', t: 33, code: 1000, reason: 'bye', by: 'client', durationMs: 30 },
        ),
      ),
    );
    expect(entry.request.url).toBe('ws://127.0.0.1:5173/lessons/websocket/api/chat?name=ada');
    expect(entry.response).toMatchObject({ status: 101, statusText: 'Switching Protocols', headersSize: 129, bodySize: 0 });
    expect(entry.timings).toMatchObject({ wait: 3, receive: 30 });
    expect(entry._resourceType).toBe('websocket');
    expect(entry.comment).toBe('WebSocket closed by the client with 1000: bye');
    expect(entry._webSocketMessages).toEqual([
      { type: 'send', time: (T0 + 10) / 1000, opcode: 1, data: '{"type":"chat","text":"hi"}' },
      { type: 'receive', time: (T0 + 12) / 1000, opcode: 1, data: '{"type":"chat","text":"hi","from":"ada"}' },
      { type: 'receive', time: (T0 + 20) / 1000, opcode: 9, data: '' },
      { type: 'send', time: (T0 + 21) / 1000, opcode: 2, data: '' },
      { type: 'send', time: (T0 + 30) / 1000, opcode: 8, data: '1000 bye' },
      { type: 'receive', time: (T0 + 31) / 1000, opcode: 8, data: '1000 bye' },
    ]);
  });

  it('writes a refused upgrade as the plain answer it got', () => {
    const upgrade = { upgrade: 'websocket', connection: 'Upgrade' };
    const entry = only(harOf(trace(request('w1', 0, '/chat', upgrade), response('w1', 2, 2, { status: 403, headers: { 'content-type': 'text/plain' }, bytes: 90, body: 'Not from here' }))));
    expect(entry.response).toMatchObject({ status: 403, statusText: 'Forbidden', headersSize: -1, bodySize: -1, content: { size: 13, text: 'Not from here' } });
    expect(entry._resourceType).toBe('websocket');
    expect(entry._webSocketMessages).toBeUndefined();
  });

  it('orders entries by start, starts a new entry when a conn id comes again, and leaves out the rest of the trace', () => {
    const har = harOf(
      trace(
        { ...server, kind: 'http-response', conn: 'lost', t: 0, status: 200, headers: {}, bytes: 10, durationMs: 5 },
        request('long', 10, '/slow'),
        request('s1', 20, '/a'),
        response('s1', 25, 5),
        { kind: 'client-request', lane: 'client:ada', client: 'ada', conn: 'browser-only', t: 26, method: 'GET', url: '/b' },
        { kind: 'reload', lane: 'server', t: 27, generation: 2, file: 'server.ts', reason: 'file-changed' },
        request('s1', 30, '/c'),
        response('s1', 38, 8),
        response('long', 50, 40),
      ),
    );
    expect(har.log.entries.map((e) => [e._conn, new URL(e.request.url).pathname, e.time])).toEqual([
      ['long', '/slow', 40],
      ['s1', '/a', 5],
      ['s1', '/c', 8],
    ]);
  });
});
