/**
 * The timeline's geometry, computed from a trace without a DOM: events in, keyed shapes out
 * (x in px of the plot area, lanes as indexes). `<event-timeline>` only draws what this returns.
 */
import type { MissedUpdate } from '../lessons/missed-updates.ts';
import { clientLabel, clientLane, type CheckEvent, type FeedChangeEvent, type HttpHeldEvent, type Lane, type ReloadEvent, type TraceEvent } from '../lessons/trace-event.ts';
import { describeMissedUpdate, formatStaleness, type HeldOutcome } from './timeline-format.ts';
import { indexTrace, LOST_AFTER_MS, lowerBound, openAt, upperBound, type CheckRun, type ConnRecord, type ShowRecord, type TraceIndex } from './timeline-index.ts';

/** A lane to draw, in display order. */
export interface TimelineLaneSpec {
  lane: Lane;
  label: string;
}

/** What the layout needs: the trace, the lanes and the visible window. */
export interface TimelineLayoutInput {
  /** The trace, ordered by `seq`. */
  events: readonly TraceEvent[];
  /** The lesson's lanes in display order; lanes met in the trace but not listed are appended. */
  lanes: readonly TimelineLaneSpec[];
  /**
   * Most rows to draw: when appended lanes would need more, the last row becomes one aggregate lane
   * (`AGGREGATE_LANE`) that draws all the others. Listed lanes are never folded.
   * @default 12
   */
  maxLanes?: number;
  /** Left edge of the visible window, server epoch ms. */
  from: number;
  /** Right edge of the visible window, server epoch ms. */
  to: number;
  /** Width of the plot area, px. */
  width: number;
  /** The current server time, where things still open end. */
  now: number;
  /**
   * Server ms shown as time zero on the axis.
   * @default from
   */
  origin?: number;
  /**
   * Smallest distance between two axis ticks, px.
   * @default 80
   */
  minTickSpacingPx?: number;
  /** The trace's index when the caller keeps one (`indexTrace`), so a growing trace is not read again. */
  index?: TraceIndex;
  /**
   * Which shapes to lay out:
   * - `whole`: every shape visible in `[from, to]`, with ends far outside the window clamped near it;
   * - `settled`: the shapes that no longer change as time passes (nothing reaches `now`), are at most
   *   `maxSettledMs` long, are not lane bands and *start* in `[from, to)`: a time slice that can be
   *   drawn once and kept, in unclamped x (from `from`), while later slices are added;
   * - `live`: the others visible in `[from, to]`: what must be laid out again as time passes.
   * Slices and the live part together draw each shape once, though shapes close together merge
   * only within one slice. Axis and aggregate counts come with `whole` and `live`.
   * @default 'whole'
   */
  part?: 'whole' | 'settled' | 'live';
  /** With `part`: a shape longer than this is live (a slice draws only what can reach the window from close by). */
  maxSettledMs?: number;
}

/** A lane as drawn: its row index and whether it came from the trace rather than the lesson. */
export interface TimelineLane {
  lane: Lane;
  label: string;
  index: number;
  extra: boolean;
  /** On the aggregate lane only: what it stands for. */
  aggregate?: TimelineAggregate;
}

/** The client lanes folded into the aggregate lane, and how busy they are. */
export interface TimelineAggregate {
  /** How many client lanes it draws. */
  lanes: number;
  /** How many of their connections are open at `now`: requests in flight, streams and sockets open. */
  open: number;
  /** How many of their events fall in the visible window. */
  events: number;
}

/** A named duration a shape stands for, shown in the tooltip. */
export interface TimelineTiming {
  label: string;
  ms: number;
}

/** What every shape has: a stable key, the seqs it draws (main event first) and CSS classes. */
export interface TimelineShapeBase {
  /** Stable across layouts, for lit's `repeat`. */
  key: string;
  /** Seqs of the TraceEvents drawn; the first is the one the tooltip describes. */
  seqs: readonly number[];
  /** CSS classes, the first being the kind. */
  classes: readonly string[];
  label?: string;
  timings?: readonly TimelineTiming[];
  /** How many occurrences were drawn as this one shape because they were closer than a few px (absent for one). */
  count?: number;
  /** The feed version the shape is about (feed changes, shows, missed updates and their links). */
  version?: number;
  /** A sentence on what the shape means, for the tooltip (missed updates). */
  note?: string;
  /** Where a check stands (its flag, verdict and band): `start` while it runs, then `pass` or `fail`. */
  phase?: CheckEvent['phase'];
}

/**
 * A point in time on one lane, or across `laneSpan` lanes (reload); `missed` is where the server
 * sat on a version a client never got; `reconnect` is an EventSource going back to connecting, or
 * a new WebSocket after one closed; `error` includes a WebSocket that closed without a close handshake;
 * `check-start` and `check` are where "Check my code" started on a client's lane and its verdict.
 */
export interface TimelineMarker extends TimelineShapeBase {
  kind: 'feed-change' | 'show' | 'reload' | 'error' | 'missed' | 'reconnect' | 'check-start' | 'check';
  x: number;
  lane: number;
  laneSpan: number;
  /** False when the label would overlap the previous label on the same lane. */
  labelVisible: boolean;
}

/** A message travelling between two lanes. */
export interface TimelineArrow extends TimelineShapeBase {
  kind: 'request' | 'response';
  x1: number;
  lane1: number;
  x2: number;
  lane2: number;
  /** Row within the server lane of the conn's hold bar, so the arrow meets it. */
  slot: number;
  status?: number;
  /** False when the label would overlap the previous label of a similar arrow. */
  labelVisible: boolean;
}

