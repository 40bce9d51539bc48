import { describe, expect, it } from 'vitest';
import type { TraceEvent, TraceInput } from '../lessons/trace-event.ts';
import { indexTrace } from './timeline-index.ts';

/** Stamps hand-made events with consecutive seqs, as the trace hub does. */
function trace(...inputs: TraceInput[]): TraceEvent[] {
  return inputs.map((input, i) => ({ ...input, seq: i + 1, lesson: 'test' }) as TraceEvent);
}

const request = (t: number, conn: string): TraceInput => ({ kind: 'http-request', t, lane: 'server', conn, method: 'GET', url: '/data', headers: {}, bytes: 100 });
const response = (t: number, conn: string): TraceInput => ({ kind: 'http-response', t, lane: 'server', conn, status: 200, headers: {}, bytes: 90, durationMs: 0 });
const feedChange = (t: number, version: number): TraceInput => ({ kind: 'feed-change', t, lane: 'feed', version, changedAt: t, value: {}, cause: 'scenario' });
const show = (t: number, version: number): TraceInput => ({ kind: 'client-show', t, lane: 'client:a', client: 'a', version, changedAt: t, staleMs: 0 });

/** Indexes `events[0..split)`, then the whole: what the second update says changed. */
function changedFromAfter(events: TraceEvent[], split: number): number {
  const first = indexTrace(events.slice(0, split));
  const grown = indexTrace(events, first);
  expect(grown).toBe(first);
  return grown.changedFrom;
}

describe('indexTrace', () => {
  it('grows the index it is given, and says the shapes from the earliest new event on may have changed', () => {
    const events = trace(request(100, 'a'), response(150, 'a'), request(300, 'b'), request(400, 'c'));
    const first = indexTrace(events.slice(0, 2));
    const grown = indexTrace(events, first);
    expect(grown.revision).toBe(first.revision);
    expect(grown.revision).toBeGreaterThan(0);
    expect(grown.changedFrom).toBe(300);
    expect(grown.conns.map((r) => r.conn)).toEqual(['a', 'b', 'c']);
  });

  it('dates an answer to a long-held request back to the request, with nothing else in between', () => {
    const events = trace(request(100, 'held'), response(5_000, 'held'));
    expect(changedFromAfter(events, 1)).toBe(100);
  });

  it('dates a chunk on a stream only to itself, not to when the stream opened', () => {
    const events = trace(
      request(100, 's'),
      { kind: 'stream-open', t: 101, lane: 'server', conn: 's', status: 200, headers: {} },
      { kind: 'stream-chunk', t: 9_000, lane: 'server', conn: 's', bytes: 10, text: 'data: 1' },
    );
    expect(changedFromAfter(events, 2)).toBe(9_000);
  });

  it('dates a reload of server.ts back to the first event of every conn it cut', () => {
    const events = trace(request(100, 'open'), request(200, 'done'), response(250, 'done'), { kind: 'reload', t: 3_000, lane: 'server', generation: 2, file: 'server.ts', reason: 'edited' });
    expect(changedFromAfter(events, 3)).toBe(100);
  });

  it('dates a new version back to the shows of the one before, which it outdates', () => {
    // The next show came in before the change it follows (clocks of two processes): the first show's bar gets its hatch now.
    const events = trace(feedChange(100, 1), show(200, 1), show(700, 1), feedChange(600, 2));
    expect(changedFromAfter(events, 3)).toBe(200);
  });

  it('dates a show back to the lane’s previous show, whose bar it ends', () => {
    const events = trace(feedChange(100, 1), show(200, 1), feedChange(3_000, 2), show(4_000, 2));
    expect(changedFromAfter(events, 3)).toBe(200);
  });

  it('dates a missed update caught up back to the change that was missed', () => {
    const held = (t: number, conn: string): TraceInput => ({ kind: 'http-held', t, lane: 'server', conn, client: 'a' });
    // v2 came while the client was between polls; the server sat on its next poll; a show of v3 catches it up
    // (the show before it, of v1 again, came after v2: only the missed update reaches back to v2).
    const events = trace(feedChange(100, 1), show(150, 1), feedChange(1_000, 2), request(1_500, 'p'), held(1_501, 'p'), show(2_000, 1), feedChange(3_000, 3), show(3_010, 3));
    const first = indexTrace(events.slice(0, 7));
    expect(first.deliveries.get('a')?.missed.map((m) => [m.version, m.caughtUpAt])).toEqual([[2, undefined]]);
    const grown = indexTrace(events, first);
    expect(grown.deliveries.get('a')?.missed.map((m) => [m.version, m.caughtUpAt])).toEqual([[2, 3_010]]);
    expect(grown.changedFrom).toBe(1_000);
  });

  it('builds a new index when the trace was cleared, or dropped more of its oldest events than it keeps stale', () => {
    const events = trace(...Array.from({ length: 3_100 }, (_, i) => request(i, `c${i}`)));
    const first = indexTrace(events.slice(0, 2_500));
    const trimmedALittle = indexTrace(events.slice(100), first);
    expect(trimmedALittle).toBe(first);
    // Trims add up: a trace that keeps only its newest 1 000 events is indexed afresh now and then, not kept growing.
    let kept = indexTrace(events.slice(0, 1_000));
    const sliding = kept;
    for (let end = 1_100; end <= 3_000; end += 100) kept = indexTrace(events.slice(end - 1_000, end), kept);
    expect(kept).toBe(sliding);
    kept = indexTrace(events.slice(2_100, 3_100), kept);
    expect(kept).not.toBe(sliding);
    expect(kept.conns).toHaveLength(1_000);
    const trimmedALot = indexTrace(events.slice(2_400), trimmedALittle);
    expect(trimmedALot).not.toBe(first);
    expect(trimmedALot.changedFrom).toBe(-Infinity);
    expect(trimmedALot.conns).toHaveLength(700);
    expect(indexTrace([], trimmedALot).conns).toEqual([]);
  });

  it('gives connections open at once their own rows, once and for good', () => {
    const events = trace(request(100, 'a'), request(110, 'b'), response(120, 'a'), request(130, 'c'), request(140, 'd'), request(150, 'e'));
    const index = indexTrace(events);
    expect(index.conns.map((r) => [r.conn, r.slot])).toEqual([
      ['a', 0],
      ['b', 1],
      ['c', 0],
      ['d', 2],
      ['e', 0], // every row busy: the first, as none is known to free up sooner
    ]);
  });
});
