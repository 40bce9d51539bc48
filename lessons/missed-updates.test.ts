import { describe, expect, it } from 'vitest';
import { findMissedUpdates } from './missed-updates.ts';
import type { TraceEvent, TraceInput } from './trace-event.ts';

/** Stamps hand-made events with consecutive seqs, as the trace hub does. */
function trace(...inputs: TraceInput[]): TraceEvent[] {
  return inputs.map((input, i) => ({ ...input, seq: i + 1, lesson: 'long-polling' }) as TraceEvent);
}

const change = (t: number, version: number): TraceInput => ({
  kind: 'feed-change', t, lane: 'feed', version, changedAt: t, value: version, cause: 'scenario',
});
const held = (t: number, client: string, conn: string): TraceInput => ({ kind: 'http-held', t, lane: 'server', client, conn });
const show = (t: number, client: string, version: number, changedAt: number): TraceInput => ({
  kind: 'client-show', t, lane: `client:${client}`, client, version, changedAt, staleMs: t - changedAt,
});

describe('findMissedUpdates', () => {
  it('finds the version that changed between two polls of the naive client and was then sat on', () => {
    const events = trace(
      change(0, 1),
      show(10, 'naive', 1, 0),
      held(21, 'naive', 'c1'),
      change(100, 2), // answers c1
      show(105, 'naive', 2, 100),
      change(108, 3), // in the gap: c1 answered, c2 not yet held
      held(111, 'naive', 'c2'),
      change(300, 4), // answers c2
      show(305, 'naive', 4, 300),
    );
    expect(findMissedUpdates(events, 400)).toEqual(
      new Map([
        [
          'naive',
          {
            client: 'naive',
            missed: [{ client: 'naive', version: 3, changedAt: 108, missedAt: 111, conn: 'c2', caughtUpAt: 305 }],
            staleMs: 197,
          },
        ],
      ]),
    );
  });

  it('finds nothing for a client that showed every version', () => {
    const events = trace(
      change(0, 1),
      show(10, 'fixed', 1, 0),
      held(21, 'fixed', 'c1'),
      change(100, 2),
      show(105, 'fixed', 2, 100),
      change(108, 3),
      show(113, 'fixed', 3, 108), // ?since=2 answered at once, nothing held
      held(121, 'fixed', 'c3'),
      change(300, 4),
      show(305, 'fixed', 4, 300),
    );
    expect(findMissedUpdates(events, 400).get('fixed')).toEqual({ client: 'fixed', missed: [], staleMs: 0 });
  });

  it('counts only the later of two changes in one gap: the earlier was overtaken before the client could ask', () => {
    const events = trace(
      change(0, 1),
      show(10, 'naive', 1, 0),
      change(106, 2),
      change(108, 3),
      held(111, 'naive', 'c2'),
      change(300, 4),
      show(305, 'naive', 4, 300),
    );
    expect(findMissedUpdates(events, 400).get('naive')?.missed.map((m) => m.version)).toEqual([3]);
  });

  it('gives the earlier of two changes in the same millisecond no lifetime', () => {
    const events = trace(
      change(100, 2),
      change(100, 3),
      show(105, 'naive', 2, 100), // the answer carried v2, made a moment before v3
      held(110, 'naive', 'c2'),
      held(100, 'other', 'c9'), // at that very millisecond v3 is already the newest
    );
    const deliveries = findMissedUpdates(events, 200);
    expect(deliveries.get('naive')?.missed).toEqual([{ client: 'naive', version: 3, changedAt: 100, missedAt: 110, conn: 'c2' }]);
    expect(deliveries.get('other')?.missed.map((m) => m.version)).toEqual([3]);
  });

  it('settles a change in the same millisecond as the hold by what the held request was answered with', () => {
    const answer = (t: number, conn: string, version: number): TraceInput => ({
      kind: 'http-response', t, lane: 'server', client: 'naive', conn, status: 200, headers: {}, bytes: 100, durationMs: 1, version,
    });
    const events = trace(
      change(0, 1),
      show(5, 'naive', 1, 0),
      held(100, 'naive', 'c1'),
      change(100, 2), // same ms as the hold, but it answered c1: made after the hold
      answer(100, 'c1', 2),
      show(102, 'naive', 2, 100),
      change(150, 3), // in the gap
      held(200, 'naive', 'c2'),
      change(200, 4), // same ms again, and it answered c2: v3 was the newest at the hold
      answer(201, 'c2', 4),
      show(203, 'naive', 4, 200),
    );
    expect(findMissedUpdates(events, 300).get('naive')?.missed).toEqual([{ client: 'naive', version: 3, changedAt: 150, missedAt: 200, conn: 'c2', caughtUpAt: 203 }]);
  });

  it('leaves caughtUpAt undefined and counts staleness up to now while the client has not caught up', () => {
    const events = trace(change(0, 1), show(10, 'naive', 1, 0), change(108, 2), held(111, 'naive', 'c2'));
    const naive = findMissedUpdates(events, 1108).get('naive');
    expect(naive?.missed[0]?.caughtUpAt).toBeUndefined();
    expect(naive?.staleMs).toBe(1000);
  });

  it('counts overlapping stale periods once', () => {
    const events = trace(
      change(0, 1),
      show(10, 'naive', 1, 0),
      change(108, 2),
      held(111, 'naive', 'c2'),
      change(200, 3), // answers c2, but the page fails to show it
      held(211, 'naive', 'c3'),
      change(300, 4),
      show(305, 'naive', 4, 300),
      change(400, 5),
      held(411, 'naive', 'c5'),
      change(500, 6),
      show(510, 'naive', 6, 500),
    );
    const naive = findMissedUpdates(events, 600).get('naive');
    expect(naive?.missed.map((m) => [m.version, m.changedAt, m.caughtUpAt])).toEqual([
      [2, 108, 305],
      [3, 200, 305],
      [5, 400, 510],
    ]);
    expect(naive?.staleMs).toBe(305 - 108 + (510 - 400));
  });

  it('keeps the first held request of a version and a show shown before the version was made out of caughtUpAt', () => {
    const events = trace(change(0, 1), change(100, 2), held(130, 'a', 'late'), held(120, 'a', 'early'), show(90, 'a', 3, 0), show(150, 'a', 3, 140));
    expect(findMissedUpdates(events, 200).get('a')?.missed).toEqual([{ client: 'a', version: 2, changedAt: 100, missedAt: 120, conn: 'early', caughtUpAt: 150 }]);
  });

  it('keeps clients apart and lists every client that was shown something or held', () => {
    const events = trace(
      change(0, 1),
      show(10, 'a', 1, 0),
      show(12, 'b', 1, 0),
      change(108, 2),
      held(111, 'a', 'a2'),
      show(115, 'b', 2, 108),
      held(120, 'b', 'b3'),
    );
    const deliveries = findMissedUpdates(events, 200);
    expect([...deliveries.keys()]).toEqual(['a', 'b']);
    expect(deliveries.get('a')?.missed.map((m) => m.version)).toEqual([2]);
    expect(deliveries.get('b')).toEqual({ client: 'b', missed: [], staleMs: 0 });
  });

  it('ignores requests held before the first feed change of the trace', () => {
    const events = trace(held(5, 'naive', 'c0'), change(10, 7));
    expect(findMissedUpdates(events, 100)).toEqual(new Map([['naive', { client: 'naive', missed: [], staleMs: 0 }]]));
  });

  it('ignores held requests of unknown clients', () => {
    const events = trace(change(0, 1), { kind: 'http-held', t: 5, lane: 'server', conn: 'curl' });
    expect(findMissedUpdates(events, 100).size).toBe(0);
  });
});
