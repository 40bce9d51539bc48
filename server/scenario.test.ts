import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Scenario } from '../lessons/lesson.ts';
import { createFeed, type FeedCause } from './feed.ts';
import { createScenarioDriver, parseScenario } from './scenario.ts';

/** A real feed on the fake clock, and the times and causes of its changes. */
function createRecordedFeed() {
  const feed = createFeed({ now: () => Date.now() });
  const changedAt: number[] = [];
  const causes: FeedCause[] = [];
  feed.subscribe((snapshot, cause) => {
    changedAt.push(snapshot.changedAt);
    causes.push(cause);
  });
  return { feed, changedAt, causes };
}

describe('createScenarioDriver', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('changes the feed every everyMs for an interval scenario', () => {
    const { feed, changedAt, causes } = createRecordedFeed();
    createScenarioDriver(feed, { kind: 'interval', everyMs: 1_000 });

    vi.advanceTimersByTime(3_500);

    expect(changedAt).toEqual([1_000, 2_000, 3_000]);
    expect(causes).toEqual(['scenario', 'scenario', 'scenario']);
    expect(feed.current().version).toBe(4);
  });

  it('changes the feed to the value nextValue proposes', () => {
    const { feed } = createRecordedFeed();
    const expected = feed.nextValue();
    createScenarioDriver(feed, { kind: 'interval', everyMs: 1_000 });

    vi.advanceTimersByTime(1_000);

    expect(feed.current().value).toEqual(expected);
  });

  it('multiplies the interval by the time scale', () => {
    const { feed, changedAt } = createRecordedFeed();
    createScenarioDriver(feed, { kind: 'interval', everyMs: 1_000 }, 2.5);

    vi.advanceTimersByTime(6_000);

    expect(changedAt).toEqual([2_500, 5_000]);
  });

  it('makes count changes gapMs apart every everyMs for a burst scenario', () => {
    const { feed, changedAt } = createRecordedFeed();
    createScenarioDriver(feed, { kind: 'burst', count: 3, gapMs: 100, everyMs: 1_000 });

    vi.advanceTimersByTime(2_500);

    expect(changedAt).toEqual([1_000, 1_100, 1_200, 2_000, 2_100, 2_200]);
  });

  it('multiplies both the burst gap and the burst period by the time scale', () => {
    const { feed, changedAt } = createRecordedFeed();
    createScenarioDriver(feed, { kind: 'burst', count: 2, gapMs: 100, everyMs: 1_000 }, 2);

    vi.advanceTimersByTime(4_500);

    expect(changedAt).toEqual([2_000, 2_200, 4_000, 4_200]);
  });

  it('never changes the feed for a manual scenario', () => {
    const { feed, changedAt } = createRecordedFeed();
    createScenarioDriver(feed, { kind: 'manual' });

    vi.advanceTimersByTime(60_000);

    expect(changedAt).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('reports the scenario it runs', () => {
    const scenario: Scenario = { kind: 'interval', everyMs: 1_000 };
    const driver = createScenarioDriver(createFeed(), scenario);
    expect(driver.scenario).toBe(scenario);
  });

  describe('#set', () => {
    it('switches to the new scenario and time scale from the moment it is called', () => {
      const { feed, changedAt } = createRecordedFeed();
      const driver = createScenarioDriver(feed, { kind: 'interval', everyMs: 1_000 });
      vi.advanceTimersByTime(1_500);

      const next: Scenario = { kind: 'interval', everyMs: 300 };
      driver.set(next, 2);
      vi.advanceTimersByTime(1_500);

      expect(changedAt).toEqual([1_000, 2_100, 2_700]);
      expect(driver.scenario).toBe(next);
    });

    it('cancels the rest of a running burst', () => {
      const { feed, changedAt } = createRecordedFeed();
      const driver = createScenarioDriver(feed, { kind: 'burst', count: 3, gapMs: 100, everyMs: 1_000 });
      vi.advanceTimersByTime(1_050);

      driver.set({ kind: 'manual' }, 1);
      vi.advanceTimersByTime(10_000);

      expect(changedAt).toEqual([1_000]);
      expect(driver.scenario).toEqual({ kind: 'manual' });
      expect(vi.getTimerCount()).toBe(0);
    });

    it('starts timers again after a stop', () => {
      const { feed, changedAt } = createRecordedFeed();
      const driver = createScenarioDriver(feed, { kind: 'interval', everyMs: 1_000 });
      driver.stop();

      driver.set({ kind: 'interval', everyMs: 500 }, 1);
      vi.advanceTimersByTime(1_000);

      expect(changedAt).toEqual([500, 1_000]);
    });
  });

  describe('#pause', () => {
    it('holds the scenario without forgetting it, and runs it again from the resume', () => {
      const { feed, changedAt } = createRecordedFeed();
      const driver = createScenarioDriver(feed, { kind: 'interval', everyMs: 1_000 });
      vi.advanceTimersByTime(1_000);
      driver.pause(true);
      vi.advanceTimersByTime(5_000);
      expect([driver.paused, driver.scenario, changedAt]).toEqual([true, { kind: 'interval', everyMs: 1_000 }, [1_000]]);

      driver.set({ kind: 'interval', everyMs: 500 }, 1); // chosen while paused: kept for the resume
      vi.advanceTimersByTime(1_000);
      expect(changedAt).toEqual([1_000]);
      driver.pause(false);
      vi.advanceTimersByTime(1_000);
      expect([driver.paused, changedAt]).toEqual([false, [1_000, 7_500, 8_000]]);
    });
  });

  describe('#stop', () => {
    it('stops an interval scenario', () => {
      const { feed, changedAt } = createRecordedFeed();
      const driver = createScenarioDriver(feed, { kind: 'interval', everyMs: 1_000 });
      vi.advanceTimersByTime(2_000);

      driver.stop();
      vi.advanceTimersByTime(10_000);

      expect(changedAt).toEqual([1_000, 2_000]);
      expect(vi.getTimerCount()).toBe(0);
    });

    it('stops a burst in the middle, including its pending changes', () => {
      const { feed, changedAt } = createRecordedFeed();
      const driver = createScenarioDriver(feed, { kind: 'burst', count: 3, gapMs: 100, everyMs: 1_000 });
      vi.advanceTimersByTime(1_150);

      driver.stop();
      vi.advanceTimersByTime(10_000);

      expect(changedAt).toEqual([1_000, 1_100]);
      expect(vi.getTimerCount()).toBe(0);
    });

    it('can be called twice', () => {
      const driver = createScenarioDriver(createFeed(), { kind: 'interval', everyMs: 1_000 });
      driver.stop();
      expect(() => driver.stop()).not.toThrow();
    });
  });
});

describe('parseScenario', () => {
  it.each<[string, unknown, Scenario]>([
    ['manual', { kind: 'manual' }, { kind: 'manual' }],
    ['manual with extra fields', { kind: 'manual', everyMs: 1_000, extra: true }, { kind: 'manual' }],
    ['interval', { kind: 'interval', everyMs: 1_500 }, { kind: 'interval', everyMs: 1_500 }],
    ['interval at the 50 ms minimum', { kind: 'interval', everyMs: 50 }, { kind: 'interval', everyMs: 50 }],
    ['interval at the 10 min maximum', { kind: 'interval', everyMs: 600_000 }, { kind: 'interval', everyMs: 600_000 }],
    ['interval with extra fields', { kind: 'interval', everyMs: 1_000, count: 3 }, { kind: 'interval', everyMs: 1_000 }],
    ['burst', { kind: 'burst', count: 3, gapMs: 100, everyMs: 1_000 }, { kind: 'burst', count: 3, gapMs: 100, everyMs: 1_000 }],
    ['burst with no gap', { kind: 'burst', count: 5, gapMs: 0, everyMs: 100 }, { kind: 'burst', count: 5, gapMs: 0, everyMs: 100 }],
    ['burst just fitting its period', { kind: 'burst', count: 5, gapMs: 199, everyMs: 1_000 }, { kind: 'burst', count: 5, gapMs: 199, everyMs: 1_000 }],
    ['burst of 50', { kind: 'burst', count: 50, gapMs: 10, everyMs: 1_000 }, { kind: 'burst', count: 50, gapMs: 10, everyMs: 1_000 }],
  ])('accepts %s', (_name, input, expected) => {
    expect(parseScenario(input)).toEqual(expected);
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['undefined', undefined],
    ['a string', 'interval'],
    ['a number', 1_000],
    ['an array', ['interval', 1_000]],
    ['an object without a kind', { everyMs: 1_000 }],
    ['an unknown kind', { kind: 'sometimes', everyMs: 1_000 }],
    ['an interval without everyMs', { kind: 'interval' }],
    ['an interval of NaN', { kind: 'interval', everyMs: Number.NaN }],
    ['an interval of Infinity', { kind: 'interval', everyMs: Number.POSITIVE_INFINITY }],
    ['an interval given as text', { kind: 'interval', everyMs: '1000' }],
    ['a negative interval', { kind: 'interval', everyMs: -1_000 }],
    ['an interval under 20 ms', { kind: 'interval', everyMs: 19 }],
    ['an interval over 10 min', { kind: 'interval', everyMs: 600_001 }],
    ['a burst period under 100 ms', { kind: 'burst', count: 1, gapMs: 0, everyMs: 99 }],
    ['a burst with a negative gap', { kind: 'burst', count: 3, gapMs: -10, everyMs: 1_000 }],
    ['a burst with a NaN gap', { kind: 'burst', count: 3, gapMs: Number.NaN, everyMs: 1_000 }],
    ['a burst of 0', { kind: 'burst', count: 0, gapMs: 100, everyMs: 1_000 }],
    ['a burst of 51', { kind: 'burst', count: 51, gapMs: 1, everyMs: 1_000 }],
    ['a burst of 2.5', { kind: 'burst', count: 2.5, gapMs: 100, everyMs: 1_000 }],
    ['a burst whose count × gap equals its period', { kind: 'burst', count: 5, gapMs: 200, everyMs: 1_000 }],
    ['a burst whose count × gap exceeds its period', { kind: 'burst', count: 20, gapMs: 100, everyMs: 1_000 }],
    ['a burst without a count', { kind: 'burst', gapMs: 100, everyMs: 1_000 }],
  ])('refuses %s', (_name, input) => {
    expect(parseScenario(input)).toBeUndefined();
  });
});
