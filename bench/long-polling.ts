/**
 * Long polling (lesson 02), measured on the lesson's real server.ts and client.ts in this
 * process: each run is a lesson harness on a loopback port and Node clients beside it, read back
 * from the trace they record. No workbench, no browser.
 */
import { performance } from 'node:perf_hooks';
import type { SettingValue } from '../lessons/lesson.ts';
import { findMissedUpdates } from '../lessons/missed-updates.ts';
import type { TraceEvent } from '../lessons/trace-event.ts';
import longPollingServer from '../lessons/02-long-polling/server.ts';
import longPollingClient from '../lessons/02-long-polling/client.ts';
import { startLessonHarness, type LessonHarness } from '../test/setup/lesson-harness.ts';
import { runNodeClient, type NodeClientOptions } from '../test/setup/node-client.ts';
import { median } from './stats.ts';
import { until } from './until.ts';

/** The seed of the random schedule when none is given, so that runs are comparable. */
export const DEFAULT_SEED = 24_301;

const SLUG = 'long-polling';
/** Longer than any run: a held request is answered by a change, never by the hold timeout. */
const HOLD_MS = 30_000;
const THINK_MS = 300;
const FIXED = { strategy: 'fixed', token: 'changedAt', deliver: 'latest' } as const;

export interface MissedUpdatesOptions {
  durationMs: number;
  /** @default DEFAULT_SEED */
  seed?: number;
}

export interface ClientFigures {
  /** Versions the client never got although the server held one of its polls while they were newest. */
  missed: number;
  /** Total time the client showed stale data because of those misses, ms. */
  staleMs: number;
  /** Versions made during the run that the client showed. */
  shown: number;
}

export interface MissedUpdatesFigures {
  seed: number;
  /** Feed changes made during the run. */
  changes: number;
  naive: ClientFigures;
  fixed: ClientFigures;
}

/**
 * The race of the lesson, by chance rather than on cue: a naive and a fixed client (think time
 * 300 ms, network delay 2–10 ms each way) side by side on one feed that changes every 50–1500 ms,
 * for `durationMs`. Gaps and delays come from a PRNG seeded with `seed`.
 */
export async function measureMissedUpdates({ durationMs, seed = DEFAULT_SEED }: MissedUpdatesOptions): Promise<MissedUpdatesFigures> {
  const gapRandom = createRandom(seed);
  const gapsMs: number[] = [];
  for (let total = 0; ; ) {
    const gap = 50 + Math.floor(gapRandom() * 1451);
    if (total + gap > durationMs) break;
    gapsMs.push(gap);
    total += gap;
  }
  const clients = [
    { clientId: 'naive', options: { strategy: 'naive', thinkMs: THINK_MS } },
    { clientId: 'fixed', options: { ...FIXED, thinkMs: THINK_MS } },
  ];
  const run = await startRun({ holdMs: HOLD_MS, batchMs: 0 }, clients, (i) => {
    // One stream per client, so one client's timing does not shift the other's delays.
    const random = createRandom(seed + i + 1);
    return () => 2 + Math.floor(random() * 9);
  });
  try {
    const { harness } = run;
    const firstVersion = harness.feed.current().version;
    let due = Date.now();
    for (const gap of gapsMs) {
      due += gap;
      await sleep(due - Date.now());
      harness.feed.change(harness.feed.nextValue(), 'scenario');
    }
    const last = harness.feed.current().version;
    // The fixed client shows the last change within a round trip; give it that, and no more.
    await until(() => harness.events.some((e) => e.kind === 'client-show' && e.client === 'fixed' && e.version === last), { what: 'the fixed client showing the last change', timeoutMs: 2_000 }).catch(() => undefined);
    const delivery = findMissedUpdates(harness.events, Date.now());
    const figuresOf = (client: string): ClientFigures => {
      const shown = new Set<number>();
      for (const e of harness.events) if (e.kind === 'client-show' && e.client === client && e.version > firstVersion) shown.add(e.version);
      return { missed: delivery.get(client)?.missed.length ?? 0, staleMs: delivery.get(client)?.staleMs ?? 0, shown: shown.size };
    };
    return { seed, changes: last - firstVersion, naive: figuresOf('naive'), fixed: figuresOf('fixed') };
  } finally {
    await run.close();
  }
}

export interface BatchingOptions {
  durationMs: number;
  /** @default 20 */
  clients?: number;
  /** Time between two feed changes, ms. @default 20 (50 changes/s) */
  everyMs?: number;
}

export interface LoadFigures {
  /** Feed changes actually made per second (the target is 1000 / everyMs). */
  changesPerSec: number;
  /** Requests that reached the server, all clients, per second. */
  requestsPerSec: number;
  /** Response bytes on the wire (status line, headers, body), all clients, KiB per second. */
  kbPerSec: number;
  /** Median time from a change until a client shows it or something newer (over every change and client), ms. */
  deliveryP50Ms: number;
  /** Share of the time this process's event loop was busy (0–1): near 1, the figures measure the machine. */
  busy: number;
}

