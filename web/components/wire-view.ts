import { LitElement, css, html, type PropertyValues, type TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import type { TraceEvent } from '../../lessons/trace-event.ts';
import { TimelineHoverEvent, TimelineSelectEvent } from '../events.ts';
import { findEventBySeq } from '../timeline-layout.ts';

/** One connection as the picker lists it. */
export interface WireConnSummary {
  conn: string;
  /** The browser client that opened it, when the request named one. */
  client?: string;
}

/** A row stands for one trace event: it hovers, focuses and selects that event. */
const ROW = '.scroller [data-seq][tabindex]';

/**
 * What the wire views share of their look: the box, the head with its picker and totals, the notes
 * and the bare list. It goes after `theme` and before a view's own styles.
 */
export const wireViewStyles = css`
  :host {
    display: block;
    container-type: inline-size;
    /* Out of view, its hundreds of rows are neither laid out nor painted while the timeline above redraws. */
    content-visibility: auto;
    contain-intrinsic-size: auto 20rem;
    border: 1px solid var(--wb-border);
    border-radius: var(--wb-radius);
    background: var(--wb-bg);
    font-size: 14px;
  }
  .head {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.4rem 0.8rem;
    padding: 0.5rem 0.7rem;
    border-bottom: 1px solid var(--wb-border);
  }
  .head h3 {
    margin: 0;
    font-size: 14px;
    font-weight: 600;
  }
  .head select {
    max-width: 100%;
    min-width: 0;
    font-size: 13px;
  }
  .totals {
    color: var(--wb-muted);
    font-size: 13px;
  }
  .empty,
  .hidden-note {
    margin: 0;
    padding: 0.5rem 0.7rem;
    color: var(--wb-muted);
  }
  ol {
    list-style: none;
    margin: 0;
    padding: 0;
  }
  ol > :first-child {
    border-top: none;
  }
`;

/** Least time between two drawings when only the trace changed, ms. */
const MIN_REDRAW_MS = 250;

/**
 * One connection of the trace as it went over the wire, picked from a list of them: the part that
 * `<stream-wire-view>` and `<socket-wire-view>` share. A subclass says which connections it lists
 * and how it draws one; any element in its `.scroller` with `data-seq` and `tabindex` is a row that
 * fires `timeline-hover` and `timeline-select` for the trace event of that seq.
 */
export abstract class WireView<Conn extends WireConnSummary, Wire extends { conn: string }> extends LitElement {
  /** The trace, ordered by seq. Owned by the parent; never mutated here. */
  @property({ attribute: false }) events: readonly TraceEvent[] = [];

  /** Server ms shown as time zero (defaults to the first event's time). */
  @property({ type: Number }) origin?: number;

  /** The connection to show, by conn; when unset (or not listed), the one `follow` picks. */
  @property() conn?: string;

  /** When set, only the connections of this browser client are listed. */
  @property() client?: string;

  /**
   * When no connection is picked, follow the newest one this matches (a stream whose URL starts
   * with it, a socket whose path is it: e.g. the lesson's own endpoint), else the newest of all.
   */
  @property() follow?: string;

  // The connection the reader picked in the list; cleared when the parent sets `conn` or `client`.
  @state() private _pickedConn?: string;
  @state() protected _selectedSeq?: number;

  /** The connections listed, oldest first. */
  protected _conns: Conn[] = [];
  /** The connection shown. */
  protected _wire?: Wire;
  private _stickToBottom = true;
  /** Whether the reader is at the bottom of the rows, as of their last scroll (new rows follow then). */
  private _atBottom = true;
  private _scrollFrame?: number;
  /** When a new trace was last drawn (performance.now()), and whether one waits to be. */
  private _eventsDrawnAt = -Infinity;
  private _eventsWaiting = false;
  private _eventsTimer?: ReturnType<typeof setTimeout>;
  private _focusHoverSeq?: number;

  /** Every connection of the trace this view can show, oldest first. */
  protected abstract _listConns(events: readonly TraceEvent[]): Conn[];
  /** Whether `follow` picks this connection. */
  protected abstract _follows(conn: Conn, follow: string): boolean;
  /** What the view draws of one connection; `undefined` when the trace holds none by that conn. */
  protected abstract _buildWire(events: readonly TraceEvent[], conn: string): Wire | undefined;
  /** The connection's line in the picker. */
  protected abstract _describeConn(conn: Conn, origin: number): string;

  protected override createRenderRoot(): HTMLElement | DocumentFragment {
    const root = super.createRenderRoot();
    // One listener on the root serves every row, however often the rows are redrawn. Focus and blur
    // do not bubble: they are caught on their way down. Mouseenter and mouseleave would not reach
    // the root at all in Chromium, so the pointer is followed with mouseover and mouseout.
    root.addEventListener('mouseover', this._onOver);
    root.addEventListener('mouseout', this._onOut);
    root.addEventListener('focus', this._onFocus, { capture: true });
    root.addEventListener('blur', this._onBlur, { capture: true });
    root.addEventListener('click', this._onClick);
    root.addEventListener('keydown', this._onKeyDown);
    // Scroll events do not bubble: caught on their way down. Reading the layout here costs nothing, it was just done.
    root.addEventListener(
      'scroll',
      (e: Event) => {
        const scroller = e.target as Element;
        if (scroller.classList?.contains('scroller')) this._atBottom = scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 8;
      },
      { capture: true, passive: true },
    );
    return root;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearTimeout(this._eventsTimer);
    this._eventsTimer = undefined;
    if (this._scrollFrame !== undefined) cancelAnimationFrame(this._scrollFrame);
    this._scrollFrame = undefined;
  }

  /**
   * When only the trace changed, it is drawn at most every MIN_REDRAW_MS: rows of text need not follow
   * each batch of a busy trace, and each drawing rebuilds the connection and lays the page out again.
   */
  protected override shouldUpdate(changed: PropertyValues<this>): boolean {
    const sinceDrawn = performance.now() - this._eventsDrawnAt;
    if (changed.size === 1 && changed.has('events') && sinceDrawn < MIN_REDRAW_MS) {
      this._eventsWaiting = true;
      this._eventsTimer ??= setTimeout(() => {
        this._eventsTimer = undefined;
        this.requestUpdate();
      }, MIN_REDRAW_MS - sinceDrawn);
      return false;
    }
    return true;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    const eventsChanged = changed.has('events') || this._eventsWaiting;
    this._eventsWaiting = false;
    if (eventsChanged) this._eventsDrawnAt = performance.now();
    if (changed.has('conn') || changed.has('client')) this._pickedConn = undefined;
    if (eventsChanged || changed.has('client')) {
      const conns = this._listConns(this.events);
      this._conns = this.client === undefined ? conns : conns.filter((c) => c.client === this.client);
    }
    const previous = this._wire?.conn;
    const conn = this._shownConn();
    // Hovers, selections and the rest leave the connection as it is: nothing to rebuild, nowhere to scroll.
    this._stickToBottom = false;
    if (!eventsChanged && conn === previous) return;
    this._wire = conn === undefined ? undefined : this._buildWire(this.events, conn);
    // Follow new rows only while the reader is at the bottom; a newly shown connection starts there.
    this._stickToBottom = conn !== previous || this._atBottom;
  }

  protected override updated(): void {
    if (!this._stickToBottom) return;
    // In the next frame, with the layout it does anyway: here it would lay the page out once more.
    this._scrollFrame ??= requestAnimationFrame(() => {
      this._scrollFrame = undefined;
      const scroller = this.renderRoot.querySelector('.scroller');
      if (scroller) scroller.scrollTop = scroller.scrollHeight;
    });
  }

  /** The heading, the picker (`label` names it, `noun` is what it lists) and the totals of `wire`. */
  protected _renderHead(wire: Wire, origin: number, picker: { label: string; noun: string }, totals: TemplateResult): TemplateResult {
    const following = this._pickedConn === undefined && (this.conn === undefined || !this._conns.some((c) => c.conn === this.conn));
    const newest = this.follow ? `Newest ${this.follow.split('/').at(-1)} ${picker.noun}` : `Newest ${picker.noun}`;
    return html`<div class="head">
      <h3>On the wire</h3>
      <select aria-label=${picker.label} @change=${this._onPick}>
        <option value="" ?selected=${following}>${newest} (follows new ones)</option>
        ${this._conns.map((c) => html`<option value=${c.conn} ?selected=${!following && c.conn === wire.conn}>${this._describeConn(c, origin)}</option>`)}
      </select>
      ${totals}
    </div>`;
  }

  /** Tells the parent which event the pointer or the keyboard is on (`undefined`: none). */
  protected _hover(seq: number | undefined): void {
    this.dispatchEvent(new TimelineHoverEvent(seq === undefined ? undefined : findEventBySeq(this.events, seq)));
  }

  /** Pins the event of `seq`, or unpins it when it is pinned already. */
  protected _select(seq: number): void {
    const unpin = seq === this._selectedSeq;
    this._selectedSeq = unpin ? undefined : seq;
    this.dispatchEvent(new TimelineSelectEvent(unpin ? undefined : findEventBySeq(this.events, seq)));
  }

  /** The conn shown: the reader's pick, else `conn` when it is listed, else the newest one `follow` picks, else the newest of all. */
  private _shownConn(): string | undefined {
    const listed = (conn: string | undefined) => conn !== undefined && this._conns.some((c) => c.conn === conn);
    if (listed(this._pickedConn)) return this._pickedConn;
    if (listed(this.conn)) return this.conn;
    const followed = this.follow === undefined ? undefined : this._conns.findLast((c) => this._follows(c, this.follow!));
    return (followed ?? this._conns.at(-1))?.conn;
  }

  private _onPick(e: Event): void {
    const value = (e.target as HTMLSelectElement).value;
    this._pickedConn = value === '' ? undefined : value;
  }

  private readonly _onOver = (e: Event) => {
    const row = rowCrossed(e);
    if (row) this._hover(seqOf(row));
  };

  private readonly _onOut = (e: Event) => {
    if (rowCrossed(e)) this._hover(undefined);
  };

  // Focus stands in for the pointer only when it came without one (keyboard): a click focuses the
  // row too, and must not replace the hover of the cell under the pointer.
  private readonly _onFocus = (e: Event) => {
    const row = rowAt(e);
    if (!row || row.matches(':hover')) return;
    this._focusHoverSeq = seqOf(row);
    this._hover(this._focusHoverSeq);
  };

  private readonly _onBlur = (e: Event) => {
    const row = rowAt(e);
    if (!row || this._focusHoverSeq !== seqOf(row)) return;
    this._focusHoverSeq = undefined;
    this._hover(undefined);
  };

  private readonly _onClick = (e: Event) => {
    const row = rowAround(e.target);
    if (row) this._select(seqOf(row));
  };

  private readonly _onKeyDown = (e: Event) => {
    const row = rowAt(e);
    if (!row) return;
    const { key } = e as KeyboardEvent;
    if (key === 'Enter' || key === ' ') {
      e.preventDefault();
      this._select(seqOf(row));
    } else if (key === 'ArrowDown' || key === 'ArrowUp') {
      // The rows read as one transcript, whatever list or section each is in: the arrows walk through all of them.
      const rows = [...this.renderRoot.querySelectorAll<HTMLElement>(ROW)];
      const next = rows[rows.indexOf(row) + (key === 'ArrowDown' ? 1 : -1)];
      if (next) {
        e.preventDefault();
        next.focus();
      }
    }
  };
}

/** The row the event happened on itself, not on something inside it. */
function rowAt(e: Event): HTMLElement | undefined {
  const target = e.target as HTMLElement;
  return target.matches?.(ROW) ? target : undefined;
}

function rowAround(target: EventTarget | null): HTMLElement | undefined {
  return (target as Element | null)?.closest?.<HTMLElement>(ROW) ?? undefined;
}

/** The row a mouseover entered or a mouseout left: the pointer crossed its edge, not just moved inside it. */
function rowCrossed(e: Event): HTMLElement | undefined {
  const row = rowAround(e.target);
  return row && !row.contains((e as MouseEvent).relatedTarget as Node | null) ? row : undefined;
}

function seqOf(row: HTMLElement): number {
  return Number(row.dataset.seq);
}
