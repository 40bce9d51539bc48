/**
 * What the timeline's layout reads from a trace, kept up to date as the trace grows: conns with
 * their events, shows, checks, point-like events sorted by time, missed updates. A new trace array
 * that only adds events to the one indexed last (a live batch) is read from where that one ended,
 * and the index says from what time on its shapes may have changed (`changedFrom`), so a view
 * can keep what it drew before that time.
 */
import { createMissedUpdateTracker, type ClientDelivery, type MissedUpdateTracker } from '../lessons/missed-updates.ts';
import type {
  CheckEvent,
  ClientErrorEvent,
  ClientRequestEvent,
  ClientResponseEvent,
  ClientShowEvent,
  FeedChangeEvent,
  HttpAbortEvent,
  HttpHeldEvent,
  HttpRequestEvent,
  HttpResponseEvent,
  Lane,
  StreamCloseEvent,
  StreamOpenEvent,
  TraceEvent,
  WsCloseEvent,
  WsOpenEvent,
} from '../lessons/trace-event.ts';

/** A request or response with only one side that has waited this long is drawn as lost, not in flight. */
export const LOST_AFTER_MS = 10_000;

/** Connections open at the same time on one lane get their own row, up to this many. */
export const MAX_SLOTS = 3;

/** Events dropped from the front of the trace (the page keeps only its newest) before the index is built again without them. */
const REBUILD_AFTER_TRIMMED = 2_000;

export interface ConnRecord {
  conn: string;
  slot: number;
  /** Earliest time of any of its events. */
  first: number;
  /** Latest time any of its shapes can reach, unless `openToNow`. */
  end: number;
  /** Something on the server side is still open, so its shapes reach `now`. */
  openToNow: boolean;
  client?: string;
  clientRequest?: ClientRequestEvent;
  request?: HttpRequestEvent;
  held?: HttpHeldEvent;
  response?: HttpResponseEvent;
  abort?: HttpAbortEvent;
  clientResponse?: ClientResponseEvent;
  clientError?: ClientErrorEvent;
  streamOpen?: StreamOpenEvent;
  streamClose?: StreamCloseEvent;
  wsOpen?: WsOpenEvent;
  wsClose?: WsCloseEvent;
  /** When a reload replaced the runner while the server side was still open. */
  cutAt?: number;
}

/** The fields of a conn that hold its events. */
type ConnField = 'clientRequest' | 'request' | 'held' | 'response' | 'abort' | 'clientResponse' | 'clientError' | 'streamOpen' | 'streamClose' | 'wsOpen' | 'wsClose';

export interface ShowRecord {
  show: ClientShowEvent;
  /** The first show of this version on this lane. */
  first: boolean;
  /** The lane's show before and after this one. */
  previous?: ShowRecord;
  next?: ClientShowEvent;
}

/** One run of "Check my code" on a client's lane: its start and, once there is one, its verdict (either may be missing from a trimmed trace). */
export interface CheckRun {
  start?: CheckEvent;
  verdict?: CheckEvent;
}

export type PointEvent = Extract<
  TraceEvent,
  { kind: 'feed-change' | 'stream-chunk' | 'ws-frame' | 'reload' | 'error' | 'client-error' | 'client-show' | 'client-message' | 'client-stream' | 'client-socket' }
>;

export interface TraceIndex {
  /** The trace array last brought in. */
  events: readonly TraceEvent[];
  /** Bumped by every update that changed anything. */
  revision: number;
  /**
   * Shapes that start at or after this server time may differ from the ones of the previous
   * revision; earlier ones are as they were (−Infinity after a rebuild: anything may differ).
   */
  changedFrom: number;
  laneOrder: Lane[];
  /** The times of each lane's events, sorted, to count them in a window. */
  timesByLane: Map<Lane, number[]>;
  conns: ConnRecord[];
  connsById: Map<string, ConnRecord>;
  /** Sorted by the show's `t`. */
  shows: ShowRecord[];
  /** Each lane's latest show: the values still on screen. */
  lastShowByLane: Map<Lane, ShowRecord>;
  /** Point-like events sorted by `t`, for binary search on the window. */
  points: PointEvent[];
  feedByVersion: Map<number, FeedChangeEvent>;
  /** Checks in the order they started. */
  checks: CheckRun[];
  /** Missed updates by client (their `staleMs` is not kept up to date: the layout does not read it). */
  deliveries: Map<string, ClientDelivery>;
}

