import { LitElement, css, html, nothing, svg, type PropertyValues, type SVGTemplateResult } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { guard } from 'lit/directives/guard.js';
import { repeat } from 'lit/directives/repeat.js';
import type { Lane, SourceLocation, TraceEvent } from '../../lessons/trace-event.ts';
import { TimelineHoverEvent, TimelineSelectEvent } from '../events.ts';
import { theme } from '../theme.ts';
import { download, snapshotSvg, svgToPng } from '../timeline-export.ts';
import { describeEvent, formatDuration, summarizeEvent } from '../timeline-format.ts';
import { indexTrace, type TraceIndex } from '../timeline-index.ts';
import {
  findEventBySeq,
  LABEL_CHAR_PX,
  MAX_LANES,
  type TimelineArrow,
  type TimelineBar,
  type TimelineLane,
  type TimelineLaneSpec,
  type TimelineLayout,
  type TimelineLink,
  type TimelineMarker,
  type TimelineShape,
  type TimelineTick,
} from '../timeline-layout.ts';
import { createTimelineSlicer, SLICE_PX, type TimelineSlice, type TimelineView } from '../timeline-slices.ts';

/** Height of one lane, px. */
export const LANE_HEIGHT = 56;
/** Height of the time axis under the lanes, px. */
export const AXIS_HEIGHT = 30;
/** Width of the lane label column, px. */
export const LABEL_WIDTH = 132;
/** Window widths the zoom buttons step through, ms. */
export const WINDOW_STEPS_MS = [1_000, 2_000, 5_000, 10_000, 20_000, 30_000, 60_000, 120_000, 300_000, 600_000] as const;

const MIN_WINDOW_MS = WINDOW_STEPS_MS[0];
const MAX_WINDOW_MS = WINDOW_STEPS_MS[WINDOW_STEPS_MS.length - 1];
const DRAG_THRESHOLD_PX = 3;
const SLOT_OFFSETS = [0, -13, 13];
const SVG_NS = 'http://www.w3.org/2000/svg';
/** How far past now what is still open is drawn while live (cut at the right edge, which is now), ms: the live part is laid out again this often at least. */
const LOOKAHEAD_MS = 250;
/** Live, new events wait this long after the last ones were drawn, ms: two frames at 60 Hz. */
const MIN_DRAW_INTERVAL_MS = 30;
/** Length of one scrolling animation, ms (a new one takes over halfway). */
const SCROLL_ANIMATION_MS = 60_000;
const TOOLTIP_WIDTH = 340;
const MAX_SCALE = 3;

interface Anchor {
  key: string;
  seq: number;
}

/**
 * Draws a lesson's trace as lanes of arrows, bars and markers over time, scrolling live.
 * @fires timeline-hover - The pointer moved onto a shape (`traceEvent`) or off all of them (undefined).
 * @fires timeline-select - A shape was clicked and pinned (`traceEvent`), or unpinned by a click on empty space (undefined).
 * @csspart toolbar - The Pause/zoom/export bar (a presenter view may hide it and use keys).
 */
