import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, CDPSession, Locator } from 'playwright-core';
import { clientLane, type TraceInput } from '../lessons/trace-event.ts';
import { createWorkbench } from '../server/workbench.ts';
import type { EventTimeline } from '../web/components/event-timeline.ts';
import { percentile } from './stats.ts';

export interface TimelineFramesOptions {
  /** About 4 s of frames instead of 10. */
  quick: boolean;
  /**
   * `timeline`: a page with the timeline alone, fed through the real live connection (the figure);
   * `lesson`: the whole short-polling lesson page (its clients, figures and wire views too).
   * @default 'timeline'
   */
  page?: 'timeline' | 'lesson';
}

export interface TimelineFramesFigures {
  /** p95 of the time between consecutive frames (rAF callbacks), ms; 16.7 at 60 Hz means no frame dropped. */
  frameP95Ms: number;
  /**
   * The same on the same page with the timeline empty and nothing arriving, just before: the floor
   * of this machine (headless Chromium's frame times jitter by a tenth of a millisecond).
   */
  idleFrameP95Ms: number;
  frameP50Ms: number;
  /** Frames sampled. */
  frames: number;
  /** Frames longer than 1.5 display frames (25 ms): at least one frame dropped. */
  longFrames: number;
  /** p95 of the timeline's own update (layout, Lit render and DOM commit; no style, layout or paint), ms. */
  updateP95Ms: number;
  updateP50Ms: number;
  /**
   * Main-thread CPU time per frame, ms: what a frame costs on its own (other processes taking the
   * CPU stretch the intervals, hardly this). Above 16.7, a machine this fast cannot draw 60 frames a second.
   */
  cpuMsPerFrame: number;
  /** Shapes drawn at the end of the sample, and the SVG elements they take. */
  shapes: number;
  svgElements: number;
  /** Events in the page's trace when sampling started. */
  eventsShown: number;
  /** Trace events that arrived per second while sampling. */
  eventsPerSec: number;
  /** Page JS heap after a forced GC once 100 000 trace events went through it, MB (2^20 bytes). */
  heapMbAfter100k: number;
  /** The same with the trace just cleared: what the page costs without a trace, MB. */
  heapMbEmpty: number;
  /** Events the page still held after the 100 000: it keeps only its newest 20 000 (`MAX_EVENTS` in the live controller). */
  eventsKept: number;
}

/** The lesson whose trace is used; its page's own two clients poll every 2 s (`page: 'lesson'` only), the feed changes only on demand. */
const SLUG = 'short-polling';
/** Rate of the synthesized trace. */
const EVENTS_PER_SEC = 200;
const SHOWN_BEFORE = 10_000;
const PUSHED_FOR_HEAP = 100_000;
/** Events per push while filling the trace fast; the next push waits until the page has them all. */
const CHUNK = 2_000;

/**
 * Drives the real `<event-timeline>` through the real path: synthesized trace events go into the
 * workbench's trace hub, its live socket batches them to the page every 25 ms, the page's
 * `LiveTraceController` appends them (keeping the newest 20 000) and the host hands the new array
 * to the timeline, as `<lesson-view>` does. By default the page is the timeline alone
 * (bench/fixtures/timeline-page.html, 1280 px wide); `page: 'lesson'` opens the lesson page instead.
 *
 * Frames: with 10 000 events already in the trace and 200 events/s arriving (a feed changing
 * 5×/s; two short-polling, two long-polling, one SSE and one WebSocket client, both sides of each
 * request), the page's frame intervals over ~10 s (quick: ~4 s). The figure is the interval
 * between consecutive requestAnimationFrame callbacks: what the viewer sees, with everything the
 * page does in a frame (handling the batches, the timeline's update, style, layout, paint). The
 * timeline's own synchronous work per update is reported beside it.
 *
 * The same frame intervals with the timeline empty and nothing arriving, sampled first, are the floor
 * the figure is read against.
 *
 * Heap: the trace is cleared, 100 000 events go through the same path in pushes of 2 000, then
 * the page's JS heap is read after a forced GC (CDP `HeapProfiler.collectGarbage`, `Runtime.getHeapUsage`).
 */