/**
 * A span of time on one lane: a held request, an open stream or socket, a value on screen, a client
 * stale after a missed update, a check running on a client (`check-run`, from its start to its verdict or now).
 */
export interface TimelineBar extends TimelineShapeBase {
  kind: 'hold' | 'stream' | 'ws' | 'showing' | 'stale' | 'check-run';
  x1: number;
  x2: number;
  lane: number;
  /** Row within the lane, so connections open at the same time don't overlap (0 to MAX_SLOTS - 1). */
  slot: number;
  /** Still open: it ends at `now`. */
  open: boolean;
  /** For `showing`: where a newer version existed, so the screen was out of date from here on. */
  xOutdated?: number;
}

/** A chunk or frame on a stream or socket, or an event the browser's EventSource delivered. */
export interface TimelineTick extends TimelineShapeBase {
  kind: 'chunk' | 'frame' | 'message';
  x: number;
  lane: number;
  /** Row within the lane: the slot of the stream or socket it belongs to. */
  slot: number;
  /** `in` travels to the server, `out` to the client. */
  direction: 'in' | 'out';
}

/** The dashed connector from a feed change to the moment a client showed that version, or to where it missed it. */
export interface TimelineLink extends TimelineShapeBase {
  kind: 'link';
  x1: number;
  lane1: number;
  x2: number;
  lane2: number;
  staleMs: number;
  /** False when the label would overlap the previous link's label. */
  labelVisible: boolean;
}

/** Any drawn shape. */
export type TimelineShape = TimelineMarker | TimelineArrow | TimelineBar | TimelineTick | TimelineLink;

/** One labelled time on the axis. */
export interface TimelineAxisTick {
  key: string;
  x: number;
  t: number;
  label: string;
}

/** Everything to draw for one window, grouped in paint order (bars first, markers last). */
export interface TimelineLayout {
  lanes: TimelineLane[];
  bars: TimelineBar[];
  arrows: TimelineArrow[];
  ticks: TimelineTick[];
  links: TimelineLink[];
  markers: TimelineMarker[];
  axis: TimelineAxisTick[];
  /** Time between axis ticks, ms. */
  stepMs: number;
  pxPerMs: number;
  /**
   * For `part: 'settled'`: the earliest `now` at which the slice would come out differently without
   * any new event (a request in flight is drawn as lost from then on); Infinity when never.
   */
  expiresAt: number;
}

/** Axis steps, ms, smallest first. */
export const AXIS_STEPS_MS = [
  100, 250, 500, 1_000, 2_000, 5_000, 10_000, 30_000, 60_000, 120_000, 300_000, 600_000,
] as const;

/** Shapes this far outside the window, px, are still produced (labels and arrowheads reach in). */
export const WINDOW_MARGIN_PX = 60;

/** Rows drawn at most before appended lanes fold into one, unless the input says otherwise. */
export const MAX_LANES = 12;

/** The lane that stands for folded client lanes (no client id contains `*`). */
export const AGGREGATE_LANE: Lane = 'client:*';

const MERGE_PX = 3;
const LABEL_GAP_PX = 40;
/** Roughly the advance of one character at the 13 px label size, px. */
export const LABEL_CHAR_PX = 7.5;
const STALENESS_LOW_MS = 500;
const STALENESS_HIGH_MS = 2_000;

