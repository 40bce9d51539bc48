/**
 * Wire bytes per update: short polling, long polling and Server-Sent Events side by side, each on
 * its lesson's real server.ts and client.ts in this process (a lesson harness on a loopback port,
 * a Node client beside it), with the lessons' default settings. The bytes are the server sockets'
 * own counters (`bytesRead` + `bytesWritten`, every connection the server accepted), read before
 * and after the same feed schedule runs on all three at once. No workbench, no browser.
 */
import { fileURLToPath } from 'node:url';
import type { ClientOptions, LessonClient, LessonServer, SettingValue } from '../lessons/lesson.ts';
import type { TraceEvent } from '../lessons/trace-event.ts';
import shortPollingServer from '../lessons/01-short-polling/server.ts';
import shortPollingClient from '../lessons/01-short-polling/client.ts';
import longPollingServer from '../lessons/02-long-polling/server.ts';
import longPollingClient from '../lessons/02-long-polling/client.ts';
import sseServer from '../lessons/03-server-sent-events/server.ts';
import sseClient from '../lessons/03-server-sent-events/client.ts';
import { readLessonEntry, type LessonEntry } from '../server/lesson-catalog.ts';
import { startLessonHarness, type LessonHarness } from '../test/setup/lesson-harness.ts';
import { runNodeClient } from '../test/setup/node-client.ts';
import { median } from './stats.ts';

const LESSONS = fileURLToPath(new URL('../lessons/', import.meta.url));
/** Every run must be settled (first load shown, poll held, streams open) within this, ms. */
const SETTLE_TIMEOUT_MS = 10_000;

export interface WireBytesOptions {
  /** 1 round of 12 changes every 250 ms instead of 3 rounds of 20 every 500 ms. */
  quick: boolean;
}

export interface TechniqueFigures {
  /** Lesson slug. */
  lesson: string;
  /** The lesson's client this run used (its id in lesson.md) and the options it ran with. */
  clientId: string;
  options: ClientOptions;
  /** Bytes on the server's sockets in the change window, both directions, per change made. Median over rounds. */
  bytesPerUpdate: number;
  /** Of which the server read (requests) and wrote (responses, stream chunks), per change made. */
  readPerUpdate: number;
  writtenPerUpdate: number;
  /** Window bytes per update the client actually showed. */
  bytesPerDelivered: number;
  /** Bytes before the window: connections, first load, streams opened, the first held poll. */
  setupBytes: number;
  /** `http-request` events in the window. */
  requests: number;
  /** Connections the server accepted in the window. */
  connections: number;
  /** Feed versions made in the window that the client showed (distinct `client-show` versions). */
  delivered: number;
  /** delivered / changes made. */
  deliveredRatio: number;
}

export interface WireBytesFigures {
  rounds: number;
  /** Feed changes per round, made on every harness at the same moment. */
  changes: number;
  everyMs: number;
  /** Wait after the last change before the bytes are read, ms (one short poll interval and a little more). */
  settleMs: number;
  shortPoll: TechniqueFigures;
  longPoll: TechniqueFigures;
  sse: TechniqueFigures;
  /** SSE bytes per update ÷ short polling's, and ÷ long polling's (from the medians). */
  sseVsShortPollBytes: number;
  sseVsLongPollBytes: number;
}

/** One technique as it runs in a round: which lesson, which client, and when it counts as settled. */
interface Technique {
  entry: LessonEntry;
  server: LessonServer;
  client: LessonClient;
  clientId: string;
  options: ClientOptions;
  params: Record<string, SettingValue>;
  /** The client has loaded the data and is in its steady state: counting can start. */
  settled(events: readonly TraceEvent[]): boolean;
}

interface RoundFigures {
  setup: number;
  read: number;
  written: number;
  requests: number;
  connections: number;
  delivered: number;
}

/**
 * Runs the three lessons side by side, changes each feed `changes` times every `everyMs`, and
 * reads off each server's socket counters how many bytes the window took, per change made.
 */