/** Private state of an index, beside what the layout reads. */
interface IndexState {
  openConns: Set<ConnRecord>;
  /** Shows by version, for the ones a new version outdates. */
  showsByVersion: Map<number, ShowRecord[]>;
  socketClients: Set<string>;
  lastCheckByLane: Map<Lane, CheckRun>;
  missed: MissedUpdateTracker;
  /** The conn last given each row of a lane. */
  rowsByLane: Map<Lane, ConnRecord[]>;
  /** Events added since the index was built, including those the trace has dropped since. */
  indexed: number;
}

const states = new WeakMap<TraceIndex, IndexState>();
// Live, the window moves every frame while the trace changes a few times a second: index once per trace.
const byEvents = new WeakMap<readonly TraceEvent[], TraceIndex>();

/**
 * The index of `events` (ordered by seq). With `previous`, an index of an earlier state of the same
 * trace, the events after its last one are added to it (it is updated in place and returned) as
 * long as the new array only dropped a few of its oldest and added newer ones; anything else
 * builds a new index.
 */
export function indexTrace(events: readonly TraceEvent[], previous?: TraceIndex): TraceIndex {
  const cached = byEvents.get(events);
  if (cached) return cached;
  const from = previous ? appendFrom(previous, events) : undefined;
  let index: TraceIndex;
  if (previous && from !== undefined) {
    index = previous;
    byEvents.delete(index.events);
    index.changedFrom = addEvents(index, events, from);
    if (events.length > from) index.revision++;
    index.events = events;
  } else {
    index = emptyIndex(events, (previous?.revision ?? 0) + 1);
    addEvents(index, events, 0);
    index.changedFrom = -Infinity;
  }
  byEvents.set(events, index);
  return index;
}

/** Where in `events` the new ones start when they continue `index`'s trace, or undefined when it must be built again. */
function appendFrom(index: TraceIndex, events: readonly TraceEvent[]): number | undefined {
  const firstSeq = index.events[0]?.seq;
  const lastSeq = index.events.at(-1)?.seq;
  if (lastSeq === undefined || firstSeq === undefined || events.length === 0) return undefined;
  const first = events[0]!.seq;
  if (first < firstSeq || first > lastSeq) return undefined;
  const at = positionOf(events, lastSeq);
  if (at === undefined) return undefined;
  // The events indexed but no longer in the trace, all trims so far counted: a few are harmless (they are the oldest), many are a rebuild.
  if (states.get(index)!.indexed - (at + 1) > REBUILD_AFTER_TRIMMED) return undefined;
  return at + 1;
}

function positionOf(events: readonly TraceEvent[], seq: number): number | undefined {
  const at = lowerBound(events, seq, (event) => event.seq);
  return events[at]?.seq === seq ? at : undefined;
}

function emptyIndex(events: readonly TraceEvent[], revision: number): TraceIndex {
  const index: TraceIndex = {
    events,
    revision,
    changedFrom: -Infinity,
    laneOrder: [],
    timesByLane: new Map(),
    conns: [],
    connsById: new Map(),
    shows: [],
    lastShowByLane: new Map(),
    points: [],
    feedByVersion: new Map(),
    checks: [],
    deliveries: new Map(),
  };
  states.set(index, {
    openConns: new Set(),
    showsByVersion: new Map(),
    socketClients: new Set(),
    lastCheckByLane: new Map(),
    missed: createMissedUpdateTracker(),
    rowsByLane: new Map(),
    indexed: 0,
  });
  return index;
}