export async function measureTimelineFrames(browser: Browser, { quick, page: pageKind = 'timeline' }: TimelineFramesOptions): Promise<TimelineFramesFigures> {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const workspaceDir = await mkdtemp(join(tmpdir(), 'bench-timeline-'));
  const workbench = await createWorkbench({ root, hmr: false, watch: false, workspaceDir });
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  let live: ReturnType<typeof setInterval> | undefined;
  try {
    const url = await workbench.listen(0, '127.0.0.1');
    const host = new URL(url).host;
    const timeline = page.locator('event-timeline');
    /** Sends `events` and waits until the page has them: a page that fell 8 MB behind would be dropped by the live socket. */
    const push = async (events: readonly TraceInput[]) => {
      for (const event of events) workbench.hub.emit(SLUG, event);
      await waitForTrace(timeline, lastSeq(workbench.hub.events(SLUG)));
    };
    const clear = () => clearTrace(timeline, () => workbench.hub.clear(SLUG), lastSeq(workbench.hub.events(SLUG)));

    await fetch(`${url}/api/lessons/${SLUG}/scenario`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"kind":"manual"}' });
    if (pageKind === 'lesson') {
      await page.goto(`${url}/lessons/${SLUG}/`);
      await page.locator('event-timeline .request').first().waitFor({ state: 'attached', timeout: 30_000 });
    } else {
      // Served by the workbench's own Vite from outside its root, so the live socket is same-origin.
      await page.goto(`${url}/@fs${join(root, 'bench', 'fixtures', 'timeline-page.html')}?lesson=${SLUG}`);
      await page.locator('timeline-page[data-status=open]').waitFor({ state: 'attached', timeout: 30_000 });
    }

    // The floor: the same page and frame loop with nothing to draw.
    await clear();
    const cdp = await page.context().newCDPSession(page);
    const idle = await sampleFrames(timeline, cdp, quick ? 2_000 : 4_000);

    // 10 000 events of the last 50 s, sent through the live socket: the page's hello would carry only the newest 5 000.
    const script = createTraceScript({ start: Date.now() - (SHOWN_BEFORE / EVENTS_PER_SEC) * 1000, host });
    for (let sent = 0; sent < SHOWN_BEFORE; sent += CHUNK) await push(script.take(Math.min(CHUNK, SHOWN_BEFORE - sent)));
    live = setInterval(() => {
      for (const event of script.until(Date.now())) workbench.hub.emit(SLUG, event);
    }, 10);

    await delay(quick ? 1_000 : 2_000);
    const sample = await sampleFrames(timeline, cdp, quick ? 4_000 : 10_000);
    clearInterval(live);
    live = undefined;

    await clear();
    const heapMbEmpty = await usedHeapMb(cdp);
    // The last 500 s at 200/s, as fast as the page takes them.
    const history = createTraceScript({ start: Date.now() - (PUSHED_FOR_HEAP / EVENTS_PER_SEC) * 1000, host, firstVersion: 1_000_000 });
    for (let sent = 0; sent < PUSHED_FOR_HEAP; sent += CHUNK) await push(history.take(CHUNK));
    await delay(500);
    const heapMbAfter100k = await usedHeapMb(cdp);
    const eventsKept = await timeline.evaluate((el: EventTimeline) => el.events.length);
    await cdp.detach();

    return {
      frameP95Ms: percentile(sample.frames, 95),
      frameP50Ms: percentile(sample.frames, 50),
      idleFrameP95Ms: percentile(idle.frames, 95),
      frames: sample.frames.length,
      longFrames: sample.frames.filter((ms) => ms > 25).length,
      updateP95Ms: percentile(sample.updates, 95),
      updateP50Ms: percentile(sample.updates, 50),
      cpuMsPerFrame: sample.cpuMs / sample.frames.length,
      shapes: sample.shapes,
      svgElements: sample.elements,
      eventsShown: sample.eventsAtStart,
      eventsPerSec: sample.arrived / (sample.durationMs / 1000),
      heapMbAfter100k,
      heapMbEmpty,
      eventsKept,
    };
  } finally {
    if (live) clearInterval(live);
    await page.close();
    await workbench.close();
    await rm(workspaceDir, { recursive: true, force: true });
  }
}

interface FrameSample {
  /** Intervals between consecutive rAF callbacks, ms. */
  frames: number[];
  /** Durations of the timeline's `performUpdate`, ms. */
  updates: number[];
  /** Main-thread CPU time over the frames (CDP `Performance` metric `ThreadTime`), ms. */
  cpuMs: number;
  eventsAtStart: number;
  arrived: number;
  durationMs: number;
  /** Shapes drawn and SVG elements in the timeline at the end. */
  shapes: number;
  elements: number;
}

