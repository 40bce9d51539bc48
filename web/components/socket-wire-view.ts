import { Task, TaskStatus } from '@lit/task';
import { css, html, nothing, type TemplateResult } from 'lit';
import { customElement } from 'lit/decorators.js';
import { guard } from 'lit/directives/guard.js';
import { repeat } from 'lit/directives/repeat.js';
import type { TraceEvent } from '../../lessons/trace-event.ts';
import {
  buildSocketWire,
  closeCodeMeaning,
  expectedAccept,
  listSockets,
  WEBSOCKET_GUID,
  type SocketFrame,
  type SocketSummary,
  type SocketWire,
  type WireHeader,
} from '../socket-wire.ts';
import { escapeWireText } from '../stream-wire.ts';
import { theme } from '../theme.ts';
import { formatBytes, formatDuration, formatRelativeTime } from '../timeline-format.ts';
import { WireView, wireViewStyles } from './wire-view.ts';

/** Frames rendered at most; earlier ones are counted, not drawn. */
export const MAX_FRAMES = 300;

const MAX_TEXT_PREVIEW = 80;
const DIRECTIONS = { in: 'client → server', out: 'server → client' } as const;

/**
 * One WebSocket connection as it went over the wire: the HTTP upgrade handshake with the
 * Sec-WebSocket-Accept proof (or the server's refusal), every frame both ways with its size,
 * mask and header overhead (the ping, pong and close frames DevTools' Messages tab leaves out),
 * and the close.
 * @fires timeline-hover - A frame, a half of the handshake or the close was hovered or focused, or left (undefined).
 * @fires timeline-select - One of them was clicked, or Enter was pressed on it; again to unpin (undefined).
 * @cssprop --socket-wire-max-height - Height of the scrolling transcript. @default 28rem
 * @cssprop --socket-wire-in - Colour of client → server frames. @default var(--wb-client)
 * @cssprop --socket-wire-out - Colour of server → client frames. @default var(--wb-server)
 * @cssprop --socket-wire-control - Colour of ping and pong frames. @default var(--wb-held)
 */
