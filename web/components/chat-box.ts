import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, query } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import type { ChatLine } from '../../lessons/lesson.ts';
import { theme } from '../theme.ts';

/** Lines kept on screen; older ones scroll away for good. */
export const MAX_CHAT_LINES = 200;
/** At most one "typing" signal per this many ms. */
export const TYPING_EVERY_MS = 1_000;

/** The user sent a line from a chat box. */
export class ChatSendEvent extends Event {
  static readonly eventName = 'chat-send' as const;
  constructor(readonly text: string) {
    super(ChatSendEvent.eventName, { bubbles: true, composed: true });
  }
}

/** The user is typing in a chat box (at most once a second). */
export class ChatTypingEvent extends Event {
  static readonly eventName = 'chat-typing' as const;
  constructor() {
    super(ChatTypingEvent.eventName, { bubbles: true, composed: true });
  }
}

/**
 * A client's chat: the log of what it received and a text field. It only shows and asks; the
 * lesson's client.ts decides what sending means (a WebSocket frame, a POST).
 * @fires chat-send - Enter or the Send button, with the text (the field is then cleared).
 * @fires chat-typing - A key was typed in the field, at most once a second.
 */
@customElement('chat-box')
export class ChatBox extends LitElement {
  static override styles = [
    theme,
    css`
      :host {
        display: block;
        margin-top: 0.3rem;
      }
      ol {
        list-style: none;
        margin: 0;
        padding: 0.25rem 0.4rem;
        height: 5.6rem;
        overflow-y: auto;
        background: var(--wb-bg);
        border: 1px solid var(--wb-border);
        border-radius: var(--wb-radius);
        font-size: 0.9rem;
      }
      li {
        overflow-wrap: anywhere;
      }
      .from {
        font-weight: 600;
        color: var(--wb-client);
      }
      .mine .from {
        color: var(--wb-server);
      }
      time {
        color: var(--wb-muted);
        font-size: 0.8em;
        margin-left: 0.3em;
      }
      .notice {
        color: var(--wb-muted);
        font-style: italic;
      }
      .error {
        color: var(--wb-error);
      }
      .empty {
        color: var(--wb-muted);
      }
      form {
        display: flex;
        gap: 0.3rem;
        margin-top: 0.3rem;
      }
      input {
        flex: 1;
        min-width: 0;
      }
    `,
  ];

  /** The lines to show, oldest first. */
  @property({ attribute: false }) lines: readonly ChatLine[] = [];
  /** Whose box it is: their own lines are told apart. */
  @property() me = '';
  @property() placeholder = 'Say something…';

  @query('ol') private _log?: HTMLOListElement;
  @query('input') private _input?: HTMLInputElement;
  private _lastTyping = 0;
  private _atBottom = true;

  protected override willUpdate(changed: PropertyValues<this>): void {
    // Keep following the conversation, unless the reader scrolled up to read.
    if (changed.has('lines') && this._log) this._atBottom = this._log.scrollHeight - this._log.scrollTop - this._log.clientHeight < 8;
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('lines') && this._log && this._atBottom) this._log.scrollTop = this._log.scrollHeight;
  }

  override render() {
    const lines = this.lines.slice(-MAX_CHAT_LINES);
    return html`
      <ol aria-live="polite" aria-label="Messages">
        ${lines.length === 0 ? html`<li class="empty">No messages yet.</li>` : nothing}
        ${repeat(
          lines,
          (line) => html`<li class="${line.kind} ${line.from === this.me ? 'mine' : ''}">
            ${line.from ? html`<span class="from">${line.from}</span> ` : nothing}<span class="text">${line.text}</span>${line.at
              ? html`<time>${new Date(line.at).toLocaleTimeString()}</time>`
              : nothing}
          </li>`,
        )}
      </ol>
      <form @submit=${this._send}>
        <input aria-label="Message" placeholder=${this.placeholder} autocomplete="off" maxlength="100000" @input=${this._typing} />
        <button type="submit">Send</button>
      </form>
    `;
  }

  private _send(e: SubmitEvent) {
    e.preventDefault();
    const input = this._input!;
    const text = input.value;
    if (text.trim() === '') return;
    input.value = '';
    this.dispatchEvent(new ChatSendEvent(text));
  }

  private _typing() {
    const now = Date.now();
    if (now - this._lastTyping < TYPING_EVERY_MS) return;
    this._lastTyping = now;
    this.dispatchEvent(new ChatTypingEvent());
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'chat-box': ChatBox;
  }
  interface HTMLElementEventMap {
    [ChatSendEvent.eventName]: ChatSendEvent;
    [ChatTypingEvent.eventName]: ChatTypingEvent;
  }
}