/** Computes the shapes of the events visible in `[from, to]` (or the part of them `input.part` asks for). */
export function layoutTimeline(input: TimelineLayoutInput): TimelineLayout {
  const { from, now, width } = input;
  const to = input.to > from ? input.to : from + 1;
  const part = input.part ?? 'whole';
  const maxSettledMs = input.maxSettledMs ?? Infinity;
  const pxPerMs = Math.max(0, width) / (to - from);
  const index = input.index && input.index.events === input.events ? input.index : indexTrace(input.events);
  const { rows: lanes, folded } = resolveLanes(input.lanes, index.laneOrder, input.maxLanes ?? MAX_LANES);
  const laneIndex = new Map(lanes.map((row) => [row.lane, row.index]));
  if (folded.size > 0) {
    // Every shape of a folded lane finds its row through laneIndex, so this is all it takes to draw them on the aggregate.
    const aggregate = lanes[lanes.length - 1]!;
    for (const name of folded) laneIndex.set(name, aggregate.index);
    if (part !== 'settled') aggregate.aggregate = foldedActivity(folded, index, from, to, now);
  }
  // A slice owns the shapes that start in it, drawn whole wherever they end; a window draws a margin around it.
  const marginMs = pxPerMs > 0 && part !== 'settled' ? WINDOW_MARGIN_PX / pxPerMs : 0;
  const lo = from - marginMs;
  const hi = to + marginMs;
  const x = (t: number) => (t - from) * pxPerMs;
  // Far-away ends would give huge coordinates; a bar's end outside the margin is never seen.
  const clampX = part === 'settled' ? x : (t: number) => Math.min(Math.max(x(t), -WINDOW_MARGIN_PX), width + WINDOW_MARGIN_PX);
  const visible = (start: number, end: number) => Math.min(start, end) <= hi && Math.max(start, end) >= lo;
  let expiresAt = Infinity;
  /**
   * Whether this layout draws a shape spanning `start` to `end` (either order). `live`: it reaches
   * `now` or changes with it, until `expires` when given; `band`: it tints a lane's whole height.
   */
  const draws = (start: number, end: number, live = false, { band = false, expires }: { band?: boolean; expires?: number } = {}): boolean => {
    if (part === 'whole') return visible(start, end);
    const first = Math.min(start, end);
    const isLive = live || band || Math.abs(end - start) > maxSettledMs;
    if (part === 'live') return isLive && visible(start, end);
    if (first < from || first >= to) return false;
    if (isLive && expires !== undefined) expiresAt = Math.min(expiresAt, expires);
    return !isLive;
  };
  const serverLane = laneIndex.get('server');
  const feedLane = laneIndex.get('feed');

  const layout: TimelineLayout = {
    lanes,
    bars: [],
    arrows: [],
    ticks: [],
    links: [],
    markers: [],
    axis: [],
    stepMs: 0,
    pxPerMs,
    expiresAt,
  };

  // Shapes closer than MERGE_PX to a similar one are drawn as one, so the SVG stays small at any zoom.
  const lastByGroup = new Map<string, { shape: TimelineShape; narrow: boolean }>();
  const lastLabel = new Map<string, number>();
  const labelled = (group: string, px: number, label = '') => {
    const previous = lastLabel.get(group);
    const gap = Math.max(LABEL_GAP_PX, label.length * LABEL_CHAR_PX + 10);
    if (previous !== undefined && Math.abs(px - previous) < gap) return false;
    lastLabel.set(group, px);
    return true;
  };
  const mergeInto = (previous: TimelineShapeBase, next: TimelineShapeBase) => {
    (previous.seqs as number[]).push(...next.seqs);
    previous.count = (previous.count ?? 1) + 1;
    previous.timings = undefined;
  };

  const missed = missedOnLanes();
  // Check and stale bands come first, so they paint behind everything else on their lane.
  for (const run of index.checks) layoutCheckRun(run);
  for (const item of missed) layoutStale(item);
  for (const record of index.conns) {
    if (record.first > hi || (!record.openToNow && record.end < lo)) continue;
    // Short, closed and not on its way: nothing live.
    if (part === 'live' && record.cutAt === undefined && record.end - record.first <= maxSettledMs && !openAt(record, now)) continue;
    layoutConn(record);
  }
  for (const show of showsToLay()) layoutShow(show);
  // Points are settled the moment they happen.
  if (part !== 'live') layoutPoints();
  for (const item of missed) layoutMissed(item);
  // Newest first: when two verdicts' labels would overlap, the one just in keeps its label.
  for (let i = index.checks.length - 1; i >= 0; i--) layoutCheckMarks(index.checks[i]!);
  if (part !== 'settled') layoutAxis();
  layout.expiresAt = expiresAt;
  return layout;

  /** A check's run tints its client's lane from the start to the verdict (to now while it runs). */
  function layoutCheckRun({ start, verdict }: CheckRun): void {
    if (!start) return;
    const end = verdict?.t ?? now;
    if (!draws(start.t, end, !verdict, { band: true })) return;
    addBar({
      kind: 'check-run',
      key: `check-run:${start.client}:${start.seq}`,
      // The verdict first: once there is one, the band is about it.
      seqs: seqsOf(verdict, start),
      classes: verdict ? ['check-run', `phase-${verdict.phase}`] : ['check-run', 'phase-start', 'open'],
      phase: verdict?.phase ?? 'start',
      version: verdict?.version,
      x1: clampX(start.t),
      x2: clampX(end),
      lane: lane(start.lane),
      slot: 0,
      open: !verdict,
      timings: [{ label: verdict ? 'ran for' : 'running for', ms: end - start.t }],
    });
  }

  /** A flag where a check started and a labelled post at its verdict. */
  function layoutCheckMarks({ start, verdict }: CheckRun): void {
    // The flag's label depends on where the verdict lands: live until there is one.
    if (start && draws(start.t, start.t, !verdict)) {
      const label = 'check';
      const flag = addMarker({
        kind: 'check-start',
        key: `check-start:${start.client}:${start.seq}`,
        seqs: [start.seq],
        classes: ['check-start'],
        phase: 'start',
        label,
        x: x(start.t),
        lane: lane(start.lane),
        laneSpan: 1,
      });
      // The verdict's post would cut through the flag's label.
      if (verdict && x(verdict.t) - x(start.t) < label.length * LABEL_CHAR_PX + 12) flag.labelVisible = false;
    }
    if (verdict && draws(verdict.t, verdict.t)) {
      addMarker({
        kind: 'check',
        key: `check:${verdict.client}:${verdict.seq}`,
        seqs: [verdict.seq],
        classes: ['check', `phase-${verdict.phase}`],
        phase: verdict.phase,
        label: verdict.phase === 'pass' ? '✓ check passed' : `✗ check failed${verdict.version === undefined ? '' : ` v${verdict.version}`}`,
        version: verdict.version,
        x: x(verdict.t),
        lane: lane(verdict.lane),
        laneSpan: 1,
      });
    }
  }

  /** The missed updates near the window on the lanes of clients that have one, with what their shapes point at. */
  function missedOnLanes(): MissedOnLane[] {
    const items: MissedOnLane[] = [];
    for (const delivery of index.deliveries.values()) {
      const name = clientLane(delivery.client);
      const row = laneIndex.get(name);
      if (row === undefined) continue;
      for (const m of delivery.missed) {
        if (part !== 'settled' && !visible(m.changedAt, Math.max(m.missedAt, m.caughtUpAt ?? now))) continue;
        const record = index.connsById.get(m.conn);
        const feed = index.feedByVersion.get(m.version);
        const label = lanes[row]!.lane === name ? lanes[row]!.label : defaultLaneLabel(name);
        const note = describeMissedUpdate(m.version, label, heldOutcome(record));
        items.push({ m, row, held: record?.held, feed, note });
      }
    }
    return items;
  }

  /** The client's lane is tinted from the moment the version was made until the client showed it or something newer. */
  function layoutStale({ m, row, held, feed, note }: MissedOnLane): void {
    const end = m.caughtUpAt ?? now;
    const open = m.caughtUpAt === undefined;
    if (!draws(m.changedAt, end, open, { band: true })) return;
    addBar({
      kind: 'stale',
      key: `stale:${m.client}:${m.version}`,
      // The feed change first: the band is about the version, the held request explains it.
      seqs: seqsOf(feed, held),
      classes: open ? ['stale', 'open'] : ['stale'],
      version: m.version,
      note,
      x1: clampX(m.changedAt),
      x2: clampX(end),
      lane: row,
      slot: 0,
      open,
      timings: [{ label: 'stale for', ms: end - m.changedAt }],
    });
  }

  /** A marker where the server sat on the client's request, linked to the change the client never got. */
  function layoutMissed({ m, row, held, feed, note }: MissedOnLane): void {
    const seqs = seqsOf(held, feed);
    const staleMs = (m.caughtUpAt ?? now) - m.changedAt;
    const timings = [{ label: 'stale for', ms: staleMs }];
    // Their tooltips count the stale time up to now until the client catches up.
    const live = m.caughtUpAt === undefined;
    if (feed && draws(m.changedAt, m.missedAt, live)) {
      addLink({
        kind: 'link',
        key: `missed-link:${m.client}:${m.version}`,
        seqs,
        classes: ['link', 'missed-link'],
        version: m.version,
        note,
        x1: x(m.changedAt),
        lane1: lane(feed.lane),
        x2: x(m.missedAt),
        lane2: row,
        staleMs,
        timings,
      });
    }
    if (draws(m.missedAt, m.missedAt, live)) {
      addMarker({
        kind: 'missed',
        key: `missed:${m.client}:${m.version}`,
        seqs,
        classes: ['missed'],
        label: `missed v${m.version}`,
        version: m.version,
        note,
        x: x(m.missedAt),
        lane: row,
        laneSpan: 1,
        timings,
      });
    }
  }

  function layoutConn(r: ConnRecord): void {
    layoutRequest(r);
    layoutResponse(r);
    layoutHold(r);
    layoutConnection(r);
  }

  function layoutRequest(r: ConnRecord): void {
    const { conn } = r;
    if (r.request) {
      const req = r.request;
      const server = lane(req.lane);
      if (r.clientRequest) {
        // Client clocks are corrected but not exact: never let an arrow point back in time.
        const start = Math.min(r.clientRequest.t, req.t);
        if (draws(start, req.t)) {
          addArrow({
            kind: 'request',
            key: `request:${conn}`,
            seqs: [req.seq, r.clientRequest.seq],
            classes: ['request'],
            x1: x(start),
            lane1: lane(r.clientRequest.lane),
            x2: x(req.t),
            lane2: server,
            slot: r.slot,
            timings: [{ label: 'client → server', ms: req.t - start }],
          });
        }
      } else if (draws(req.t, req.t)) {
        addArrow({
          kind: 'request',
          key: `request:${conn}`,
          seqs: [req.seq],
          classes: ['request', 'one-sided'],
          x1: x(req.t),
          lane1: server,
          x2: x(req.t),
          lane2: server,
          slot: r.slot,
        });
      }
    } else if (r.clientRequest) {
      const creq = r.clientRequest;
      const answered = r.clientResponse?.t ?? r.clientError?.t;
      const { end, state } = openEnd(creq.t, answered);
      if (draws(creq.t, end, state === 'in-flight', { expires: creq.t + LOST_AFTER_MS + 1 })) {
        const client = lane(creq.lane);
        addArrow({
          kind: 'request',
          key: `request:${conn}`,
          seqs: [creq.seq],
          classes: ['request', state === 'ended' ? 'unanswered' : state],
          x1: x(creq.t),
          lane1: client,
          x2: x(end),
          lane2: serverLane ?? client,
          slot: 0,
          timings: [{ label: state === 'ended' ? 'unanswered for' : 'in flight', ms: end - creq.t }],
        });
      }
    }
  }

  function layoutResponse(r: ConnRecord): void {
    const { conn } = r;
    const status = r.response?.status ?? r.clientResponse?.status;
    const version = r.response?.version ?? r.clientResponse?.version;
    const statusClasses = status === undefined ? [] : [`status-${status}`, `status-${Math.floor(status / 100)}xx`];
    const statusLabel = status === undefined ? undefined : `${status}${version === undefined ? '' : ` v${version}`}`;
    if (r.response) {
      const res = r.response;
      const server = lane(res.lane);
      if (r.clientResponse) {
        const end = Math.max(r.clientResponse.t, res.t);
        if (draws(res.t, end)) {
          addArrow({
            kind: 'response',
            key: `response:${conn}`,
            seqs: [res.seq, r.clientResponse.seq],
            classes: ['response', ...statusClasses],
            label: statusLabel,
            status,
            x1: x(res.t),
            lane1: server,
            x2: x(end),
            lane2: lane(r.clientResponse.lane),
            slot: r.slot,
            timings: [{ label: 'server → client', ms: end - res.t }],
          });
        }
      } else {
        const clientName = r.clientRequest?.lane ?? (r.client === undefined ? undefined : clientLane(r.client));
        const client = clientName === undefined ? undefined : laneIndex.get(clientName);
        if (client === undefined) {
          if (draws(res.t, res.t)) {
            addArrow({
              kind: 'response',
              key: `response:${conn}`,
              seqs: [res.seq],
              classes: ['response', 'one-sided', ...statusClasses],
              label: statusLabel,
              status,
              x1: x(res.t),
              lane1: server,
              x2: x(res.t),
              lane2: server,
              slot: r.slot,
            });
          }
        } else {
          const { end, state } = openEnd(res.t, r.clientError?.t);
          if (draws(res.t, end, state === 'in-flight', { expires: res.t + LOST_AFTER_MS + 1 })) {
            addArrow({
              kind: 'response',
              key: `response:${conn}`,
              seqs: [res.seq],
              classes: ['response', state === 'ended' ? 'unanswered' : state, ...statusClasses],
              label: statusLabel,
              status,
              x1: x(res.t),
              lane1: server,
              x2: x(end),
              lane2: client,
              slot: r.slot,
              timings: [{ label: 'in flight', ms: end - res.t }],
            });
          }
        }
      }
    } else if (r.clientResponse) {
      const cres = r.clientResponse;
      if (draws(cres.t, cres.t)) {
        const client = lane(cres.lane);
        addArrow({
          kind: 'response',
          key: `response:${conn}`,
          seqs: [cres.seq],
          classes: ['response', 'one-sided', ...statusClasses],
          label: statusLabel,
          status,
          x1: x(cres.t),
          lane1: client,
          x2: x(cres.t),
          lane2: client,
          slot: 0,
        });
      }
    }
  }

  /** The server has the request and has not answered yet. */
  function layoutHold(r: ConnRecord): void {
    const { conn } = r;
    if (r.request) {
      const req = r.request;
      const answered = Math.min(r.response?.t ?? Infinity, r.abort?.t ?? Infinity, r.streamOpen?.t ?? Infinity, r.wsOpen?.t ?? Infinity);
      const closed = answered !== Infinity;
      const end = closed ? answered : (r.cutAt ?? now);
      if (draws(req.t, end, !closed && r.cutAt === undefined)) {
        const classes = ['hold'];
        if (r.held) classes.push('held');
        if (!closed) classes.push(r.cutAt === undefined ? 'open' : 'cut');
        if (r.abort && end === r.abort.t) classes.push('aborted');
        const timings: TimelineTiming[] = [{ label: 'duration', ms: end - req.t }];
        if (r.held) timings.push({ label: 'held', ms: Math.max(0, end - r.held.t) });
        addBar({
          kind: 'hold',
          key: `hold:${conn}`,
          seqs: [req.seq, ...seqsOf(r.held, r.response, r.abort)],
          classes,
          label: r.abort && end === r.abort.t ? 'aborted' : undefined,
          x1: clampX(req.t),
          x2: clampX(end),
          lane: lane(req.lane),
          slot: r.slot,
          open: !closed && r.cutAt === undefined,
          timings,
        });
      }
    }
  }

  /** Stream and socket bars, on the server lane and on the client's lane when it is drawn. */
  function layoutConnection(r: ConnRecord): void {
    const { conn } = r;
    const connection = r.streamOpen ?? r.wsOpen;
    if (connection) {
      const kind = connection.kind === 'stream-open' ? 'stream' : 'ws';
      const close = kind === 'stream' ? r.streamClose : r.wsClose;
      const end = close?.t ?? r.cutAt ?? now;
      if (draws(connection.t, end, !close && r.cutAt === undefined)) {
        const classes: string[] = [kind];
        if (!close) classes.push(r.cutAt === undefined ? 'open' : 'cut');
        if (r.streamClose) classes.push(`closed-by-${r.streamClose.by}`);
        // The close code and reason, as much as fits over the bar: the code alone on a short one.
        const closeLabel = r.wsClose ? `${r.wsClose.code}${r.wsClose.reason ? ` ${r.wsClose.reason}` : ''}` : undefined;
        const room = x(end) - x(connection.t);
        const label = closeLabel && closeLabel.length * LABEL_CHAR_PX <= room ? closeLabel : r.wsClose && 4 * LABEL_CHAR_PX <= room ? String(r.wsClose.code) : undefined;
        const base = {
          kind,
          seqs: [connection.seq, ...seqsOf(close)],
          label,
          x1: clampX(connection.t),
          x2: clampX(end),
          open: !close && r.cutAt === undefined,
          timings: [{ label: 'open for', ms: end - connection.t }],
        } as const;
        addBar({ ...base, key: `${kind}:${conn}`, classes, lane: lane(connection.lane), slot: r.slot });
        const client = r.client === undefined ? undefined : laneIndex.get(clientLane(r.client));
        if (client !== undefined && client !== lane(connection.lane)) {
          addBar({ ...base, key: `${kind}:${conn}:client`, classes: [...classes, 'client-side'], lane: client, slot: 0 });
        }
      }
    }
  }

  /**
   * The shows whose link or bar this layout may draw, in time order. A slice's start in it, so
   * the show is in it or at most `maxSettledMs` after it; a window's link ends in it, and a bar
   * that began before it is the last one before it on its lane.
   */
  function showsToLay(): readonly ShowRecord[] {
    const { shows } = index;
    if (part === 'whole') return shows;
    if (part === 'settled') return shows.slice(lowerBound(shows, from, (s) => s.show.t), lowerBound(shows, to + maxSettledMs, (s) => s.show.t));
    const start = lowerBound(shows, lo, (s) => s.show.t);
    const before = new Set<ShowRecord>();
    const lanesSeen = new Set<Lane>();
    for (let i = start; i < shows.length; i++) {
      const s = shows[i]!;
      if (lanesSeen.has(s.show.lane)) continue;
      lanesSeen.add(s.show.lane);
      if (s.previous && s.previous.show.t < lo) before.add(s.previous);
    }
    for (const last of index.lastShowByLane.values()) if (last.show.t < lo) before.add(last);
    return [...[...before].sort((a, b) => a.show.t - b.show.t), ...shows.slice(start)];
  }

  function layoutShow(s: ShowRecord): void {
    const { show, next } = s;
    const feed = index.feedByVersion.get(show.version);
    const outdatedAt = index.feedByVersion.get(show.version + 1)?.t;
    const client = lane(show.lane);
    const start = feed?.t ?? show.changedAt;
    // Join a change only to the show that first picked it up; later polls show it again, not anew.
    if (s.first && (feedLane !== undefined || feed)) {
      if (draws(start, show.t)) {
        addLink({
          kind: 'link',
          key: `link:${show.seq}`,
          seqs: [show.seq, ...seqsOf(feed)],
          classes: ['link', stalenessClass(show.staleMs)],
          label: formatStaleness(show.staleMs),
          version: show.version,
          x1: x(start),
          lane1: feed ? lane(feed.lane) : (feedLane as number),
          x2: x(show.t),
          lane2: client,
          staleMs: show.staleMs,
        });
      }
    }
    const end = next?.t ?? now;
    if (draws(show.t, end, !next)) {
      const outdated = outdatedAt === undefined || outdatedAt >= end ? undefined : Math.max(outdatedAt, show.t);
      const timings: TimelineTiming[] = [{ label: 'on screen', ms: end - show.t }];
      if (outdated !== undefined) timings.push({ label: 'out of date', ms: end - outdated });
      addBar({
        kind: 'showing',
        key: `showing:${show.seq}`,
        seqs: [show.seq],
        classes: ['showing', stalenessClass(show.staleMs), ...(next ? [] : ['open']), ...(outdated === undefined ? [] : ['outdated'])],
        label: `v${show.version}`,
        x1: clampX(show.t),
        x2: clampX(end),
        lane: client,
        slot: 0,
        open: !next,
        xOutdated: outdated === undefined ? undefined : clampX(outdated),
        timings,
      });
    }
  }

  function layoutPoints(): void {
    const { points } = index;
    const lastTick = new Map<string, TimelineTick>();
    /** Adds a tick, or counts it into the previous one of its group when they are closer than a few px. */
    const addTick = (group: string, tick: TimelineTick) => {
      const previous = lastTick.get(group);
      if (previous && tick.x - previous.x < MERGE_PX) {
        (previous.seqs as number[]).push(...tick.seqs);
        previous.count = (previous.count ?? 1) + 1;
        previous.label = `×${previous.count}`;
        return;
      }
      lastTick.set(group, tick);
      layout.ticks.push(tick);
    };
    // A slice owns `[from, to)`; a window draws its margins too.
    const end = part === 'settled' ? lowerBound(points, to, (event) => event.t) : upperBound(points, hi, (event) => event.t);
    for (let i = lowerBound(points, lo, (event) => event.t); i < end; i++) {
      const event = points[i]!;
      const px = x(event.t);
      switch (event.kind) {
        case 'stream-chunk':
        case 'ws-frame':
        case 'client-message': {
          const kind = event.kind === 'stream-chunk' ? 'chunk' : event.kind === 'ws-frame' ? 'frame' : 'message';
          const direction = event.kind === 'ws-frame' ? event.direction : 'out';
          const row = lane(event.lane);
          const slot = (event.conn === undefined ? undefined : index.connsById.get(event.conn)?.slot) ?? 0;
          // Ping, pong and close are the point of drawing frames: they never merge into a text frame's tick.
          const opcode = event.kind === 'ws-frame' ? event.opcode : '';
          const classes: string[] = [kind, direction];
          if (event.kind === 'ws-frame') classes.push(`op-${event.opcode}`);
          if (event.kind === 'client-message') classes.push(`type-${event.type === 'message' ? 'message' : 'named'}`);
          addTick(`${kind}|${row}|${slot}|${direction}|${opcode}`, { kind, key: `${kind}:${event.seq}`, seqs: [event.seq], classes, x: px, lane: row, slot, direction });
          // A frame is on the client's socket too: draw it on the client's lane, over the mirrored bar.
          const client = event.kind === 'ws-frame' && event.client !== undefined ? laneIndex.get(clientLane(event.client)) : undefined;
          if (client !== undefined && client !== row) {
            addTick(`${kind}|${client}|0|${direction}|${opcode}|client`, { kind, key: `${kind}:${event.seq}:client`, seqs: [event.seq], classes: [...classes, 'client-side'], x: px, lane: client, slot: 0, direction });
          }
          break;
        }
        case 'feed-change':
        case 'client-show': {
          const kind = event.kind === 'feed-change' ? 'feed-change' : 'show';
          const row = lane(event.lane);
          const classes: string[] = [kind];
          if (event.kind === 'client-show') classes.push(stalenessClass(event.staleMs));
          addMarker({
            kind,
            key: `${kind}:${event.seq}`,
            seqs: [event.seq],
            classes,
            label: `v${event.version}`,
            version: event.version,
            x: px,
            lane: row,
            laneSpan: 1,
          });
          break;
        }
        case 'client-stream':
          if (event.state === 'open') break; // the stream bar shows it
          addMarker({
            kind: event.state === 'connecting' ? 'reconnect' : 'error',
            key: `stream-state:${event.seq}`,
            seqs: [event.seq],
            classes: event.state === 'connecting' ? ['reconnect'] : ['error', 'client-error'],
            label: event.state === 'connecting' ? 'reconnecting' : 'EventSource closed',
            x: px,
            lane: lane(event.lane),
            laneSpan: 1,
          });
          break;
        case 'client-socket': {
          const reconnect = event.state === 'connecting';
          addMarker({
            kind: reconnect ? 'reconnect' : 'error',
            key: `socket-state:${event.seq}`,
            seqs: [event.seq],
            classes: reconnect ? ['reconnect'] : ['error', 'client-error'],
            label: reconnect ? 'reconnecting' : `closed ${event.code ?? 1006}`,
            x: px,
            lane: lane(event.lane),
            laneSpan: 1,
          });
          break;
        }
        case 'reload':
          addMarker({
            kind: 'reload',
            key: `reload:${event.seq}`,
            seqs: [event.seq],
            classes: ['reload', `reason-${event.reason}`],
            label: reloadLabel(event),
            x: px,
            lane: 0,
            laneSpan: lanes.length,
          });
          break;
        case 'error':
        case 'client-error': {
          const row = lane(event.lane);
          addMarker({
            kind: 'error',
            key: `error:${event.seq}`,
            seqs: [event.seq],
            classes: event.kind === 'error' ? ['error', `phase-${event.phase}`] : ['error', 'client-error'],
            label: event.message,
            x: px,
            lane: row,
            laneSpan: 1,
          });
          break;
        }
      }
    }
  }

  function layoutAxis(): void {
    const origin = input.origin ?? from;
    const spacing = input.minTickSpacingPx ?? 80;
    const step = AXIS_STEPS_MS.find((ms) => ms * pxPerMs >= spacing) ?? AXIS_STEPS_MS[AXIS_STEPS_MS.length - 1];
    layout.stepMs = step;
    const first = Math.ceil((from - origin) / step);
    const last = Math.floor((to - origin) / step);
    for (let k = first; k <= last; k++) {
      const rel = k * step;
      layout.axis.push({ key: `axis:${rel}`, x: x(origin + rel), t: origin + rel, label: formatAxisLabel(rel, step) });
    }
  }

  function addArrow(arrow: Omit<TimelineArrow, 'labelVisible'>): void {
    const group = `${arrow.kind}|${arrow.lane1}|${arrow.lane2}|${arrow.slot}|${arrow.classes.join(' ')}`;
    const previous = lastByGroup.get(group)?.shape as TimelineArrow | undefined;
    if (previous && Math.abs(arrow.x1 - previous.x1) < MERGE_PX && Math.abs(arrow.x2 - previous.x2) < MERGE_PX) {
      mergeInto(previous, arrow);
      return;
    }
    const shape = arrow as TimelineArrow;
    shape.labelVisible = arrow.label !== undefined && labelled(`${arrow.kind}|${arrow.lane1}|${arrow.lane2}`, Math.min(arrow.x1, arrow.x2), arrow.label);
    lastByGroup.set(group, { shape, narrow: true });
    layout.arrows.push(shape);
  }

  function addBar(bar: TimelineBar): void {
    const group = `${bar.kind}|${bar.lane}|${bar.slot}|${bar.classes.join(' ')}`;
    const narrow = bar.x2 - bar.x1 < MERGE_PX;
    const last = lastByGroup.get(group);
    // Only slivers merge: a long hold next to the next request is the point of long polling.
    if (last && last.narrow && narrow && bar.x1 - (last.shape as TimelineBar).x2 < MERGE_PX) {
      const previous = last.shape as TimelineBar;
      mergeInto(previous, bar);
      previous.x1 = Math.min(previous.x1, bar.x1);
      previous.x2 = Math.max(previous.x2, bar.x2);
      previous.open ||= bar.open;
      return;
    }
    lastByGroup.set(group, { shape: bar, narrow });
    layout.bars.push(bar);
  }

  function addLink(link: Omit<TimelineLink, 'labelVisible'>): void {
    const group = `link|${link.lane1}|${link.lane2}|${link.classes.join(' ')}`;
    const previous = lastByGroup.get(group)?.shape as TimelineLink | undefined;
    if (previous && Math.abs(link.x1 - previous.x1) < MERGE_PX && Math.abs(link.x2 - previous.x2) < MERGE_PX) {
      mergeInto(previous, link);
      return;
    }
    const shape = link as TimelineLink;
    shape.labelVisible = link.label !== undefined && labelled(`link|${link.lane1}`, (link.x1 + link.x2) / 2, link.label);
    lastByGroup.set(group, { shape, narrow: true });
    layout.links.push(shape);
  }

  /** Adds a marker, or counts it into the previous similar one when they are closer than a few px; returns the marker drawn. */
  function addMarker(marker: Omit<TimelineMarker, 'labelVisible'>): TimelineMarker {
    const group = `${marker.kind}|${marker.lane}|${marker.classes.join(' ')}`;
    const previous = lastByGroup.get(group)?.shape as TimelineMarker | undefined;
    if (previous && Math.abs(marker.x - previous.x) < MERGE_PX) {
      mergeInto(previous, marker);
      if (marker.version !== undefined) previous.label = `${previous.label?.split('…')[0]}…v${marker.version}`;
      return previous;
    }
    const shape = marker as TimelineMarker;
    const label = marker.kind === 'error' ? marker.label?.slice(0, 40) : marker.label;
    shape.labelVisible = labelled(markerLabelGroup(marker), marker.x, label);
    lastByGroup.set(group, { shape, narrow: true });
    layout.markers.push(shape);
    return shape;
  }

  function lane(name: Lane): number {
    return laneIndex.get(name) ?? 0;
  }

  function openEnd(start: number, answered: number | undefined): { end: number; state: 'ended' | 'in-flight' | 'lost' } {
    if (answered !== undefined) return { end: Math.max(answered, start), state: 'ended' };
    if (now - start > LOST_AFTER_MS) return { end: start + LOST_AFTER_MS, state: 'lost' };
    return { end: Math.max(now, start), state: 'in-flight' };
  }
}

