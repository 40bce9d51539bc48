import { describe, expect, it, onTestFinished } from 'vitest';
import { WebSocket } from 'ws';
import type { TraceEvent, TraceKind } from '../../lessons/trace-event.ts';
import type { Har, HarEntry } from '../../server/trace-har.ts';
import { readEventStream } from '../setup/event-stream-reader.ts';
import { harProblems } from '../setup/har-problems.ts';
import { startWorkbench, traceOf, waitFor } from '../setup/workbench.ts';

/** The lesson's trace as HAR, once the trace has an event of `kind` on `conn`, checked against HAR 1.2. */
async function harOnceTraced(url: string, lesson: string, kind: TraceKind, conn?: string): Promise<{ har: Har; trace: TraceEvent[] }> {
  await waitFor(async () => (await traceOf(url, lesson)).some((e) => e.kind === kind && (conn === undefined || e.conn === conn)), { what: `${kind} in the ${lesson} trace` });
  const res = await fetch(`${url}/api/trace?lesson=${lesson}&format=har`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
  expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${lesson}.har"`);
  const har = (await res.json()) as Har;
  expect(harProblems(har)).toEqual([]);
  return { har, trace: await traceOf(url, lesson) };
}

/** The one entry of `har` for `url` (path and query), made absolute with the workbench's origin. */
function entryFor(har: Har, url: string): HarEntry {
  const entries = har.log.entries.filter((e) => e.request.url === url);
  expect(entries, `entries for ${url}`).toHaveLength(1);
  return entries[0]!;
}

describe('GET /api/trace?format=har', () => {
  it('writes a plain GET as one entry with its status, absolute URL, body and timings', async () => {
    const { url } = await startWorkbench();
    const answer = await fetch(`${url}/lessons/short-polling/api/data?probe=1`);
    expect(answer.status).toBe(200);
    const body = await answer.text();

    const { har, trace } = await harOnceTraced(url, 'short-polling', 'http-response');
    expect(har.log).toMatchObject({ version: '1.2', creator: { name: 'realtime-web-workbench' } });
    const entry = entryFor(har, `${url}/lessons/short-polling/api/data?probe=1`);
    const request = trace.find((e) => e.kind === 'http-request')!;
    expect(entry).toMatchObject({
      startedDateTime: new Date(request.t).toISOString(),
      _conn: request.conn,
      request: { method: 'GET', httpVersion: 'HTTP/1.1', queryString: [{ name: 'probe', value: '1' }] },
      response: { status: 200, statusText: 'OK', content: { mimeType: 'application/json; charset=utf-8', text: body } },
    });
    expect(entry.response.bodySize).toBe(Buffer.byteLength(body));
  });

  it('gives a held long poll, answered by a feed change, at least its hold as wait', async () => {
    const { url } = await startWorkbench();
    const manual = await fetch(`${url}/api/lessons/long-polling/scenario`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"kind":"manual"}' });
    expect(manual.status).toBe(200);
    const poll = fetch(`${url}/lessons/long-polling/api/data?wait=1`, { headers: { 'x-workbench-client': 'har', 'x-workbench-conn': 'har-poll' } });
    await waitFor(async () => (await traceOf(url, 'long-polling')).some((e) => e.kind === 'http-held' && e.conn === 'har-poll'), { what: 'the poll held' });
    const change = await fetch(`${url}/api/lessons/long-polling/feed/next`, { method: 'POST' });
    expect(change.status).toBe(201);
    expect((await poll).status).toBe(200);

    const { har, trace } = await harOnceTraced(url, 'long-polling', 'http-response', 'har-poll');
    const held = trace.find((e) => e.kind === 'http-held' && e.conn === 'har-poll')!;
    const answered = trace.find((e) => e.kind === 'http-response' && e.conn === 'har-poll')!;
    const entry = entryFor(har, `${url}/lessons/long-polling/api/data?wait=1`);
    expect(entry).toMatchObject({ _conn: 'har-poll', _client: 'har', _resourceType: 'fetch', response: { status: 200 } });
    expect(entry.timings.wait).toBeGreaterThanOrEqual(answered.t - held.t);
    expect(entry.time).toBe(answered.t - trace.find((e) => e.kind === 'http-request' && e.conn === 'har-poll')!.t);
  });

  it('writes an event stream read and then left as one eventsource entry spanning open to close, its events as content', async () => {
    const { url } = await startWorkbench();
    const stream = await readEventStream(`${url}/lessons/server-sent-events/api/time`);
    const ticks = await stream.waitForEvents(2, 'time');
    stream.close();

    const { har, trace } = await harOnceTraced(url, 'server-sent-events', 'stream-close');
    const entry = entryFor(har, `${url}/lessons/server-sent-events/api/time`);
    const opened = trace.find((e) => e.kind === 'stream-open')!;
    const closed = trace.find((e) => e.kind === 'stream-close')!;
    expect(entry).toMatchObject({ _resourceType: 'eventsource', comment: 'Stream closed by the client', response: { status: 200, content: { mimeType: expect.stringMatching(/^text\/event-stream/) } } });
    expect(entry.timings.wait).toBe(opened.t - new Date(entry.startedDateTime).getTime());
    expect(entry.time).toBe(closed.t - new Date(entry.startedDateTime).getTime());
    for (const tick of ticks) expect(entry.response.content.text).toContain(`event: time\ndata: ${tick.data}\n\n`);
  });

  it('writes a WebSocket chat as its 101 upgrade with the frames sent and received as _webSocketMessages', async () => {
    const { url } = await startWorkbench();
    const ws = new WebSocket(`${url.replace('http', 'ws')}/lessons/websocket/api/chat?name=test`, { origin: url });
    onTestFinished(() => ws.terminate());
    const received: string[] = [];
    ws.on('message', (data) => received.push(String(data)));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send('{"type":"chat","text":"hi"}');
    const echo = await waitFor(() => received.find((m) => m.includes('"type":"chat"') && m.includes('"text":"hi"')), { what: 'the chat message back' });
    const closed = new Promise((resolve) => ws.once('close', resolve));
    ws.close(1000, 'bye');
    await closed;

    const { har } = await harOnceTraced(url, 'websocket', 'ws-close');
    const entry = entryFor(har, `${url.replace('http', 'ws')}/lessons/websocket/api/chat?name=test`);
    expect(entry).toMatchObject({ _resourceType: 'websocket', comment: 'WebSocket closed by the client with 1000: bye', response: { status: 101, statusText: 'Switching Protocols' } });
    const messages = entry._webSocketMessages!;
    expect(messages).toContainEqual({ type: 'send', time: expect.any(Number), opcode: 1, data: '{"type":"chat","text":"hi"}' });
    expect(messages).toContainEqual({ type: 'receive', time: expect.any(Number), opcode: 1, data: echo });
    expect(messages.filter((m) => m.opcode === 8).map((m) => [m.type, m.data])).toEqual([
      ['send', '1000 bye'],
      ['receive', '1000 bye'],
    ]);
    const started = new Date(entry.startedDateTime).getTime() / 1000;
    for (const message of messages) expect(message.time).toBeGreaterThanOrEqual(started);
  });

  it('keeps the JSON trace as the default and refuses a format other than json or har with 400', async () => {
    const { url } = await startWorkbench();
    const json = await fetch(`${url}/api/trace?lesson=short-polling&format=json`);
    expect(json.headers.get('content-disposition')).toBeNull();
    expect(Object.keys((await json.json()) as object)).toEqual(['lesson', 'serverNow', 'events']);

    const bad = await fetch(`${url}/api/trace?lesson=short-polling&format=xml`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'Unknown format "xml": expected format=json (the default), format=har or format=recording' });
    const unknown = await fetch(`${url}/api/trace?lesson=nope&format=har`);
    expect(unknown.status).toBe(404);
  });
});
