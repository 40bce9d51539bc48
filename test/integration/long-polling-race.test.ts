/**
 * Property test of the missed-update race: the lesson's real server.ts and client.ts, on real
 * sockets, over many random schedules of feed changes, think times and delays. Whatever the
 * timing, the fixed client misses nothing; the naive client never gets a change that landed in
 * its gap between polls, and the detector reports each of those.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ClientOptions, LessonClient, LessonServer } from '../../lessons/lesson.ts';
import { findMissedUpdates } from '../../lessons/missed-updates.ts';
import type { TraceEvent } from '../../lessons/trace-event.ts';
import longPollingServer from '../../lessons/02-long-polling/server.ts';
import longPollingClient from '../../lessons/02-long-polling/client.ts';
import { startLessonHarness } from '../setup/lesson-harness.ts';
import { runNodeClient } from '../setup/node-client.ts';
import { waitFor } from '../setup/workbench.ts';

interface Schedule {
  /** Time between feed changes, ms (distinct milliseconds: same-ms pairs are another lesson step). */
  gapsMs: number[];
  naiveThinkMs: number;
  fixedThinkMs: number;
  /** Server delays, used in turn for each request. */
  serverDelaysMs: number[];
  /** Network delay each way, per client. */
  naiveNetworkMs: number;
  fixedNetworkMs: number;
}

const schedule: fc.Arbitrary<Schedule> = fc.record({
  gapsMs: fc.array(fc.integer({ min: 3, max: 120 }), { minLength: 5, maxLength: 10 }),
  naiveThinkMs: fc.integer({ min: 20, max: 80 }),
  fixedThinkMs: fc.integer({ min: 0, max: 80 }),
  serverDelaysMs: fc.array(fc.integer({ min: 0, max: 15 }), { minLength: 1, maxLength: 6 }),
  naiveNetworkMs: fc.integer({ min: 0, max: 8 }),
  fixedNetworkMs: fc.integer({ min: 0, max: 8 }),
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs one schedule and returns its trace (server and both clients, one clock). */
async function runSchedule(s: Schedule): Promise<TraceEvent[]> {
  let request = 0;
  const harness = await startLessonHarness(longPollingServer as LessonServer, {
    slug: 'long-polling',
    params: { holdMs: 30_000, batchMs: 0 },
    delayMs: () => s.serverDelaysMs[request++ % s.serverDelaysMs.length]!,
  });
  const clients: { clientId: string; options: ClientOptions; networkMs: number }[] = [
    { clientId: 'naive', options: { strategy: 'naive', thinkMs: s.naiveThinkMs }, networkMs: s.naiveNetworkMs },
    { clientId: 'fixed', options: { strategy: 'fixed', thinkMs: s.fixedThinkMs, token: 'changedAt', deliver: 'latest' }, networkMs: s.fixedNetworkMs },
  ];
  const stops = clients.map(({ clientId, options, networkMs }) =>
    runNodeClient(longPollingClient as LessonClient, { apiBase: harness.apiBase, clientId, options, emit: harness.emit, networkDelayMs: () => networkMs }),
  );
  try {
    // Both clients loaded the data and have a long poll held before anything changes.
    await waitFor(() => ['naive', 'fixed'].every((c) => harness.events.some((e) => e.kind === 'http-held' && e.client === c)), { what: 'both clients holding' });
    for (const gap of s.gapsMs) {
      await sleep(gap);
      harness.feed.change(harness.feed.nextValue(), 'scenario');
    }
    const last = harness.feed.current().version;
    // A correct fixed client shows the last change within a round trip; a broken one never does,
    // and the missed-update check below says why.
    await waitFor(() => harness.events.some((e) => e.kind === 'client-show' && e.client === 'fixed' && e.version === last), { timeoutMs: 2_000 }).catch(() => undefined);
    return [...harness.events];
  } finally {
    for (const stop of stops) stop();
    await harness.close();
  }
}

/**
 * Changes that landed in the naive client's gap, judged from the server's side: made after the
 * server last answered the naive client, and the newest when its next poll was held (made at
 * or before the hold, and older than the change that finally answered that poll).
 */
function landedInNaiveGap(events: readonly TraceEvent[]): number[] {
  const changes = events.filter((e) => e.kind === 'feed-change');
  const answers = new Map(events.flatMap((e) => (e.kind === 'http-response' && e.version !== undefined ? [[e.conn, e.version] as const] : [])));
  const landed = new Set<number>();
  let answeredAt: number | undefined;
  for (const e of events) {
    if (e.client !== 'naive' || e.lane !== 'server') continue;
    if (e.kind === 'http-response') answeredAt = e.t;
    if (e.kind !== 'http-held' || answeredAt === undefined) continue;
    const answer = answers.get(e.conn) ?? Infinity;
    const newest = changes.filter((c) => c.changedAt <= e.t && c.version < answer).at(-1);
    if (newest && newest.changedAt > answeredAt) landed.add(newest.version);
  }
  return [...landed];
}

describe('the long-poll race, property-tested against the lesson code', () => {
  it('fixed (?since=) never misses a change; naive never delivers a change that lands in its gap', async () => {
    let naiveMissedTotal = 0;
    let landedTotal = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(schedule, { minLength: 6, maxLength: 6 }), async (schedules) => {
        // Six schedules at once, each with its own server, feed and clients.
        const traces = await Promise.all(schedules.map(runSchedule));
        for (const events of traces) {
          const delivery = findMissedUpdates(events, Date.now());
          expect(delivery.get('fixed')?.missed ?? []).toEqual([]);
          const naiveMissed = (delivery.get('naive')?.missed ?? []).map((m) => m.version);
          const inGap = landedInNaiveGap(events);
          // The naive server never delivers a change that landed in the gap…
          const naiveShown = new Set(events.flatMap((e) => (e.kind === 'client-show' && e.client === 'naive' ? [e.version] : [])));
          expect(inGap.filter((v) => naiveShown.has(v))).toEqual([]);
          // …and the detector reports every one of them.
          expect(naiveMissed).toEqual(expect.arrayContaining(inGap));
          naiveMissedTotal += naiveMissed.length;
          landedTotal += inGap.length;
        }
      }),
      { numRuns: 6, endOnFailure: true },
    );
    // Over 36 random schedules the race must have happened, and the naive client lost updates to it.
    expect(landedTotal).toBeGreaterThan(0);
    expect(naiveMissedTotal).toBeGreaterThanOrEqual(landedTotal);
  });
});