/**
 * Markers whose labels must not overlap: one group per lane, one for reloads, and one per lane for
 * each kind whose labels have a row of their own: missed (beside the mark, not above it), check
 * flags (along the lane's top) and check verdicts (along its bottom).
 */
function markerLabelGroup(marker: Pick<TimelineMarker, 'kind' | 'lane'>): string {
  if (marker.kind === 'reload') return 'marker|reload';
  const ownRow = marker.kind === 'missed' || marker.kind === 'check-start' || marker.kind === 'check';
  return `${ownRow ? marker.kind : 'marker'}|${marker.lane}`;
}

/** How the server ended a held conn, when it did. */
function heldOutcome(record: ConnRecord | undefined): HeldOutcome | undefined {
  if (record?.response) return { status: record.response.status, version: record.response.version };
  return record?.abort ? 'aborted' : undefined;
}

/** Finds the event with a given seq (binary search: the trace is ordered by seq). */
export function findEventBySeq(events: readonly TraceEvent[], seq: number): TraceEvent | undefined {
  const guess = events[seq - (events[0]?.seq ?? 0)];
  if (guess?.seq === seq) return guess;
  let low = 0;
  let high = events.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const midSeq = events[mid]!.seq;
    if (midSeq === seq) return events[mid];
    if (midSeq < seq) low = mid + 1;
    else high = mid - 1;
  }
  return undefined;
}

