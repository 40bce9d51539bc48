import { describe, expect, it } from 'vitest';
import type { TraceEvent, TraceInput } from '../lessons/trace-event.ts';
import { findMissedUpdates } from '../lessons/missed-updates.ts';
import { indexTrace, type TraceIndex } from './timeline-index.ts';
import { layoutTimeline, type TimelineLaneSpec, type TimelineLayout } from './timeline-layout.ts';
import { createTimelineSlicer, SETTLED_REACH_SLICES, SLICE_PX, type TimelineView } from './timeline-slices.ts';

const LANES: TimelineLaneSpec[] = [
  { lane: 'feed', label: 'Feed' },
  { lane: 'server', label: 'Server' },
];
const T0 = 1_000_000;
const WINDOW_MS = 20_000;
const WIDTH = 2_000;

/**
 * A minute of a busy lesson, in the order the trace hub would get it: a naive long-polling client
 * that misses changes made between its polls, a short-polling one with a check run, an SSE stream
 * with its messages (closed, then reconnected), a WebSocket with frames both ways and pings, a
 * request that never reaches the server, and a reload of server.ts that cuts what was open.
 * Client events reach the hub up to `lagMs` after they happen, so they arrive out of time order.
 */
function busyTrace(lagMs: number): { event: TraceEvent; arrives: number }[] {
  let seed = 7;
  const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const timed: { input: TraceInput; arrives: number }[] = [];
  const server = (input: TraceInput) => timed.push({ input, arrives: input.t });
  const client = (input: TraceInput) => timed.push({ input, arrives: input.t + random() * lagMs });
  const end = T0 + 60_000;
  let conns = 0;

  // The feed changes every 0.7 to 1.5 s.
  const changes: { t: number; version: number }[] = [];
  for (let t = T0 + 500, version = 1; t < end; t += 700 + random() * 800, version++) {
    changes.push({ t, version });
    server({ kind: 'feed-change', t, lane: 'feed', version, changedAt: t, value: { n: version }, cause: 'scenario' });
  }
  const newestAt = (t: number) => [...changes].reverse().find((c) => c.t <= t);
  const nextAfter = (t: number) => changes.find((c) => c.t > t);
  const RELOAD = T0 + 30_000;
  server({ kind: 'reload', t: RELOAD, lane: 'server', generation: 2, file: 'server.ts', reason: 'file-changed' });

  // Naive long polling: held until the next change, then 0.2 to 1.2 s on screen before asking again.
  for (let t = T0 + 100; t < end - 3_000; ) {
    const conn = `lp-${++conns}`;
    const lane = 'client:naive';
    client({ kind: 'client-request', t, lane, client: 'naive', conn, method: 'GET', url: '/poll' });
    server({ kind: 'http-request', t: t + 2, lane: 'server', conn, client: 'naive', method: 'GET', url: '/poll', headers: {}, bytes: 100 });
    server({ kind: 'http-held', t: t + 3, lane: 'server', conn, client: 'naive' });
    const next = nextAfter(t + 3);
    if (!next) break;
    if (t < RELOAD && next.t > RELOAD) {
      // Cut by the reload: the browser sees the connection fail and asks again.
      client({ kind: 'client-error', t: RELOAD + 5, lane, client: 'naive', conn, message: 'Failed to fetch' });
      t = RELOAD + 200;
      continue;
    }
    server({ kind: 'http-response', t: next.t + 1, lane: 'server', conn, client: 'naive', status: 200, headers: {}, bytes: 90, durationMs: next.t - t, version: next.version });
    client({ kind: 'client-response', t: next.t + 3, lane, client: 'naive', conn, status: 200, version: next.version });
    client({ kind: 'client-show', t: next.t + 4, lane, client: 'naive', version: next.version, changedAt: next.t, staleMs: 4 });
    t = next.t + 200 + random() * 1_000;
  }

  // Short polling every second, with a check run on its lane.
  for (let t = T0 + 250; t < end - 1_000; t += 1_000) {
    const conn = `sp-${++conns}`;
    const lane = 'client:sp';
    const shown = newestAt(t + 20);
    client({ kind: 'client-request', t, lane, client: 'sp', conn, method: 'GET', url: '/data' });
    server({ kind: 'http-request', t: t + 2, lane: 'server', conn, client: 'sp', method: 'GET', url: '/data', headers: {}, bytes: 100 });
    server({ kind: 'http-response', t: t + 20, lane: 'server', conn, client: 'sp', status: 200, headers: {}, bytes: 90, durationMs: 18, version: shown?.version });
    client({ kind: 'client-response', t: t + 22, lane, client: 'sp', conn, status: 200, version: shown?.version });
    if (shown) client({ kind: 'client-show', t: t + 23, lane, client: 'sp', version: shown.version, changedAt: shown.t, staleMs: t + 23 - shown.t });
  }
  client({ kind: 'check', t: T0 + 25_000, lane: 'client:sp', client: 'sp', phase: 'start', message: 'checking' });
  client({ kind: 'check', t: T0 + 27_500, lane: 'client:sp', client: 'sp', phase: 'pass', message: 'passed' });

  // SSE: a stream until 40 s (cut by the reload first), a reconnect, a second stream.
  for (const [open, close] of [
    [T0 + 300, T0 + 40_000],
    [T0 + 42_000, end - 500],
  ] as const) {
    const conn = `sse-${++conns}`;
    server({ kind: 'http-request', t: open, lane: 'server', conn, client: 'sse', method: 'GET', url: '/events', headers: {}, bytes: 100 });
    server({ kind: 'stream-open', t: open + 1, lane: 'server', conn, client: 'sse', status: 200, headers: {} });
    for (const change of changes.filter((c) => c.t > open && c.t < close)) {
      server({ kind: 'stream-chunk', t: change.t + 2, lane: 'server', conn, client: 'sse', bytes: 40, text: `data: ${change.version}`, version: change.version });
      client({ kind: 'client-message', t: change.t + 5, lane: 'client:sse', client: 'sse', conn, url: '/events', type: 'message', lastEventId: String(change.version), data: '{}', version: change.version });
      client({ kind: 'client-show', t: change.t + 6, lane: 'client:sse', client: 'sse', version: change.version, changedAt: change.t, staleMs: 6 });
    }
    server({ kind: 'stream-close', t: close, lane: 'server', conn, client: 'sse', by: 'server', durationMs: close - open });
  }
  client({ kind: 'client-stream', t: T0 + 40_010, lane: 'client:sse', client: 'sse', url: '/events', state: 'connecting' });

  // WebSocket: frames both ways, pings, closed at 50 s.
  const ws = `ws-${++conns}`;
  server({ kind: 'ws-open', t: T0 + 2_000, lane: 'server', conn: ws, client: 'ws', url: '/socket', headers: {}, bytes: 200 });
  client({ kind: 'client-socket', t: T0 + 1_990, lane: 'client:ws', client: 'ws', url: '/socket', state: 'connecting' });
  for (let t = T0 + 2_500, i = 0; t < T0 + 50_000; t += 500, i++) {
    const opcode = i % 7 === 0 ? 'ping' : 'text';
    server({ kind: 'ws-frame', t, lane: 'server', conn: ws, client: 'ws', direction: i % 2 ? 'in' : 'out', opcode, fin: true, bytes: 20, length: 18, masked: i % 2 === 1, fragments: 1 } as TraceInput);
  }
  server({ kind: 'ws-close', t: T0 + 50_000, lane: 'server', conn: ws, client: 'ws', code: 1000, reason: 'bye', by: 'client', durationMs: 48_000 });

  // A request that never reaches the server: in flight for 10 s, then lost.
  client({ kind: 'client-request', t: T0 + 45_000, lane: 'client:lost', client: 'lost', conn: `x-${++conns}`, method: 'GET', url: '/nowhere' });

  timed.sort((a, b) => a.arrives - b.arrives);
  return timed.map(({ input, arrives }, i) => ({ event: { ...input, seq: i + 1, lesson: 'test' } as TraceEvent, arrives }));
}