export interface BatchingFigures {
  clients: number;
  noBatch: LoadFigures;
  batch200: LoadFigures;
}

/**
 * What coalescing changes buys under load: the same load twice in one run, once on a server that
 * answers every change at once (batchMs 0) and once on one that gathers changes for 200 ms, each
 * with `clients` fixed clients that poll again at once (think time 0) and a feed that changes
 * every `everyMs`. One after the other, not at the same time: both share this process's one
 * event loop with their clients, and the unbatched load would slow the batched run down.
 */
export async function measureBatching({ durationMs, clients = 20, everyMs = 20 }: BatchingOptions): Promise<BatchingFigures> {
  const specs = Array.from({ length: clients }, (_, i) => ({ clientId: `c${i + 1}`, options: { ...FIXED, thinkMs: 0 } }));
  const noBatch = await measureLoad({ holdMs: HOLD_MS, batchMs: 0 }, specs, durationMs, everyMs);
  const batch200 = await measureLoad({ holdMs: HOLD_MS, batchMs: 200 }, specs, durationMs, everyMs);
  return { clients, noBatch, batch200 };
}

/** Changes the feed every `everyMs` for `durationMs` and reads the load off the trace of that window. */
async function measureLoad(params: Record<string, SettingValue>, clients: readonly ClientSpec[], durationMs: number, everyMs: number): Promise<LoadFigures> {
  const run = await startRun(params, clients);
  try {
    const { feed, events } = run.harness;
    const loop = performance.eventLoopUtilization();
    const from = Date.now();
    let due = from;
    let changes = 0;
    while (due + everyMs <= from + durationMs) {
      due += everyMs;
      await sleep(due - Date.now());
      feed.change(feed.nextValue(), 'scenario');
      changes++;
    }
    const to = Date.now();
    const busy = performance.eventLoopUtilization(loop).utilization;
    const seconds = (to - from) / 1000;
    let requests = 0;
    let bytes = 0;
    for (const e of events) {
      if (e.t < from || e.t > to) continue;
      if (e.kind === 'http-request') requests++;
      else if (e.kind === 'http-response') bytes += e.bytes;
    }
    return { changesPerSec: changes / seconds, requestsPerSec: requests / seconds, kbPerSec: bytes / 1024 / seconds, deliveryP50Ms: median(deliveryTimes(events, from, to)), busy };
  } finally {
    await run.close();
  }
}

/** For each change made in [from, to] and each client: how long until the client showed that version or a newer one. */
function deliveryTimes(events: readonly TraceEvent[], from: number, to: number): number[] {
  const changes = events.filter((e) => e.kind === 'feed-change' && e.t >= from && e.t <= to);
  const shows = new Map<string, { t: number; version: number }[]>();
  for (const e of events) {
    if (e.kind !== 'client-show') continue;
    if (!shows.has(e.client)) shows.set(e.client, []);
    shows.get(e.client)!.push(e);
  }
  const times: number[] = [];
  for (const clientShows of shows.values()) {
    let next = 0;
    for (const change of changes) {
      if (change.kind !== 'feed-change') continue;
      while (next < clientShows.length && (clientShows[next]!.version < change.version || clientShows[next]!.t < change.t)) next++;
      if (next < clientShows.length) times.push(clientShows[next]!.t - change.t);
    }
  }
  return times;
}

interface ClientSpec {
  clientId: string;
  options: Record<string, SettingValue>;
}

/** A harness with its clients running; `close()` stops the clients, then the server. */
interface Run {
  harness: LessonHarness;
  close(): Promise<void>;
}

/**
 * Serves the lesson with `params`, starts `clients` against it and resolves once every client
 * has a poll held, so that the run starts from a quiet, steady state.
 */
async function startRun(params: Record<string, SettingValue>, clients: readonly ClientSpec[], networkDelayMs?: (index: number) => NodeClientOptions['networkDelayMs']): Promise<Run> {
  const harness = await startLessonHarness(longPollingServer, { slug: SLUG, params, delayMs: () => 0 });
  const stops: Array<() => void> = [];
  const close = async () => {
    for (const stop of stops.splice(0)) stop();
    await harness.close();
  };
  try {
    for (const [i, { clientId, options }] of clients.entries()) {
      stops.push(runNodeClient(longPollingClient, { apiBase: harness.apiBase, clientId, options, emit: harness.emit, networkDelayMs: networkDelayMs?.(i) }));
    }
    const held = new Set<string>();
    await until(() => {
      for (const e of harness.events) if (e.kind === 'http-held' && e.client !== undefined) held.add(e.client);
      return held.size === clients.length;
    }, { what: 'every client holding a poll' });
    return { harness, close };
  } catch (error) {
    await close();
    throw error;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** mulberry32: a small seeded PRNG, uniform in [0, 1). The same seed gives the same sequence. */
function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