@customElement('socket-wire-view')
export class SocketWireView extends WireView<SocketSummary, SocketWire> {
  static override styles = [
    theme,
    wireViewStyles,
    css`
      :host {
        --socket-wire-in: var(--wb-client);
        --socket-wire-out: var(--wb-server);
        --socket-wire-control: var(--wb-held);
        --socket-wire-close: var(--wb-reload);
      }
      .totals {
        display: flex;
        flex-wrap: wrap;
        gap: 0.2rem 0.8rem;
        font-variant-numeric: tabular-nums;
      }
      .totals .in {
        color: var(--socket-wire-in);
      }
      .totals .out {
        color: var(--socket-wire-out);
      }
      .totals strong {
        color: var(--wb-text);
        font-weight: 600;
      }
      .scroller {
        max-height: var(--socket-wire-max-height, 28rem);
        overflow: auto;
        overscroll-behavior: contain;
      }
      .legend,
      .nothing {
        margin: 0;
        padding: 0.5rem 0.7rem;
        color: var(--wb-muted);
      }
      .legend {
        padding-block: 0.3rem;
        border-bottom: 1px solid var(--wb-border);
        font-size: 12px;
      }
      .legend .opcode {
        margin: 0 0.1rem;
      }

      /* The handshake: two HTTP messages side by side, as raw text. */
      .handshake {
        display: grid;
        grid-template-columns: minmax(0, 1fr);
        border-bottom: 1px solid var(--wb-border);
        background: var(--wb-surface);
      }
      .message {
        min-width: 0;
        padding: 0.45rem 0.7rem;
        cursor: pointer;
        border-left: 3px solid transparent;
      }
      .message + .message {
        border-top: 1px solid var(--wb-border);
      }
      @container (min-width: 45rem) {
        .handshake {
          grid-template-columns: minmax(0, 1fr) minmax(0, 1fr);
        }
        .message + .message {
          border-top: none;
          box-shadow: inset 1px 0 0 var(--wb-border);
        }
      }
      .message.request {
        border-left-color: var(--socket-wire-in);
      }
      .message.response {
        border-left-color: var(--socket-wire-out);
      }
      .message.refused,
      .message.aborted {
        border-left-color: var(--wb-error);
      }
      .message.pending {
        cursor: default;
      }
      .caption {
        display: flex;
        flex-wrap: wrap;
        gap: 0 0.6rem;
        margin-bottom: 0.2rem;
        color: var(--wb-muted);
        font-size: 12px;
        font-variant-numeric: tabular-nums;
      }
      .caption .what {
        font-weight: 600;
      }
      .request .caption .what {
        color: var(--socket-wire-in);
      }
      .response .caption .what {
        color: var(--socket-wire-out);
      }
      .refused .caption .what,
      .aborted .caption .what {
        color: var(--wb-error);
      }
      .raw {
        margin: 0;
        font-family: var(--wb-mono);
        font-size: 13px;
        line-height: 1.45;
        overflow-wrap: anywhere;
      }
      .raw .line {
        display: block;
        white-space: pre-wrap;
      }
      .start-line {
        font-weight: 700;
      }
      .method {
        color: var(--socket-wire-in);
      }
      .status-code {
        color: var(--socket-wire-out);
      }
      .refused .status-code {
        color: var(--wb-error);
      }
      .header-name {
        color: var(--wb-muted);
      }
      .key-value {
        color: var(--wb-feed);
      }
      .accept-value {
        color: var(--wb-stream);
      }
      .missing {
        color: var(--wb-error);
        font-style: italic;
      }
      .more {
        color: var(--wb-muted);
        font-family: var(--wb-font);
        font-size: 12px;
      }
      .body {
        display: block;
        margin-top: 0.3rem;
        padding-top: 0.3rem;
        border-top: 1px dashed var(--wb-border);
      }
      .note {
        margin: 0.4rem 0 0;
        color: var(--wb-error);
        font-size: 13px;
      }
      .browser-saw {
        margin: 0.25rem 0 0;
        color: var(--wb-muted);
        font-size: 13px;
      }
      .browser-saw code {
        color: var(--wb-text);
        font-family: var(--wb-mono);
      }

      /* The proof under the handshake. */
      .accept {
        grid-column: 1 / -1;
        padding: 0.4rem 0.7rem;
        border-top: 1px solid var(--wb-border);
        font-family: var(--wb-mono);
        font-size: 12.5px;
        line-height: 1.5;
        overflow-wrap: anywhere;
      }
      .accept .formula {
        color: var(--wb-muted);
      }
      .accept .guid {
        color: var(--wb-reload);
      }
      .accept .computed {
        color: var(--wb-stream);
        font-weight: 700;
      }
      .verdict {
        display: inline-block;
        margin-left: 0.5rem;
        padding: 0 0.4rem;
        border-radius: 3px;
        font-family: var(--wb-font);
        font-size: 12px;
        font-weight: 600;
      }
      .accept[data-valid='true'] .verdict {
        color: var(--wb-bg);
        background: var(--wb-server);
      }
      .accept[data-valid='false'] .verdict {
        color: var(--wb-bg);
        background: var(--wb-error);
      }
      .accept:not([data-valid]) .verdict {
        color: var(--wb-muted);
        border: 1px solid var(--wb-border);
      }

      /* Frames. */
      .frame,
      .close,
      .still-open {
        display: grid;
        grid-template-columns: 6.2rem 8.6rem 4.6rem 10.5rem 12rem minmax(10rem, 1fr);
        align-items: baseline;
        gap: 0.6rem;
        padding: 0.3rem 0.7rem 0.3rem calc(0.7rem - 3px);
        border-top: 1px solid var(--wb-border);
        border-left: 3px solid transparent;
        font-variant-numeric: tabular-nums;
      }
      .frame,
      .close {
        cursor: pointer;
      }
      .frame[data-direction='in'] {
        border-left-color: var(--socket-wire-in);
      }
      .frame[data-direction='out'] {
        border-left-color: var(--socket-wire-out);
      }
      .frame.control {
        background: color-mix(in srgb, var(--socket-wire-control) 7%, transparent);
      }
      .frame[data-opcode='close'] {
        background: color-mix(in srgb, var(--socket-wire-close) 9%, transparent);
      }
      [data-seq]:hover,
      [data-seq]:focus-visible {
        background: var(--wb-surface-2);
        outline: none;
      }
      [data-seq]:focus-visible {
        box-shadow: inset 0 0 0 2px var(--wb-accent);
      }
      [data-seq][aria-selected='true'] {
        background: color-mix(in srgb, var(--wb-accent) 16%, var(--wb-bg));
      }
      .time {
        color: var(--wb-muted);
        font-family: var(--wb-mono);
        font-size: 12px;
        white-space: nowrap;
      }
      .direction {
        font-weight: 600;
        white-space: nowrap;
      }
      .frame[data-direction='in'] .direction {
        color: var(--socket-wire-in);
      }
      .frame[data-direction='out'] .direction {
        color: var(--socket-wire-out);
      }
      .opcode {
        justify-self: start;
        padding: 0 0.45rem;
        border: 1px solid var(--wb-border);
        border-radius: 999px;
        color: var(--wb-text);
        font-family: var(--wb-mono);
        font-size: 12px;
        line-height: 1.5;
      }
      .opcode.op-binary {
        border-color: var(--wb-feed);
        color: var(--wb-feed);
      }
      .opcode.op-ping,
      .opcode.op-pong {
        border-color: var(--socket-wire-control);
        background: var(--socket-wire-control);
        color: var(--wb-bg);
        font-weight: 700;
      }
      .opcode.op-close {
        border-color: var(--socket-wire-close);
        background: var(--socket-wire-close);
        color: var(--wb-bg);
        font-weight: 700;
      }
      .flags {
        display: flex;
        flex-wrap: wrap;
        gap: 0.3rem;
        font-size: 12px;
      }
      .flag {
        padding: 0 0.35rem;
        border-radius: 3px;
        color: var(--wb-muted);
        background: var(--wb-surface-2);
        white-space: nowrap;
      }
      .flag.fragments {
        color: var(--wb-held);
      }
      .flag.masked {
        color: var(--socket-wire-in);
      }
      .sizes {
        font-family: var(--wb-mono);
        font-size: 12px;
        white-space: nowrap;
      }
      .sizes .overhead {
        color: var(--wb-muted);
      }
      .preview {
        min-width: 0;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
        font-family: var(--wb-mono);
        font-size: 13px;
      }
      .preview .quiet {
        color: var(--wb-muted);
        font-family: var(--wb-font);
        font-style: italic;
      }
      .preview .code {
        color: var(--socket-wire-close);
        font-weight: 700;
      }
      .preview .meaning {
        color: var(--wb-text);
        font-family: var(--wb-font);
      }
      .preview .truncated {
        color: var(--wb-muted);
        font-family: var(--wb-font);
        font-size: 12px;
      }

      /* The end. */
      .close,
      .still-open {
        grid-template-columns: 6.2rem minmax(0, 1fr);
        border-top: 1px solid var(--wb-border);
      }
      .close {
        border-left-color: var(--socket-wire-close);
      }
      .close[data-code='1006'] {
        border-left-color: var(--wb-error);
      }
      .close .what {
        display: flex;
        flex-wrap: wrap;
        align-items: baseline;
        gap: 0.2rem 0.7rem;
      }
      .close .code {
        color: var(--socket-wire-close);
        font-family: var(--wb-mono);
        font-weight: 700;
      }
      .close[data-code='1006'] .code {
        color: var(--wb-error);
      }
      .close .by,
      .close .duration {
        color: var(--wb-muted);
      }
      .close .browser-saw {
        flex-basis: 100%;
        margin: 0;
      }
      .still-open .what {
        color: var(--wb-muted);
      }

      @container (max-width: 62rem) {
        .frame {
          grid-template-columns: 6.2rem 8.6rem 4.6rem auto minmax(0, 1fr);
          row-gap: 0.15rem;
        }
        .preview {
          grid-column: 2 / -1;
        }
      }
      @container (max-width: 34rem) {
        .frame {
          display: flex;
          flex-wrap: wrap;
          gap: 0.2rem 0.6rem;
        }
        .preview {
          flex-basis: 100%;
        }
        .close,
        .still-open {
          grid-template-columns: minmax(0, 1fr);
          gap: 0.15rem;
        }
      }
    `,
  ];