@customElement('event-timeline')
export class EventTimeline extends LitElement {
  static override styles = [
    theme,
    css`
      :host {
        --timeline-scale: 1;
        display: block;
        position: relative;
        background: var(--wb-bg);
        border: 1px solid var(--wb-border);
        border-radius: var(--wb-radius);
        font-size: calc(14px * var(--timeline-scale));
      }
      .toolbar {
        display: flex;
        align-items: center;
        gap: 0.5rem;
        padding: 0.4rem 0.6rem;
        border-bottom: 1px solid var(--wb-border);
      }
      .toolbar .window {
        min-width: 4.5rem;
        text-align: center;
        font-variant-numeric: tabular-nums;
      }
      .toolbar .hint {
        color: var(--wb-muted);
        font-size: calc(13px * var(--timeline-scale));
      }
      .toolbar .export-svg {
        margin-left: auto;
      }
      .plot {
        position: relative;
        user-select: none;
      }
      .plot.paused {
        cursor: grab;
      }
      .plot.dragging {
        cursor: grabbing;
      }
      svg {
        display: block;
        font-family: var(--wb-font);
        font-size: 13px;
      }
      /* Shapes fade with fill-opacity and stroke-opacity, never opacity: each opacity would be an effect of its own for the compositor to sort out every frame. */
      /* The plot area: layers over the lanes. Slices ride a track that scrolling moves as one composited layer. */
      .plot-area {
        position: absolute;
        top: 0;
        overflow: hidden;
      }
      .track {
        position: absolute;
        left: 0;
        top: 0;
        will-change: transform;
      }
      .layer {
        position: absolute;
        left: 0;
        top: 0;
        overflow: visible;
        pointer-events: none;
      }
      .layer .shape {
        pointer-events: visiblePainted;
      }
      /* Layers of their own, so drawing them again does not draw the slices under or over them again. */
      .layer {
        will-change: transform;
      }
      .lane-bg {
        fill: var(--wb-bg);
      }
      .lane-bg.odd {
        fill: var(--wb-surface);
      }
      .lane-bg.aggregate {
        fill: var(--wb-surface-2);
      }
      .lane-label {
        font-size: 14px;
        font-weight: 600;
        fill: var(--wb-client);
      }
      .lane-label.feed {
        fill: var(--wb-feed);
      }
      .lane-label.server {
        fill: var(--wb-server);
      }
      .lane-label.extra {
        font-style: italic;
      }
      .lane-counts {
        fill: var(--wb-muted);
        font-size: 13px;
      }
      .grid {
        stroke: var(--wb-border);
        stroke-width: 1;
      }
      .axis-label {
        fill: var(--wb-muted);
        font-size: 13px;
      }
      .now-line {
        stroke: var(--wb-accent);
        stroke-width: 1.5;
        stroke-opacity: 0.7;
      }
      .shape text {
        fill: var(--wb-text);
        font-size: 13px;
        paint-order: stroke;
        stroke: var(--wb-bg);
        stroke-width: 3px;
        stroke-linejoin: round;
        pointer-events: none;
      }
      .hit {
        fill: transparent;
        stroke: transparent;
        stroke-width: 12px;
      }
      .shape {
        cursor: pointer;
      }
      .shape.hovered,
      .shape.selected {
        filter: drop-shadow(0 0 3px var(--wb-accent));
      }
      .shape.selected .body {
        stroke-width: 3.5px;
      }

      .arrow .body {
        stroke-width: 2px;
        fill: none;
      }
      .request .body {
        stroke: var(--wb-client);
      }
      .response .body {
        stroke: var(--wb-server);
      }
      .response.status-3xx .body {
        stroke: var(--wb-muted);
      }
      .response.status-204 .body {
        stroke: var(--wb-held);
      }
      .response.status-4xx .body,
      .response.status-5xx .body {
        stroke: var(--wb-error);
      }
      .response.status-4xx text,
      .response.status-5xx text {
        fill: var(--wb-error);
      }
      .in-flight .body,
      .lost .body,
      .unanswered .body {
        stroke-dasharray: 5 4;
      }
      .lost .body,
      .unanswered .body {
        stroke-opacity: 0.6;
      }
      .head-request {
        fill: var(--wb-client);
      }
      .head-response {
        fill: var(--wb-server);
      }
      .head-muted {
        fill: var(--wb-muted);
      }
      .head-held {
        fill: var(--wb-held);
      }
      .head-error {
        fill: var(--wb-error);
      }

      /*
       * Shapes filled without an outline take the pointer with a transparent stroke instead of a
       * hit element of their own: the most numerous shapes are one element each, not two.
       */
      .bar .body {
        stroke: transparent;
        stroke-width: 4px;
      }
      .tick .body,
      .feed-change .body,
      .marker.error .body {
        stroke: transparent;
        stroke-width: 10px;
        stroke-linejoin: round;
      }
      .hold .body {
        fill: var(--wb-server);
        fill-opacity: 0.45;
      }
      .hold.held .body {
        fill: var(--wb-held);
        fill-opacity: 0.85;
      }
      .hold.aborted .body,
      .hold.cut .body {
        fill: var(--wb-error);
        fill-opacity: 0.6;
      }
      .hold.open .body,
      .stream.open .body,
      .ws.open .body {
        animation: pulse 1.6s ease-in-out infinite;
      }
      .stream .body {
        fill: var(--wb-stream);
        fill-opacity: 0.5;
      }
      .ws .body {
        fill: var(--wb-accent);
        fill-opacity: 0.45;
      }
      .bar.client-side .body {
        fill-opacity: 0.3;
      }
      .showing .body {
        fill-opacity: 0.5;
      }
      .showing.staleness-low .body {
        fill: var(--wb-server);
      }
      .showing.staleness-medium .body {
        fill: var(--wb-held);
      }
      .showing.staleness-high .body {
        fill: var(--wb-error);
      }
      .showing .outdated-part {
        fill: url(#outdated-hatch);
      }
      .chunk .body {
        fill: var(--wb-stream);
      }
      .message .body {
        fill: var(--wb-stream);
      }
      .message.type-named .body {
        fill: var(--wb-muted);
      }
      .reconnect .body {
        fill: none;
        stroke: var(--wb-held);
        stroke-width: 2;
      }
      .reconnect text {
        fill: var(--wb-held);
      }
      .frame.in .body {
        fill: var(--wb-client);
      }
      .frame.out .body {
        fill: var(--wb-server);
      }
      .frame.op-ping .body,
      .frame.op-pong .body {
        fill: var(--wb-held);
      }
      .frame.op-close .body {
        fill: var(--wb-error);
      }
      .feed-change .body {
        fill: var(--wb-feed);
      }
      .feed-change text {
        fill: var(--wb-feed);
      }
      .show .body {
        fill: var(--wb-client);
        stroke: var(--wb-bg);
        stroke-width: 1.5px;
      }
      .link .body {
        stroke: var(--wb-feed);
        stroke-width: 1.5px;
        stroke-dasharray: 6 4;
        stroke-opacity: 0.8;
      }
      .link text {
        fill: var(--wb-feed);
      }
      .link.staleness-high text {
        fill: var(--wb-error);
      }
      .reload .body {
        stroke: var(--wb-reload);
        stroke-width: 2px;
        stroke-dasharray: 7 4;
      }
      .reload text {
        fill: var(--wb-reload);
        font-weight: 600;
      }
      .error .body {
        fill: var(--wb-error);
      }
      .error text {
        fill: var(--wb-error);
      }
      /* A missed update: the lane is tinted while the client is stale, and framed so it survives a washed-out projector. */
      .stale .body {
        fill: var(--wb-error);
        fill-opacity: 0.22;
        stroke: var(--wb-error);
        stroke-opacity: 0.6;
        stroke-width: 1px;
      }
      .stale .edge {
        fill: var(--wb-error);
        fill-opacity: 0.85;
      }
      .stale.open .body {
        stroke-dasharray: 6 4;
      }
      .missed .body {
        fill: none;
        stroke: var(--wb-error);
        stroke-width: 3px;
        stroke-linecap: round;
      }
      .missed text {
        fill: var(--wb-error);
        font-size: 14px;
        font-weight: 600;
      }
      .missed-link .body {
        stroke: var(--wb-error);
      }
      /* "Check my code": a faint band over the client's lane while the check runs, then in its verdict's colour. */
      .check-run .body {
        fill: var(--wb-muted);
        fill-opacity: 0.1;
        stroke: var(--wb-muted);
        stroke-opacity: 0.4;
        stroke-width: 1px;
      }
      .check-run.open .body {
        stroke-dasharray: 6 4;
      }
      .check-run.phase-pass .body,
      .check.phase-pass .body {
        fill: var(--wb-server);
        stroke: var(--wb-server);
      }
      .check-run.phase-fail .body,
      .check.phase-fail .body {
        fill: var(--wb-error);
        stroke: var(--wb-error);
      }
      .check-start .body {
        fill: var(--wb-muted);
        stroke: var(--wb-muted);
        stroke-width: 1.5px;
        stroke-linejoin: round;
      }
      .check-start text {
        fill: var(--wb-muted);
      }
      .check .body {
        stroke-width: 2.5px;
      }
      .check text {
        font-weight: 600;
      }
      .check.phase-pass text {
        fill: var(--wb-server);
      }
      .check.phase-fail text {
        fill: var(--wb-error);
      }
      @keyframes pulse {
        50% {
          fill-opacity: 0.95;
        }
      }
      @media (prefers-reduced-motion: reduce) {
        .hold.open .body,
        .stream.open .body,
        .ws.open .body {
          animation: none;
        }
      }

      .tooltip {
        position: absolute;
        z-index: 2;
        width: max-content;
        max-width: calc(${TOOLTIP_WIDTH}px * var(--timeline-scale));
        padding: calc(0.5rem * var(--timeline-scale)) calc(0.7rem * var(--timeline-scale));
        background: var(--wb-surface-2);
        border: 1px solid var(--wb-border);
        border-radius: var(--wb-radius);
        box-shadow: 0 6px 24px rgb(0 0 0 / 0.45);
        font-size: calc(13px * var(--timeline-scale));
        line-height: 1.4;
        pointer-events: none;
      }
      .tooltip.flip {
        transform: translateX(-100%);
      }
      .tooltip.above {
        transform: translateY(-100%);
      }
      .tooltip.flip.above {
        transform: translate(-100%, -100%);
      }
      .tooltip.pinned {
        pointer-events: auto;
        border-color: var(--wb-accent);
      }
      .tooltip .title {
        font-weight: 600;
        margin-bottom: 0.3rem;
        overflow-wrap: anywhere;
      }
      .tooltip .note {
        margin: 0 0 0.3rem;
        color: var(--wb-error);
      }
      .tooltip dl {
        display: grid;
        grid-template-columns: auto 1fr;
        gap: 0.1rem 0.7rem;
        margin: 0;
      }
      .tooltip dt {
        color: var(--wb-muted);
      }
      .tooltip dd {
        margin: 0;
        font-family: var(--wb-mono);
        overflow-wrap: anywhere;
      }
      .tooltip .pin-hint {
        margin-top: 0.3rem;
        color: var(--wb-muted);
      }
    `,
  ];

