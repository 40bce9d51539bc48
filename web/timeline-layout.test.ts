import { describe, expect, it } from 'vitest';
import type { TraceEvent, TraceInput } from '../lessons/trace-event.ts';
import { AGGREGATE_LANE, defaultLaneLabel, findEventBySeq, formatAxisLabel, layoutTimeline, type TimelineLaneSpec, type TimelineLayoutInput } from './timeline-layout.ts';

const LANES: TimelineLaneSpec[] = [
  { lane: 'feed', label: 'Feed' },
  { lane: 'server', label: 'Server' },
  { lane: 'client:a', label: 'Client A' },
];

/** Stamps hand-made events with consecutive seqs, as the trace hub does. */
function trace(...inputs: TraceInput[]): TraceEvent[] {
  return inputs.map((input, i) => ({ ...input, seq: i + 1, lesson: 'test' }) as TraceEvent);
}

// 1 px per ms, x = t - 1000: coordinates read straight off the times.
function layout(events: TraceEvent[], overrides: Partial<TimelineLayoutInput> = {}) {
  return layoutTimeline({ events, lanes: LANES, from: 1000, to: 2000, width: 1000, now: 1900, origin: 1000, ...overrides });
}

const clientRequest = (t: number, conn: string, url = '/data'): TraceInput => ({
  kind: 'client-request', t, lane: 'client:a', conn, client: 'a', method: 'GET', url,
});
const httpRequest = (t: number, conn: string, client?: string): TraceInput => ({
  kind: 'http-request', t, lane: 'server', conn, client, method: 'GET', url: '/data', headers: { accept: '*/*' }, bytes: 120,
});
const httpResponse = (t: number, conn: string, status = 200, version?: number): TraceInput => ({
  kind: 'http-response', t, lane: 'server', conn, status, headers: {}, bytes: 90, durationMs: 0, version,
});
const clientResponse = (t: number, conn: string, status = 200): TraceInput => ({
  kind: 'client-response', t, lane: 'client:a', conn, client: 'a', status,
});
const feedChange = (t: number, version: number): TraceInput => ({
  kind: 'feed-change', t, lane: 'feed', version, changedAt: t, value: { n: version }, cause: 'scenario',
});
const show = (t: number, version: number, changedAt: number): TraceInput => ({
  kind: 'client-show', t, lane: 'client:a', client: 'a', version, changedAt, staleMs: t - changedAt,
});
const httpHeld = (t: number, conn: string, client = 'a'): TraceInput => ({ kind: 'http-held', t, lane: 'server', conn, client });

