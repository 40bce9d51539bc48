import { css, html, nothing, type TemplateResult } from 'lit';
import { customElement } from 'lit/decorators.js';
import { guard } from 'lit/directives/guard.js';
import { repeat } from 'lit/directives/repeat.js';
import type { TraceEvent } from '../../lessons/trace-event.ts';
import {
  buildStreamWire,
  escapeWireText,
  LINE_END_GLYPHS,
  listStreams,
  type StreamWire,
  type WireBlock,
  type WireEvent,
  type WireLine,
  type WireStreamSummary,
} from '../stream-wire.ts';
import { theme } from '../theme.ts';
import { formatBytes, formatRelativeTime, formatStaleness } from '../timeline-format.ts';
import { WireView, wireViewStyles } from './wire-view.ts';

/** Blocks rendered at most; earlier ones are counted, not drawn. */
export const MAX_BLOCKS = 300;

const MAX_DATA_PREVIEW = 80;
const LINE_END_NAMES = { '\r\n': 'CRLF', '\n': 'LF', '\r': 'CR' } as const;
const RESPONSE_HEADERS = ['content-type', 'cache-control', 'x-accel-buffering'] as const;

/**
 * The raw bytes of one event stream as they went over the wire, chunk by chunk, each beside the
 * events the browser's parser made of it and when the browser actually received them.
 * @fires timeline-hover - A chunk (its `stream-chunk`) or a "received" cell (its `client-message`) was hovered or focused, or left (undefined).
 * @fires timeline-select - A chunk or a "received" cell was clicked, or Enter was pressed on a chunk; again to unpin (undefined).
 * @cssprop --stream-wire-max-height - Height of the scrolling list of chunks. @default 28rem
 * @cssprop --stream-wire-warning - Colour of "not received". @default var(--wb-held)
 */
