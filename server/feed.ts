import type { FeedSnapshot } from '../lessons/lesson.ts';

/** Who made a feed change (see `FeedChangeEvent.cause`). */
export type FeedCause = 'scenario' | 'manual' | 'race';

/** A workbench-owned changing value: monotonic versions, server-clock `changedAt`. */
export interface Feed {
  current(): FeedSnapshot;
  /** Makes a change and returns the new version. */
  change(value: unknown, cause: FeedCause): FeedSnapshot;
  /** A value for the next change when nobody says what it is (scenarios, the "change data" button). */
  nextValue(): unknown;
  subscribe(listener: (snapshot: FeedSnapshot, cause: FeedCause) => void): () => void;
}

export interface FeedOptions {
  /** The first value. @default a price quote */
  initial?: unknown;
  /** Clock, for tests. @default Date.now */
  now?: () => number;
}

/** Creates a feed whose made-up values are a stock quote doing a random walk. */
export function createFeed({ initial = { symbol: 'ACME', price: 100 }, now = Date.now }: FeedOptions = {}): Feed {
  let snapshot: FeedSnapshot = { version: 1, value: initial, changedAt: now() };
  const listeners = new Set<(snapshot: FeedSnapshot, cause: FeedCause) => void>();

  return {
    current: () => snapshot,
    change(value, cause) {
      snapshot = { version: snapshot.version + 1, value, changedAt: now() };
      for (const listener of listeners) listener(snapshot, cause);
      return snapshot;
    },
    nextValue: () => nextQuote(snapshot.value, snapshot.version + 1),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

function nextQuote(previous: unknown, version: number): unknown {
  const quote = previous as { symbol?: unknown; price?: unknown } | null;
  if (quote && typeof quote === 'object' && typeof quote.price === 'number') {
    // A deterministic wiggle (no Math.random): the same version always gives the same step.
    const step = (((version * 7919) % 41) - 20) / 10;
    return { ...quote, price: Math.round(Math.max(1, quote.price + step) * 100) / 100 };
  }
  return { update: version };
}