/** The axis label for a time `rel` ms after the origin, with as many decimals as the step needs. */
export function formatAxisLabel(rel: number, stepMs: number): string {
  if (rel === 0) return '0 s';
  const sign = rel < 0 ? '−' : '+';
  const abs = Math.abs(rel);
  if (stepMs >= 60_000 && abs % 60_000 === 0) return `${sign}${abs / 60_000} min`;
  const decimals = stepMs % 1000 === 0 ? 0 : stepMs % 500 === 0 || stepMs % 100 === 0 ? 1 : 2;
  return `${sign}${(abs / 1000).toFixed(decimals)} s`;
}

/** The staleness class of a shown value: `staleness-low` (< 0.5 s), `staleness-medium` (< 2 s) or `staleness-high`. */
export function stalenessClass(staleMs: number): string {
  if (staleMs < STALENESS_LOW_MS) return 'staleness-low';
  if (staleMs < STALENESS_HIGH_MS) return 'staleness-medium';
  return 'staleness-high';
}

/** A human label for a lane the lesson did not list (`client:curl-1` → `curl-1`, `client:guest-7` → `Guest 7`). */
export function defaultLaneLabel(lane: Lane): string {
  return lane.startsWith('client:') ? clientLabel(lane.slice('client:'.length)) : lane;
}