/**
 * Records the page's frame intervals, the timeline's update durations and the main thread's CPU
 * time for `durationMs`. Other processes taking the CPU stretch the intervals but hardly the CPU
 * time, so per frame it says what a frame costs even on a busy machine.
 */
async function sampleFrames(timeline: Locator, cdp: CDPSession, durationMs: number): Promise<FrameSample> {
  await cdp.send('Performance.enable');
  const before = await cdp.send('Performance.getMetrics');
  // No named functions in the page functions: tsx would wrap them in a `__name` helper the page does not have.
  await timeline.evaluate((el: EventTimeline) => {
    const instrumented = el as unknown as { performUpdate(): void };
    const original = instrumented.performUpdate;
    const sample = { frames: [] as number[], updates: [] as number[], stopped: false, eventsAtStart: el.events.length, firstSeq: el.events.at(-1)?.seq ?? 0, first: 0, last: 0 };
    (window as unknown as { benchSample: typeof sample }).benchSample = sample;
    instrumented.performUpdate = function () {
      const started = performance.now();
      original.call(this);
      sample.updates.push(performance.now() - started);
    };
    void (async () => {
      sample.first = sample.last = await new Promise<number>((resolve) => requestAnimationFrame(resolve));
      while (!sample.stopped) {
        const time = await new Promise<number>((resolve) => requestAnimationFrame(resolve));
        sample.frames.push(time - sample.last);
        sample.last = time;
      }
    })();
  });
  await delay(durationMs);
  const result = await timeline.evaluate((el: EventTimeline) => {
    const sample = (window as unknown as { benchSample: { frames: number[]; updates: number[]; stopped: boolean; eventsAtStart: number; firstSeq: number; first: number; last: number } }).benchSample;
    sample.stopped = true;
    delete (el as unknown as Partial<{ performUpdate(): void }>).performUpdate;
    const root = el.shadowRoot!;
    return {
      frames: sample.frames,
      updates: sample.updates,
      eventsAtStart: sample.eventsAtStart,
      arrived: (el.events.at(-1)?.seq ?? 0) - sample.firstSeq,
      durationMs: sample.last - sample.first,
      shapes: root.querySelectorAll('.shape').length,
      elements: root.querySelectorAll('svg *').length,
    };
  });
  const after = await cdp.send('Performance.getMetrics');
  const change = (name: string) => (after.metrics.find((m) => m.name === name)?.value ?? NaN) - (before.metrics.find((m) => m.name === name)?.value ?? NaN);
  // The metrics' window is a little wider than the frames' (the page answers between tasks): scale by the share of the time the thread ran.
  return { ...result, cpuMs: (change('ThreadTime') / change('Timestamp')) * result.durationMs };
}

