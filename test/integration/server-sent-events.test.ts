import { Socket } from 'node:net';
import { get } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FeedSnapshot, SettingValue } from '../../lessons/lesson.ts';
import type { ClientShowEvent, StreamCloseEvent, TraceEvent } from '../../lessons/trace-event.ts';
import sseClient from '../../lessons/03-server-sent-events/client.ts';
import sseServer from '../../lessons/03-server-sent-events/server.ts';
import { readLessonEntry } from '../../server/lesson-catalog.ts';
import { readEventStream, type EventStreamReader } from '../setup/event-stream-reader.ts';
import { startLessonHarness, type LessonHarness } from '../setup/lesson-harness.ts';
import { runNodeClient } from '../setup/node-client.ts';
import { ROOT, startWorkbench, traceOf, waitFor } from '../setup/workbench.ts';

const SLUG = 'server-sent-events';
const API = `/lessons/${SLUG}/api`;
const defaults = (await readLessonEntry(join(ROOT, 'lessons', '03-server-sent-events'))).params;

const open: (EventStreamReader | LessonHarness)[] = [];
afterEach(async () => {
  for (const thing of open.splice(0).reverse()) await ('feed' in thing ? thing.close() : thing.close());
});

/** The lesson's real server.ts in this process, with the lesson's default parameters over `params`. */
async function harness(params: Record<string, SettingValue> = {}) {
  const h = await startLessonHarness(sseServer, { slug: SLUG, params: { ...defaults, ...params } });
  open.push(h);
  return h;
}

async function reader(url: string, headers?: Record<string, string>) {
  const r = await readEventStream(url, headers);
  open.push(r);
  return r;
}

const stats = async (apiBase: string) => (await (await fetch(`${apiBase}/stats`)).json()) as { streams: number; data: number; time: number; clientCount: number };
const snapshotOf = (data: string) => JSON.parse(data) as FeedSnapshot;

