/**
 * Which feed versions each client never received, read from a trace.
 *
 * The lessons serve the latest value, not a log of every change. A version that a newer one
 * replaced before the client could ask for it is not lost, it was overtaken, so "missed" is
 * narrower than "never shown". Version v is missed by client C when both hold:
 *
 * 1. C never showed v (no `client-show` of C carries v), and
 * 2. the server held one of C's requests while v was the newest version: v is the highest
 *    version made at or before the `http-held` time, and lower than the version the held
 *    request was finally answered with (the answer was caused by a change after the hold, so
 *    this settles changes made in the same millisecond as the hold, and across processes).
 *
 * That is exactly the naive long-poll race: v landed while the client was between two polls,
 * the server then sat on the client's next request waiting for the *following* change, and v
 * reached nobody. The client stays stale from v's `changedAt` until it shows v or anything newer.
 * Held requests before the first feed change of the trace are ignored: their version is unknown.
 *
 * Versions are assumed to be made in order (a higher version never has an earlier `changedAt`).
 */
import type { ClientShowEvent, HttpHeldEvent, TraceEvent } from './trace-event.ts';

export interface MissedUpdate {
  client: string;
  version: number;
  /** When the version was made (its feed-change t). */
  changedAt: number;
  /** t of the first http-held of this client while this version was the newest: the moment the server sat on it. */
  missedAt: number;
  /** conn of that held request. */
  conn: string;
  /** t of the client's first client-show with a version >= this one (at or after changedAt); undefined while it still has not caught up. */
  caughtUpAt?: number;
}

export interface ClientDelivery {
  client: string;
  /** Ascending by version. */
  missed: MissedUpdate[];
  /** Length of the union of the stale periods [changedAt, caughtUpAt ?? now) of the missed versions, ms. */
  staleMs: number;
}

/** A version of the feed and when it was made. */
interface FeedVersion {
  version: number;
  changedAt: number;
}

/** What one client did in the trace that bears on delivery. */
interface ClientRecord {
  held: HttpHeldEvent[];
  shows: ClientShowEvent[];
}

/** The version each answered request's body carried, by conn. */
type AnswerVersions = ReadonlyMap<string, number>;

/** Which versions each client never received although the server held one of its requests while that version was the newest. */
export function findMissedUpdates(events: readonly TraceEvent[], now: number): Map<string, ClientDelivery> {
  const tracker = createMissedUpdateTracker();
  for (const event of events) tracker.add(event);
  return tracker.deliveries(now);
}

/** Keeps what `findMissedUpdates` reads, event by event, so a growing trace is not read again from its start. */
export interface MissedUpdateTracker {
  /** Takes one event; true when it bears on delivery (a feed change, a held request, a show, an answer with a version). */
  add(event: TraceEvent): boolean;
  /** The missed updates of the events added so far, as `findMissedUpdates` gives them. */
  deliveries(now: number): Map<string, ClientDelivery>;
}

export function createMissedUpdateTracker(): MissedUpdateTracker {
  const versions: FeedVersion[] = [];
  const answers = new Map<string, number>();
  const clients = new Map<string, ClientRecord>();
  const record = (client: string): ClientRecord => {
    let r = clients.get(client);
    if (!r) clients.set(client, (r = { held: [], shows: [] }));
    return r;
  };
  return {
    add(event) {
      if (event.kind === 'feed-change') versions.push({ version: event.version, changedAt: event.changedAt });
      else if (event.kind === 'http-held' && event.client !== undefined) record(event.client).held.push(event);
      else if (event.kind === 'client-show') record(event.client).shows.push(event);
      else if (event.kind === 'http-response' && event.version !== undefined) answers.set(event.conn, event.version);
      else return false;
      return true;
    },
    deliveries(now) {
      const lifetimes = orderVersions(versions);
      const deliveries = new Map<string, ClientDelivery>();
      for (const [client, r] of clients) {
        const missed = missedVersions(client, r, lifetimes, answers);
        markCaughtUp(missed, r.shows);
        deliveries.set(client, { client, missed, staleMs: staleUnionMs(missed, now) });
      }
      return deliveries;
    },
  };
}

/** The versions ascending, each once (the first feed-change of a version counts). */
function orderVersions(versions: readonly FeedVersion[]): FeedVersion[] {
  const sorted = versions.toSorted((a, b) => a.version - b.version);
  return sorted.filter((v, i) => i === 0 || v.version !== sorted[i - 1]!.version);
}

/** The version that was the newest at `t` and below `below` (binary search, then back over same-ms ties). */
function newestAt(lifetimes: readonly FeedVersion[], t: number, below = Infinity): FeedVersion | undefined {
  let low = 0;
  let high = lifetimes.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (lifetimes[mid]!.changedAt <= t) low = mid + 1;
    else high = mid;
  }
  let index = low - 1;
  while (index >= 0 && lifetimes[index]!.version >= below) index--;
  return lifetimes[index];
}

/** The versions a client never showed that were the newest while the server held one of its requests, ascending. */
function missedVersions(client: string, r: ClientRecord, lifetimes: readonly FeedVersion[], answers: AnswerVersions): MissedUpdate[] {
  const shown = new Set(r.shows.map((show) => show.version));
  const missed = new Map<number, MissedUpdate>();
  for (const held of r.held) {
    const newest = newestAt(lifetimes, held.t, answers.get(held.conn));
    if (!newest || shown.has(newest.version)) continue;
    const earlier = missed.get(newest.version);
    if (earlier && earlier.missedAt <= held.t) continue;
    missed.set(newest.version, { client, version: newest.version, changedAt: newest.changedAt, missedAt: held.t, conn: held.conn });
  }
  return [...missed.values()].sort((a, b) => a.version - b.version);
}

/**
 * Sets `caughtUpAt` on each missed version, ascending, in one pass over the shows by time.
 * A show that does not catch up one version (too old a version, or shown before it was made)
 * cannot catch up any later one either, so the scan never goes back.
 */
function markCaughtUp(missed: readonly MissedUpdate[], shows: readonly ClientShowEvent[]): void {
  if (missed.length === 0) return;
  // Browser times are corrected by a measured offset, so shows can land slightly out of order.
  const byTime = [...shows].sort((a, b) => a.t - b.t || a.seq - b.seq);
  let next = 0;
  for (const m of missed) {
    while (next < byTime.length && (byTime[next]!.version < m.version || byTime[next]!.t < m.changedAt)) next++;
    if (next === byTime.length) return;
    m.caughtUpAt = byTime[next]!.t;
  }
}

/** The length of the union of the stale periods, which start in ascending order. */
function staleUnionMs(missed: readonly MissedUpdate[], now: number): number {
  let total = 0;
  let coveredUntil = -Infinity;
  for (const m of missed) {
    const end = m.caughtUpAt ?? now;
    const start = Math.max(m.changedAt, coveredUntil);
    if (end > start) total += end - start;
    coveredUntil = Math.max(coveredUntil, end);
  }
  return total;
}