@customElement('stream-wire-view')
export class StreamWireView extends WireView<WireStreamSummary, StreamWire> {
  static override styles = [
    theme,
    wireViewStyles,
    css`
      :host {
        --stream-wire-warning: var(--wb-held);
      }
      .totals .warn {
        color: var(--stream-wire-warning);
        font-weight: 600;
      }
      .http {
        display: grid;
        gap: 0.2rem;
        padding: 0.4rem 0.7rem;
        border-bottom: 1px solid var(--wb-border);
        background: var(--wb-surface);
        font-family: var(--wb-mono);
        font-size: 13px;
        overflow-wrap: anywhere;
      }
      .http .label {
        display: inline-block;
        min-width: 5.5rem;
        font-family: var(--wb-font);
        color: var(--wb-muted);
      }
      .method {
        color: var(--wb-client);
        font-weight: 700;
      }
      .status {
        color: var(--wb-server);
        font-weight: 700;
      }
      .status.bad {
        color: var(--wb-error);
      }
      .header {
        margin-left: 0.8rem;
        white-space: nowrap;
      }
      .header-name {
        color: var(--wb-muted);
      }
      .unset {
        color: var(--wb-muted);
        font-style: italic;
      }
      .resume {
        margin-left: 0.8rem;
        padding: 0 0.35rem;
        border-radius: 4px;
        color: var(--wb-held);
        background: color-mix(in srgb, var(--wb-held) 16%, transparent);
      }
      .resume-note {
        margin-left: 0.4rem;
        font-family: var(--wb-font);
        color: var(--wb-held);
      }
      .fresh-note {
        margin-left: 0.8rem;
        font-family: var(--wb-font);
        color: var(--wb-muted);
      }
      .scroller {
        max-height: var(--stream-wire-max-height, 28rem);
        overflow: auto;
        overscroll-behavior: contain;
      }
      .block,
      .close-row {
        display: grid;
        grid-template-columns: 6.2rem minmax(0, 1fr) minmax(11rem, 0.75fr);
        gap: 0.7rem;
        padding: 0.35rem 0.7rem;
        border-top: 1px solid var(--wb-border);
      }
      .block {
        cursor: pointer;
      }
      .block:hover,
      .block:focus-visible {
        background: var(--wb-surface);
        outline: none;
      }
      .block:focus-visible {
        box-shadow: inset 3px 0 0 var(--wb-accent);
      }
      .block[aria-selected='true'] {
        background: var(--wb-surface-2);
      }
      .meta {
        display: flex;
        flex-direction: column;
        font-family: var(--wb-mono);
        font-size: 12px;
        font-variant-numeric: tabular-nums;
        white-space: nowrap;
      }
      .meta .bytes,
      .meta .truncated {
        color: var(--wb-muted);
      }
      .raw {
        margin: 0;
        font-family: var(--wb-mono);
        font-size: 13px;
        line-height: 1.4;
        white-space: pre-wrap;
        overflow-wrap: anywhere;
      }
      .line {
        display: block;
        min-height: 1.4em;
      }
      .line.continued::before,
      .line.cut::after {
        content: '⋯';
        color: var(--wb-muted);
        opacity: 0.7;
      }
      .line.continued::before {
        margin-right: 0.2em;
      }
      .comment {
        color: var(--wb-muted);
        font-style: italic;
      }
      .name {
        color: var(--wb-stream);
        font-weight: 700;
      }
      .colon {
        color: var(--wb-muted);
      }
      .eol {
        margin-left: 0.15em;
        font-family: var(--wb-mono);
        color: var(--wb-muted);
        opacity: 0.6;
        font-size: 0.85em;
      }
      .dispatch,
      .no-dispatch {
        margin-left: 0.5rem;
        padding: 0 0.35rem;
        border-radius: 3px;
        font-family: var(--wb-font);
        font-size: 11px;
        vertical-align: 1px;
      }
      .dispatch {
        color: var(--wb-bg);
        background: var(--wb-stream);
      }
      .no-dispatch {
        color: var(--wb-muted);
        border: 1px solid var(--wb-border);
      }
      .became {
        display: flex;
        flex-direction: column;
        gap: 0.3rem;
        min-width: 0;
        font-size: 13px;
      }
      .wire-event {
        display: flex;
        flex-wrap: wrap;
        align-items: baseline;
        gap: 0.1rem 0.4rem;
        min-width: 0;
      }
      .badge {
        padding: 0 0.45rem;
        border: 1px solid var(--wb-stream);
        border-radius: 999px;
        color: var(--wb-stream);
        font-family: var(--wb-mono);
        font-size: 12px;
      }
      .badge.default {
        border-color: var(--wb-border);
        color: var(--wb-muted);
      }
      .id {
        color: var(--wb-feed);
        font-family: var(--wb-mono);
        font-size: 12px;
      }
      .data {
        flex: 1 1 6rem;
        min-width: 0;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
        font-family: var(--wb-mono);
        font-size: 12px;
      }
      .received,
      .not-received,
      .unknown {
        flex-basis: 100%;
        font-size: 12px;
      }
      .received {
        color: var(--wb-client);
      }
      .received:hover {
        text-decoration: underline;
      }
      .received .delay,
      .unknown {
        color: var(--wb-muted);
      }
      .not-received {
        color: var(--stream-wire-warning);
        font-weight: 600;
      }
      .retry {
        color: var(--wb-reload);
      }
      .nothing {
        color: var(--wb-muted);
      }
      .close-row {
        color: var(--wb-muted);
      }
      .close-row .what {
        grid-column: 2 / -1;
      }
      @container (max-width: 36rem) {
        .block,
        .close-row {
          grid-template-columns: minmax(0, 1fr);
          gap: 0.2rem;
        }
        .meta {
          flex-direction: row;
          gap: 0.6rem;
        }
        .close-row .what {
          grid-column: auto;
        }
      }
    `,
  ];

  protected override _listConns(events: readonly TraceEvent[]): WireStreamSummary[] {
    return listStreams(events);
  }

  /** `follow` picks a stream whose URL starts with it: its path, whatever the query. */
  protected override _follows(stream: WireStreamSummary, follow: string): boolean {
    return stream.url.startsWith(follow);
  }

  protected override _buildWire(events: readonly TraceEvent[], conn: string): StreamWire | undefined {
    return buildStreamWire(events, conn);
  }