  // The server's accept is checked in the page: Web Crypto's digest is asynchronous.
  private readonly _expectedAccept = new Task(this, {
    task: async ([key]) => (key === undefined ? undefined : expectedAccept(key)),
    args: () => [this._wire?.upgrade ? this._wire.request?.key : undefined] as const,
  });

  protected override _listConns(events: readonly TraceEvent[]): SocketSummary[] {
    return listSockets(events);
  }

  /** `follow` picks a socket whose URL path is it. */
  protected override _follows(socket: SocketSummary, follow: string): boolean {
    return socket.path === follow;
  }

  protected override _buildWire(events: readonly TraceEvent[], conn: string): SocketWire | undefined {
    return buildSocketWire(events, conn);
  }

  protected override _describeConn(socket: SocketSummary, origin: number): string {
    const frames = `${socket.frames} ${socket.frames === 1 ? 'frame' : 'frames'}`;
    return `${socket.client ?? 'no client'} · ${socket.path || socket.conn} · ${formatRelativeTime(socket.openedAt - origin)} · ${socket.status} · ${frames}`;
  }

  override render() {
    const wire = this._wire;
    if (!wire) {
      return html`<p class="empty">No WebSocket yet. When a page calls <code>new WebSocket(url)</code>, its upgrade handshake and every frame show up here.</p>`;
    }
    const origin = this.origin ?? this.events[0]?.t ?? 0;
    const hidden = Math.max(0, wire.frames.length - MAX_FRAMES);
    const frames = hidden > 0 ? wire.frames.slice(hidden) : wire.frames;
    const hasControl = wire.frames.some((f) => f.control);
    return html`${this._renderHead(wire, origin, { label: 'WebSocket connection', noun: 'socket' }, renderTotals(wire))}
      <div class="scroller">
        ${this._renderHandshake(wire, origin)}
        ${hasControl
          ? html`<p class="legend">
              <span class="opcode op-ping">ping</span> <span class="opcode op-pong">pong</span> <span class="opcode op-close">close</span> are control
              frames of the protocol: DevTools' Messages tab lists only text and binary messages.
            </p>`
          : nothing}
        ${hidden > 0 ? html`<p class="hidden-note">${hidden} earlier ${hidden === 1 ? 'frame' : 'frames'} not shown</p>` : nothing}
        <ol aria-label="WebSocket frames">
          ${repeat(
            frames,
            (frame) => frame.seq,
            // A recorded frame never changes; only the selection and the origin move.
            (frame) => guard([frame.seq === this._selectedSeq, origin], () => this._renderFrame(frame, origin)),
          )}
          ${this._renderEnd(wire, origin)}
        </ol>
        ${wire.upgrade && wire.frames.length === 0 && !wire.close ? html`<p class="nothing">Open, no frame sent yet.</p>` : nothing}
      </div>`;
  }