export async function measureWireBytesPerUpdate({ quick }: WireBytesOptions): Promise<WireBytesFigures> {
  const rounds = quick ? 1 : 3;
  const changes = quick ? 12 : 20;
  const everyMs = quick ? 250 : 500;
  const [short, long, sse] = await Promise.all(['01-short-polling', '02-long-polling', '03-server-sent-events'].map((folder) => readLessonEntry(`${LESSONS}${folder}`)));

  const shortSpec = short!.clients[0]!; // the page's first client: setInterval
  const longSpec = long!.clients.find((c) => c.id === 'fixed')!;
  // Tab B: the lesson's shared options alone. Tab A also opens /time, a clock that ticks every second whatever the feed does.
  const sseSpec = sse!.clients.find((c) => c.id === 'b')!;
  const shows = (clientId: string) => (events: readonly TraceEvent[]) => events.some((e) => e.kind === 'client-show' && e.client === clientId);
  const techniques = {
    shortPoll: {
      ...technique(short!, shortSpec, shortPollingServer, shortPollingClient),
      settled: shows(shortSpec.id),
    },
    longPoll: {
      // Think time 0: it polls again at once, so it delivers every change as SSE does (with the
      // lesson's 1 s think time it would skip changes and look cheap per change made).
      ...withOptions(technique(long!, longSpec, longPollingServer, longPollingClient), { thinkMs: 0 }),
      // Shown the first load and has its next poll held: the steady state of long polling.
      settled: (events: readonly TraceEvent[]) => shows(longSpec.id)(events) && events.some((e) => e.kind === 'http-held' && e.client === longSpec.id),
    },
    sse: {
      ...technique(sse!, sseSpec, sseServer, sseClient),
      // The feed's first event shown, and the presence stream told us who is listening.
      settled: (events: readonly TraceEvent[]) =>
        shows(sseSpec.id)(events) && events.some((e) => e.kind === 'client-message' && e.client === sseSpec.id && e.type === 'client-count'),
    },
  } satisfies Record<string, Technique>;
  const settleMs = Math.max(Number(techniques.shortPoll.options.intervalMs), Number(techniques.longPoll.options.thinkMs)) + 250;

  const results = { shortPoll: [] as RoundFigures[], longPoll: [] as RoundFigures[], sse: [] as RoundFigures[] };
  for (let round = 0; round < rounds; round++) {
    const figures = await measureRound(techniques, changes, everyMs, settleMs);
    for (const key of Object.keys(results) as (keyof typeof results)[]) results[key].push(figures[key]);
  }

  const summarize = (t: Technique, rs: RoundFigures[]): TechniqueFigures => {
    const delivered = median(rs.map((r) => r.delivered));
    return {
      lesson: t.entry.slug,
      clientId: t.clientId,
      options: t.options,
      bytesPerUpdate: median(rs.map((r) => (r.read + r.written) / changes)),
      readPerUpdate: median(rs.map((r) => r.read / changes)),
      writtenPerUpdate: median(rs.map((r) => r.written / changes)),
      bytesPerDelivered: median(rs.map((r) => (r.delivered > 0 ? (r.read + r.written) / r.delivered : NaN))),
      setupBytes: median(rs.map((r) => r.setup)),
      requests: median(rs.map((r) => r.requests)),
      connections: median(rs.map((r) => r.connections)),
      delivered,
      deliveredRatio: delivered / changes,
    };
  };
  const shortPoll = summarize(techniques.shortPoll, results.shortPoll);
  const longPoll = summarize(techniques.longPoll, results.longPoll);
  const sseFigures = summarize(techniques.sse, results.sse);
  return {
    rounds,
    changes,
    everyMs,
    settleMs,
    shortPoll,
    longPoll,
    sse: sseFigures,
    sseVsShortPollBytes: sseFigures.bytesPerUpdate / shortPoll.bytesPerUpdate,
    sseVsLongPollBytes: sseFigures.bytesPerUpdate / longPoll.bytesPerUpdate,
  };
}

/** A lesson client as the page starts it: the lesson's shared options, that client's own over them. */
function technique(entry: LessonEntry, spec: LessonEntry['clients'][number], server: LessonServer, client: LessonClient) {
  return { entry, server, client, clientId: spec.id, options: { ...entry.options, ...spec.options }, params: { ...entry.params } };
}

/** One side-by-side round: all three running at once, one feed schedule, the same window for each. */
async function measureRound<K extends string>(techniques: Record<K, Technique>, changes: number, everyMs: number, settleMs: number): Promise<Record<K, RoundFigures>> {
  const keys = Object.keys(techniques) as K[];
  const runs = new Map<K, { harness: LessonHarness; stop?: () => void }>();
  try {
    for (const key of keys) {
      const { entry, server, client, clientId, options, params } = techniques[key];
      const harness = await startLessonHarness(server, { slug: entry.slug, params });
      const run: { harness: LessonHarness; stop?: () => void } = { harness };
      runs.set(key, run);
      run.stop = runNodeClient(client, { apiBase: harness.apiBase, clientId, options, emit: harness.emit });
    }
    await until(() => keys.every((key) => techniques[key].settled(runs.get(key)!.harness.events)), SETTLE_TIMEOUT_MS);
    // Let the last setup writes (a stream's first blocks, a held poll's request) reach the sockets.
    await sleep(100);

    const harnesses = keys.map((key) => runs.get(key)!.harness);
    const before = harnesses.map((h) => h.wireBytes());
    const firstVersions = harnesses.map((h) => h.feed.current().version);
    const from = Date.now();
    let due = from;
    for (let i = 0; i < changes; i++) {
      due += everyMs;
      await sleep(due - Date.now());
      for (const h of harnesses) h.feed.change(h.feed.nextValue(), 'scenario');
    }
    await sleep(settleMs);
    const after = harnesses.map((h) => h.wireBytes());
    const to = Date.now();

    const figures = {} as Record<K, RoundFigures>;
    keys.forEach((key, i) => {
      const { events, feed } = harnesses[i]!;
      const first = firstVersions[i]!;
      const last = feed.current().version;
      const shown = new Set<number>();
      let requests = 0;
      for (const e of events) {
        if (e.kind === 'http-request' && e.t >= from && e.t <= to) requests++;
        else if (e.kind === 'client-show' && e.client === techniques[key].clientId && e.version > first && e.version <= last) shown.add(e.version);
      }
      const b = before[i]!;
      const a = after[i]!;
      figures[key] = {
        setup: b.read + b.written,
        read: a.read - b.read,
        written: a.written - b.written,
        requests,
        connections: a.connections - b.connections,
        delivered: shown.size,
      };
    });
    return figures;
  } finally {
    for (const run of runs.values()) run.stop?.();
    await Promise.all([...runs.values()].map((run) => run.harness.close()));
  }
}

/** Resolves when `check()` is true; rejects after `timeoutMs`. */
async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`wire-bytes bench: the clients did not settle within ${timeoutMs} ms`);
    await sleep(20);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

function withOptions<T extends { options: ClientOptions }>(t: T, options: ClientOptions): T {
  return { ...t, options: { ...t.options, ...options } };
}