describe('the SSE lesson through the workbench, as curl sees it', () => {
  it('streams `event: time` every second with the event-stream headers, flushed before the first event', async () => {
    const { url } = await startWorkbench();
    const time = await reader(`${url}${API}/time`);
    expect(time.status).toBe(200);
    expect(time.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(time.headers['cache-control']).toBe('no-cache');
    expect(time.headers['x-accel-buffering']).toBe('no');
    await waitFor(() => time.retries.length > 0, { what: 'the retry field' });
    expect(time.retries).toEqual([defaults.retryMs]);

    const ticks = await time.waitForEvents(3, 'time');
    for (const tick of ticks) expect(new Date(JSON.parse(tick.data) as string).getTime()).toBeGreaterThan(0);
    const gaps = ticks.slice(1).map((tick, i) => tick.at - ticks[i]!.at);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(700);
    expect(time.text()).toMatch(/^: stream open\nretry: \d+\n\nevent: time\ndata: "\d{4}-/);
  });

  it('counts /client-count listeners up and down as a second one connects and leaves', async () => {
    const { url } = await startWorkbench();
    const first = await reader(`${url}${API}/client-count?client=first`);
    await waitFor(() => first.events.some((e) => e.type === 'client-count' && e.data === '{"count":1}'), { what: 'count 1' });

    const second = await reader(`${url}${API}/client-count?client=second`);
    await waitFor(() => first.events.some((e) => e.type === 'client-count' && e.data === '{"count":2}'), { what: 'count 2' });
    expect(first.events.filter((e) => e.type === 'add').map((e) => e.data)).toEqual(['first', 'second']);
    // The newcomer hears who was already there, then itself.
    expect(second.events.filter((e) => e.type === 'add').map((e) => e.data)).toEqual(['first', 'second']);

    second.close();
    await waitFor(() => first.events.at(-1)?.type === 'client-count' && first.events.at(-1)?.data === '{"count":1}', { what: 'count back to 1' });
    expect(first.events.filter((e) => e.type === 'remove').map((e) => e.data)).toEqual(['second']);
  });

  it('ends a client’s streams from the page ("drop the connection"), and says so in the trace', async () => {
    const { url } = await startWorkbench();
    const a = await reader(`${url}${API}/data?client=a`);
    const b = await reader(`${url}${API}/data?client=b`);
    await a.waitForEvents(1);
    await b.waitForEvents(1);

    const res = await fetch(`${url}/api/lessons/${SLUG}/drop`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client: 'a' }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ dropped: 1 });
    expect(await a.ended).toBe('end'); // a clean end of the body: a browser reconnects after `retry`

    const closes = await waitFor(async () => (await traceOf(url, SLUG)).filter((e): e is StreamCloseEvent => e.kind === 'stream-close' && e.client === 'a'));
    expect(closes[0]).toMatchObject({ by: 'server', reason: 'dropped from the page' });
    // b is untouched.
    await fetch(`${url}/api/lessons/${SLUG}/feed/next`, { method: 'POST' });
    await b.waitForEvents(2);
  });

  it('through the nginx stand-in, events arrive in bursts unless the lesson sends X-Accel-Buffering: no', async () => {
    const { url } = await startWorkbench();
    await put(url, `/api/lessons/${SLUG}/scenario`, { kind: 'manual' });
    await put(url, `/api/lessons/${SLUG}/settings`, { params: { accelBuffering: false } });
    const change = () => fetch(`${url}/api/lessons/${SLUG}/feed/next`, { method: 'POST' });
    const direct = await reader(`${url}${API}/data?client=direct`);
    const buffered = await reader(`${url}/nginx${API}/data?client=proxied`);
    expect(buffered.status).toBe(200);
    expect(buffered.headers['content-type']).toMatch(/^text\/event-stream/);
    for (let i = 0; i < 5; i++) await change();
    await direct.waitForEvents(6);
    expect(buffered.events).toEqual([]); // six events written, none passed on yet
    for (let i = 0; i < 200 && buffered.events.length === 0; i++) {
      await change();
      await direct.waitForEvents(7 + i);
    }
    await waitFor(() => buffered.events.length > 0, { what: 'the first burst' });
    expect(buffered.events.length).toBeGreaterThan(20); // 4 KiB of events at once

    await put(url, `/api/lessons/${SLUG}/settings`, { params: { accelBuffering: true } });
    const unbuffered = await reader(`${url}/nginx${API}/data?client=fixed`);
    expect(unbuffered.headers['x-accel-buffering']).toBeUndefined(); // nginx keeps X-Accel-* to itself
    await unbuffered.waitForEvents(1);
    await change();
    await unbuffered.waitForEvents(2);
  });

  it('the nginx stand-in cuts a silent stream after its idle timeout and says so on the client’s lane; a heartbeat keeps it open', async () => {
    const { url } = await startWorkbench({ nginxIdleTimeoutMs: 400 });
    await put(url, `/api/lessons/${SLUG}/scenario`, { kind: 'manual' });
    await put(url, `/api/lessons/${SLUG}/settings`, { params: { heartbeatMs: 0 } });
    const silent = await reader(`${url}/nginx${API}/data?client=b`);
    await silent.ended; // cut by the stand-in (an EventSource reconnects either way)
    const cut = await waitFor(async () => (await traceOf(url, SLUG)).find((e) => e.kind === 'error' && e.phase === 'proxy'));
    expect(cut).toMatchObject({ lane: 'client:b', client: 'b' });
    expect(cut.kind === 'error' && cut.message).toMatch(/closed \/lessons\/server-sent-events\/api\/data after 0.4 s .*proxy_read_timeout/);

    await put(url, `/api/lessons/${SLUG}/settings`, { params: { heartbeatMs: 100, accelBuffering: true } });
    // The heartbeat picks the new period up within a second: wait until a direct stream hears it.
    const direct = await reader(`${url}${API}/time`);
    await waitFor(() => direct.text().includes(': ping'), { what: 'the heartbeat running' });
    const kept = await reader(`${url}/nginx${API}/data?client=a`);
    await waitFor(() => kept.text().split(': ping').length > 12, { what: 'pings through the stand-in for well over the idle timeout' });
    expect((await traceOf(url, SLUG)).filter((e) => e.kind === 'error' && e.phase === 'proxy')).toHaveLength(1);
  });

  it('refuses a drop for a client the lesson does not have, and takes one of a second browser tab (`a-2`)', async () => {
    const { url } = await startWorkbench();
    const drop = (client: string) => fetch(`${url}/api/lessons/${SLUG}/drop`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client }) });
    for (const client of ['nobody', 'nobody-2', 'a-', 'a-123']) {
      const res = await drop(client);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(/one of the lesson's clients: a, b/);
    }
    const secondTab = await drop('a-2');
    expect([secondTab.status, await secondTab.json()]).toEqual([200, { dropped: 0 }]);
  });
});