  /** The trace to draw, ordered by seq. Owned by the parent; never mutated here. */
  @property({ attribute: false }) events: readonly TraceEvent[] = [];

  /** The lesson's lanes in display order; lanes met in the trace but not listed are appended. */
  @property({ attribute: false }) lanes: readonly TimelineLaneSpec[] = [];

  /** Server ms shown as time zero on the axis (defaults to the first event's time). */
  @property({ type: Number }) origin?: number;

  /** Server clock minus browser clock, ms: `now` is `Date.now() + serverOffsetMs`. */
  @property({ type: Number, attribute: 'server-offset-ms' }) serverOffsetMs = 0;

  /** The clock "now" is read from, server ms, when it is not the live one (a replay's). */
  @property({ attribute: false }) clock?: () => number;

  /** Start paused (setting it later pauses or resumes, like the Pause/Live button). */
  @property({ type: Boolean }) paused = false;

  /** Width of the visible window, ms (the zoom buttons change the shown width from here). */
  @property({ type: Number, attribute: 'window-ms' }) windowMs = 20_000;

  /** Most lane rows: client lanes beyond them fold into one aggregate row (the lesson's own lanes never do). */
  @property({ type: Number, attribute: 'max-lanes' }) maxLanes = MAX_LANES;

  /** How much bigger everything is drawn, 1 to 3 (a presenter on a projector wants about 1.6). */
  @property({ type: Number }) scale = 1;
  /** Up to two short lines to write under a lane's name: the presenter's figures for the technique a lane shows. */
  @property({ attribute: false }) laneNotes?: ReadonlyMap<Lane, readonly string[]>;

  /** File name, without extension, of the SVG and PNG downloads. */
  @property({ attribute: 'export-name' }) exportName = 'timeline';

  @state() private _paused = false;
  @state() private _windowMs = 20_000;
  /** Right edge of the window while paused, server ms. */
  @state() private _to = 0;
  @state() private _hostWidth = 0;
  @state() private _hovered?: Anchor;
  @state() private _pinned?: Anchor;
  @state() private _dragging = false;

  private _index?: TraceIndex;
  /** When new events were last laid out (performance.now()). */
  private _drawnAt = -Infinity;
  /** The animation scrolling the track while live: where it started (px, timeline ms) and its speed (px/ms). */
  private _scrolling?: { animation: Animation; x: number; startTime: number; pxPerMs: number; until: number };
  private readonly _slicer = createTimelineSlicer();
  private _view?: TimelineView;
  private _frame?: number;
  /** Updates held for the next frame of the live loop. */
  private _waitingForFrame: (() => void)[] = [];
  private _resizeObserver?: ResizeObserver;
  private _drag?: { pointerId: number; x: number; to: number; moved: boolean };
  private _suppressClick = false;

  // Capture-phase listeners on the svg see enter/leave events, which do not bubble, from every shape.
  private readonly _overListener = { handleEvent: (e: Event) => this._onOver(e), capture: true };
  private readonly _outListener = { handleEvent: (e: Event) => this._onOut(e), capture: true };
  private readonly _clickListener = { handleEvent: (e: Event) => this._onClick(e), capture: true };
  // On the window, not the plot: Chrome records a blocking wheel handler's region for every shape
  // under it, and sorts them all out again in each frame where anything changed.
  private readonly _wheelListener = (e: WheelEvent) => {
    const plot = this.renderRoot.querySelector('.plot');
    if (plot && e.composedPath().includes(plot)) this._onWheel(e);
  };

  override connectedCallback(): void {
    super.connectedCallback();
    if (typeof ResizeObserver !== 'undefined') {
      this._resizeObserver ??= new ResizeObserver((entries) => {
        const width = entries[entries.length - 1]?.contentRect.width ?? 0;
        if (Math.abs(width - this._hostWidth) >= 0.5) this._hostWidth = width;
      });
      this._resizeObserver.observe(this);
    }
    window.addEventListener('wheel', this._wheelListener, { passive: false });
    this._syncLoop();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this._resizeObserver?.disconnect();
    window.removeEventListener('wheel', this._wheelListener);
    this._scrolling?.animation.cancel();
    this._scrolling = undefined;
    this._stopLoop();
  }

