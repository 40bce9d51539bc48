import type { FeedSnapshot } from '../lessons/lesson.ts';
import type { TraceEvent } from '../lessons/trace-event.ts';
import type { Feed } from './feed.ts';
import { HttpError } from './http-error.ts';

/** What `race()` did: the change it landed in the client's gap, and the change that opened the gap (if it had to). */
export interface RaceResult {
  /** The change made between two polls of the client (cause `race`). */
  change: FeedSnapshot;
  /** The change made first to answer the client's held request, when it was holding one. */
  opener?: FeedSnapshot;
  /** The client's gap between a response and its next request, as last measured on the server, ms. */
  gapMs: number;
  /** How long after the response the change was made, ms. */
  afterMs: number;
}

/** Lands feed changes between a client's polls: the long-poll race, every time, not by luck. */
export interface RaceOnCue {
  /** Takes the lesson's trace events (server lane requests, holds and answers). */
  observe(event: TraceEvent): void;
  /**
   * Waits for the next answer the server sends to `client` (making a change first if the client
   * has a request held, so that there is one), then changes the feed halfway through the
   * client's gap, before its next request arrives.
   */
  race(client: string): Promise<RaceResult>;
  /** Gives up a pending race. */
  close(): void;
}

export interface RaceOnCueOptions {
  feed: Feed;
  /** The current slow-motion factor (the wait for an answer grows with it). */
  timeScale(): number;
  /** How long to wait for the client's next answer, ms (times the time scale). @default 10000 */
  answerTimeoutMs?: number;
}

/** Gaps shorter than this leave no room to land a change reliably. */
const MIN_GAP_MS = 30;

interface ClientTraffic {
  open: Set<string>;
  held: Set<string>;
  /** When the server last answered this client, until its next request arrives. */
  answeredAt?: number;
  /** The last measured time from an answer to the client's next request. */
  gapMs?: number;
}

interface PendingRace {
  client: string;
  opened: boolean;
  resolve(result: RaceResult): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
  opener?: FeedSnapshot;
}

/**
 * Creates the race director for one lesson. It learns each client's rhythm from the server
 * side of the trace: which requests are held, when answers go out and how long the client takes
 * to come back (its think time plus the round trip).
 */
export function createRaceOnCue({ feed, timeScale, answerTimeoutMs = 10_000 }: RaceOnCueOptions): RaceOnCue {
  const clients = new Map<string, ClientTraffic>();
  let pending: PendingRace | undefined;

  const trafficOf = (client: string) => {
    let traffic = clients.get(client);
    if (!traffic) clients.set(client, (traffic = { open: new Set(), held: new Set() }));
    return traffic;
  };

  const open = (race: PendingRace) => {
    if (race.opened) return;
    race.opened = true;
    race.opener = feed.change(feed.nextValue(), 'manual');
  };

  const land = (race: PendingRace, answeredAt: number, gapMs: number | undefined) => {
    pending = undefined;
    clearTimeout(race.timer);
    if (gapMs === undefined || gapMs < MIN_GAP_MS) {
      const measured = gapMs === undefined ? 'has not been measured yet' : `is only ${Math.round(gapMs)} ms`;
      race.reject(new HttpError(409, `The gap between ${race.client}'s polls ${measured}: give the client some think time (${MIN_GAP_MS} ms or more) and try again.`));
      return;
    }
    const afterMs = gapMs / 2;
    setTimeout(() => {
      const change = feed.change(feed.nextValue(), 'race');
      race.resolve({ change, opener: race.opener, gapMs, afterMs });
    }, Math.max(0, answeredAt + afterMs - Date.now()));
  };

  return {
    observe(event) {
      // A new runner: the old one's requests are gone (answered or cut as it retired, not always in the trace).
      if (event.kind === 'reload') {
        for (const traffic of clients.values()) {
          traffic.open.clear();
          traffic.held.clear();
        }
        return;
      }
      if (event.lane !== 'server' || event.client === undefined || !('conn' in event)) return;
      const traffic = trafficOf(event.client);
      switch (event.kind) {
        case 'http-request':
          if (traffic.answeredAt !== undefined) traffic.gapMs = event.t - traffic.answeredAt;
          traffic.answeredAt = undefined;
          traffic.open.add(event.conn);
          break;
        case 'http-held':
          traffic.held.add(event.conn);
          if (pending?.client === event.client) open(pending);
          break;
        case 'http-response':
        case 'http-abort':
          traffic.open.delete(event.conn);
          traffic.held.delete(event.conn);
          if (event.kind === 'http-abort') break;
          traffic.answeredAt = event.t;
          if (pending?.client === event.client) land(pending, event.t, traffic.gapMs);
          break;
      }
    },
    race(client) {
      if (pending) return Promise.reject(new HttpError(409, `A change between ${pending.client}'s polls is already on its way`));
      return new Promise<RaceResult>((resolve, reject) => {
        const ms = answerTimeoutMs * timeScale();
        const timer = setTimeout(() => {
          pending = undefined;
          reject(new HttpError(409, `The server sent ${client} no answer in ${ms / 1000} s: is the lesson page open?`));
        }, ms);
        pending = { client, opened: false, resolve, reject, timer };
        // Held now: make a change so that an answer goes out and a gap begins.
        if (trafficOf(client).held.size > 0) open(pending);
      });
    },
    close() {
      if (!pending) return;
      clearTimeout(pending.timer);
      pending.reject(new HttpError(409, 'The lesson closed'));
      pending = undefined;
    },
  };
}