describe('layoutTimeline', () => {
  describe('HTTP', () => {
    it('joins the client and server sides of a request and its response by conn', () => {
      const result = layout(
        trace(clientRequest(1100, 'c1'), httpRequest(1110, 'c1', 'a'), httpResponse(1300, 'c1', 200, 3), clientResponse(1310, 'c1')),
      );
      expect(result.arrows).toEqual([
        {
          kind: 'request',
          key: 'request:c1',
          seqs: [2, 1],
          classes: ['request'],
          x1: 100,
          lane1: 2,
          x2: 110,
          lane2: 1,
          slot: 0,
          labelVisible: false,
          timings: [{ label: 'client → server', ms: 10 }],
        },
        {
          kind: 'response',
          key: 'response:c1',
          seqs: [3, 4],
          classes: ['response', 'status-200', 'status-2xx'],
          label: '200 v3',
          status: 200,
          x1: 300,
          lane1: 1,
          x2: 310,
          lane2: 2,
          slot: 0,
          labelVisible: true,
          timings: [{ label: 'server → client', ms: 10 }],
        },
      ]);
      expect(result.bars).toEqual([
        {
          kind: 'hold',
          key: 'hold:c1',
          seqs: [2, 3],
          classes: ['hold'],
          label: undefined,
          x1: 110,
          x2: 300,
          lane: 1,
          slot: 0,
          open: false,
          timings: [{ label: 'duration', ms: 190 }],
        },
      ]);
    });

    it('ends the hold bar of a held, unanswered request at now', () => {
      const result = layout(
        trace(clientRequest(1100, 'c1'), httpRequest(1110, 'c1', 'a'), { kind: 'http-held', t: 1120, lane: 'server', conn: 'c1' }),
        { now: 1750 },
      );
      expect(result.bars).toEqual([
        {
          kind: 'hold',
          key: 'hold:c1',
          seqs: [2, 3],
          classes: ['hold', 'held', 'open'],
          label: undefined,
          x1: 110,
          x2: 750,
          lane: 1,
          slot: 0,
          open: true,
          timings: [
            { label: 'duration', ms: 640 },
            { label: 'held', ms: 630 },
          ],
        },
      ]);
      expect(result.arrows.map((a) => a.kind)).toEqual(['request']);
    });

    it('ends the hold bar at an abort and labels it', () => {
      const result = layout(trace(httpRequest(1100, 'c1'), { kind: 'http-abort', t: 1400, lane: 'server', conn: 'c1', durationMs: 300 }));
      expect(result.bars.map((b) => [b.classes, b.label, b.x2])).toEqual([[['hold', 'aborted'], 'aborted', 400]]);
    });

    it('shows a 304 status in the response label and classes', () => {
      const result = layout(trace(clientRequest(1100, 'c1'), httpRequest(1105, 'c1', 'a'), httpResponse(1120, 'c1', 304), clientResponse(1125, 'c1', 304)));
      const response = result.arrows.find((a) => a.kind === 'response');
      expect(response?.label).toBe('304');
      expect(response?.status).toBe(304);
      expect(response?.classes).toEqual(['response', 'status-304', 'status-3xx']);
    });

    it('draws a request without a client side (curl) on the server lane only', () => {
      const result = layout(trace(httpRequest(1200, 'curl1', 'curl-1'), httpResponse(1250, 'curl1', 204)));
      expect(result.lanes.map((l) => l.lane)).toEqual(['feed', 'server', 'client:a']);
      expect(result.arrows).toEqual([
        { kind: 'request', key: 'request:curl1', seqs: [1], classes: ['request', 'one-sided'], x1: 200, lane1: 1, x2: 200, lane2: 1, slot: 0, labelVisible: false },
        {
          kind: 'response',
          key: 'response:curl1',
          seqs: [2],
          classes: ['response', 'one-sided', 'status-204', 'status-2xx'],
          label: '204',
          status: 204,
          x1: 250,
          lane1: 1,
          x2: 250,
          lane2: 1,
          slot: 0,
          labelVisible: true,
        },
      ]);
    });

    it('draws a request the server has not seen yet in flight up to now', () => {
      const result = layout(trace(clientRequest(1500, 'c1')), { now: 1800 });
      expect(result.arrows).toEqual([
        {
          kind: 'request',
          key: 'request:c1',
          seqs: [1],
          classes: ['request', 'in-flight'],
          x1: 500,
          lane1: 2,
          x2: 800,
          lane2: 1,
          slot: 0,
          labelVisible: false,
          timings: [{ label: 'in flight', ms: 300 }],
        },
      ]);
    });

    it('stops a one-sided request after LOST_AFTER_MS and marks it lost', () => {
      const result = layout(trace(clientRequest(1500, 'c1')), { from: 12_000, to: 14_000, width: 2000, now: 60_000 });
      expect(result.arrows).toEqual([]);
      const early = layout(trace(clientRequest(1500, 'c1')), { now: 60_000 });
      expect(early.arrows.map((a) => [a.classes, a.x2])).toEqual([[['request', 'lost'], 10_500]]);
    });

    it('draws a response the client has not received yet in flight towards its lane', () => {
      const result = layout(trace(clientRequest(1100, 'c1'), httpRequest(1110, 'c1', 'a'), httpResponse(1600, 'c1')), { now: 1620 });
      const response = result.arrows.find((a) => a.kind === 'response');
      expect([response?.classes, response?.x1, response?.lane1, response?.x2, response?.lane2]).toEqual([
        ['response', 'in-flight', 'status-200', 'status-2xx'],
        600,
        1,
        620,
        2,
      ]);
    });

    it('never draws a request arrow pointing back in time when the client clock is ahead', () => {
      const result = layout(trace(clientRequest(1112, 'c1'), httpRequest(1110, 'c1', 'a')));
      expect([result.arrows[0]?.x1, result.arrows[0]?.x2]).toEqual([110, 110]);
    });
  });

  describe('streams and sockets', () => {
    it('draws an SSE stream bar on the server and client lanes with a tick per chunk', () => {
      const events = trace(
        httpRequest(1100, 's1', 'a'),
        { kind: 'stream-open', t: 1102, lane: 'server', conn: 's1', client: 'a', status: 200, headers: {} },
        { kind: 'stream-chunk', t: 1200, lane: 'server', conn: 's1', client: 'a', bytes: 30, text: 'event: time\ndata: 1\n\n' },
        { kind: 'stream-chunk', t: 1300, lane: 'server', conn: 's1', client: 'a', bytes: 30, text: 'event: time\ndata: 2\n\n' },
        { kind: 'stream-chunk', t: 1301, lane: 'server', conn: 's1', client: 'a', bytes: 30, text: 'event: time\ndata: 3\n\n' },
      );
      const result = layout(events, { now: 1500 });
      expect(result.bars.map((b) => [b.key, b.classes, b.x1, b.x2, b.lane])).toEqual([
        ['hold:s1', ['hold'], 100, 102, 1],
        ['stream:s1', ['stream', 'open'], 102, 500, 1],
        ['stream:s1:client', ['stream', 'open', 'client-side'], 102, 500, 2],
      ]);
      expect(result.ticks).toEqual([
        { kind: 'chunk', key: 'chunk:3', seqs: [3], classes: ['chunk', 'out'], x: 200, lane: 1, slot: 0, direction: 'out' },
        { kind: 'chunk', key: 'chunk:4', seqs: [4, 5], classes: ['chunk', 'out'], x: 300, lane: 1, slot: 0, direction: 'out', count: 2, label: '×2' },
      ]);
      expect(result.arrows.map((a) => a.key)).toEqual(['request:s1']);
    });

    it("draws the events an EventSource delivered on the client's lane, and a ring where it went back to connecting", () => {
      const message = (t: number, type: string, id: string): TraceInput => ({ kind: 'client-message', t, lane: 'client:a', client: 'a', url: '/data?client=a', type, lastEventId: id, data: '{}' });
      const events = trace(
        message(1200, 'message', '1'),
        message(1300, 'add', '1'),
        { kind: 'client-stream', t: 1400, lane: 'client:a', client: 'a', url: '/data?client=a', state: 'connecting' },
        { kind: 'client-stream', t: 1500, lane: 'client:a', client: 'a', url: '/data?client=a', state: 'open' },
        { kind: 'client-stream', t: 1600, lane: 'client:a', client: 'a', url: '/time?client=a', state: 'closed' },
      );
      const result = layout(events);
      expect(result.ticks.map((t) => [t.kind, t.classes, t.x, t.lane])).toEqual([
        ['message', ['message', 'out', 'type-message'], 200, 2],
        ['message', ['message', 'out', 'type-named'], 300, 2],
      ]);
      expect(result.markers.map((m) => [m.kind, m.label, m.x, m.lane])).toEqual([
        ['reconnect', 'reconnecting', 400, 2],
        ['error', 'EventSource closed', 600, 2],
      ]);
    });

    it('ends a stream bar at stream-close and names who closed it', () => {
      const events = trace(
        { kind: 'stream-open', t: 1100, lane: 'server', conn: 's1', status: 200, headers: {} },
        { kind: 'stream-close', t: 1400, lane: 'server', conn: 's1', by: 'client', durationMs: 300 },
      );
      expect(layout(events).bars.map((b) => [b.classes, b.x2, b.open])).toEqual([[['stream', 'closed-by-client'], 400, false]]);
    });

    it('tells WebSocket frame directions apart, draws each frame on the client\'s lane too, never merges a ping into a text frame, and labels the close code', () => {
      const events = trace(
        { kind: 'ws-open', t: 1100, lane: 'server', conn: 'w1', client: 'a', url: '/chat', headers: {}, bytes: 129 },
        { kind: 'ws-frame', t: 1200, lane: 'server', conn: 'w1', client: 'a', direction: 'in', opcode: 'text', bytes: 20, length: 13, masked: true, fragments: 1, text: '{"text":"hi"}' },
        { kind: 'ws-frame', t: 1201, lane: 'server', conn: 'w1', client: 'a', direction: 'out', opcode: 'text', bytes: 40, length: 38, masked: false, fragments: 1 },
        { kind: 'ws-frame', t: 1300, lane: 'server', conn: 'w1', client: 'a', direction: 'out', opcode: 'ping', bytes: 2, length: 0, masked: false, fragments: 1 },
        { kind: 'ws-frame', t: 1300, lane: 'server', conn: 'w1', client: 'a', direction: 'out', opcode: 'text', bytes: 40, length: 38, masked: false, fragments: 1 },
        { kind: 'ws-close', t: 1400, lane: 'server', conn: 'w1', client: 'a', code: 1000, reason: 'bye', by: 'client', durationMs: 300 },
      );
      const result = layout(events);
      expect(result.ticks.map((t) => [t.key, t.direction, t.classes, t.x, t.lane])).toEqual([
        ['frame:2', 'in', ['frame', 'in', 'op-text'], 200, 1],
        ['frame:2:client', 'in', ['frame', 'in', 'op-text', 'client-side'], 200, 2],
        ['frame:3', 'out', ['frame', 'out', 'op-text'], 201, 1],
        ['frame:3:client', 'out', ['frame', 'out', 'op-text', 'client-side'], 201, 2],
        ['frame:4', 'out', ['frame', 'out', 'op-ping'], 300, 1],
        ['frame:4:client', 'out', ['frame', 'out', 'op-ping', 'client-side'], 300, 2],
        ['frame:5', 'out', ['frame', 'out', 'op-text'], 300, 1],
        ['frame:5:client', 'out', ['frame', 'out', 'op-text', 'client-side'], 300, 2],
      ]);
      expect(result.bars.map((b) => [b.key, b.classes, b.label, b.x1, b.x2, b.lane])).toEqual([
        ['ws:w1', ['ws'], '1000 bye', 100, 400, 1],
        ['ws:w1:client', ['ws', 'client-side'], '1000 bye', 100, 400, 2],
      ]);
    });
    it('labels a WebSocket bar with as much of its close as fits: code and reason, the code alone, or nothing', () => {
      const socket = (conn: string, t1: number, t2: number) => [
        { kind: 'ws-open', t: t1, lane: 'server', conn, url: '/chat', headers: {}, bytes: 129 },
        { kind: 'ws-close', t: t2, lane: 'server', conn, code: 1006, reason: 'dropped from the page', durationMs: t2 - t1 },
      ] as const;
      const events = trace(...socket('long', 1000, 1400), ...socket('short', 1500, 1550), ...socket('sliver', 1600, 1610));
      expect(layout(events).bars.map((b) => [b.key, b.label])).toEqual([
        ['ws:long', '1006 dropped from the page'],
        ['ws:short', '1006'],
        ['ws:sliver', undefined],
      ]);
    });
  });

  describe('markers', () => {
    it('draws a reload across all lanes, including appended ones, and cuts what the old runner held open', () => {
      const events = trace(
        httpRequest(1100, 'c1', 'a'),
        { kind: 'reload', t: 1500, lane: 'server', generation: 2, file: 'server.ts', reason: 'file-changed' },
        { kind: 'client-error', t: 1510, lane: 'client:b', client: 'b', message: 'Failed to fetch' },
      );
      const result = layout(events);
      expect(result.markers).toEqual([
        {
          kind: 'reload',
          key: 'reload:2',
          seqs: [2],
          classes: ['reload', 'reason-file-changed'],
          label: 'reloaded #2',
          x: 500,
          lane: 0,
          laneSpan: 4,
          labelVisible: true,
        },
        {
          kind: 'error',
          key: 'error:3',
          seqs: [3],
          classes: ['error', 'client-error'],
          label: 'Failed to fetch',
          x: 510,
          lane: 3,
          laneSpan: 1,
          labelVisible: true,
        },
      ]);
      expect(result.bars.map((b) => [b.classes, b.x2, b.open])).toEqual([[['hold', 'cut'], 500, false]]);
    });

    it('names client.ts on its reload marker and leaves open what the runner holds', () => {
      const events = trace(httpRequest(1100, 'c1', 'a'), { kind: 'reload', t: 1500, lane: 'server', generation: 1, file: 'client.ts', reason: 'edited' });
      const result = layout(events, { now: 1900 });
      expect(result.markers.map((m) => [m.kind, m.label])).toEqual([['reload', 'client.ts reloaded #1']]);
      expect(result.bars.map((b) => [b.classes, b.open])).toEqual([[['hold', 'open'], true]]);
    });

    it("calls the server's first load its start, not a reload", () => {
      const start = (t: number, file: 'server.ts' | 'client.ts'): TraceInput => ({ kind: 'reload', t, lane: 'server', generation: 1, file, reason: 'start' });
      const result = layout(trace(start(1500, 'server.ts'), start(1600, 'client.ts')), { now: 1900 });
      expect(result.markers.map((m) => m.label)).toEqual(['server started', 'client.ts started']);
    });

    it('links a change only to the first show of it on each lane, not to later polls showing it again', () => {
      const events = trace(feedChange(1100, 5), show(1300, 5, 1100), show(1500, 5, 1100), show(1700, 5, 1100));
      const result = layout(events, { now: 1900 });
      expect(result.links.map((l) => [l.key, l.version, l.label])).toEqual([['link:2', 5, '+200 ms']]);
    });

    it('puts a server error on its lane with the message', () => {
      const result = layout(trace({ kind: 'error', t: 1300, lane: 'server', message: 'boom', phase: 'runtime' }));
      expect(result.markers.map((m) => [m.classes, m.label, m.lane, m.x])).toEqual([[['error', 'phase-runtime'], 'boom', 1, 300]]);
    });

    it('links a feed change to the show of the same version with the staleness', () => {
      const events = trace(feedChange(1100, 5), show(1300, 5, 1100), feedChange(1400, 6), show(1700, 6, 1400));
      const result = layout(events, { now: 1900 });
      expect(result.links).toEqual([
        {
          kind: 'link',
          key: 'link:2',
          seqs: [2, 1],
          classes: ['link', 'staleness-low'],
          label: '+200 ms',
          x1: 100,
          lane1: 0,
          x2: 300,
          lane2: 2,
          staleMs: 200,
          version: 5,
          labelVisible: true,
        },
        {
          kind: 'link',
          key: 'link:4',
          seqs: [4, 3],
          classes: ['link', 'staleness-low'],
          label: '+300 ms',
          x1: 400,
          lane1: 0,
          x2: 700,
          lane2: 2,
          staleMs: 300,
          version: 6,
          labelVisible: true,
        },
      ]);
      expect(result.markers.map((m) => [m.kind, m.label, m.lane, m.x])).toEqual([
        ['feed-change', 'v5', 0, 100],
        ['show', 'v5', 2, 300],
        ['feed-change', 'v6', 0, 400],
        ['show', 'v6', 2, 700],
      ]);
    });

    it('labels a link with seconds and marks the on-screen band out of date after the next version', () => {
      const events = trace(feedChange(1000, 7), show(1200, 7, 1000), feedChange(1300, 8), show(2400, 8, 1300));
      const result = layout(events, { from: 1000, to: 3000, width: 2000, now: 2500 });
      expect(result.links.map((l) => [l.label, l.classes])).toEqual([
        ['+200 ms', ['link', 'staleness-low']],
        ['+1.1 s', ['link', 'staleness-medium']],
      ]);
      expect(result.bars).toEqual([
        {
          kind: 'showing',
          key: 'showing:2',
          seqs: [2],
          classes: ['showing', 'staleness-low', 'outdated'],
          label: 'v7',
          x1: 200,
          x2: 1400,
          lane: 2,
          slot: 0,
          open: false,
          xOutdated: 300,
          timings: [
            { label: 'on screen', ms: 1200 },
            { label: 'out of date', ms: 1100 },
          ],
        },
        {
          kind: 'showing',
          key: 'showing:4',
          seqs: [4],
          classes: ['showing', 'staleness-medium', 'open'],
          label: 'v8',
          x1: 1400,
          x2: 1500,
          lane: 2,
          slot: 0,
          open: true,
          xOutdated: undefined,
          timings: [{ label: 'on screen', ms: 100 }],
        },
      ]);
    });

    it('starts the link at changedAt when the feed change is not in the trace', () => {
      const result = layout(trace(show(1500, 9, 1250)));
      expect(result.links.map((l) => [l.seqs, l.x1, l.lane1, l.x2])).toEqual([[[1], 250, 0, 500]]);
    });

    it('hides a marker label that would overlap the previous one on its lane', () => {
      const result = layout(trace(feedChange(1100, 1), feedChange(1110, 2), feedChange(1200, 3)));
      expect(result.markers.map((m) => m.labelVisible)).toEqual([true, false, true]);
    });
  });

  describe('missed updates', () => {
    // v2 lands between two polls of client a; its next request is held until v3 answers it.
    const race = (...tail: TraceInput[]) =>
      trace(
        feedChange(1100, 1),
        show(1215, 1, 1100),
        feedChange(1200, 2),
        httpRequest(1218, 'c2', 'a'),
        httpHeld(1220, 'c2'),
        ...tail,
      );
    const NOTE = 'v2 was never delivered to Client A: the server held its request while v2 was the newest';

    it('marks where the server sat on a version, tints the lane while stale and links the change to the mark', () => {
      const result = layout(race(feedChange(1500, 3), httpResponse(1500, 'c2', 200, 3), show(1520, 3, 1500)));
      const note = `${NOTE} and answered only with v3`;
      const timings = [{ label: 'stale for', ms: 320 }];
      expect(result.bars[0]).toEqual({
        kind: 'stale',
        key: 'stale:a:2',
        seqs: [3, 5],
        classes: ['stale'],
        version: 2,
        note,
        x1: 200,
        x2: 520,
        lane: 2,
        slot: 0,
        open: false,
        timings,
      });
      expect(result.markers.at(-1)).toEqual({
        kind: 'missed',
        key: 'missed:a:2',
        seqs: [5, 3],
        classes: ['missed'],
        label: 'missed v2',
        version: 2,
        note,
        x: 220,
        lane: 2,
        laneSpan: 1,
        timings,
        labelVisible: true,
      });
      expect(result.links.find((l) => l.classes.includes('missed-link'))).toEqual({
        kind: 'link',
        key: 'missed-link:a:2',
        seqs: [5, 3],
        classes: ['link', 'missed-link'],
        version: 2,
        note,
        x1: 200,
        lane1: 0,
        x2: 220,
        lane2: 2,
        staleMs: 320,
        timings,
        labelVisible: false,
      });
      // The show just before keeps its label: missed labels do not compete with show labels.
      expect(result.markers.find((m) => m.kind === 'show' && m.version === 1)?.labelVisible).toBe(true);
    });

    it('keeps the stale band open up to now while the client has not caught up', () => {
      const result = layout(race(), { now: 1900 });
      const band = result.bars.find((b) => b.kind === 'stale');
      expect([band?.classes, band?.x2, band?.open, band?.timings, band?.note]).toEqual([
        ['stale', 'open'],
        900,
        true,
        [{ label: 'stale for', ms: 700 }],
        `${NOTE} and has not answered it yet`,
      ]);
    });

    it('draws nothing for a client without a lane', () => {
      const events = trace(feedChange(1100, 1), httpRequest(1210, 'k1', 'curl-1'), httpHeld(1220, 'k1', 'curl-1'));
      const result = layout(events);
      expect([result.bars.map((b) => b.kind), result.markers.map((m) => m.kind), result.links]).toEqual([['hold'], ['feed-change'], []]);
    });

    it('keeps only the part of a missed update that reaches into the window', () => {
      const events = race(feedChange(1500, 3), httpResponse(1500, 'c2', 200, 3), show(1520, 3, 1500));
      const later = layout(events, { from: 1400, to: 2400 });
      expect(later.bars.filter((b) => b.kind === 'stale').map((b) => [b.x1, b.x2])).toEqual([[-60, 120]]);
      expect(later.markers.filter((m) => m.kind === 'missed')).toEqual([]);
      expect(later.links.filter((l) => l.classes.includes('missed-link'))).toEqual([]);
      const gone = layout(events, { from: 2000, to: 3000 });
      expect(gone.bars.filter((b) => b.kind === 'stale')).toEqual([]);
    });
  });

  describe('checks', () => {
    const EXPECT = 'Every version reaches the naive client';
    const WHY = 'v12 did not reach naive within 2.5 s: the server held its next request (naive-7) instead of answering with it';
    const check = (t: number, phase: 'start' | 'pass' | 'fail', message = EXPECT, version?: number): TraceInput => ({
      kind: 'check', t, lane: 'client:a', client: 'a', phase, message, version,
    });
    const checkShapes = (result: ReturnType<typeof layout>) => ({
      band: result.bars.filter((b) => b.kind === 'check-run'),
      marks: result.markers.filter((m) => m.kind === 'check-start' || m.kind === 'check'),
    });

    it('draws a failed check as a red band from its start to a post labelled with the version that did not arrive', () => {
      const { band, marks } = checkShapes(layout(trace(check(1100, 'start'), show(1200, 11, 1150), check(1600, 'fail', WHY, 12))));
      expect(band).toEqual([
        {
          kind: 'check-run',
          key: 'check-run:a:1',
          seqs: [3, 1],
          classes: ['check-run', 'phase-fail'],
          phase: 'fail',
          version: 12,
          x1: 100,
          x2: 600,
          lane: 2,
          slot: 0,
          open: false,
          timings: [{ label: 'ran for', ms: 500 }],
        },
      ]);
      expect(marks.map((m) => [m.key, m.classes, m.phase, m.label, m.labelVisible, m.x, m.lane, m.version])).toEqual([
        ['check-start:a:1', ['check-start'], 'start', 'check', true, 100, 2, undefined],
        ['check:a:3', ['check', 'phase-fail'], 'fail', '✗ check failed v12', true, 600, 2, 12],
      ]);
    });

    it('draws a passed check in green, labelled without a version, and keeps the show labels beside it', () => {
      const result = layout(trace(check(1100, 'start'), show(1590, 3, 1500), check(1600, 'pass')));
      const { band, marks } = checkShapes(result);
      expect(band.map((b) => [b.classes, b.phase, b.x1, b.x2, b.open, b.version])).toEqual([[['check-run', 'phase-pass'], 'pass', 100, 600, false, undefined]]);
      expect(marks.map((m) => [m.kind, m.phase, m.label, m.labelVisible, m.x])).toEqual([
        ['check-start', 'start', 'check', true, 100],
        ['check', 'pass', '✓ check passed', true, 600],
      ]);
      expect(result.markers.find((m) => m.kind === 'show')?.labelVisible).toBe(true);
    });

    it('keeps the band of a check without a verdict neutral and open up to now', () => {
      const { band, marks } = checkShapes(layout(trace(check(1300, 'start')), { now: 1750 }));
      expect(band.map((b) => [b.key, b.classes, b.phase, b.x1, b.x2, b.open, b.timings])).toEqual([
        ['check-run:a:1', ['check-run', 'phase-start', 'open'], 'start', 300, 750, true, [{ label: 'running for', ms: 450 }]],
      ]);
      expect(marks.map((m) => [m.kind, m.label])).toEqual([['check-start', 'check']]);
    });

    it("hides the flag's label when the verdict comes too soon after it, and draws a verdict without a start as a post alone", () => {
      const quick = checkShapes(layout(trace(check(1100, 'start'), check(1120, 'fail', 'The check could not run: a is not running'))));
      expect(quick.marks.map((m) => [m.kind, m.label, m.labelVisible])).toEqual([
        ['check-start', 'check', false],
        ['check', '✗ check failed', true],
      ]);
      const trimmed = checkShapes(layout(trace(check(1400, 'pass'))));
      expect([trimmed.band, trimmed.marks.map((m) => [m.key, m.x])]).toEqual([[], [['check:a:1', 400]]]);
    });

    it('keeps the label of the newest verdict when two would overlap', () => {
      const result = layout(trace(check(1100, 'start'), check(1500, 'pass'), check(1540, 'start'), check(1560, 'fail', 'The check could not run: a is not running')));
      expect(checkShapes(result).marks.filter((m) => m.kind === 'check').map((m) => [m.label, m.labelVisible])).toEqual([
        ['✗ check failed', true],
        ['✓ check passed', false],
      ]);
    });

    it('pairs each verdict with the start before it on its own lane', () => {
      const other = (t: number, phase: 'start' | 'fail'): TraceInput => ({ kind: 'check', t, lane: 'client:b', client: 'b', phase, message: EXPECT });
      const result = layout(trace(check(1100, 'start'), other(1150, 'start'), check(1300, 'pass'), other(1500, 'fail'), check(1700, 'start')), { now: 1900 });
      expect(checkShapes(result).band.map((b) => [b.key, b.phase, b.x1, b.x2])).toEqual([
        ['check-run:a:1', 'pass', 100, 300],
        ['check-run:b:2', 'fail', 150, 500],
        ['check-run:a:5', 'start', 700, 900],
      ]);
    });
  });

  describe('windowing', () => {
    it('produces only shapes that intersect the window plus its margin', () => {
      const events = trace(
        feedChange(500, 1), // far left
        feedChange(950, 2), // within the 60 px margin
        httpRequest(100, 'long'), // held across the whole window
        feedChange(1500, 3),
        feedChange(2100, 4), // beyond the margin on the right
        httpRequest(2500, 'later'),
      );
      const result = layout(events, { now: 3000 });
      expect(result.markers.map((m) => m.label)).toEqual(['v2', 'v3']);
      expect(result.arrows).toEqual([]);
      expect(result.bars.map((b) => [b.key, b.x1, b.x2])).toEqual([['hold:long', -60, 1060]]);
    });

    it('stays bounded for a 20 000-event trace', () => {
      const inputs: TraceInput[] = [];
      for (let i = 0; i < 5000; i++) {
        const t = 1000 + i * 20;
        inputs.push(clientRequest(t, `c${i}`), httpRequest(t + 1, `c${i}`, 'a'), httpResponse(t + 5, `c${i}`), clientResponse(t + 6, `c${i}`));
      }
      const events = trace(...inputs);
      const result = layoutTimeline({ events, lanes: LANES, from: 50_000, to: 70_000, width: 1000, now: 101_000 });
      // One conn per px: neighbours merge, so at most one request and one response arrow per MERGE_PX (3 px).
      expect(result.arrows.length).toBeLessThanOrEqual((2 * (1000 + 2 * 60)) / 3 + 2);
      expect(result.arrows.reduce((n, a) => n + (a.count ?? 1), 0)).toBe(1121 + 1120);
    });
  });

  describe('merging', () => {
    it('draws arrows and slivers of hold closer than 3 px as one shape with a count', () => {
      // 10 px per second: requests 100 ms apart are 1 px apart.
      const events = trace(
        httpRequest(1000, 'a'), httpResponse(1010, 'a', 304),
        httpRequest(1100, 'b'), httpResponse(1110, 'b', 304),
        httpRequest(1200, 'c'), httpResponse(1210, 'c', 200),
        httpRequest(2000, 'd'), httpResponse(2010, 'd', 304),
      );
      const result = layout(events, { from: 0, to: 100_000, width: 1000 });
      expect(result.arrows.map((a) => [a.key, a.count, a.seqs])).toEqual([
        ['request:a', 3, [1, 3, 5]],
        ['response:a', 2, [2, 4]],
        ['response:c', undefined, [6]],
        ['request:d', undefined, [7]],
        ['response:d', undefined, [8]],
      ]);
      expect(result.bars.map((b) => [b.key, b.count, b.x1, b.x2])).toEqual([
        ['hold:a', 3, 10, 12.1],
        ['hold:d', undefined, 20, 20.1],
      ]);
    });

    it('never merges a long hold with the request that follows it', () => {
      const events = trace(httpRequest(1000, 'a'), httpResponse(9000, 'a'), httpRequest(9010, 'b'), httpResponse(9020, 'b'));
      const result = layout(events, { from: 0, to: 20_000, width: 1000 });
      expect(result.bars.map((b) => [b.key, b.count])).toEqual([
        ['hold:a', undefined],
        ['hold:b', undefined],
      ]);
    });

    it('merges feed changes of a burst into one marker labelled with the range', () => {
      const events = trace(feedChange(1000, 5), feedChange(1050, 6), feedChange(1100, 7));
      const result = layout(events, { from: 0, to: 100_000, width: 1000 });
      expect(result.markers.map((m) => [m.label, m.count, m.seqs])).toEqual([['v5…v7', 3, [1, 2, 3]]]);
    });
  });

  describe('slots', () => {
    it('gives connections open at the same time their own rows, reusing a row once it is free', () => {
      const events = trace(
        httpRequest(1100, 'a1'),
        httpRequest(1150, 'b1'),
        { kind: 'stream-open', t: 1160, lane: 'server', conn: 's1', status: 200, headers: {} },
        { kind: 'stream-chunk', t: 1170, lane: 'server', conn: 's1', bytes: 10, text: 'data: 1' },
        httpResponse(1200, 'a1'),
        httpRequest(1250, 'a2'),
        httpRequest(1260, 'd1'),
      );
      const result = layout(events, { now: 1300 });
      expect(result.bars.map((b) => [b.key, b.slot])).toEqual([
        ['hold:a1', 0],
        ['hold:b1', 1],
        ['stream:s1', 2],
        ['hold:a2', 0],
        ['hold:d1', 0], // all MAX_SLOTS rows busy: shares the first
      ]);
      expect(result.ticks.map((t) => t.slot)).toEqual([2]);
      expect(result.arrows.map((a) => [a.key, a.slot])).toContainEqual(['request:b1', 1]);
    });
  });

  describe('lanes', () => {
    it('appends a lane for events on a lane the lesson did not list', () => {
      const events = trace(
        { kind: 'client-request', t: 1200, lane: 'client:curl-7', conn: 'k1', client: 'curl-7', method: 'GET', url: '/data' },
        httpRequest(1205, 'k1', 'curl-7'),
      );
      const result = layout(events);
      expect(result.lanes).toEqual([
        { lane: 'feed', label: 'Feed', index: 0, extra: false },
        { lane: 'server', label: 'Server', index: 1, extra: false },
        { lane: 'client:a', label: 'Client A', index: 2, extra: false },
        { lane: 'client:curl-7', label: 'curl-7', index: 3, extra: true },
      ]);
      expect(result.arrows.map((a) => [a.lane1, a.lane2])).toEqual([[3, 1]]);
    });

    describe('folding', () => {
      /** A classroom: client `s<i>` polls at 1100 + 10 i; the server answers, except s19's request, which it holds. */
      const classroom = (students: number) =>
        trace(
          ...Array.from({ length: students }, (_, i): TraceInput[] => {
            const [t, conn, client] = [1100 + 10 * i, `p${i}`, `s${i}`];
            const request: TraceInput = { kind: 'client-request', t, lane: `client:${client}`, conn, client, method: 'GET', url: '/data' };
            if (i === 19) return [request, httpRequest(t + 2, conn, client), httpHeld(t + 3, conn, client)];
            return [request, httpRequest(t + 2, conn, client), httpResponse(t + 4, conn), { ...clientResponse(t + 6, conn), lane: `client:${client}`, client }];
          }).flat(),
        );

      it('folds the client lanes that do not fit into one aggregate row, and draws their shapes on it', () => {
        const result = layout(classroom(20), { maxLanes: 12 });
        expect(result.lanes).toHaveLength(12);
        expect(result.lanes.slice(0, 3).map((l) => l.extra)).toEqual([false, false, false]);
        expect(result.lanes.slice(3, 11).map((l) => [l.lane, l.index])).toEqual(Array.from({ length: 8 }, (_, i) => [`client:s${i}`, 3 + i]));
        // 20 student lanes, 8 drawn on their own: 12 folded. s19's held request is open; each lane has its request and its answer but s19.
        expect(result.lanes[11]).toEqual({ lane: AGGREGATE_LANE, label: '+12 clients', index: 11, extra: true, aggregate: { lanes: 12, open: 1, events: 11 * 2 + 1 } });
        const folded = result.arrows.filter((a) => a.seqs.some((seq) => seq > 8 * 4));
        expect(new Set(folded.map((a) => (a.kind === 'request' ? a.lane1 : a.lane2)))).toEqual(new Set([11]));
        expect(result.arrows.find((a) => a.key === 'request:p19')).toMatchObject({ lane1: 11, lane2: 1 });
        expect(result.arrows.find((a) => a.key === 'request:p7')).toMatchObject({ lane1: 10, lane2: 1 });
      });

      it('keeps every lane on its own row while they fit, and counts only the events in the window', () => {
        const fits = layout(classroom(9), { maxLanes: 12 });
        expect(fits.lanes.map((l) => l.lane)).toEqual(['feed', 'server', 'client:a', ...Array.from({ length: 9 }, (_, i) => `client:s${i}`)]);
        expect(fits.lanes.some((l) => l.aggregate)).toBe(false);
        // s8's request at 1180 is before the window, its answer at 1186 in it.
        const late = layout(classroom(20), { maxLanes: 12, from: 1185 });
        expect(late.lanes[11]!.aggregate).toEqual({ lanes: 12, open: 1, events: 11 * 2 + 1 - 1 });
      });

      it('keeps each drawn lane in its row as more clients join', () => {
        const before = layout(classroom(10), { maxLanes: 12 });
        const after = layout(classroom(30), { maxLanes: 12 });
        expect(after.lanes.slice(0, 11)).toEqual(before.lanes.slice(0, 11));
        expect(after.lanes.map((l) => l.label).slice(10)).toEqual(['s7', '+22 clients']);
      });

      it('never folds the lesson\'s own lanes, even with fewer rows allowed than it lists', () => {
        const result = layout(classroom(2), { maxLanes: 2 });
        expect(result.lanes.map((l) => [l.lane, l.label])).toEqual([
          ['feed', 'Feed'],
          ['server', 'Server'],
          ['client:a', 'Client A'],
          [AGGREGATE_LANE, '+2 clients'],
        ]);
      });
    });
  });

  describe('axis', () => {
    it('picks the smallest nice step at least 80 px wide and labels ticks from the origin', () => {
      const result = layoutTimeline({ events: [], lanes: LANES, from: 10_000, to: 30_000, width: 1000, now: 30_000, origin: 5_000 });
      expect(result.stepMs).toBe(2000);
      expect(result.axis.slice(0, 3)).toEqual([
        { key: 'axis:6000', x: 50, t: 11_000, label: '+6 s' },
        { key: 'axis:8000', x: 150, t: 13_000, label: '+8 s' },
        { key: 'axis:10000', x: 250, t: 15_000, label: '+10 s' },
      ]);
      expect(result.axis).toHaveLength(10);
    });

    it('uses sub-second steps with decimals on a short window', () => {
      const result = layoutTimeline({ events: [], lanes: LANES, from: 0, to: 1000, width: 900, now: 0, origin: 0 });
      expect(result.stepMs).toBe(100);
      expect(result.axis.map((t) => t.label).slice(0, 3)).toEqual(['0 s', '+0.1 s', '+0.2 s']);
      const narrow = layoutTimeline({ events: [], lanes: LANES, from: 0, to: 1000, width: 300, now: 0, origin: 0 });
      expect(narrow.stepMs).toBe(500);
      expect(narrow.axis.map((t) => [t.x, t.label])).toEqual([
        [0, '0 s'],
        [150, '+0.5 s'],
        [300, '+1.0 s'],
      ]);
    });

    it('keeps ticks at least 80 px apart on every window from 1 s to 10 min', () => {
      for (const windowMs of [1000, 5000, 20_000, 60_000, 180_000, 600_000]) {
        const result = layoutTimeline({ events: [], lanes: LANES, from: 0, to: windowMs, width: 800, now: 0 });
        const gaps = result.axis.slice(1).map((tick, i) => tick.x - result.axis[i]!.x);
        expect(Math.min(...gaps)).toBeGreaterThanOrEqual(80);
      }
    });
  });
});