describe('GET /data: one endpoint for both worlds', () => {
  it('answers plain JSON by default, and a stream for Accept: text/event-stream or ?sse=1', async () => {
    const h = await harness();
    const json = await fetch(`${h.apiBase}/data`);
    expect(json.headers.get('content-type')).toMatch(/application\/json/);
    expect(((await json.json()) as FeedSnapshot).version).toBe(h.feed.current().version);

    const byHeader = await reader(`${h.apiBase}/data`);
    const byQuery = await reader(`${h.apiBase}/data?sse=1`, { accept: '*/*' });
    for (const stream of [byHeader, byQuery]) {
      expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
      const [first] = await stream.waitForEvents(1, 'message');
      expect(first!.lastEventId).toBe(String(h.feed.current().version));
      expect(snapshotOf(first!.data)).toEqual(h.feed.current());
    }
  });

  it('sends each change as a message with id: <version>, in order', async () => {
    const h = await harness();
    const stream = await reader(`${h.apiBase}/data`);
    await stream.waitForEvents(1);
    const made = [1, 2, 3, 4, 5].map(() => h.feed.change(h.feed.nextValue(), 'manual'));
    const events = await stream.waitForEvents(6, 'message');
    expect(events.slice(1).map((e) => e.lastEventId)).toEqual(made.map((s) => String(s.version)));
    expect(events.slice(1).map((e) => snapshotOf(e.data))).toEqual(made);
  });

  it('replays exactly the missed changes, in order, to a client coming back with Last-Event-ID', async () => {
    const h = await harness();
    const first = await reader(`${h.apiBase}/data`);
    const [seen] = await first.waitForEvents(1);
    first.close();
    const missed = [1, 2, 3].map(() => h.feed.change(h.feed.nextValue(), 'manual'));

    const back = await reader(`${h.apiBase}/data`, { 'last-event-id': seen!.lastEventId });
    const replayed = await back.waitForEvents(3);
    expect(replayed.map((e) => snapshotOf(e.data))).toEqual(missed);
    const live = h.feed.change(h.feed.nextValue(), 'manual');
    const all = await back.waitForEvents(4);
    expect(snapshotOf(all[3]!.data)).toEqual(live);
    expect(all.map((e) => e.type)).toEqual(['message', 'message', 'message', 'message']);
  });

  it('sends nothing old to a client that is up to date', async () => {
    const h = await harness();
    const current = h.feed.current();
    const back = await reader(`${h.apiBase}/data`, { 'last-event-id': String(current.version) });
    await waitFor(() => back.retries.length > 0, { what: 'the stream to open' });
    const next = h.feed.change(h.feed.nextValue(), 'manual');
    const [event] = await back.waitForEvents(1);
    expect(snapshotOf(event!.data)).toEqual(next);
  });

  it('sends a `reset` with the whole state when the id is older than the buffer, unknown, or not a number', async () => {
    const h = await harness({ replayBuffer: 2 });
    const start = h.feed.current().version;
    for (let i = 0; i < 5; i++) h.feed.change(h.feed.nextValue(), 'manual');
    for (const id of [String(start), String(start + 100), 'abc']) {
      const back = await reader(`${h.apiBase}/data`, { 'last-event-id': id });
      const [event] = await back.waitForEvents(1);
      expect(event).toMatchObject({ type: 'reset', lastEventId: String(h.feed.current().version) });
      expect(snapshotOf(event!.data)).toEqual(h.feed.current());
    }
    // Within the buffer, it still replays.
    const recent = await reader(`${h.apiBase}/data`, { 'last-event-id': String(h.feed.current().version - 1) });
    const [replayed] = await recent.waitForEvents(1);
    expect(replayed).toMatchObject({ type: 'message', lastEventId: String(h.feed.current().version) });
  });

  it('writes pretty JSON as several data: lines, which the parser joins back', async () => {
    const h = await harness({ multiline: true });
    const stream = await reader(`${h.apiBase}/data`);
    const [event] = await stream.waitForEvents(1);
    expect(stream.text()).toContain('data: {\ndata:   "version"');
    expect(snapshotOf(event!.data)).toEqual(h.feed.current());
    expect(event!.data.split('\n').length).toBeGreaterThan(3);
  });
});