  /** The current server time, ms. */
  private _now(): number {
    return this.clock ? this.clock() : Date.now() + this.serverOffsetMs;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('paused') && this.paused !== this._paused) this._setPaused(this.paused);
    if (changed.has('windowMs')) this._windowMs = clampWindow(this.windowMs);
    if (changed.has('events')) {
      // A cleared or replaced trace drops what was hovered or pinned (silently: the user did nothing).
      if (this._pinned && !findEventBySeq(this.events, this._pinned.seq)) this._pinned = undefined;
      if (this._hovered && !findEventBySeq(this.events, this._hovered.seq)) this._hovered = undefined;
    }
    if (this._hostWidth === 0 && this.isConnected) this._hostWidth = this.clientWidth;
    const now = this._now();
    const to = this._paused ? this._to : now;
    // Live, new events are drawn at most every other frame: each drawing costs the page in proportion to all it shows.
    const frameTime = performance.now();
    let index = this._index;
    if (!index || (index.events !== this.events && (this._frame === undefined || frameTime - this._drawnAt >= MIN_DRAW_INTERVAL_MS))) {
      index = this._index = indexTrace(this.events, index);
      this._drawnAt = frameTime;
    }
    this._view = this._slicer.view({
      index,
      lanes: this.lanes,
      from: to - this._windowMs,
      to,
      now,
      width: this._plotWidth(),
      origin: this.origin ?? this.events[0]?.t ?? to - this._windowMs,
      maxLanes: this.maxLanes,
      lookaheadMs: this._paused ? 0 : LOOKAHEAD_MS,
    });
  }

  /**
   * Live, the frame loop redraws every frame anyway: a new trace (the page gets a batch up to 40
   * times a second) or any other change waits for the next frame instead of drawing in between.
   */
  protected override scheduleUpdate(): void | Promise<unknown> {
    if (this._frame === undefined) return super.scheduleUpdate();
    return new Promise<void>((resolve) => this._waitingForFrame.push(resolve)).then(() => super.scheduleUpdate());
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('scale')) this.style.setProperty('--timeline-scale', String(this._scale()));
    this._syncScroll();
    this._syncLoop();
  }

  /**
   * Moves the track to the window. Live, a linear animation scrolls it on the compositor, so a frame
   * without new events costs the page nothing; it is started again only when it drifts from the
   * window (a new zoom, width or epoch) or runs out. Paused or replaying, the track is set where it is.
   */
  private _syncScroll(): void {
    const track = this.renderRoot.querySelector<HTMLElement>('.track');
    const view = this._view;
    if (!track || !view) return;
    const scale = this._scale();
    const x = -view.scrollX * scale;
    const scrolling = this._scrolling;
    if (this._paused || this.clock || typeof track.animate !== 'function') {
      scrolling?.animation.cancel();
      this._scrolling = undefined;
      track.style.transform = `translateX(${px(x)}px)`;
      return;
    }
    const time = Number(document.timeline.currentTime ?? performance.now());
    const pxPerMs = view.pxPerMs * scale;
    if (scrolling && scrolling.pxPerMs === pxPerMs && time < scrolling.until && Math.abs(scrolling.x - pxPerMs * (time - scrolling.startTime) - x) < 4) return;
    scrolling?.animation.cancel();
    const animation = track.animate([{ transform: `translateX(${x}px)` }, { transform: `translateX(${x - pxPerMs * SCROLL_ANIMATION_MS}px)` }], {
      duration: SCROLL_ANIMATION_MS,
      easing: 'linear',
      fill: 'forwards',
    });
    // From this frame's time, not from when the compositor gets it: it is where the window is now.
    animation.startTime = time;
    this._scrolling = { animation, x, startTime: time, pxPerMs, until: time + SCROLL_ANIMATION_MS / 2 };
  }

  override render() {
    const view = this._view!;
    const { live } = view;
    const plotWidth = this._plotWidth();
    const lanesHeight = view.lanes.length * LANE_HEIGHT;
    const height = lanesHeight + AXIS_HEIGHT;
    const width = LABEL_WIDTH + plotWidth;
    const scale = this._scale();
    const now = this._paused ? undefined : plotWidth;
    const bands = live.layout.bars.filter(isLaneBand);
    const hovered = this._hovered?.key;
    const pinned = this._pinned?.key;
    return html`
      <div class="toolbar" part="toolbar">
        <button class="live-toggle" title=${this._paused ? 'Follow the live edge again' : 'Stop scrolling to inspect'} @click=${this._toggleLive}>
          ${this._paused ? 'Go live' : 'Pause'}
        </button>
        <button
          class="zoom-in"
          aria-label="Zoom in"
          title="Zoom in (Ctrl/⌘ + wheel)"
          ?disabled=${this._windowMs <= MIN_WINDOW_MS}
          @click=${() => this._zoomStep(-1)}
        >+</button>
        <span class="window" aria-live="polite">${formatDuration(this._windowMs)}</span>
        <button
          class="zoom-out"
          aria-label="Zoom out"
          title="Zoom out (Ctrl/⌘ + wheel)"
          ?disabled=${this._windowMs >= MAX_WINDOW_MS}
          @click=${() => this._zoomStep(1)}
        >−</button>
        <span class="hint">${this._paused ? 'Paused · wheel or drag to pan' : this.clock ? 'Replaying' : 'Live'} · hover a shape for details, click to pin it</span>
        <button class="export-svg" title="Download the timeline as SVG" @click=${() => this._export('svg')}>SVG</button>
        <button class="export-png" title="Download the timeline as PNG" @click=${() => this._export('png')}>PNG</button>
      </div>
      <div
        class="plot ${this._paused ? 'paused' : ''} ${this._dragging ? 'dragging' : ''}"
        @mouseover=${this._overListener}
        @mouseenter=${this._overListener}
        @pointerover=${this._overListener}
        @pointerenter=${this._overListener}
        @mouseout=${this._outListener}
        @mouseleave=${this._outListener}
        @pointerout=${this._outListener}
        @pointerleave=${this._outListener}
        @click=${this._clickListener}
        @pointerdown=${this._onPointerDown}
        @pointermove=${this._onPointerMove}
        @pointerup=${this._onPointerUp}
        @pointercancel=${this._onPointerUp}
      >
        <svg
          width=${width * scale}
          height=${height * scale}
          viewBox="0 0 ${width} ${height}"
          role="img"
          aria-label="Timeline of ${this.events.length} trace events over the last ${formatDuration(this._windowMs)}; the table view lists them as text"
        >
          ${this._renderDefs()}
          ${view.lanes.map(
            (lane) =>
              svg`<rect class="lane-bg ${lane.index % 2 ? 'odd' : 'even'} ${lane.aggregate ? 'aggregate' : ''}" x="0" y=${lane.index * LANE_HEIGHT} width=${width} height=${LANE_HEIGHT}></rect>`,
          )}
          <line class="grid" x1=${LABEL_WIDTH - 0.5} x2=${LABEL_WIDTH - 0.5} y1="0" y2=${lanesHeight}></line>
          ${view.lanes.map((lane) => this._renderLaneLabel(lane))}
        </svg>
        <div class="plot-area" style="left: ${LABEL_WIDTH * scale}px; width: ${plotWidth * scale}px; height: ${height * scale}px">
          <div class="track">
            <svg class="layer under" style="left: ${px(live.x * scale)}px" data-x=${live.x} width=${plotWidth * scale} height=${height * scale}>
              <g transform="scale(${scale})">
                ${repeat(
                  live.layout.axis,
                  (tick) => tick.key,
                  (tick) => svg`<g class="axis-tick">
                    <line class="grid" x1=${px(tick.x)} x2=${px(tick.x)} y1="0" y2=${lanesHeight + 6}></line>
                    <text class="axis-label" x=${px(tick.x)} y=${lanesHeight + 21} text-anchor="middle">${tick.label}</text>
                  </g>`,
                )}
                ${repeat(bands, (s) => s.key, (s) => this._renderBar(s))}
              </g>
            </svg>
            ${repeat(
              view.slices,
              (slice) => slice.key,
              (slice) =>
                guard([slice.layout, scale, lanesHeight, sliceHas(slice, hovered), sliceHas(slice, pinned)], () =>
                  this._renderSlice(slice, scale, height, lanesHeight),
                ),
            )}
            <svg class="layer live" style="left: ${px(live.x * scale)}px" data-x=${live.x} width=${plotWidth * scale} height=${height * scale}>
              <g transform="scale(${scale})">${this._renderShapes(live.layout, lanesHeight, (bar) => !isLaneBand(bar))}</g>
            </svg>
          </div>
          ${now === undefined
            ? nothing
            : svg`<svg class="layer" width=${plotWidth * scale} height=${height * scale}>
                <g transform="scale(${scale})"><line class="now-line" x1=${px(now - 1)} x2=${px(now - 1)} y1="0" y2=${lanesHeight}></line></g>
              </svg>`}
        </div>
        ${this._renderTooltip(view, plotWidth)}
      </div>
    `;
  }

  /** One slice: an svg at its place on the track, drawing beyond its edges (its shapes only start in it). */
  private _renderSlice(slice: TimelineSlice, scale: number, height: number, lanesHeight: number): SVGTemplateResult {
    return svg`<svg class="layer slice" style="left: ${px(slice.x * scale)}px" data-x=${slice.x} width=${SLICE_PX * scale} height=${height * scale}>
      <g transform="scale(${scale})">${this._renderShapes(slice.layout, lanesHeight)}</g>
    </svg>`;
  }

  /** A layout's shapes in paint order: bars, links, arrows, ticks, markers. */
  private _renderShapes(layout: TimelineLayout, lanesHeight: number, barFilter?: (bar: TimelineBar) => boolean) {
    return svg`${repeat(barFilter ? layout.bars.filter(barFilter) : layout.bars, (s) => s.key, (s) => this._renderBar(s))}
      ${repeat(layout.links, (s) => s.key, (s) => this._renderLink(s))}
      ${repeat(layout.arrows, (s) => s.key, (s) => this._renderArrow(s))}
      ${repeat(layout.ticks, (s) => s.key, (s) => this._renderTick(s))}
      ${repeat(layout.markers, (s) => s.key, (s) => this._renderMarker(s, lanesHeight))}`;
  }

  private _renderLaneLabel(lane: TimelineLane): SVGTemplateResult {
    const top = lane.index * LANE_HEIGHT;
    const notes = lane.aggregate ? undefined : this.laneNotes?.get(lane.lane);
    if (notes?.length) {
      return svg`<g class="noted-label">
        <text class="lane-label ${laneKind(lane.lane)} ${lane.extra ? 'extra' : ''}" x="12" y=${top + 19}>${truncate(lane.label, 15)}<title>${lane.lane}</title></text>
        ${notes.slice(0, 2).map((note, i) => svg`<text class="lane-counts lane-note" x="12" y=${top + 35 + i * 15}>${truncate(note, 16)}</text>`)}
      </g>`;
    }
    if (!lane.aggregate) {
      return svg`<text class="lane-label ${laneKind(lane.lane)} ${lane.extra ? 'extra' : ''}" x="12" y=${top + LANE_HEIGHT / 2 + 5}>
        ${truncate(lane.label, 15)}<title>${lane.lane}</title>
      </text>`;
    }
    const { lanes, open, events } = lane.aggregate;
    return svg`<g class="aggregate-label">
      <title>${lanes} client lanes folded into this row, which draws all their shapes: ${open} of their connections open now, ${events} of their events in this window</title>
      <text class="lane-label client extra aggregate" x="12" y=${top + 19}>${lane.label}</text>
      <text class="lane-counts" x="12" y=${top + 35}>${open} open</text>
      <text class="lane-counts" x="12" y=${top + 50}>${events} events</text>
    </g>`;
  }

  private _renderDefs(): SVGTemplateResult {
    // Shape class names (.request, .error …) stay off these, so tests querying them find shapes only.
    const head = (id: string) => svg`
      <marker id=${id} viewBox="0 0 10 10" refX="9" refY="5" markerWidth="5" markerHeight="5" orient="auto-start-reverse">
        <path class=${id} d="M0,0 L10,5 L0,10 z"></path>
      </marker>`;
    return svg`<defs>
      ${head('head-request')}
      ${head('head-response')}
      ${head('head-muted')}
      ${head('head-held')}
      ${head('head-error')}
      <pattern id="outdated-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
        <rect width="6" height="6" fill="var(--wb-error)" opacity="0.25"></rect>
        <line x1="0" y1="0" x2="0" y2="6" stroke="var(--wb-error)" stroke-width="3"></line>
      </pattern>
    </defs>`;
  }

  private _shapeClass(shape: TimelineShape, family: string): string {
    const state = [
      shape.key === this._hovered?.key ? 'hovered' : '',
      shape.key === this._pinned?.key ? 'selected' : '',
    ].join(' ');
    return `shape ${family} ${shape.classes.join(' ')} ${state}`;
  }

  private _renderArrow(a: TimelineArrow): SVGTemplateResult {
    const cls = this._shapeClass(a, 'arrow');
    const oneSided = a.lane1 === a.lane2 && a.x1 === a.x2;
    let x1 = a.x1;
    let y1: number;
    let x2 = a.x2;
    let y2: number;
    const serverY = (lane: number) => laneCenter(lane) + (SLOT_OFFSETS[a.slot] ?? 0);
    if (oneSided) {
      // No other side to point at: a short stub into (request) or out of (response) the lane.
      const y = a.kind === 'request' ? serverY(a.lane2) : serverY(a.lane1);
      if (a.kind === 'request') {
        x1 = a.x2 - 10;
        y1 = y + 20;
        y2 = y + 5;
      } else {
        x2 = a.x1 + 10;
        y1 = y + 5;
        y2 = y + 20;
      }
    } else {
      const down = a.lane2 > a.lane1;
      y1 = (a.kind === 'response' ? serverY(a.lane1) : laneCenter(a.lane1)) + (down ? 5 : -5);
      y2 = (a.kind === 'request' ? serverY(a.lane2) : laneCenter(a.lane2)) + (down ? -5 : 5);
    }
    // Half a lane before the end it points at: an arrow that crosses lanes labels the lane it reaches, not one it passes.
    const span = Math.abs(a.lane2 - a.lane1);
    const t = span > 1 ? 1 - 1 / (2 * span) : 0.5;
    const labelX = x1 + (x2 - x1) * t + 6;
    const labelY = y1 + (y2 - y1) * t + 4;
    return svg`<g class=${cls} data-seq=${a.seqs[0]!} data-key=${a.key}>
      <line class="hit" x1=${px(x1)} y1=${px(y1)} x2=${px(x2)} y2=${px(y2)}></line>
      <line class="body" x1=${px(x1)} y1=${px(y1)} x2=${px(x2)} y2=${px(y2)} marker-end="url(#${arrowHead(a)})"></line>
      ${a.labelVisible && a.label !== undefined ? svg`<text x=${px(labelX)} y=${px(labelY)}>${a.label}</text>` : nothing}
    </g>`;
  }

  private _renderBar(b: TimelineBar): SVGTemplateResult {
    if (isLaneBand(b)) return this._renderLaneBand(b);
    const cls = this._shapeClass(b, 'bar');
    const center = laneCenter(b.lane);
    const [y, h] = b.kind === 'showing' ? [center + 13, 9] : [center + (SLOT_OFFSETS[b.slot] ?? 0) - 4, 8];
    const w = Math.max(2, b.x2 - b.x1);
    return svg`<g class=${cls} data-seq=${b.seqs[0]!} data-key=${b.key}>
      <rect class="body" x=${px(b.x1)} y=${px(y)} width=${px(w)} height=${h} rx="2"></rect>
      ${b.xOutdated === undefined
        ? nothing
        : svg`<rect class="outdated-part" x=${px(b.xOutdated)} y=${px(y)} width=${px(Math.max(0, b.x2 - b.xOutdated))} height=${h}></rect>`}
      ${b.label === undefined || b.kind === 'showing' ? nothing : svg`<text x=${px(Math.max(b.x1, 0) + 4)} y=${px(y - 4)}>${b.label}</text>`}
    </g>`;
  }

  /** A missed update's stale period, or a check's run: the whole height of the client's lane, under everything else on it. */
  private _renderLaneBand(b: TimelineBar): SVGTemplateResult {
    const cls = this._shapeClass(b, 'bar');
    const top = b.lane * LANE_HEIGHT + 2;
    const w = Math.max(2, b.x2 - b.x1);
    return svg`<g class=${cls} data-seq=${b.seqs[0]!} data-key=${b.key} data-version=${b.version ?? nothing} data-phase=${b.phase ?? nothing}>
      <rect class="body" x=${px(b.x1)} y=${top} width=${px(w)} height=${LANE_HEIGHT - 4} rx="3"></rect>
      ${b.kind === 'stale' ? svg`<rect class="edge" x=${px(b.x1)} y=${top} width=${px(w)} height="4"></rect>` : nothing}
    </g>`;
  }

  private _renderTick(t: TimelineTick): SVGTemplateResult {
    const cls = this._shapeClass(t, 'tick');
    const y = laneCenter(t.lane) + (SLOT_OFFSETS[t.slot] ?? 0);
    // `in` points up towards the server lane's top, `out` down towards the clients.
    const sign = t.direction === 'in' ? -1 : 1;
    const d = `M${px(t.x - 4)},${px(y + sign * 5)} L${px(t.x)},${px(y + sign * 12)} L${px(t.x + 4)},${px(y + sign * 5)} z`;
    return svg`<g class=${cls} data-seq=${t.seqs[0]!} data-key=${t.key}>
      <path class="body" d=${d}></path>
    </g>`;
  }

  private _renderLink(l: TimelineLink): SVGTemplateResult {
    const cls = this._shapeClass(l, 'connector');
    const y1 = laneCenter(l.lane1) + 7;
    const y2 = laneCenter(l.lane2) - 8;
    return svg`<g class=${cls} data-seq=${l.seqs[0]!} data-key=${l.key} data-version=${l.version ?? nothing}>
      <line class="hit" x1=${px(l.x1)} y1=${px(y1)} x2=${px(l.x2)} y2=${px(y2)}></line>
      <line class="body" x1=${px(l.x1)} y1=${px(y1)} x2=${px(l.x2)} y2=${px(y2)}></line>
      ${l.labelVisible && l.label !== undefined
        ? svg`<text x=${px((l.x1 + l.x2) / 2 + 6)} y=${px(laneCenter(l.lane1) + LANE_HEIGHT / 2 + 4)}>${l.label}</text>`
        : nothing}
    </g>`;
  }

  private _renderMarker(m: TimelineMarker, lanesHeight: number): SVGTemplateResult {
    const cls = this._shapeClass(m, 'marker');
    const y = laneCenter(m.lane);
    const attrs = { seq: m.seqs[0]!, key: m.key, version: m.version ?? nothing };
    switch (m.kind) {
      case 'reload':
        return svg`<g class=${cls} data-seq=${attrs.seq} data-key=${attrs.key}>
          <line class="hit" x1=${px(m.x)} x2=${px(m.x)} y1="0" y2=${lanesHeight}></line>
          <line class="body" x1=${px(m.x)} x2=${px(m.x)} y1="0" y2=${lanesHeight}></line>
          ${m.labelVisible ? svg`<text x=${px(m.x + 5)} y="15">${m.label}</text>` : nothing}
        </g>`;
      case 'error':
        return svg`<g class=${cls} data-seq=${attrs.seq} data-key=${attrs.key}>
          <path class="body" d="M${px(m.x)},${px(y - 8)} L${px(m.x + 8)},${px(y + 7)} L${px(m.x - 8)},${px(y + 7)} z"></path>
          ${m.labelVisible && m.label ? svg`<text x=${px(m.x + 11)} y=${px(y + 5)}>${truncate(m.label, 40)}</text>` : nothing}
        </g>`;
      case 'show':
        return svg`<g class=${cls} data-seq=${attrs.seq} data-key=${attrs.key} data-version=${attrs.version}>
          <circle class="hit" cx=${px(m.x)} cy=${px(y)} r="11"></circle>
          <path class="body" d="M${px(m.x)},${px(y - 7)} L${px(m.x + 7)},${px(y)} L${px(m.x)},${px(y + 7)} L${px(m.x - 7)},${px(y)} z"></path>
          ${m.labelVisible ? svg`<text x=${px(m.x + 9)} y=${px(y - 6)}>${m.label}</text>` : nothing}
        </g>`;
      case 'feed-change':
        return svg`<g class=${cls} data-seq=${attrs.seq} data-key=${attrs.key} data-version=${attrs.version}>
          <circle class="body" cx=${px(m.x)} cy=${px(y)} r="6"></circle>
          ${m.labelVisible ? svg`<text x=${px(m.x + 9)} y=${px(y + 5)}>${m.label}</text>` : nothing}
        </g>`;
      case 'reconnect':
        // An open ring: the browser is between two streams and will try again after `retry` ms.
        return svg`<g class=${cls} data-seq=${attrs.seq} data-key=${attrs.key}>
          <circle class="hit" cx=${px(m.x)} cy=${px(y)} r="11"></circle>
          <path class="body" d="M${px(m.x + 6)},${px(y - 2)} A6,6 0 1 1 ${px(m.x + 2)},${px(y - 6)}"></path>
          ${m.labelVisible ? svg`<text x=${px(m.x + 10)} y=${px(y + 5)}>${m.label}</text>` : nothing}
        </g>`;
      case 'missed':
        // A cross at the lane's middle, labelled to its right: show labels sit above, the on-screen bar below.
        return svg`<g class=${cls} data-seq=${attrs.seq} data-key=${attrs.key} data-version=${attrs.version}>
          <circle class="hit" cx=${px(m.x)} cy=${px(y)} r="11"></circle>
          <path class="body" d="M${px(m.x - 6)},${px(y - 6)} L${px(m.x + 6)},${px(y + 6)} M${px(m.x + 6)},${px(y - 6)} L${px(m.x - 6)},${px(y + 6)}"></path>
          ${m.labelVisible ? svg`<text x=${px(m.x + 10)} y=${px(y + 5)}>${m.label}</text>` : nothing}
        </g>`;
      case 'check-start': {
        // A pennant at the top of the lane, its label in the row above the show labels.
        const top = m.lane * LANE_HEIGHT;
        return svg`<g class=${cls} data-seq=${attrs.seq} data-key=${attrs.key} data-phase=${m.phase ?? nothing}>
          <rect class="hit" x=${px(m.x - 2)} y=${top + 3} width="12" height="16"></rect>
          <path class="body" d="M${px(m.x)},${top + 19} L${px(m.x)},${top + 3} L${px(m.x + 9)},${top + 7} L${px(m.x)},${top + 11}"></path>
          ${m.labelVisible ? svg`<text x=${px(m.x + 12)} y=${top + 13}>${m.label}</text>` : nothing}
        </g>`;
      }
      case 'check': {
        // A post across the lane where the band ends; its label reads back into the band, along the lane's bottom.
        const top = m.lane * LANE_HEIGHT;
        const labelWidth = (m.label?.length ?? 0) * LABEL_CHAR_PX;
        return svg`<g class=${cls} data-seq=${attrs.seq} data-key=${attrs.key} data-version=${attrs.version} data-phase=${m.phase ?? nothing}>
          <line class="hit" x1=${px(m.x)} x2=${px(m.x)} y1=${top + 3} y2=${top + LANE_HEIGHT - 3}></line>
          ${m.labelVisible ? svg`<rect class="hit" x=${px(m.x - 6 - labelWidth)} y=${top + LANE_HEIGHT - 17} width=${px(labelWidth)} height="14"></rect>` : nothing}
          <line class="body" x1=${px(m.x)} x2=${px(m.x)} y1=${top + 3} y2=${top + LANE_HEIGHT - 3}></line>
          ${m.labelVisible ? svg`<text x=${px(m.x - 6)} y=${top + LANE_HEIGHT - 6} text-anchor="end">${m.label}</text>` : nothing}
        </g>`;
      }
    }
  }

  private _renderTooltip(view: TimelineView, plotWidth: number) {
    // A shape that scrolled out of the window takes its tooltip with it (a pinned one comes back with it).
    const hovered = this._hovered && findShape(view, this._hovered.key);
    const pinned = !hovered && this._pinned ? findShape(view, this._pinned.key) : undefined;
    const found = hovered ?? pinned;
    const anchor = hovered ? this._hovered : this._pinned;
    if (!found || !anchor) return nothing;
    const { shape } = found;
    const event = findEventBySeq(this.events, anchor.seq);
    if (!event) return nothing;
    const [ax, ay] = anchorPoint(shape, found.dx, plotWidth);
    const scale = this._scale();
    // The tooltip is HTML over the scaled svg: screen px.
    const left = (LABEL_WIDTH + ax) * scale;
    const top = ay * scale;
    const tooltipWidth = TOOLTIP_WIDTH * scale;
    const flip = left + 14 + tooltipWidth > this._hostWidth && left - 14 - tooltipWidth > 0;
    // Below the middle lane the tooltip opens upwards, so it stays over the timeline.
    const above = ay > (view.lanes.length * LANE_HEIGHT) / 2;
    // Hovering gives the essentials; pinning adds the headers (a tall tooltip would leave the timeline).
    const rows = describeEvent(event, { headers: !!pinned });
    for (const timing of shape.timings ?? []) rows.push({ label: timing.label, value: formatDuration(timing.ms) });
    if (shape.count) rows.push({ label: 'merged', value: `${shape.count} close together, drawn as one (zoom in to separate)` });
    return html`<div
      class="tooltip ${flip ? 'flip' : ''} ${above ? 'above' : ''} ${pinned ? 'pinned' : ''}"
      role="tooltip"
      style="left: ${flip ? left - 14 : left + 14}px; top: ${above ? top - 12 : top + 12}px"
    >
      <div class="title">${summarizeEvent(event, this._requestOf(event.conn))}</div>
      ${shape.note === undefined ? nothing : html`<p class="note">${shape.note}</p>`}
      <dl>${rows.map((row) => html`<dt>${row.label}</dt><dd>${row.value}</dd>`)}</dl>
      <div class="pin-hint">${pinned ? 'Pinned · click empty space to unpin' : 'Click to pin (and see the headers)'}</div>
    </div>`;
  }

  /** The method and URL of a conn's request, for a tooltip's title. */
  private _requestOf(conn: string | undefined): { method: string; url: string } | undefined {
    const record = conn === undefined ? undefined : this._index?.connsById.get(conn);
    return record?.request ?? record?.clientRequest;
  }

  /** Width of the plot area in logical px: the svg is drawn `scale` times bigger. */
  private _plotWidth(): number {
    return Math.max(0, this._hostWidth / this._scale() - LABEL_WIDTH);
  }

  private _scale(): number {
    return Number.isFinite(this.scale) ? Math.min(MAX_SCALE, Math.max(1, this.scale)) : 1;
  }

  private _shapeAt(target: EventTarget | null): Anchor | undefined {
    if (!(target instanceof Element)) return undefined;
    const element = target.closest('[data-key]');
    if (!element) return undefined;
    const key = element.getAttribute('data-key')!;
    const seq = Number(element.getAttribute('data-seq'));
    return { key, seq };
  }

  private _onOver(e: Event): void {
    if (this._drag?.moved) return;
    const shape = this._shapeAt(e.target);
    if (shape) this._hover(shape);
  }

  private _onOut(e: Event): void {
    const current = this._hovered;
    if (!current) return;
    const next = this._shapeAt((e as MouseEvent).relatedTarget ?? null);
    // Leaving one part of a shape for another part (or for the shape itself) is no leave.
    if (next?.key === current.key) return;
    const left = this._shapeAt(e.target);
    if (left && left.key !== current.key) return;
    this._hover(next);
  }

  private _hover(anchor: Anchor | undefined): void {
    if (anchor?.key === this._hovered?.key) return;
    this._hovered = anchor;
    this.dispatchEvent(new TimelineHoverEvent(anchor && findEventBySeq(this.events, anchor.seq), anchor && this._sourceOf(anchor)));
  }

  /** The first lesson code location among the events a shape draws. */
  private _sourceOf(anchor: Anchor): SourceLocation | undefined {
    const found = this._view && findShape(this._view, anchor.key);
    for (const seq of found?.shape.seqs ?? [anchor.seq]) {
      const source = findEventBySeq(this.events, seq)?.source;
      if (source) return source;
    }
    return undefined;
  }

  private _onClick(e: Event): void {
    if (this._suppressClick) {
      this._suppressClick = false;
      return;
    }
    const shape = this._shapeAt(e.target);
    if (shape) {
      this._pinned = shape;
      this.dispatchEvent(new TimelineSelectEvent(findEventBySeq(this.events, shape.seq), this._sourceOf(shape)));
    } else if (this._pinned) {
      this._pinned = undefined;
      this.dispatchEvent(new TimelineSelectEvent(undefined));
    }
  }

  private _onWheel(e: WheelEvent): void {
    const unit = e.deltaMode === WheelEvent.DOM_DELTA_LINE ? 16 : e.deltaMode === WheelEvent.DOM_DELTA_PAGE ? 400 : 1;
    if (e.ctrlKey || e.metaKey) {
      e.preventDefault();
      const factor = Math.exp(e.deltaY * unit * 0.002);
      const plotX = (e.clientX - this.getBoundingClientRect().left) / this._scale() - LABEL_WIDTH;
      this._zoomTo(this._windowMs * factor, plotX);
    } else if (this._paused) {
      const delta = (Math.abs(e.deltaX) > Math.abs(e.deltaY) ? e.deltaX : e.deltaY) * unit;
      if (delta === 0) return;
      e.preventDefault();
      this._to += delta * this._msPerScreenPx();
    }
  }

  private readonly _onPointerDown = (e: PointerEvent) => {
    if (!this._paused || e.button !== 0) return;
    this._drag = { pointerId: e.pointerId, x: e.clientX, to: this._to, moved: false };
  };

  private readonly _onPointerMove = (e: PointerEvent) => {
    const drag = this._drag;
    if (!drag || drag.pointerId !== e.pointerId) return;
    const dx = e.clientX - drag.x;
    if (!drag.moved && Math.abs(dx) < DRAG_THRESHOLD_PX) return;
    if (!drag.moved) {
      drag.moved = true;
      this._dragging = true;
      (e.currentTarget as Element).setPointerCapture?.(e.pointerId);
    }
    this._to = drag.to - dx * this._msPerScreenPx();
  };

  private readonly _onPointerUp = (e: PointerEvent) => {
    const drag = this._drag;
    if (!drag || drag.pointerId !== e.pointerId) return;
    this._drag = undefined;
    this._dragging = false;
    // The click that ends a drag is not a click on what lies under the pointer.
    if (drag.moved) this._suppressClick = e.type === 'pointerup';
  };

  private readonly _toggleLive = () => {
    this._setPaused(!this._paused);
  };

  private _setPaused(paused: boolean): void {
    this._paused = paused;
    if (paused) this._to = this._now();
    this._syncLoop();
  }

  private _zoomStep(direction: 1 | -1): void {
    const current = this._windowMs;
    const next =
      direction > 0 ? WINDOW_STEPS_MS.find((ms) => ms > current * 1.001) : [...WINDOW_STEPS_MS].reverse().find((ms) => ms < current * 0.999);
    if (next !== undefined) this._zoomTo(next, this._plotWidth() / 2);
  }

  /** Sets the window width; while paused, the time under `plotX` stays where it is. */
  private _zoomTo(windowMs: number, plotX: number): void {
    const next = clampWindow(windowMs);
    if (this._paused) {
      const width = this._plotWidth();
      const fraction = width > 0 ? Math.min(1, Math.max(0, plotX / width)) : 1;
      const pinnedTime = this._to - this._windowMs + fraction * this._windowMs;
      this._to = pinnedTime + (1 - fraction) * next;
    }
    this._windowMs = next;
  }

  /** Ms per px moved on screen (wheel and drag): the plot is drawn `scale` times its logical width. */
  private _msPerScreenPx(): number {
    const width = this._plotWidth() * this._scale();
    return width > 0 ? this._windowMs / width : 0;
  }

  /** Downloads what is shown, at its logical size (a PNG at twice that). */
  private async _export(format: 'svg' | 'png'): Promise<void> {
    const element = this._composeSvg();
    const text = snapshotSvg(element, this, `Timeline of ${this.events.length} trace events over ${formatDuration(this._windowMs)}`);
    const { width, height } = element.viewBox.baseVal;
    const blob = format === 'svg' ? new Blob([text], { type: 'image/svg+xml' }) : await svgToPng(text, width, height);
    download(blob, `${this.exportName}.${format}`);
  }

  /**
   * What is shown as one svg at its logical size: the lanes and labels, and over the plot area its
   * layers in paint order, each slice moved to where it shows.
   */
  private _composeSvg(): SVGSVGElement {
    const root = this.renderRoot;
    const frame = root.querySelector<SVGSVGElement>('.plot > svg')!;
    const composed = frame.cloneNode(true) as SVGSVGElement;
    const { width, height } = frame.viewBox.baseVal;
    const area = document.createElementNS(SVG_NS, 'svg');
    for (const [name, value] of Object.entries({ class: 'plot-area', x: LABEL_WIDTH, y: 0, width: width - LABEL_WIDTH, height, overflow: 'hidden' })) {
      area.setAttribute(name, String(value));
    }
    const scrollX = this._view?.scrollX ?? 0;
    for (const layer of root.querySelectorAll<SVGSVGElement>('.plot-area svg.layer')) {
      // Each layer draws its shapes in a `scale()` group: the file takes them at logical size.
      const group = document.createElementNS(SVG_NS, 'g');
      const left = layer.dataset['x'] === undefined ? 0 : Number(layer.dataset['x']) - scrollX;
      if (left !== 0) group.setAttribute('transform', `translate(${px(left)},0)`);
      for (const child of layer.firstElementChild?.childNodes ?? []) group.append(child.cloneNode(true));
      area.append(group);
    }
    composed.append(area);
    return composed;
  }

  private _syncLoop(): void {
    if (this._paused || !this.isConnected) this._stopLoop();
    else this._frame ??= requestAnimationFrame(this._onFrame);
  }

  private _stopLoop(): void {
    if (this._frame !== undefined) cancelAnimationFrame(this._frame);
    this._frame = undefined;
    this._releaseWaiting();
  }

  // The loop goes on from `updated`, once this frame's update is drawn.
  private readonly _onFrame = () => {
    this._frame = undefined;
    this._releaseWaiting();
    if (this._paused || !this.isConnected) return;
    this.requestUpdate();
  };

  private _releaseWaiting(): void {
    const waiting = this._waitingForFrame;
    this._waitingForFrame = [];
    for (const resolve of waiting) resolve();
  }
}