/** Waits until the timeline holds the event with seq `seq` (the last one sent). */
async function waitForTrace(timeline: Locator, seq: number): Promise<void> {
  const arrived = await timeline.evaluate(async (el: EventTimeline, seq: number) => {
    const deadline = Date.now() + 30_000;
    while ((el.events.at(-1)?.seq ?? 0) < seq && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    return (el.events.at(-1)?.seq ?? 0) >= seq;
  }, seq);
  if (!arrived) throw new Error(`The timeline did not get trace event ${seq} within 30 s`);
}

/** Clears the lesson's trace and waits until the page has dropped every event up to `seq`. */
async function clearTrace(timeline: Locator, clear: () => void, seq: number): Promise<void> {
  clear();
  const cleared = await timeline.evaluate(async (el: EventTimeline, seq: number) => {
    const deadline = Date.now() + 30_000;
    while ((el.events[0]?.seq ?? Infinity) <= seq && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    return (el.events[0]?.seq ?? Infinity) > seq;
  }, seq);
  if (!cleared) throw new Error('The timeline still showed the cleared trace after 30 s');
}

/** The page's JS heap after a forced GC, MB. */
async function usedHeapMb(cdp: CDPSession): Promise<number> {
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  return usedSize / 2 ** 20;
}

function lastSeq(events: readonly { seq: number }[]): number {
  return events.at(-1)?.seq ?? 0;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Events in one period of the script, once every client is connected. */
const EVENTS_PER_PERIOD = 39;
/** One period: the feed changes once and every client reacts. */
const PERIOD_MS = (EVENTS_PER_PERIOD * 1000) / EVENTS_PER_SEC;

/**
 * A synthetic trace shaped like the real one (same kinds, lanes, fields, header sets and sizes),
 * generated in time order from `start` at ~200 events/s. Each period of 195 ms: the feed changes;
 * two long-polling clients are answered, show it and ask again (held); an SSE client gets the
 * change and a named `stats` event; a WebSocket client gets the change and two chat messages
 * cross its socket; one short-polling client polls twice, another once.
 */
function createTraceScript({ start, host, firstVersion = 1_000 }: { start: number; host: string; firstVersion?: number }) {
  let period = 0;
  let buffer: TraceInput[] = [];
  let next = 0;
  let conns = 0;
  const held = new Map<string, { conn: string; t: number }>();
  const base = `/lessons/${SLUG}/api`;

  const fill = () => {
    buffer = buffer.slice(next).concat(periodEvents(start + period * PERIOD_MS, firstVersion + period, period === 0));
    next = 0;
    period++;
  };

  function periodEvents(t0: number, version: number, first: boolean): TraceInput[] {
    const out: [number, TraceInput][] = [];
    const at = (offset: number, event: TraceInput) => out.push([offset, event]);
    const value = { symbol: 'ACME', price: Math.round((100 + Math.sin(version / 7) * 5) * 10) / 10 };
    const snapshot = JSON.stringify({ version, value, changedAt: t0 });
    at(0, { kind: 'feed-change', t: t0, lane: 'feed', version, changedAt: t0, value, cause: 'scenario' });

    const show = (offset: number, client: string, line: number) =>
      at(offset, { kind: 'client-show', t: t0 + offset, lane: clientLane(client), client, version, changedAt: t0, staleMs: offset, source: { file: 'client.ts', line } });
    const request = (offset: number, client: string, path: string, accept: string): string => {
      const conn = `${client}-${++conns}`;
      const lane = clientLane(client);
      at(offset, { kind: 'client-request', t: t0 + offset, lane, client, conn, method: 'GET', url: `${base}${path}`, source: { file: 'client.ts', line: 14 } });
      at(offset + 1.2, {
        kind: 'http-request',
        t: t0 + offset + 1.2,
        lane: 'server',
        conn,
        client,
        method: 'GET',
        url: `${base}${path}`,
        headers: requestHeaders(host, conn, client, accept),
        bytes: 731,
      });
      return conn;
    };
    const answer = (offset: number, client: string, conn: string, startedAt: number) => {
      at(offset, {
        kind: 'http-response',
        t: t0 + offset,
        lane: 'server',
        conn,
        client,
        status: 200,
        headers: { 'content-type': 'application/json; charset=utf-8', 'content-length': String(snapshot.length), 'cache-control': 'no-store' },
        bytes: 170 + snapshot.length,
        durationMs: t0 + offset - startedAt,
        version,
        body: snapshot,
        source: { file: 'server.ts', line: 22 },
      });
      at(offset + 1, { kind: 'client-response', t: t0 + offset + 1, lane: clientLane(client), client, conn, status: 200, version, source: { file: 'client.ts', line: 14 } });
    };

    // Long polling: the held request is answered by this change, and the client asks again at once.
    for (const [i, client] of ['lp-1', 'lp-2'].entries()) {
      const offset = 0.4 + i * 0.2;
      const waiting = held.get(client);
      if (waiting) {
        answer(offset, client, waiting.conn, waiting.t);
        show(offset + 1.4, client, 29);
      }
      const conn = request(offset + 2, client, `/data?since=${version}`, '*/*');
      at(offset + 3.6, { kind: 'http-held', t: t0 + offset + 3.6, lane: 'server', conn, client });
      held.set(client, { conn, t: t0 + offset + 3.2 });
    }

    // Server-Sent Events: one stream, opened in the first period, carrying the change and a named event.
    const sseConn = 'sse-1-stream';
    if (first) {
      request(0.1, 'sse-1', '/events', 'text/event-stream');
      at(1.5, { kind: 'stream-open', t: t0 + 1.5, lane: 'server', conn: sseConn, client: 'sse-1', status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' }, source: { file: 'server.ts', line: 84 } });
    }
    const chunk = `id: ${version}\ndata: ${snapshot}\n\n`;
    const stats = `event: stats\ndata: {"clients":6,"version":${version}}\n\n`;
    at(0.5, { kind: 'stream-chunk', t: t0 + 0.5, lane: 'server', conn: sseConn, client: 'sse-1', bytes: chunk.length, text: chunk, version, source: { file: 'server.ts', line: 92 } });
    at(0.7, { kind: 'stream-chunk', t: t0 + 0.7, lane: 'server', conn: sseConn, client: 'sse-1', bytes: stats.length, text: stats, version, source: { file: 'server.ts', line: 97 } });
    const message = (offset: number, type: string, data: string) =>
      at(offset, { kind: 'client-message', t: t0 + offset, lane: clientLane('sse-1'), client: 'sse-1', url: `${base}/events?client=sse-1`, type, lastEventId: String(version), data, version, source: { file: 'client.ts', line: 12 } });
    message(1.5, 'message', snapshot);
    message(1.9, 'stats', `{"clients":6,"version":${version}}`);
    show(1.8, 'sse-1', 14);

    // WebSocket: one socket, opened in the first period, carrying the change and a chat message each way twice.
    const wsConn = 'ws-1-socket';
    if (first) {
      at(0.2, { kind: 'client-socket', t: t0 + 0.2, lane: clientLane('ws-1'), client: 'ws-1', url: `${base}/socket?client=ws-1`, state: 'connecting', source: { file: 'client.ts', line: 34 } });
      at(1.1, { kind: 'ws-open', t: t0 + 1.1, lane: 'server', conn: wsConn, client: 'ws-1', url: `${base}/socket?client=ws-1`, headers: { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-accept': 'D5Xl2AqdGi96MoWManAX9QejDis=' }, bytes: 129 });
    }
    const frame = (offset: number, direction: 'in' | 'out', text: string, frameVersion?: number) =>
      at(offset, {
        kind: 'ws-frame',
        t: t0 + offset,
        lane: 'server',
        conn: wsConn,
        client: 'ws-1',
        direction,
        opcode: 'text',
        bytes: text.length + (direction === 'in' ? 6 : 2),
        length: text.length,
        masked: direction === 'in',
        fragments: 1,
        text,
        ...(frameVersion === undefined ? {} : { version: frameVersion }),
        source: { file: 'server.ts', line: direction === 'in' ? 118 : 132 },
      });
    frame(0.5, 'out', snapshot, version);
    show(1.6, 'ws-1', 40);
    for (const offset of [60, 140]) {
      const chat = JSON.stringify({ type: 'chat', text: `message ${version}.${offset}` });
      frame(offset, 'in', chat);
      frame(offset + 1, 'out', JSON.stringify({ type: 'chat', from: 'Ada', text: `message ${version}.${offset}`, at: Math.round(t0 + offset) }));
    }

    // Short polling: answered at once with the current version, shown every time.
    for (const [client, offset] of [['sp-1', 20], ['sp-1', 120], ['sp-2', 70]] as const) {
      const conn = request(offset, client, '/data', '*/*');
      answer(offset + 2.5, client, conn, t0 + offset + 1.2);
      show(offset + 4, client, 29);
    }

    return out.sort((a, b) => a[0] - b[0]).map(([, event]) => event);
  }

  return {
    /** The next `n` events. */
    take(n: number): TraceInput[] {
      while (buffer.length - next < n) fill();
      next += n;
      return buffer.slice(next - n, next);
    },
    /** Every event not yet taken up to time `t`. */
    until(t: number): TraceInput[] {
      while (start + period * PERIOD_MS <= t) fill();
      const from = next;
      while (next < buffer.length && buffer[next]!.t <= t) next++;
      return buffer.slice(from, next);
    },
  };
}

/** The headers Chromium sends with a lesson client's fetch, as the trace records them. */
function requestHeaders(host: string, conn: string, client: string, accept: string): Record<string, string> {
  return {
    host,
    connection: 'keep-alive',
    pragma: 'no-cache',
    'cache-control': 'no-cache',
    'sec-ch-ua-platform': '"Linux"',
    'x-workbench-conn': conn,
    'sec-ch-ua': '"Not:A-Brand";v="8", "Chromium";v="156"',
    'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36',
    'x-workbench-client': client,
    'sec-ch-ua-mobile': '?0',
    accept,
    'sec-fetch-site': 'same-origin',
    'sec-fetch-mode': 'cors',
    'sec-fetch-dest': 'empty',
    referer: `http://${host}/lessons/${SLUG}/`,
    'accept-encoding': 'gzip, deflate, br, zstd',
    'accept-language': 'en-US,en;q=0.9',
  };
}