describe('resuming with a real EventSource client (the eventsource package)', () => {
  it('comes back after a dropped connection with nothing lost and nothing doubled', async () => {
    const { url } = await startWorkbench();
    await put(url, `/api/lessons/${SLUG}/settings`, { params: { retryMs: 300 } });
    await put(url, `/api/lessons/${SLUG}/scenario`, { kind: 'interval', everyMs: 50 });
    const events: TraceEvent[] = [];
    const stop = runNodeClient(sseClient, { apiBase: `${url}${API}`, clientId: 'a', options: { via: 'direct' }, emit: (e) => events.push({ ...e, seq: events.length + 1, lesson: SLUG } as TraceEvent) });
    try {
      const shows = () => events.filter((e): e is ClientShowEvent => e.kind === 'client-show');
      await waitFor(() => shows().length >= 5, { what: 'five versions shown' });
      const before = shows().at(-1)!.version;
      const res = await fetch(`${url}/api/lessons/${SLUG}/drop`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client: 'a' }) });
      expect(((await res.json()) as { dropped: number }).dropped).toBeGreaterThanOrEqual(1);
      await waitFor(() => events.some((e) => e.kind === 'client-stream' && e.state === 'connecting'), { what: 'the client to notice' });
      await waitFor(() => (shows().at(-1)?.version ?? 0) > before + 15, { what: 'versions after the reconnect' });

      const versions = shows().map((s) => s.version);
      const first = versions[0]!;
      expect(versions).toEqual(versions.map((_, i) => first + i)); // consecutive: no hole, no double
      // The second /data request resumed from the last id the client had.
      const requests = (await traceOf(url, SLUG)).filter((e) => e.kind === 'http-request' && e.client === 'a' && e.url.includes('/data'));
      expect(requests.length).toBeGreaterThanOrEqual(2);
      const resumedFrom = Number(requests[1]!.kind === 'http-request' ? requests[1]!.headers['last-event-id'] : NaN);
      expect(resumedFrom).toBeGreaterThanOrEqual(before);
      expect(versions).toContain(resumedFrom + 1);
    } finally {
      stop();
    }
  });
});