/** Adds `events[from..]` to the index; returns the earliest time at which a shape may have changed. */
function addEvents(index: TraceIndex, events: readonly TraceEvent[], from: number): number {
  const state = states.get(index)!;
  state.indexed += events.length - from;
  const { connsById, timesByLane, feedByVersion, points } = index;
  let changedFrom = Infinity;
  const changed = (t: number | undefined) => {
    if (t !== undefined && t < changedFrom) changedFrom = t;
  };
  const touched = new Set<ConnRecord>();
  let missedChanged = false;
  /** A conn's own fields changed: any of its shapes may have (chunks and frames on it are points of their own). */
  const touch = (r: ConnRecord) => {
    // Every shape of the conn starts at or after its first event.
    changed(r.first);
    touched.add(r);
  };
  /** Sets a conn's first event of a kind; later ones of that kind change nothing. */
  const fill = <K extends ConnField>(r: ConnRecord, key: K, event: NonNullable<ConnRecord[K]>) => {
    if (r[key] !== undefined) return;
    const opened = openedBy(r);
    r[key] = event;
    touch(r);
    if (!opened && openedBy(r)) assignSlot(r, state.rowsByLane);
  };

  const record = (conn: string): ConnRecord => {
    let r = connsById.get(conn);
    if (!r) {
      r = { conn, slot: 0, first: Infinity, end: -Infinity, openToNow: false };
      connsById.set(conn, r);
      index.conns.push(r);
    }
    return r;
  };
  const point = (event: PointEvent) => insertByTime(points, event, (p) => p.t);

  for (let i = from; i < events.length; i++) {
    const event = events[i]!;
    changed(event.t);
    const times = timesByLane.get(event.lane);
    if (times) {
      if (times.length > 0 && times[times.length - 1]! > event.t) times.splice(upperBound(times, event.t, (t) => t), 0, event.t);
      else times.push(event.t);
    } else {
      timesByLane.set(event.lane, [event.t]);
      index.laneOrder.push(event.lane);
    }
    if (state.missed.add(event)) missedChanged = true;
    const r = event.conn === undefined ? undefined : record(event.conn);
    if (r) {
      if (event.t < r.first) r.first = event.t;
      if (event.t > r.end) r.end = event.t;
      if (event.client !== undefined && r.client === undefined) {
        r.client = event.client;
        touch(r);
      }
    }
    switch (event.kind) {
      case 'feed-change': {
        feedByVersion.set(event.version, event);
        // The shows of the version before end being up to date here.
        for (const show of state.showsByVersion.get(event.version - 1) ?? []) changed(show.show.t);
        point(event);
        break;
      }
      case 'http-request':
        fill(r!, 'request', event);
        state.openConns.add(r!);
        break;
      case 'http-held':
        fill(r!, 'held', event);
        break;
      case 'http-response':
        fill(r!, 'response', event);
        if (!r!.streamOpen && !r!.wsOpen) state.openConns.delete(r!);
        break;
      case 'http-abort':
        fill(r!, 'abort', event);
        state.openConns.delete(r!);
        break;
      case 'stream-open':
        fill(r!, 'streamOpen', event);
        state.openConns.add(r!);
        break;
      case 'stream-close':
        fill(r!, 'streamClose', event);
        state.openConns.delete(r!);
        break;
      case 'ws-open':
        fill(r!, 'wsOpen', event);
        state.openConns.add(r!);
        break;
      case 'ws-close':
        fill(r!, 'wsClose', event);
        state.openConns.delete(r!);
        break;
      case 'stream-chunk':
      case 'ws-frame':
      case 'error':
      case 'client-message':
      case 'client-stream':
        point(event);
        break;
      case 'reload':
        // The old runner is gone: whatever it still held open ends here unless the trace says otherwise.
        // (A new client.ts runs in the page: its clients close what they had open, and the trace says so.)
        if (event.file === 'server.ts') {
          for (const open of state.openConns) {
            open.cutAt ??= event.t;
            touch(open);
          }
          state.openConns.clear();
        }
        point(event);
        break;
      case 'check': {
        // A verdict ends the run its lane has going; a start, or a verdict without one, begins a run.
        const running = state.lastCheckByLane.get(event.lane);
        if (event.phase !== 'start' && running && !running.verdict) {
          running.verdict = event;
          changed(running.start?.t);
        } else {
          const run: CheckRun = event.phase === 'start' ? { start: event } : { verdict: event };
          state.lastCheckByLane.set(event.lane, run);
          index.checks.push(run);
        }
        break;
      }
      case 'client-request':
        fill(r!, 'clientRequest', event);
        break;
      case 'client-response':
        fill(r!, 'clientResponse', event);
        break;
      case 'client-error':
        if (r) fill(r, 'clientError', event);
        point(event);
        break;
      case 'client-socket':
        // A socket's first connect is its bar; a new one after that is a reconnect; an unclean close is news.
        if (event.state === 'connecting' ? state.socketClients.has(event.client) : event.state === 'closed' && event.wasClean === false) point(event);
        state.socketClients.add(event.client);
        break;
      case 'client-show': {
        const previous = index.lastShowByLane.get(event.lane);
        const show: ShowRecord = { show: event, first: previous?.show.version !== event.version, previous };
        if (previous) {
          previous.next = event;
          changed(previous.show.t);
        }
        // Its link starts at the change it shows.
        changed(feedByVersion.get(event.version)?.t);
        index.lastShowByLane.set(event.lane, show);
        insertByTime(index.shows, show, (record) => record.show.t);
        let sameVersion = state.showsByVersion.get(event.version);
        if (!sameVersion) state.showsByVersion.set(event.version, (sameVersion = []));
        sameVersion.push(show);
        point(event);
        break;
      }
    }
  }

  for (const r of touched) settle(r);
  if (missedChanged || touched.size > 0) {
    const before = index.deliveries;
    index.deliveries = missedChanged ? state.missed.deliveries(Infinity) : before;
    changed(changedMissed(before, index.deliveries, touched));
  }
  return changedFrom;
}