  private _renderHandshake(wire: SocketWire, origin: number): TemplateResult {
    const { request } = wire;
    return html`<section class="handshake" aria-label="Upgrade handshake">
      ${request
        ? this._interactive(
            'message request',
            request.seq,
            html`<div class="caption">
                <span class="what">upgrade request</span><span>${formatRelativeTime(request.t - origin)}</span><span>${formatBytes(request.bytes)}</span>
              </div>
              <div class="raw">
                <span class="line start-line"><span class="method">${request.method}</span> ${request.url} HTTP/1.1</span>
                ${request.handshake.map(renderHeader)} ${renderMore(request.otherHeaders)}
              </div>`,
          )
        : html`<div class="message request pending">
            <div class="caption"><span class="what">upgrade request</span><span>no longer in the trace</span></div>
          </div>`}
      ${this._renderAnswer(wire, origin)} ${wire.upgrade ? this._renderAccept(wire) : nothing}
    </section>`;
  }

  private _renderAnswer(wire: SocketWire, origin: number): TemplateResult {
    const { upgrade, refusal, abort } = wire;
    if (upgrade) {
      return this._interactive(
        'message response',
        upgrade.seq,
        html`<div class="caption">
            <span class="what">101: the connection is now a WebSocket</span><span>${formatRelativeTime(upgrade.t - origin)}</span><span
              >${formatBytes(upgrade.bytes)}</span
            >
          </div>
          <div class="raw">
            <span class="line start-line">HTTP/1.1 <span class="status-code">101</span> Switching Protocols</span>
            ${upgrade.handshake.map(renderHeader)} ${renderMore(upgrade.otherHeaders)}
          </div>`,
      );
    }
    if (refusal) {
      return this._interactive(
        'message refused',
        refusal.seq,
        html`<div class="caption">
            <span class="what">upgrade refused</span><span>${formatRelativeTime(refusal.t - origin)}</span><span>${formatBytes(refusal.bytes)}</span>
          </div>
          <div class="raw">
            <span class="line start-line">HTTP/1.1 <span class="status-code">${refusal.status}</span>${refusal.statusText ? ` ${refusal.statusText}` : ''}</span>
            ${refusal.headers.map(renderHeader)}
            ${refusal.body ? html`<span class="body">${bodyLines(refusal.body).map((line) => html`<span class="line">${line}</span>`)}</span>` : nothing}
          </div>
          <p class="note">The server refused the upgrade; the browser's WebSocket only sees an error and close code 1006.</p>
          ${renderBrowserClose(wire)}`,
        { status: String(refusal.status) },
      );
    }
    if (abort) {
      return this._interactive(
        'message aborted',
        abort.seq,
        html`<div class="caption"><span class="what">no answer</span><span>${formatRelativeTime(abort.t - origin)}</span></div>
          <p class="note">The connection ended ${formatDuration(abort.durationMs)} after the request, before the server answered the upgrade.</p>
          ${renderBrowserClose(wire)}`,
      );
    }
    return html`<div class="message response pending">
      <div class="caption"><span class="what">waiting for the server's answer…</span></div>
    </div>`;
  }

