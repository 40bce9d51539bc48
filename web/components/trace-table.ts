import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import type { TraceEvent } from '../../lessons/trace-event.ts';
import { TimelineHoverEvent, TimelineSelectEvent } from '../events.ts';
import { theme } from '../theme.ts';
import { eventBytes, formatBytes, formatRelativeTime, requestsByConn, summarizeEvent, type RequestContext } from '../timeline-format.ts';

/** Rows rendered at most; older events are counted, not drawn. */
export const MAX_ROWS = 500;

/**
 * The trace as an accessible table, newest last: the same events as `<event-timeline>`, as text.
 * @fires timeline-hover - A row was hovered or focused (`traceEvent`), or left (undefined).
 * @fires timeline-select - A row was clicked or Enter was pressed on it (`traceEvent`); again to unpin (undefined).
 */
@customElement('trace-table')
export class TraceTable extends LitElement {
  static override styles = [
    theme,
    css`
      :host {
        display: block;
        border: 1px solid var(--wb-border);
        border-radius: var(--wb-radius);
        background: var(--wb-bg);
        font-size: 14px;
      }
      .scroller {
        max-height: var(--trace-table-max-height, 28rem);
        overflow: auto;
      }
      table {
        width: 100%;
        border-collapse: collapse;
      }
      caption {
        text-align: left;
        padding: 0.5rem 0.7rem;
        font-weight: 600;
      }
      caption .hidden-note {
        font-weight: normal;
        color: var(--wb-muted);
      }
      th,
      td {
        padding: 0.25rem 0.7rem;
        text-align: left;
        vertical-align: top;
        border-top: 1px solid var(--wb-border);
      }
      th {
        position: sticky;
        top: 0;
        background: var(--wb-surface-2);
        color: var(--wb-muted);
        font-weight: 600;
        font-size: 13px;
      }
      td.time,
      td.bytes {
        font-family: var(--wb-mono);
        font-variant-numeric: tabular-nums;
        white-space: nowrap;
      }
      td.bytes {
        text-align: right;
      }
      td.summary {
        font-family: var(--wb-mono);
        overflow-wrap: anywhere;
      }
      td.source,
      td.lane {
        white-space: nowrap;
        color: var(--wb-muted);
      }
      tr.row {
        cursor: pointer;
      }
      tr.row:hover,
      tr.row:focus-visible {
        background: var(--wb-surface);
        outline: none;
      }
      tr.row:focus-visible td:first-child {
        box-shadow: inset 3px 0 0 var(--wb-accent);
      }
      tr.row[aria-selected='true'] {
        background: var(--wb-surface-2);
      }
      tr.kind-error td.kind,
      tr.kind-client-error td.kind,
      tr.kind-check.phase-fail td.kind,
      tr.kind-check.phase-fail td.summary {
        color: var(--wb-error);
      }
      /* A check's verdict stands out in full: the summary is what passed, or why it failed. */
      tr.kind-check.phase-pass td.kind,
      tr.kind-check.phase-pass td.summary {
        color: var(--wb-server);
      }
      tr.kind-feed-change td.kind {
        color: var(--wb-feed);
      }
      tr.kind-reload td.kind {
        color: var(--wb-reload);
      }
      tr.kind-client-show td.kind {
        color: var(--wb-client);
      }
      .empty {
        padding: 0.7rem;
        color: var(--wb-muted);
      }
    `,
  ];

  /** The trace to list, ordered by seq. Owned by the parent; never mutated here. */
  @property({ attribute: false }) events: readonly TraceEvent[] = [];

  /** Server ms shown as time zero (defaults to the first event's time). */
  @property({ type: Number }) origin?: number;

  @state() private _selectedSeq?: number;

  private _requests = new Map<string, RequestContext>();
  private _stickToBottom = true;

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('events')) {
      this._requests = requestsByConn(this.events);
      const scroller = this.renderRoot.querySelector?.('.scroller');
      // Follow new rows only when the reader is already at the bottom.
      this._stickToBottom = !scroller || scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 8;
    }
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('events') && this._stickToBottom) {
      const scroller = this.renderRoot.querySelector('.scroller');
      if (scroller) scroller.scrollTop = scroller.scrollHeight;
    }
  }

  override render() {
    const hidden = Math.max(0, this.events.length - MAX_ROWS);
    const rows = hidden > 0 ? this.events.slice(hidden) : this.events;
    const origin = this.origin ?? this.events[0]?.t ?? 0;
    return html`<div class="scroller">
      <table>
        <caption>
          Trace events (${this.events.length})${hidden > 0
            ? html` <span class="hidden-note">· showing the last ${MAX_ROWS}, ${hidden} older ${hidden === 1 ? 'event' : 'events'} hidden</span>`
            : nothing}
        </caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Lane</th>
            <th scope="col">Kind</th>
            <th scope="col">Summary</th>
            <th scope="col">Bytes</th>
            <th scope="col">Source</th>
          </tr>
        </thead>
        <tbody>
          ${repeat(
            rows,
            (event) => event.seq,
            (event) => {
              const bytes = eventBytes(event);
              return html`<tr
                class="row kind-${event.kind} ${event.kind === 'check' ? `phase-${event.phase}` : ''}"
                tabindex="0"
                data-seq=${event.seq}
                aria-selected=${String(event.seq === this._selectedSeq)}
                @mouseenter=${() => this._hover(event)}
                @mouseleave=${() => this._hover(undefined)}
                @focus=${() => this._hover(event)}
                @blur=${() => this._hover(undefined)}
                @click=${() => this._select(event)}
                @keydown=${(e: KeyboardEvent) => this._onKeyDown(e, event)}
              >
                <td class="time">${formatRelativeTime(event.t - origin)}</td>
                <td class="lane">${event.lane}</td>
                <td class="kind">${event.kind}</td>
                <td class="summary">${summarizeEvent(event, event.conn === undefined ? undefined : this._requests.get(event.conn))}</td>
                <td class="bytes">${bytes === undefined ? '' : formatBytes(bytes)}</td>
                <td class="source">${event.source ? `${event.source.file}:${event.source.line}` : ''}</td>
              </tr>`;
            },
          )}
        </tbody>
      </table>
      ${this.events.length === 0 ? html`<div class="empty">No events yet.</div>` : nothing}
    </div>`;
  }

  private _hover(event: TraceEvent | undefined): void {
    this.dispatchEvent(new TimelineHoverEvent(event));
  }

  private _select(event: TraceEvent): void {
    const unpin = event.seq === this._selectedSeq;
    this._selectedSeq = unpin ? undefined : event.seq;
    this.dispatchEvent(new TimelineSelectEvent(unpin ? undefined : event));
  }

  private _onKeyDown(e: KeyboardEvent, event: TraceEvent): void {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      this._select(event);
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      const row = e.currentTarget as HTMLElement;
      const next = (e.key === 'ArrowDown' ? row.nextElementSibling : row.previousElementSibling) as HTMLElement | null;
      if (next) {
        e.preventDefault();
        next.focus();
      }
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'trace-table': TraceTable;
  }
}