  protected override _describeConn(stream: WireStreamSummary, origin: number): string {
    const state = stream.closedAt === undefined ? 'open' : 'closed';
    const chunks = `${stream.chunks} ${stream.chunks === 1 ? 'chunk' : 'chunks'}`;
    return `${stream.client ?? 'no client'} · ${stream.url || stream.conn} · ${formatRelativeTime(stream.openedAt - origin)} · ${state} · ${chunks}`;
  }

  override render() {
    const wire = this._wire;
    if (!wire) return html`<p class="empty">No event stream yet.</p>`;
    const origin = this.origin ?? this.events[0]?.t ?? 0;
    const hidden = Math.max(0, wire.blocks.length - MAX_BLOCKS);
    const blocks = hidden > 0 ? wire.blocks.slice(hidden) : wire.blocks;
    return html`${this._renderHead(wire, origin, { label: 'Event stream', noun: 'stream' }, renderTotals(wire))} ${this._renderHttp(wire)}
      <div class="scroller">
        ${hidden > 0 ? html`<p class="hidden-note">${hidden} earlier ${hidden === 1 ? 'block' : 'blocks'} not shown</p>` : nothing}
        <ol aria-label="Chunks written to the stream">
          ${repeat(
            blocks,
            (block) => block.seq,
            // The wire is rebuilt on every trace change; a written block only changes in what it shows
            // when the browser reports one of its events, or the selection or origin moves.
            (block) =>
              guard([block.seq === this._selectedSeq, origin, wire.client, receivedKey(block), block.lines.at(-1)?.kind], () =>
                this._renderBlock(wire, block, origin),
              ),
          )}
          ${wire.close
            ? html`<li class="close-row">
                <span class="meta">${formatRelativeTime(wire.close.t - origin)}</span>
                <span class="what">closed by ${wire.close.by}${wire.close.reason ? `: ${wire.close.reason}` : ''}</span>
              </li>`
            : nothing}
        </ol>
        ${wire.blocks.length === 0 && !wire.close ? html`<p class="empty">Open, nothing written yet.</p>` : nothing}
      </div>`;
  }

  private _renderHttp(wire: StreamWire): TemplateResult {
    const { request, response } = wire;
    const lastEventId = request?.lastEventId;
    return html`<div class="http">
      <div class="request">
        <span class="label">request</span>${request
          ? html`<span class="method">${request.method}</span> ${request.url}${lastEventId !== undefined
                ? html`<span class="resume">Last-Event-ID: ${lastEventId}</span><span class="resume-note">resumed from id ${lastEventId}</span>`
                : html`<span class="fresh-note">no Last-Event-ID: a fresh start</span>`}`
          : html`<span class="unset">not in the trace</span>`}
      </div>
      <div class="response">
        <span class="label">response</span><span class="status ${response.status >= 400 ? 'bad' : ''}">${response.status}</span>${RESPONSE_HEADERS.map((name) => {
          const value = headerOf(response.headers, name);
          return html`<span class="header"
            ><span class="header-name">${name}:</span> ${value === undefined ? html`<span class="unset">not set</span>` : value}</span
          >`;
        })}
      </div>
    </div>`;
  }

  private _renderBlock(wire: StreamWire, block: WireBlock, origin: number): TemplateResult {
    return html`<li
      class="block"
      tabindex="0"
      data-seq=${block.seq}
      aria-selected=${String(block.seq === this._selectedSeq)}
    >
      <div class="meta">
        <span class="time">${formatRelativeTime(block.t - origin)}</span>
        <span class="bytes">${formatBytes(block.bytes)}</span>
        ${block.truncated ? html`<span class="truncated" title="The trace keeps only the start of a long chunk">truncated</span>` : nothing}
      </div>
      <div class="raw">${block.lines.map(renderLine)}</div>
      <div class="became">
        ${block.events.map((event) => this._renderEvent(wire, block, event, origin))}
        ${block.retry === undefined ? nothing : html`<span class="retry">reconnect after ${block.retry} ms</span>`}
        ${block.events.length === 0 && block.retry === undefined ? html`<span class="nothing">no event</span>` : nothing}
      </div>
    </li>`;
  }