function clampWindow(ms: number): number {
  return Number.isFinite(ms) ? Math.min(MAX_WINDOW_MS, Math.max(MIN_WINDOW_MS, ms)) : 20_000;
}

function laneCenter(index: number): number {
  return index * LANE_HEIGHT + LANE_HEIGHT / 2;
}

function laneKind(lane: string): string {
  return lane === 'feed' || lane === 'server' ? lane : 'client';
}

function arrowHead(a: TimelineArrow): string {
  if (a.kind === 'request') return a.classes.includes('unanswered') || a.classes.includes('lost') ? 'head-error' : 'head-request';
  if (a.status !== undefined && a.status >= 400) return 'head-error';
  if (a.status === 204) return 'head-held';
  if (a.status !== undefined && a.status >= 300 && a.status < 400) return 'head-muted';
  return 'head-response';
}

function isLaneBand(bar: TimelineBar): boolean {
  return bar.kind === 'stale' || bar.kind === 'check-run';
}

/** A layout's shapes by key, made once per layout. */
const shapesOfLayout = new WeakMap<TimelineLayout, Map<string, TimelineShape>>();

function shapesByKey(layout: TimelineLayout): Map<string, TimelineShape> {
  let shapes = shapesOfLayout.get(layout);
  if (!shapes) {
    shapes = new Map();
    for (const group of [layout.markers, layout.arrows, layout.ticks, layout.links, layout.bars] as const) {
      for (const shape of group as readonly TimelineShape[]) shapes.set(shape.key, shape);
    }
    shapesOfLayout.set(layout, shapes);
  }
  return shapes;
}