describe('formatAxisLabel', () => {
  it('formats minutes, seconds and fractions', () => {
    expect([formatAxisLabel(120_000, 60_000), formatAxisLabel(12_500, 500), formatAxisLabel(750, 250), formatAxisLabel(-2000, 1000)]).toEqual([
      '+2 min',
      '+12.5 s',
      '+0.75 s',
      '−2 s',
    ]);
  });
});

describe('findEventBySeq', () => {
  it('finds events when seqs are consecutive and when they have gaps', () => {
    const events = trace(feedChange(1, 1), feedChange(2, 2), feedChange(3, 3));
    expect(findEventBySeq(events, 2)).toBe(events[1]);
    const gappy = [events[0]!, { ...events[2]!, seq: 9 }];
    expect(findEventBySeq(gappy, 9)).toBe(gappy[1]);
    expect(findEventBySeq(gappy, 4)).toBeUndefined();
  });
});

describe('defaultLaneLabel', () => {
  it('names a lane the lesson did not list by its client, and an audience member by their name', () => {
    expect(defaultLaneLabel('client:curl-1')).toBe('curl-1');
    expect(defaultLaneLabel('client:guest-7')).toBe('Guest 7');
    expect(defaultLaneLabel('client:guest-x')).toBe('guest-x');
    expect(defaultLaneLabel('server')).toBe('server');
  });
});
