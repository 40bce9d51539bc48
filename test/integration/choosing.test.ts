import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { FeedSnapshot, LessonFigures } from '../../lessons/lesson.ts';
import { readEventStream } from '../setup/event-stream-reader.ts';
import { startWorkbench, traceOf, waitFor } from '../setup/workbench.ts';

const json = { 'content-type': 'application/json' };
const put = (url: string, path: string, body: unknown) => fetch(`${url}${path}`, { method: 'PUT', headers: json, body: JSON.stringify(body) });

describe('the choosing lesson: one feed, four techniques', () => {
  it('serves the same change by short poll, long poll (since=), event stream and WebSocket', async () => {
    const { url, workbench } = await startWorkbench();
    await put(url, '/api/lessons/choosing/scenario', { kind: 'manual' });
    const api = `${url}/lessons/choosing/api`;
    const now = (await (await fetch(`${api}/poll`)).json()) as FeedSnapshot;

    const held = fetch(`${api}/long-poll?since=${now.version}`);
    const behind = await fetch(`${api}/long-poll?since=${now.version - 1}`);
    expect(await behind.json()).toMatchObject({ version: now.version }); // behind: answered at once
    const stream = await readEventStream(`${api}/events`);
    expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
    const socket = new WebSocket(`${api.replace('http', 'ws')}/socket`);
    const frames: FeedSnapshot[] = [];
    socket.on('message', (data) => frames.push(JSON.parse(String(data)) as FeedSnapshot));
    await waitFor(() => frames.length === 1 && stream.events.length === 1, { what: 'the first snapshot on the stream and the socket' });
    await waitFor(async () => (await traceOf(url, 'choosing')).some((e) => e.kind === 'http-held'), { what: 'the long poll held' });

    const changed = workbench.hosts.get('choosing')!.feed.change({ price: 42 }, 'manual');
    const answer = (await (await held).json()) as FeedSnapshot;
    await waitFor(() => frames.length === 2 && stream.events.length === 2, { what: 'the change on the stream and the socket' });
    expect(answer).toMatchObject({ version: changed.version, value: { price: 42 } });
    expect(JSON.parse(stream.events[1]!.data)).toMatchObject({ version: changed.version });
    expect(stream.events[1]!.lastEventId).toBe(String(changed.version));
    expect(frames[1]).toMatchObject({ version: changed.version });
    expect(await (await fetch(`${api}/poll`)).json()).toMatchObject({ version: changed.version });
    stream.close();
    socket.close();
  });

  it("counts a page client's deliveries toward its technique's latency, but not the first value it shows (also after the page is reloaded)", async () => {
    const { url, workbench } = await startWorkbench();
    await put(url, '/api/lessons/choosing/scenario', { kind: 'manual' });
    const live = new WebSocket(`${url.replace('http', 'ws')}/api/live?lesson=choosing`);
    await new Promise((resolve, reject) => live.once('open', resolve).once('error', reject));
    const t = Date.now();
    const show = (version: number, staleMs: number, first?: true) => ({ kind: 'client-show', lane: 'client:sse', client: 'sse', t: t + version, version, changedAt: t - staleMs, staleMs, ...(first ? { first } : {}) });
    // The page's SSE client starts (its first value is 4 s old: the data before it came), gets a change;
    // the page is reloaded, and the new client, under the same id, starts and gets a change again.
    const events = [show(1, 4_000, true), show(2, 30), show(2, 900), show(3, 5_000, true), show(4, 40)];
    live.send(JSON.stringify({ type: 'client-events', events }));
    const comparison = workbench.hosts.get('choosing')!.comparison!;
    await waitFor(async () => (await traceOf(url, 'choosing')).filter((e) => e.kind === 'client-show').length === events.length, { what: 'every show recorded' });
    expect(comparison.figures().techniques.find((r) => r.kind === 'sse')).toMatchObject({ deliveries: 2, latencyP50Ms: 30, latencyP99Ms: 40 });
    live.close();
  });

  it('runs virtual clients of each technique in another process, counts them in the figures without tracing each, and stops them', async () => {
    const { url, workbench } = await startWorkbench();
    await put(url, '/api/lessons/choosing/scenario', { kind: 'interval', everyMs: 500 });
    const comparison = workbench.hosts.get('choosing')!.comparison!;
    const figures: LessonFigures[] = [];
    const stop = comparison.subscribe((f) => figures.push(f));
    const leave = comparison.watch();

    const started = await put(url, '/api/lessons/choosing/virtual-clients', { 'short-polling': 40, 'long-polling': 40, sse: 40, websocket: 40 });
    expect(started.status).toBe(200);
    expect(await started.json()).toMatchObject({ counts: { 'short-polling': 40, 'long-polling': 40, sse: 40, websocket: 40 }, max: 5000, endsAt: expect.any(Number) });
    const row = (f: LessonFigures | undefined, kind: string) => f?.techniques.find((t) => t.kind === kind);
    const loaded = await waitFor(
      () => {
        const f = figures.at(-1);
        const ready = ['long-polling', 'sse', 'websocket'].every((k) => row(f, k)!.open >= 40 && row(f, k)!.deliveries >= 40) && row(f, 'short-polling')!.requestsPerSec >= 20;
        return ready && f!.techniques.every((t) => t.bytesPerUpdate !== undefined && t.latencyP99Ms !== undefined) && f;
      },
      { timeoutMs: 20_000, what: 'figures counting 40 virtual clients of each technique' },
    );
    // Streams and sockets cost bytes per change in the tens; every poll is a whole HTTP exchange.
    expect(row(loaded, 'sse')!.bytesPerUpdate).toBeLessThan(row(loaded, 'long-polling')!.bytesPerUpdate!);
    expect(row(loaded, 'websocket')!.bytesPerUpdate).toBeLessThan(row(loaded, 'long-polling')!.bytesPerUpdate!);
    expect(loaded.serverCpuPercent).toBeGreaterThan(0);
    expect((await traceOf(url, 'choosing')).filter((e) => e.client?.startsWith('virtual-'))).toEqual([]);
    expect(await (await fetch(`${url}/api/lessons/choosing/figures`)).json()).toMatchObject({ virtual: { counts: { sse: 40 } } });

    // Short polling as often as the page's "Short poll every" says: ten times a second, the requests go up tenfold.
    expect(row(loaded, 'short-polling')!.requestsPerSec).toBeLessThan(60);
    const faster = await put(url, '/api/lessons/choosing/virtual-clients', { intervalMs: 100 });
    expect(await faster.json()).toMatchObject({ intervalMs: 100, counts: { 'short-polling': 40 } });
    await waitFor(() => row(figures.at(-1), 'short-polling')!.requestsPerSec >= 100, { timeoutMs: 15_000, what: 'short polling at the new interval' });
    const tooFast = await put(url, '/api/lessons/choosing/virtual-clients', { intervalMs: 5 });
    expect([tooFast.status, await tooFast.json()]).toEqual([400, { error: expect.stringContaining('intervalMs: a whole number of ms from 100') }]);

    // Bounded: more than the most per technique, or an unknown one, is refused and changes nothing.
    const tooMany = await put(url, '/api/lessons/choosing/virtual-clients', { sse: 5001 });
    expect(tooMany.status).toBe(400);
    expect(await tooMany.json()).toEqual({ error: expect.stringContaining('0 to 5000') });
    expect((await put(url, '/api/lessons/choosing/virtual-clients', { carrier: 1 })).status).toBe(400);
    expect((await put(url, '/api/lessons/short-polling/virtual-clients', { sse: 1 })).status).toBe(404);

    // The last page leaves: they stop, and their connections close.
    leave();
    await waitFor(() => ['long-polling', 'sse', 'websocket'].every((k) => row(figures.at(-1), k)!.open === 0) && figures.at(-1), {
      timeoutMs: 15_000,
      what: 'every virtual connection closed',
    }).then((f) => expect(f.virtual).toMatchObject({ counts: { sse: 0 }, error: expect.stringContaining('last page') }));
    stop();
  });

  it('measures each technique alone: its virtual clients and none of the others, one after the other, then puts them back', { timeout: 45_000 }, async () => {
    const { url, workbench } = await startWorkbench();
    await put(url, '/api/lessons/choosing/scenario', { kind: 'interval', everyMs: 500 });
    const comparison = workbench.hosts.get('choosing')!.comparison!;
    const leave = comparison.watch();
    const measure = (body: unknown) => fetch(`${url}/api/lessons/choosing/measure-alone`, { method: 'POST', headers: json, body: JSON.stringify(body) });
    const seen = new Set<string>();
    const stop = comparison.subscribe((f) => {
      const running = f.alone?.running;
      // While one technique is measured, only it has virtual clients.
      if (running && Object.entries(f.virtual.counts).every(([kind, n]) => n === (kind === running ? 10 : 0))) seen.add(running);
    });

    // Another site's page may not start one (it runs thousands of clients on this machine).
    const foreign = await fetch(`${url}/api/lessons/choosing/measure-alone`, { method: 'POST', headers: { ...json, origin: 'https://evil.example' }, body: '{"clients": 10}' });
    expect(foreign.status).toBe(403);
    expect(comparison.figures().alone).toBeUndefined();

    // Two seconds each: the runner's meters (with its CPU time) come once a second.
    const started = await measure({ clients: 10, seconds: 2 });
    expect([started.status, await started.json()]).toEqual([202, expect.objectContaining({ clients: 10, seconds: 2, running: 'short-polling', results: {} })]);
    const again = await measure({ clients: 10 });
    expect([again.status, await again.json()]).toEqual([409, { error: expect.stringContaining('Already measuring') }]);
    for (const bad of [{ clients: 0 }, { clients: 10, seconds: 99 }, { clients: 'many' }, [10]]) expect((await measure(bad)).status).toBe(400);

    const done = await waitFor(() => comparison.figures().alone?.finishedAt !== undefined && comparison.figures(), { timeoutMs: 30_000, what: 'every technique measured alone' });
    expect(Object.keys(done.alone!.results)).toEqual(['short-polling', 'long-polling', 'sse', 'websocket']);
    for (const figures of Object.values(done.alone!.results)) expect(figures).toMatchObject({ serverCpuPercent: expect.any(Number), deliveries: expect.any(Number) });
    expect(done.alone!.results.sse!.deliveries).toBeGreaterThan(0);
    expect([...seen]).toEqual(['short-polling', 'long-polling', 'sse', 'websocket']);
    await waitFor(() => Object.values(comparison.figures().virtual.counts).every((n) => n === 0), { what: 'the virtual clients back to none' });

    // Changing the virtual clients by hand stops a measurement, and leaves them as they are then (not put back).
    expect((await measure({ clients: 10, seconds: 5 })).status).toBe(202);
    await put(url, '/api/lessons/choosing/virtual-clients', { sse: 5 });
    expect(comparison.figures().alone).toMatchObject({ running: undefined, error: expect.stringContaining('changed by hand') });
    await new Promise((resolve) => setTimeout(resolve, 2_500)); // past the first technique's settling: no next one, nothing put back
    expect(comparison.figures().virtual.counts).toEqual({ 'short-polling': 10, 'long-polling': 0, sse: 5, websocket: 0 });
    stop();
    leave();
  });
});