/** The settled layout of a slice, from a trace indexed afresh. */
function freshSlice(events: readonly TraceEvent[], index: TraceIndex, view: TimelineView, from: number, to: number): TimelineLayout {
  return layoutTimeline({
    events,
    index,
    lanes: LANES,
    maxLanes: 12,
    from,
    to,
    now: Infinity,
    width: (to - from) * view.pxPerMs,
    part: 'settled',
    maxSettledMs: (SETTLED_REACH_SLICES * SLICE_PX) / view.pxPerMs,
  });
}

function keysOf(layout: TimelineLayout): string[] {
  return [...layout.bars, ...layout.links, ...layout.arrows, ...layout.ticks, ...layout.markers].map((shape) => shape.key);
}

describe('createTimelineSlicer', () => {
  const trace = busyTrace(400);

  // In time order, no late event happens to lay out again what a change must: each reason to is tested on its own.
  it.each([
    ['client events late by up to 400 ms', trace, 4],
    ['every event in time order', busyTrace(0), 1],
  ] as const)('keeps only slices that come out the same as laid out afresh, as the trace grows batch by batch (%s)', (_, trace, checkEvery) => {
    const slicer = createTimelineSlicer();
    let index: TraceIndex | undefined;
    let checked = 0;
    let batch = 0;
    for (let arrived = 0; arrived < trace.length; batch++) {
      const now = trace[arrived]!.arrives + 25;
      while (arrived < trace.length && trace[arrived]!.arrives <= now) arrived++;
      const events = trace.slice(0, arrived).map(({ event }) => event);
      index = indexTrace(events, index);
      const view = slicer.view({ index, lanes: LANES, maxLanes: 12, from: now - WINDOW_MS, to: now, now, width: WIDTH, origin: T0, lookaheadMs: 250 });
      if (batch % checkEvery !== 0) continue;
      // The index grown event by event is the index built at once.
      const fresh = indexTrace([...events]);
      expect(index.deliveries).toEqual(findMissedUpdates(events, Infinity));
      expect(new Map(index.conns.map((r) => [r.conn, r.slot]))).toEqual(new Map(fresh.conns.map((r) => [r.conn, r.slot])));
      for (const slice of view.slices) {
        // Timings of shapes that reach now are live, so a settled slice never depends on it.
        expect({ key: slice.key, layout: slice.layout }).toEqual({ key: slice.key, layout: freshSlice(events, fresh, view, slice.from, slice.to) });
        checked++;
      }
    }
    expect(batch).toBeGreaterThan(200);
    expect(checked).toBeGreaterThan(4_000);
    // The race was reproduced, so missed updates were among what the slices kept.
    expect(index!.deliveries.get('naive')?.missed.length).toBeGreaterThan(3);
    // Checked against a fresh index and fresh slices after each batch (or each fourth): seconds on a busy machine.
  }, 30_000);

  it('draws every shape of the window once, in a slice or in the live part', () => {
    const slicer = createTimelineSlicer();
    let index: TraceIndex | undefined;
    const cut = trace.findIndex(({ arrives }) => arrives > T0 + 46_000);
    const now = T0 + 46_000;
    const events = trace.slice(0, cut).map(({ event }) => event);
    // Grown in two steps, so the second view keeps slices from the first.
    index = indexTrace(events.slice(0, cut - 200), index);
    slicer.view({ index, lanes: LANES, maxLanes: 12, from: now - 1_000 - WINDOW_MS, to: now - 1_000, now: now - 1_000, width: WIDTH, origin: T0, lookaheadMs: 250 });
    index = indexTrace(events, index);
    const view = slicer.view({ index, lanes: LANES, maxLanes: 12, from: now - WINDOW_MS, to: now, now, width: WIDTH, origin: T0, lookaheadMs: 0 });

    const drawn = [...view.slices.flatMap((slice) => keysOf(slice.layout)), ...keysOf(view.live.layout)];
    expect(new Set(drawn).size).toBe(drawn.length);
    const whole = layoutTimeline({ events, lanes: LANES, maxLanes: 12, from: now - WINDOW_MS, to: now, now, width: WIDTH, origin: T0 });
    const single = [...whole.bars, ...whole.links, ...whole.arrows, ...whole.ticks, ...whole.markers].filter((shape) => shape.count === undefined);
    expect(single.length).toBeGreaterThan(300);
    expect(single.map((shape) => shape.key).filter((key) => !drawn.includes(key))).toEqual([]);
    // What reaches now is live: the held request, the open stream, the value on screen, the request in flight.
    const live = keysOf(view.live.layout);
    expect(live.filter((key) => key.startsWith('hold:'))).not.toEqual([]);
    expect(live.filter((key) => key.startsWith('stream:'))).not.toEqual([]);
    expect(live.filter((key) => key.startsWith('showing:'))).not.toEqual([]);
    expect(view.live.layout.arrows.filter((arrow) => arrow.classes.includes('in-flight'))).toHaveLength(1);
  });

  it('lays out again a slice whose request in flight turns lost, with no new event', () => {
    const slicer = createTimelineSlicer();
    const cut = trace.findIndex(({ arrives }) => arrives > T0 + 46_000);
    const index = indexTrace(trace.slice(0, cut).map(({ event }) => event));
    const at = (now: number) => slicer.view({ index, lanes: LANES, maxLanes: 12, from: now - WINDOW_MS, to: now, now, width: WIDTH, origin: T0, lookaheadMs: 0 });
    const lostArrow = (view: TimelineView) =>
      [...view.live.layout.arrows, ...view.slices.flatMap((slice) => slice.layout.arrows)].find((arrow) => arrow.classes.includes('lost') || arrow.classes.includes('in-flight'));

    expect(lostArrow(at(T0 + 54_000))?.classes).toContain('in-flight');
    // Zoomed out to ten minutes, where a slice is longer than the ten seconds, it is live all the same.
    const wide = createTimelineSlicer().view({ index, lanes: LANES, maxLanes: 12, from: T0 + 54_000 - 600_000, to: T0 + 54_000, now: T0 + 54_000, width: WIDTH, origin: T0, lookaheadMs: 0 });
    expect(lostArrow(wide)?.classes).toContain('in-flight');
    const laidOut = slicer.laidOut;
    // Ten seconds after it was sent, the same trace draws it lost, in the slice it starts in.
    expect(lostArrow(at(T0 + 55_100))?.classes).toContain('lost');
    expect(slicer.laidOut).toBeGreaterThan(laidOut);
  });
});
