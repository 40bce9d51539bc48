/**
 * The timeline as slices of time that are laid out once and kept, plus a small live part laid out
 * again when the trace changes or its lookahead runs out: what lets `<event-timeline>` scroll
 * 10 000 events at 60 frames a second.
 *
 * Slices are `SLICE_PX` wide, in fixed x from an epoch, so scrolling moves them all by one
 * transform instead of moving every shape. A slice holds the settled shapes that start in it
 * (`layoutTimeline`'s `part: 'settled'`) and is laid out again only when the trace changed from a
 * time before its end (`TraceIndex.changedFrom`), when a request drawn in flight in it would turn
 * lost (`expiresAt`), or when the lanes, the zoom or the width change. What reaches "now" (a held
 * request, an open stream, a value still on screen, a lane band) is the live part.
 */
import type { TraceIndex } from './timeline-index.ts';
import { layoutTimeline, timelineLanes, type TimelineLane, type TimelineLaneSpec, type TimelineLayout } from './timeline-layout.ts';

/** Width of one slice, px: the live edge's slice is laid out and drawn again with each batch of events. */
export const SLICE_PX = 64;

/** Fixed x must stay well inside what layout and transforms handle exactly (CSS layout units top out near 2^25 px). */
const MAX_TRACK_PX = 2 ** 20;

export interface TimelineSlice {
  /** Slice number from the epoch: a stable key. */
  key: number;
  /** Left edge, px from the epoch. */
  x: number;
  /** The time it was laid out for, server ms. */
  from: number;
  to: number;
  /** The settled shapes that start in it, x from its left edge. */
  layout: TimelineLayout;
}

export interface TimelineView {
  lanes: TimelineLane[];
  /** The slices that can reach into the window, oldest first. */
  slices: TimelineSlice[];
  /** The rest, with the axis: laid out for a little more than the window, x from its own left edge, which is `live.x` px from the epoch. */
  live: TimelineSlice;
  /** The window's left edge, px from the epoch: the track is drawn shifted left by this much. */
  scrollX: number;
  pxPerMs: number;
}

export interface TimelineViewInput {
  index: TraceIndex;
  lanes: readonly TimelineLaneSpec[];
  maxLanes: number;
  from: number;
  to: number;
  now: number;
  /** Width of the plot area, px. */
  width: number;
  origin: number;
  /**
   * How far ahead of `now` what is still open is drawn, ms, so the live part stays right (cut at
   * the window's right edge, which is now) while the window scrolls for that long; 0 when paused.
   */
  lookaheadMs: number;
}

export interface TimelineSlicer {
  /** The slices and live part for a window; keeps what is still right for the next call. */
  view(input: TimelineViewInput): TimelineView;
  /** How many slices and live parts were laid out since the slicer was made (for tests and benchmarks). */
  readonly laidOut: number;
}

/** A slice reaches at most this many slices to the right of its start: longer shapes are live. */
export const SETTLED_REACH_SLICES = 2;

export function createTimelineSlicer(): TimelineSlicer {
  const slices = new Map<number, TimelineSlice>();
  let signature = '';
  let epoch = 0;
  let index: TraceIndex | undefined;
  let revision = 0;
  let laidOut = 0;
  let live: { slice: TimelineSlice; now: number } | undefined;

  return {
    get laidOut() {
      return laidOut;
    },
    view(input) {
      const { from, to, now, width, lookaheadMs } = input;
      const windowMs = Math.max(1, to - from);
      const pxPerMs = Math.max(0, width) / windowMs;
      const sliceMs = pxPerMs > 0 ? SLICE_PX / pxPerMs : windowMs;
      const maxSettledMs = SETTLED_REACH_SLICES * sliceMs;
      const rows = timelineLanes(input.index, input.lanes, input.maxLanes);

      const nextSignature = JSON.stringify([pxPerMs, rows.map((row) => [row.lane, row.label, row.index, row.extra])]);
      const same = index === input.index && input.index.revision === revision;
      const grew = index === input.index && input.index.revision === revision + 1 && input.index.changedFrom > -Infinity;
      if (nextSignature !== signature || !(same || grew) || Math.abs((from - epoch) * pxPerMs) > MAX_TRACK_PX) {
        // A new zoom, width, lane set or trace (or a long way from the epoch) starts over.
        slices.clear();
        live = undefined;
        epoch = from;
      } else if (grew) {
        // The trace grew: the slices that end after the earliest changed shape's start are laid out again.
        for (const key of slices.keys()) if (epoch + (key + 1) * sliceMs > input.index.changedFrom) slices.delete(key);
        live = undefined;
      }
      signature = nextSignature;
      index = input.index;
      revision = input.index.revision;

      const layout = (part: 'settled' | 'live', sliceFrom: number, sliceTo: number, layoutNow: number) => {
        laidOut++;
        return layoutTimeline({
          events: input.index.events,
          index: input.index,
          lanes: input.lanes,
          maxLanes: input.maxLanes,
          from: sliceFrom,
          to: sliceTo,
          now: layoutNow,
          width: (sliceTo - sliceFrom) * pxPerMs,
          origin: input.origin,
          part,
          maxSettledMs,
        });
      };

      if (!live || from < live.slice.from || to > live.slice.to || now > live.now || (lookaheadMs === 0 && now !== live.now)) {
        const liveFrom = from - lookaheadMs;
        const liveTo = to + lookaheadMs;
        const liveNow = now + lookaheadMs;
        const slice = { key: -Infinity, x: (liveFrom - epoch) * pxPerMs, from: liveFrom, to: liveTo, layout: layout('live', liveFrom, liveTo, liveNow) };
        live = { slice, now: liveNow };
      }

      const first = Math.floor((from - maxSettledMs - epoch) / sliceMs);
      const last = Math.floor((to - epoch) / sliceMs);
      for (const [key, slice] of slices) {
        if (key < first || key > last || slice.layout.expiresAt <= now) slices.delete(key);
      }
      const shown: TimelineSlice[] = [];
      for (let key = first; key <= last; key++) {
        let slice = slices.get(key);
        if (!slice) {
          const sliceFrom = epoch + key * sliceMs;
          slice = { key, x: key * SLICE_PX, from: sliceFrom, to: sliceFrom + sliceMs, layout: layout('settled', sliceFrom, sliceFrom + sliceMs, now) };
          slices.set(key, slice);
        }
        shown.push(slice);
      }
      return { lanes: live.slice.layout.lanes, slices: shown, live: live.slice, scrollX: (from - epoch) * pxPerMs, pxPerMs };
    },
  };
}
