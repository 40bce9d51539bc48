import { describe, expect, it } from 'vitest';
import type { FeedSnapshot } from '../lessons/lesson.ts';
import { createFeed, type FeedCause, type FeedOptions } from './feed.ts';

/** A feed on a clock the test moves by hand. */
function createTestFeed(options: Omit<FeedOptions, 'now'> = {}) {
  const clock = { now: 1_000 };
  const feed = createFeed({ ...options, now: () => clock.now });
  return { feed, clock };
}

describe('createFeed', () => {
  it('starts at version 1 with an ACME quote at 100 stamped with the clock', () => {
    const { feed } = createTestFeed();
    expect(feed.current()).toEqual({ version: 1, value: { symbol: 'ACME', price: 100 }, changedAt: 1_000 });
  });

  it('starts with the given initial value', () => {
    const { feed } = createTestFeed({ initial: 'hello' });
    expect(feed.current()).toEqual({ version: 1, value: 'hello', changedAt: 1_000 });
  });

  describe('#change', () => {
    it('adds one to the version on every change and stamps changedAt from the clock', () => {
      const { feed, clock } = createTestFeed();
      clock.now = 2_500;
      const second = feed.change('a', 'manual');
      clock.now = 4_000;
      const third = feed.change('b', 'scenario');

      expect(second).toEqual({ version: 2, value: 'a', changedAt: 2_500 });
      expect(third).toEqual({ version: 3, value: 'b', changedAt: 4_000 });
      expect(feed.current()).toBe(third);
    });

    it('keeps versions increasing when the value does not change', () => {
      const { feed } = createTestFeed({ initial: 7 });
      expect([feed.change(7, 'manual').version, feed.change(7, 'manual').version]).toEqual([2, 3]);
    });
  });

  describe('#subscribe', () => {
    it('tells every listener the new snapshot and the cause', () => {
      const { feed } = createTestFeed();
      const first: [FeedSnapshot, FeedCause][] = [];
      const second: [FeedSnapshot, FeedCause][] = [];
      feed.subscribe((snapshot, cause) => first.push([snapshot, cause]));
      feed.subscribe((snapshot, cause) => second.push([snapshot, cause]));

      feed.change('a', 'manual');
      feed.change('b', 'race');

      const expected = [
        [{ version: 2, value: 'a', changedAt: 1_000 }, 'manual'],
        [{ version: 3, value: 'b', changedAt: 1_000 }, 'race'],
      ];
      expect(first).toEqual(expected);
      expect(second).toEqual(expected);
    });

    it('stops calling a listener once it unsubscribes', () => {
      const { feed } = createTestFeed();
      const versions: number[] = [];
      const unsubscribe = feed.subscribe(({ version }) => versions.push(version));

      feed.change('a', 'manual');
      unsubscribe();
      feed.change('b', 'manual');

      expect(versions).toEqual([2]);
      expect(feed.current().version).toBe(3);
    });

    it('does not call a listener for the value it already has', () => {
      const { feed } = createTestFeed();
      const versions: number[] = [];
      feed.subscribe(({ version }) => versions.push(version));
      expect(versions).toEqual([]);
    });
  });

  describe('#nextValue', () => {
    it('walks the quote price by a step that depends only on the next version', () => {
      const { feed } = createTestFeed();
      const prices: unknown[] = [];
      for (let i = 0; i < 4; i++) prices.push(feed.change(feed.nextValue(), 'scenario').value);

      // Steps for versions 2..5: -0.8, -0.2, +0.4, +1.0.
      expect(prices).toEqual([
        { symbol: 'ACME', price: 99.2 },
        { symbol: 'ACME', price: 99 },
        { symbol: 'ACME', price: 99.4 },
        { symbol: 'ACME', price: 100.4 },
      ]);
    });

    it('gives the same value each time it is asked and does not change the feed', () => {
      const { feed } = createTestFeed();
      expect(feed.nextValue()).toEqual({ symbol: 'ACME', price: 99.2 });
      expect(feed.nextValue()).toEqual({ symbol: 'ACME', price: 99.2 });
      expect(feed.current()).toEqual({ version: 1, value: { symbol: 'ACME', price: 100 }, changedAt: 1_000 });
    });

    it('gives the same walk for two feeds that start alike', () => {
      const a = createTestFeed().feed;
      const b = createTestFeed().feed;
      const walk = (feed: typeof a) => [1, 2, 3].map(() => feed.change(feed.nextValue(), 'scenario').value);
      expect(walk(a)).toEqual(walk(b));
    });

    it('keeps the other fields of the quote', () => {
      const { feed } = createTestFeed({ initial: { symbol: 'XYZ', price: 50, currency: 'EUR' } });
      expect(feed.nextValue()).toEqual({ symbol: 'XYZ', price: 49.2, currency: 'EUR' });
    });

    it('rounds the price to cents', () => {
      const { feed } = createTestFeed({ initial: { symbol: 'ACME', price: 100.123 } });
      expect(feed.nextValue()).toEqual({ symbol: 'ACME', price: 99.32 });
    });

    it('never takes the price below 1', () => {
      const { feed } = createTestFeed({ initial: { symbol: 'ACME', price: 1.5 } });
      expect(feed.nextValue()).toEqual({ symbol: 'ACME', price: 1 });
    });

    it.each([
      ['a string', 'hello'],
      ['null', null],
      ['a number', 42],
      ['an object without a price', { symbol: 'ACME' }],
      ['an object with a text price', { symbol: 'ACME', price: '100' }],
    ])('falls back to { update: <next version> } when the value is %s', (_name, initial) => {
      const { feed } = createTestFeed({ initial });
      expect(feed.nextValue()).toEqual({ update: 2 });
      feed.change('x', 'manual');
      expect(feed.nextValue()).toEqual({ update: 3 });
    });
  });
});