/** A missed update on a drawn client lane, with the events its shapes draw and its tooltip sentence. */
interface MissedOnLane {
  m: MissedUpdate;
  row: number;
  held?: HttpHeldEvent;
  feed?: FeedChangeEvent;
  note: string;
}

/** The rows a layout of this trace draws (without the aggregate row's counts). */
export function timelineLanes(index: TraceIndex, listed: readonly TimelineLaneSpec[], maxLanes = MAX_LANES): TimelineLane[] {
  return resolveLanes(listed, index.laneOrder, maxLanes).rows;
}

/**
 * The rows in display order: the listed lanes, then the lanes met in the trace in order of first
 * appearance (so a row keeps its place as clients come), the last row standing for all that do not fit.
 */
function resolveLanes(listed: readonly TimelineLaneSpec[], seen: readonly Lane[], maxLanes: number): { rows: TimelineLane[]; folded: Set<Lane> } {
  const rows: TimelineLane[] = [];
  const known = new Set<Lane>();
  for (const spec of listed) {
    if (known.has(spec.lane)) continue;
    known.add(spec.lane);
    rows.push({ lane: spec.lane, label: spec.label, index: rows.length, extra: false });
  }
  const extra = seen.filter((lane) => !known.has(lane));
  const room = maxLanes - rows.length;
  const shown = extra.length > room ? Math.max(0, room - 1) : extra.length;
  for (const lane of extra.slice(0, shown)) rows.push({ lane, label: defaultLaneLabel(lane), index: rows.length, extra: true });
  const folded = new Set(extra.slice(shown));
  if (folded.size > 0) rows.push({ lane: AGGREGATE_LANE, label: `+${folded.size} clients`, index: rows.length, extra: true });
  return { rows, folded };
}

/** What the folded lanes are up to: their open connections at `now` and their events in `[from, to)`. */
function foldedActivity(folded: ReadonlySet<Lane>, index: TraceIndex, from: number, to: number, now: number): TimelineAggregate {
  let open = 0;
  for (const r of index.conns) {
    const name = r.clientRequest?.lane ?? (r.client === undefined ? undefined : clientLane(r.client));
    if (name !== undefined && folded.has(name) && openAt(r, now)) open++;
  }
  let events = 0;
  for (const name of folded) {
    const times = index.timesByLane.get(name) ?? [];
    events += lowerBound(times, to, (t) => t) - lowerBound(times, from, (t) => t);
  }
  return { lanes: folded.size, open, events };
}

function seqsOf(...events: (TraceEvent | undefined)[]): number[] {
  const seqs: number[] = [];
  for (const event of events) if (event) seqs.push(event.seq);
  return seqs;
}

/** A reload marker's label: the first load of the server is its start, not a reload. */
function reloadLabel({ file, reason, generation }: ReloadEvent): string {
  const name = file === 'client.ts' ? 'client.ts ' : '';
  return reason === 'start' ? `${name || 'server '}started` : `${name}reloaded #${generation}`;
}