/** `key` when the slice draws that shape: a slice is drawn again only when its hovered or pinned shape changes. */
function sliceHas(slice: TimelineSlice, key: string | undefined): string | undefined {
  return key !== undefined && shapesByKey(slice.layout).has(key) ? key : undefined;
}

/** A shape on screen by key, with what to add to its x to get plot coordinates (a slice's shapes are from its own left edge). */
function findShape(view: TimelineView, key: string): { shape: TimelineShape; dx: number } | undefined {
  for (const slice of [view.live, ...view.slices]) {
    const shape = shapesByKey(slice.layout).get(key);
    if (shape) return { shape, dx: slice.x - view.scrollX };
  }
  return undefined;
}

/** Where the tooltip of a shape points, in plot coordinates. */
function anchorPoint(shape: TimelineShape, dx: number, plotWidth: number): [number, number] {
  const clamp = (x: number) => Math.min(Math.max(x + dx, 0), plotWidth);
  switch (shape.kind) {
    case 'request':
    case 'response':
    case 'link':
      return [clamp((shape.x1 + shape.x2) / 2), (laneCenter(shape.lane1) + laneCenter(shape.lane2)) / 2];
    case 'hold':
    case 'stream':
    case 'ws':
    case 'showing':
    case 'stale':
    case 'check-run':
      return [(clamp(shape.x1) + clamp(shape.x2)) / 2, laneCenter(shape.lane)];
    default:
      return [clamp(shape.x), laneCenter(shape.lane)];
  }
}

function px(value: number): number {
  return Math.round(value * 10) / 10;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

declare global {
  interface HTMLElementTagNameMap {
    'event-timeline': EventTimeline;
  }
}