/** The earliest change time of a missed update that is new, gone or different, or whose held request has news. */
function changedMissed(before: Map<string, ClientDelivery>, after: Map<string, ClientDelivery>, touched: ReadonlySet<ConnRecord>): number {
  let earliest = Infinity;
  const conns = new Set([...touched].map((r) => r.conn));
  const same = (a: ClientDelivery['missed'][number], b: ClientDelivery['missed'][number]) =>
    a.version === b.version && a.changedAt === b.changedAt && a.missedAt === b.missedAt && a.conn === b.conn && a.caughtUpAt === b.caughtUpAt;
  for (const [client, delivery] of after) {
    const old = before.get(client)?.missed ?? [];
    const oldByVersion = new Map(old.map((m) => [m.version, m]));
    for (const m of delivery.missed) {
      const previous = oldByVersion.get(m.version);
      if (!previous || !same(previous, m) || conns.has(m.conn)) earliest = Math.min(earliest, m.changedAt, previous?.changedAt ?? Infinity);
      oldByVersion.delete(m.version);
    }
    for (const gone of oldByVersion.values()) earliest = Math.min(earliest, gone.changedAt);
  }
  return earliest;
}

/** Works out how far a conn's shapes can reach, so a window can skip it without drawing it. */
function settle(r: ConnRecord): void {
  const cut = r.cutAt !== undefined;
  if (cut) r.end = Math.max(r.end, r.cutAt!);
  r.openToNow =
    (!!r.request && !r.response && !r.abort && !r.streamOpen && !r.wsOpen && !cut) ||
    (!!r.streamOpen && !r.streamClose && !cut) ||
    (!!r.wsOpen && !r.wsClose && !cut);
  if (r.clientRequest && !r.request && !r.clientResponse && !r.clientError) r.end = Math.max(r.end, r.clientRequest.t + LOST_AFTER_MS);
  if (r.response && !r.clientResponse) r.end = Math.max(r.end, r.response.t + LOST_AFTER_MS);
}

/** The server-side event that opened a conn: its request, or its stream or socket when no request was seen. */
function openedBy(r: ConnRecord): HttpRequestEvent | StreamOpenEvent | WsOpenEvent | undefined {
  return r.request ?? r.streamOpen ?? r.wsOpen;
}

/** When a conn's server side closed (or was cut), as far as the trace says yet. */
function closedAt(r: ConnRecord): number {
  const connection = r.streamOpen ?? r.wsOpen;
  const closed = connection ? (r.streamClose ?? r.wsClose) : (r.response ?? r.abort);
  return closed?.t ?? r.cutAt ?? Infinity;
}

/**
 * Gives a conn that just opened a row within its lane: the first row free at its start, a new one
 * up to MAX_SLOTS, else the one that frees up first as far as the trace says. Decided once, with
 * what the trace held then, so a row never changes under a shape already drawn.
 */
function assignSlot(r: ConnRecord, rowsByLane: Map<Lane, ConnRecord[]>): void {
  const opened = openedBy(r)!;
  let rows = rowsByLane.get(opened.lane);
  if (!rows) rowsByLane.set(opened.lane, (rows = []));
  const ends = rows.map(closedAt);
  let slot = ends.findIndex((busyUntil) => busyUntil <= opened.t);
  if (slot === -1 && rows.length < MAX_SLOTS) slot = rows.length;
  if (slot === -1) slot = ends.indexOf(Math.min(...ends));
  rows[slot] = r;
  r.slot = slot;
}

/** Whether a conn is open at `now`: held, streaming or a socket on the server, or a request or its answer still on the way. */
export function openAt(r: ConnRecord, now: number): boolean {
  if (r.openToNow) return true;
  const sent = r.request ? r.response : r.clientRequest;
  return sent !== undefined && !r.clientResponse && !r.clientError && now - sent.t <= LOST_AFTER_MS;
}

/** The first index whose time is at least `t`, in items sorted by time. */
export function lowerBound<T>(items: readonly T[], t: number, timeOf: (item: T) => number): number {
  let low = 0;
  let high = items.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (timeOf(items[mid]!) < t) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Adds an item to items sorted by time, after those of the same time (client times are corrected by a measured offset, so they can land slightly out of order). */
function insertByTime<T>(items: T[], item: T, timeOf: (item: T) => number): void {
  const t = timeOf(item);
  if (items.length > 0 && timeOf(items[items.length - 1]!) > t) items.splice(upperBound(items, t, timeOf), 0, item);
  else items.push(item);
}

/** The first index whose time is above `t`, in items sorted by time. */
export function upperBound<T>(items: readonly T[], t: number, timeOf: (item: T) => number): number {
  let low = 0;
  let high = items.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (timeOf(items[mid]!) <= t) low = mid + 1;
    else high = mid;
  }
  return low;
}