describe('listeners and slow consumers', () => {
  it('leaves no listener behind after 1 000 connect/disconnect cycles', async () => {
    const h = await harness();
    const cycle = (path: string) =>
      new Promise<void>((resolve, reject) => {
        const request = get(`${h.apiBase}${path}`, { headers: { accept: 'text/event-stream' }, agent: false }, (res) => {
          res.once('data', () => {
            request.destroy();
            resolve();
          });
        });
        request.on('error', (error) => (request.destroyed ? resolve() : reject(error)));
      });
    const paths = ['/data', '/time', '/client-count'];
    for (let batch = 0; batch < 20; batch++) await Promise.all(Array.from({ length: 50 }, (_, i) => cycle(paths[(batch * 50 + i) % 3]!)));
    await waitFor(async () => {
      const s = await stats(h.apiBase);
      return s.streams === 0 && s.data === 0 && s.time === 0 && s.clientCount === 0;
    }, { what: 'every listener gone' });
    expect(h.events.filter((e) => e.kind === 'stream-open')).toHaveLength(1000);
  });

  it('drops a client that stops reading once its queue passes the limit, and keeps serving the others', async () => {
    const h = await harness();
    const healthy = await reader(`${h.apiBase}/data?client=healthy`);
    // A client that sends its request and never reads a byte.
    const stalled = new Socket();
    await new Promise<void>((resolve) => stalled.connect(Number(new URL(h.apiBase).port), '127.0.0.1', resolve));
    stalled.pause();
    stalled.write(`GET ${new URL(h.apiBase).pathname}/data?client=stalled HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`);
    await waitFor(() => h.events.some((e) => e.kind === 'stream-open' && e.client === 'stalled'), { what: 'the stalled stream to open' });

    // 16 KiB changes, one per turn of the event loop, so that the healthy reader keeps up.
    const big = 'x'.repeat(16 * 1024);
    const dropped = () => h.events.find((e): e is StreamCloseEvent => e.kind === 'stream-close' && e.client === 'stalled');
    let changes = 0;
    for (; changes < 3_000 && !dropped(); changes++) {
      h.feed.change({ big, changes }, 'manual');
      await new Promise((resolve) => setImmediate(resolve));
    }
    const close = await waitFor(dropped, { what: 'the slow consumer dropped' });
    expect(close.by).toBe('server');
    expect(close.reason).toMatch(/^slow consumer: \d+ KiB queued, dropped$/);
    stalled.destroy();

    const last = h.feed.change({ after: 'the drop' }, 'manual');
    await waitFor(() => healthy.events.some((e) => e.lastEventId === String(last.version)), { what: 'the healthy client to get the next change' });
    expect((await stats(h.apiBase)).data).toBe(1);
  });

  it('sends a comment heartbeat every heartbeatMs', async () => {
    const h = await harness({ heartbeatMs: 100 });
    const stream = await reader(`${h.apiBase}/time`);
    await waitFor(() => stream.text().split(': ping\n\n').length > 3, { what: 'three pings' });
  });
});

describe("the seeds' pitfalls", () => {
  it('res.json() in the stream handler ends the response at once, with nothing a browser would dispatch', async () => {
    const h = await harness({ send: 'json' });
    const stream = await reader(`${h.apiBase}/data`);
    expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(await stream.ended).toBe('end');
    expect(stream.events).toEqual([]);
    expect(snapshotOf(stream.text())).toEqual(h.feed.current());
  });

  it('keyed by IP, a second tab behind the same address is refused; keyed by connection, both stay', async () => {
    const h = await harness({ keyBy: 'ip' });
    const first = await reader(`${h.apiBase}/client-count?client=one`);
    await first.waitForEvents(1, 'client-count');
    const second = await reader(`${h.apiBase}/client-count?client=two`);
    expect(await second.ended).toBe('end');
    expect(second.text()).toMatch(/already connected/);
    expect(second.events.filter((e) => e.type === 'client-count')).toEqual([]);

    h.settings.params.keyBy = 'connection';
    const third = await reader(`${h.apiBase}/client-count?client=three`);
    const [count] = await third.waitForEvents(1, 'client-count');
    expect(count!.data).toBe('{"count":2}');
  });

  it('gzip holds events back until something flushes it; res.flush() sends each one on', async () => {
    const h = await harness({ compression: 'on' });
    const gzipped = await reader(`${h.apiBase}/data?client=gzip`, { 'accept-encoding': 'gzip' });
    const plain = await reader(`${h.apiBase}/data?client=plain`); // no Accept-Encoding: not compressed
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(plain.headers['content-encoding']).toBeUndefined();
    for (let i = 0; i < 3; i++) h.feed.change(h.feed.nextValue(), 'manual');
    await plain.waitForEvents(4);
    expect(gzipped.events).toEqual([]); // written by the lesson, stuck in the compressor

    h.settings.params.compression = 'flush';
    const flushed = await reader(`${h.apiBase}/data?client=flushed`, { 'accept-encoding': 'gzip' });
    expect(flushed.headers['content-encoding']).toBe('gzip');
    const next = h.feed.change(h.feed.nextValue(), 'manual');
    await waitFor(() => flushed.events.some((e) => e.lastEventId === String(next.version)), { what: 'the flushed event' });
  });
});

async function put(url: string, path: string, body: unknown) {
  const res = await fetch(`${url}${path}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
}
