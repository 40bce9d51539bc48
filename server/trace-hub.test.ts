import { describe, expect, it } from 'vitest';
import type { TraceEvent, TraceInput } from '../lessons/trace-event.ts';
import { createTraceHub } from './trace-hub.ts';

/** A feed-change input for `version`, at t = version × 1000. */
function feedChange(version: number): TraceInput {
  return { kind: 'feed-change', t: version * 1_000, lane: 'feed', version, changedAt: version * 1_000, value: version, cause: 'manual' };
}

const versionsOf = (events: TraceEvent[]) => events.map((event) => (event.kind === 'feed-change' ? event.version : undefined));

describe('createTraceHub', () => {
  describe('#emit', () => {
    it('stamps the input with the lesson and seq 1, and returns the event', () => {
      const hub = createTraceHub();
      const event = hub.emit('short-polling', feedChange(2));
      expect(event).toEqual({
        kind: 'feed-change',
        t: 2_000,
        lane: 'feed',
        version: 2,
        changedAt: 2_000,
        value: 2,
        cause: 'manual',
        seq: 1,
        lesson: 'short-polling',
      });
      expect(hub.events('short-polling')).toEqual([event]);
    });

    it('adds one to seq on every event of a lesson', () => {
      const hub = createTraceHub();
      const seqs = [2, 3, 4].map((version) => hub.emit('short-polling', feedChange(version)).seq);
      expect(seqs).toEqual([1, 2, 3]);
    });

    it('overrides a seq or lesson already on the input', () => {
      const hub = createTraceHub();
      const input = { ...feedChange(2), seq: 99, lesson: 'other' } as unknown as TraceInput;
      expect(hub.emit('short-polling', input)).toMatchObject({ seq: 1, lesson: 'short-polling' });
    });
  });

  describe('#events', () => {
    it('returns an empty list for a lesson that has no events', () => {
      expect(createTraceHub().events('nothing-here')).toEqual([]);
    });

    it('keeps the newest events, oldest first, once over capacity', () => {
      const hub = createTraceHub({ capacity: 3 });
      for (const version of [1, 2, 3, 4, 5]) hub.emit('short-polling', feedChange(version));
      const events = hub.events('short-polling');
      expect(versionsOf(events)).toEqual([3, 4, 5]);
      expect(events.map((event) => event.seq)).toEqual([3, 4, 5]);
    });
  });

  describe('#subscribe', () => {
    it('hands each new event of the lesson to every listener', () => {
      const hub = createTraceHub();
      const first: TraceEvent[] = [];
      const second: TraceEvent[] = [];
      hub.subscribe('short-polling', (event) => first.push(event));
      hub.subscribe('short-polling', (event) => second.push(event));

      const a = hub.emit('short-polling', feedChange(2));
      const b = hub.emit('short-polling', feedChange(3));

      expect(first).toEqual([a, b]);
      expect(second).toEqual([a, b]);
    });

    it('does not replay events recorded before the listener subscribed', () => {
      const hub = createTraceHub();
      hub.emit('short-polling', feedChange(2));
      const seen: TraceEvent[] = [];
      hub.subscribe('short-polling', (event) => seen.push(event));
      expect(seen).toEqual([]);
    });

    it('stops calling a listener once it unsubscribes', () => {
      const hub = createTraceHub();
      const seen: number[] = [];
      const unsubscribe = hub.subscribe('short-polling', (event) => seen.push(event.seq));

      hub.emit('short-polling', feedChange(2));
      unsubscribe();
      hub.emit('short-polling', feedChange(3));

      expect(seen).toEqual([1]);
    });
  });

  describe('#clear', () => {
    it('forgets the recorded events and tells the onClear listeners', () => {
      const hub = createTraceHub();
      let clears = 0;
      hub.onClear('short-polling', () => clears++);
      hub.emit('short-polling', feedChange(2));

      hub.clear('short-polling');

      expect(hub.events('short-polling')).toEqual([]);
      expect(clears).toBe(1);
    });

    it('goes on with seq after a clear', () => {
      const hub = createTraceHub();
      hub.emit('short-polling', feedChange(2));
      hub.emit('short-polling', feedChange(3));
      hub.clear('short-polling');

      expect(hub.emit('short-polling', feedChange(4)).seq).toBe(3);
      expect(hub.events('short-polling').map((event) => event.seq)).toEqual([3]);
    });

    it('keeps live listeners subscribed', () => {
      const hub = createTraceHub();
      const seen: number[] = [];
      hub.subscribe('short-polling', (event) => seen.push(event.seq));
      hub.clear('short-polling');
      hub.emit('short-polling', feedChange(2));
      expect(seen).toEqual([1]);
    });

    it('stops calling an onClear listener once it unsubscribes', () => {
      const hub = createTraceHub();
      let clears = 0;
      const unsubscribe = hub.onClear('short-polling', () => clears++);
      hub.clear('short-polling');
      unsubscribe();
      hub.clear('short-polling');
      expect(clears).toBe(1);
    });
  });

  describe('lessons', () => {
    it('number their events independently', () => {
      const hub = createTraceHub();
      hub.emit('short-polling', feedChange(2));
      hub.emit('short-polling', feedChange(3));
      const other = hub.emit('long-polling', feedChange(4));

      expect(other).toMatchObject({ seq: 1, lesson: 'long-polling' });
      expect(versionsOf(hub.events('short-polling'))).toEqual([2, 3]);
      expect(versionsOf(hub.events('long-polling'))).toEqual([4]);
    });

    it('have their own listeners', () => {
      const hub = createTraceHub();
      const seen: string[] = [];
      hub.subscribe('short-polling', (event) => seen.push(event.lesson));
      hub.emit('long-polling', feedChange(2));
      hub.emit('short-polling', feedChange(3));
      expect(seen).toEqual(['short-polling']);
    });

    it('are cleared one at a time', () => {
      const hub = createTraceHub();
      const cleared: string[] = [];
      hub.onClear('short-polling', () => cleared.push('short-polling'));
      hub.onClear('long-polling', () => cleared.push('long-polling'));
      hub.emit('short-polling', feedChange(2));
      hub.emit('long-polling', feedChange(3));

      hub.clear('short-polling');

      expect(cleared).toEqual(['short-polling']);
      expect(hub.events('short-polling')).toEqual([]);
      expect(versionsOf(hub.events('long-polling'))).toEqual([3]);
    });

    it('each keep their own capacity', () => {
      const hub = createTraceHub({ capacity: 2 });
      for (const version of [1, 2, 3]) hub.emit('short-polling', feedChange(version));
      hub.emit('long-polling', feedChange(9));
      expect(versionsOf(hub.events('short-polling'))).toEqual([2, 3]);
      expect(versionsOf(hub.events('long-polling'))).toEqual([9]);
    });
  });
});