  private _renderEvent(wire: StreamWire, block: WireBlock, event: WireEvent, origin: number): TemplateResult {
    const received = event.receivedAt !== undefined;
    return html`<div class="wire-event" data-type=${event.type} data-last-event-id=${event.lastEventId} data-received=${received ? 'yes' : 'no'}>
      <span class="badge ${event.type === 'message' ? 'default' : ''}">${event.type}</span>
      ${event.lastEventId === '' ? nothing : html`<span class="id">id ${event.lastEventId}</span>`}
      <span class="data" title=${event.data}>${previewData(event.data)}</span>
      ${event.receivedAt !== undefined && event.receivedSeq !== undefined
        ? this._renderReceived(event.receivedAt, event.receivedSeq, block, origin)
        : wire.client === undefined
          ? html`<span class="unknown">no browser to ask (the request named no client)</span>`
          : html`<span class="not-received">not received</span>`}
    </div>`;
  }

  private _renderReceived(receivedAt: number, receivedSeq: number, block: WireBlock, origin: number): TemplateResult {
    return html`<span
      class="received"
      title="When the browser's EventSource delivered it"
      @mouseenter=${() => this._hover(receivedSeq)}
      @mouseleave=${(e: MouseEvent) => {
        // Back onto its chunk: hover the chunk again. A move off the chunk as well is the chunk's own leave.
        if ((e.currentTarget as Element).closest('.block')?.contains(e.relatedTarget as Node | null)) this._hover(block.seq);
      }}
      @click=${(e: Event) => {
        e.stopPropagation();
        this._select(receivedSeq);
      }}
      >received ${formatRelativeTime(receivedAt - origin)} <span class="delay">(${formatStaleness(receivedAt - block.t)} after the write)</span></span
    >`;
  }
}

function renderTotals(wire: StreamWire): TemplateResult {
  const events = wire.blocks.reduce((n, b) => n + b.events.length, 0);
  const bytes = wire.blocks.reduce((n, b) => n + b.bytes, 0);
  return html`<span class="totals"
    >${wire.blocks.length} ${wire.blocks.length === 1 ? 'chunk' : 'chunks'} · ${formatBytes(bytes)} · ${events}
    ${events === 1 ? 'event' : 'events'}${wire.undelivered > 0 ? html` · <span class="warn">${wire.undelivered} not received</span>` : nothing}</span
  >`;
}

function renderLine(line: WireLine): TemplateResult {
  const classes = `line ${line.kind}${line.continued ? ' continued' : ''}${line.end === '' ? ' cut' : ''}`;
  const eol = line.end === '' ? nothing : html`<span class="eol" title=${LINE_END_NAMES[line.end]}>${LINE_END_GLYPHS[line.end]}</span>`;
  switch (line.kind) {
    case 'comment':
      return html`<span class=${classes}><span class="comment">${escapeWireText(line.text)}</span>${eol}</span>`;
    case 'field':
      return html`<span class=${classes}
        ><span class="name">${escapeWireText(line.nameText)}</span>${line.colon ? html`<span class="colon">:</span>` : nothing}<span class="value"
          >${escapeWireText(line.valueText)}</span
        >${eol}</span
      >`;
    case 'blank': {
      const marker = line.continued
        ? nothing
        : line.dispatches
          ? html`<span class="dispatch">dispatch</span>`
          : html`<span class="no-dispatch" title="A blank line with no data before it dispatches nothing">no data</span>`;
      return html`<span class=${classes}>${eol}${marker}</span>`;
    }
  }
}

function receivedKey(block: WireBlock): string {
  return block.events.map((e) => e.receivedSeq ?? '').join(',');
}

function previewData(data: string): string {
  const line = escapeWireText(data.replace(/\n/g, ' ⏎ '));
  return line.length > MAX_DATA_PREVIEW ? `${line.slice(0, MAX_DATA_PREVIEW - 1)}…` : line;
}

function headerOf(headers: Record<string, string>, name: string): string | undefined {
  if (name in headers) return headers[name];
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

declare global {
  interface HTMLElementTagNameMap {
    'stream-wire-view': StreamWireView;
  }
}