  private _renderAccept(wire: SocketWire): TemplateResult {
    const key = wire.request?.key;
    const sent = wire.upgrade?.accept;
    const formula = html`<div class="formula">
      Sec-WebSocket-Accept = base64(SHA-1(Sec-WebSocket-Key + "<span class="guid">${WEBSOCKET_GUID}</span>"))
    </div>`;
    if (key === undefined) {
      return html`<div class="accept" data-valid="false">${formula}<div>The request carried no Sec-WebSocket-Key<span class="verdict">cannot match</span></div></div>`;
    }
    // While a new key is hashed, the task still holds the previous key's answer.
    const done = this._expectedAccept.status === TaskStatus.COMPLETE;
    const valid = done && this._expectedAccept.value !== undefined ? String(this._expectedAccept.value === sent) : undefined;
    return html`<div class="accept" data-valid=${valid ?? nothing}>
      ${formula}
      <div>
        = base64(SHA-1("<span class="key-value">${key}</span>" + "<span class="guid">${WEBSOCKET_GUID}</span>"))
      </div>
      <div>
        ${this._expectedAccept.render({
          pending: () => html`= <span class="computed">…</span><span class="verdict">computing</span>`,
          error: (error) => html`<span class="verdict">not checked: ${error instanceof Error ? error.message : String(error)}</span>`,
          complete: (value) =>
            value === sent
              ? html`= <span class="computed">${value}</span><span class="verdict">✓ matches the server's Sec-WebSocket-Accept</span>`
              : html`= <span class="computed">${value}</span><span class="verdict"
                    >✗ the server sent ${sent === undefined ? 'none' : sent}: a browser would fail the connection</span
                  >`,
        })}
      </div>
    </div>`;
  }

  private _renderFrame(frame: SocketFrame, origin: number): TemplateResult {
    const opcodeTitle = frame.control ? "A control frame: DevTools' Messages tab does not list it" : `A ${frame.opcode} message`;
    return html`<li
      class="frame ${frame.control ? 'control' : ''}"
      tabindex="0"
      data-seq=${frame.seq}
      data-direction=${frame.direction}
      data-opcode=${frame.opcode}
      data-length=${frame.length}
      aria-selected=${String(frame.seq === this._selectedSeq)}
    >
      <span class="time">${formatRelativeTime(frame.t - origin)}</span>
      <span class="direction">${DIRECTIONS[frame.direction]}</span>
      <span class="opcode op-${frame.opcode}" title=${opcodeTitle}>${frame.opcode}</span>
      <span class="flags">
        ${frame.fragments > 1
          ? html`<span class="flag fragments" title="A fragmented message: the last of its frames carries FIN">in ${frame.fragments} fragments</span>`
          : html`<span class="flag fin" title="FIN: the whole message in this one frame">FIN</span>`}
        ${frame.masked
          ? html`<span class="flag masked" title="Masked with a 4-byte key, as every client frame must be">masked</span>`
          : html`<span class="flag" title="Server frames are never masked">unmasked</span>`}
      </span>
      <span class="sizes" title="Payload, plus the frame's header${frame.masked ? ' and mask key' : ''}, is the frame on the wire"
        >${formatBytes(frame.length)} <span class="overhead">+ ${formatBytes(frame.overhead)} hdr</span> = ${formatBytes(frame.bytes)}</span
      >
      <span class="preview" title=${frame.text ?? ''}>${renderPreview(frame)}</span>
    </li>`;
  }

  private _renderEnd(wire: SocketWire, origin: number): TemplateResult | typeof nothing {
    const { close } = wire;
    if (close) {
      return html`<li
        class="close"
        tabindex="0"
        data-seq=${close.seq}
        data-code=${close.code}
        aria-selected=${String(close.seq === this._selectedSeq)}
      >
        <span class="time">${formatRelativeTime(close.t - origin)}</span>
        <span class="what">
          <span>closed <span class="code">${close.code}</span> ${closeCodeMeaning(close.code)}</span>
          ${close.reason ? html`<span class="reason">“${close.reason}”</span>` : nothing}
          <span class="by">${close.by ? `close frame first sent by the ${close.by}` : 'no close frame: the TCP connection just ended'}</span>
          <span class="duration">open for ${formatDuration(close.durationMs)}</span>
          ${renderBrowserClose(wire)}
        </span>
      </li>`;
    }
    if (wire.upgrade) {
      return html`<li class="still-open"><span class="time"></span><span class="what">still open</span></li>`;
    }
    return nothing;
  }

  /** A part of the handshake that stands for one trace event: hover, focus and click it like a frame. */
  private _interactive(classes: string, seq: number, content: TemplateResult, data: { status?: string } = {}): TemplateResult {
    return html`<div
      class=${classes}
      tabindex="0"
      data-seq=${seq}
      data-status=${data.status ?? nothing}
      aria-selected=${String(seq === this._selectedSeq)}
    >
      ${content}
    </div>`;
  }
}

function renderTotals(wire: SocketWire): TemplateResult {
  const { in: inbound, out } = wire.totals;
  const bytes = inbound.bytes + out.bytes;
  const overhead = bytes - inbound.payload - out.payload;
  const handshake = (wire.request?.bytes ?? 0) + (wire.upgrade?.bytes ?? wire.refusal?.bytes ?? 0);
  return html`<span class="totals">
    <span class="in" title="Frames the client sent"
      >→ server <strong>${inbound.frames}</strong> ${inbound.frames === 1 ? 'frame' : 'frames'}, ${formatBytes(inbound.bytes)}</span
    >
    <span class="out" title="Frames the server sent"
      >→ client <strong>${out.frames}</strong> ${out.frames === 1 ? 'frame' : 'frames'}, ${formatBytes(out.bytes)}</span
    >
    <span class="overhead" title="Frame bytes that are not payload: frame headers and the client's mask keys"
      >overhead <strong>${formatBytes(overhead)}</strong>${bytes > 0 ? ` (${Math.round((overhead / bytes) * 100)}%)` : ''}</span
    >
    ${handshake > 0 ? html`<span class="handshake-bytes" title="The HTTP upgrade request and its answer">handshake ${formatBytes(handshake)}</span>` : nothing}
  </span>`;
}

// The key and the accept are coloured where they appear in the headers and in the proof below them.
const VALUE_CLASSES: Readonly<Record<string, string>> = { 'Sec-WebSocket-Key': 'key-value', 'Sec-WebSocket-Accept': 'accept-value' };

function renderHeader(header: WireHeader): TemplateResult {
  const valueClass = VALUE_CLASSES[header.name];
  return html`<span class="line"
    ><span class="header-name">${header.name}:</span> ${header.value === undefined
      ? html`<span class="missing">missing</span>`
      : valueClass
        ? html`<span class=${valueClass}>${header.value}</span>`
        : header.value}</span
  >`;
}

function renderMore(names: readonly string[]): TemplateResult | typeof nothing {
  if (names.length === 0) return nothing;
  return html`<span class="line more" title=${names.join(', ')}>+ ${names.length} more ${names.length === 1 ? 'header' : 'headers'}</span>`;
}

function renderPreview(frame: SocketFrame): TemplateResult | string {
  switch (frame.opcode) {
    case 'close': {
      const code = frame.code ?? 1005;
      // An empty close frame carries no code at all; 1005 is only what the API reports for it.
      if (frame.length === 0) return html`<span class="quiet">no status code (reported as 1005)</span>`;
      return html`<span class="code">${code}</span> <span class="meaning">${closeCodeMeaning(code)}</span>${frame.text
          ? html` “${previewText(frame.text)}”`
          : nothing}`;
    }
    case 'ping':
    case 'pong':
      return html`<span class="quiet"
        >${frame.length === 0 ? 'no payload' : `${formatBytes(frame.length)} payload`}${frame.opcode === 'pong' ? ': answers a ping' : ': the peer must answer with a pong'}</span
      >`;
    case 'binary':
      return html`<span class="quiet">binary payload, not recorded</span>`;
    case 'text':
      return html`${previewText(frame.text ?? '')}${frame.truncated ? html` <span class="truncated">(the trace kept only the start)</span>` : nothing}`;
  }
}

/** A body as the lines it has on the wire, its final line end dropped, other controls made visible. */
function bodyLines(body: string): string[] {
  return body
    .replace(/\r?\n$/, '')
    .split(/\r?\n/)
    .map(escapeWireText);
}

function previewText(text: string): string {
  const line = escapeWireText(text.replace(/\r?\n/g, ' ⏎ '));
  return line.length > MAX_TEXT_PREVIEW ? `${line.slice(0, MAX_TEXT_PREVIEW - 1)}…` : line;
}

function renderBrowserClose(wire: SocketWire): TemplateResult | typeof nothing {
  const seen = wire.browserClose;
  if (!seen) return nothing;
  return html`<p class="browser-saw">
    The browser's WebSocket fired <code>close</code>: <code>code ${seen.code ?? '?'}</code>${seen.reason ? html`, reason “${seen.reason}”` : nothing}${seen.wasClean ===
    undefined
      ? nothing
      : html`, <code>wasClean ${seen.wasClean}</code>`}.
  </p>`;
}

declare global {
  interface HTMLElementTagNameMap {
    'socket-wire-view': SocketWireView;
  }
}
