import { LitElement, css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { unsafeHTML } from 'lit/directives/unsafe-html.js';
import type { ChatBoxOptions, ChatLine, FeedSnapshot, LessonDetail } from '../../lessons/lesson.ts';
import type { AudienceMember, PresentationState } from '../../server/presentation.ts';
import { joinAudience } from '../audience-member.ts';
import { createClientContext } from '../client-context.ts';
import { dropController } from '../controllers/drop-controller.ts';
import { LiveTraceController } from '../controllers/live-trace-controller.ts';
import { PresentationController } from '../controllers/presentation-controller.ts';
import { loadLessonClient } from '../lesson-clients.ts';
import { proseStyles, theme } from '../theme.ts';
import { MAX_CHAT_LINES, type ChatSendEvent } from './chat-box.ts';
import './chat-box.ts';

/** When this page last caught up with the presenter: the state's revision and the browser time it was shown. */
export interface Followed {
  revision: number;
  lesson?: string;
  step: number;
  at: number;
}

/**
 * A student's page in a presentation: follows the presenter's lesson and step (pushed by the
 * workbench), shows the step, and runs the lesson's audience client in this browser as this
 * member, so its polls, streams and sockets join the demo on the presenter's timeline.
 */
@customElement('audience-view')
export class AudienceView extends LitElement {
  static override styles = [
    theme,
    proseStyles,
    css`
      :host {
        display: block;
        max-width: 52rem;
        margin: 0 auto;
        padding: 1rem 1.25rem 3rem;
        font-size: 1.05rem;
        line-height: 1.55;
      }
      .where {
        color: var(--wb-muted);
        font-size: 0.95rem;
        display: flex;
        gap: 0.75rem;
        flex-wrap: wrap;
      }
      .where .live::before {
        content: '● ';
        color: var(--wb-server);
      }
      .where .paused {
        color: var(--wb-held);
        font-weight: 600;
      }
      h1 {
        font-size: 1.5rem;
        margin: 0.4rem 0 0;
      }
      h2 {
        font-size: 1.25rem;
        margin: 0.25rem 0 0.75rem;
        color: var(--wb-accent);
      }
      .me {
        margin: 1rem 0;
        padding: 0.6rem 0.9rem;
        border: 1px solid var(--wb-border);
        border-left: 4px solid var(--wb-client);
        border-radius: var(--wb-radius);
        background: var(--wb-surface);
      }
      .me .name {
        font-weight: 600;
      }
      .me .value {
        font-family: var(--wb-mono);
      }
      .me .status {
        color: var(--wb-muted);
      }
      .error {
        color: var(--wb-error);
      }
    `,
  ];

  /** The last state this page caught up with (for the presenter's "everyone followed" figure and the tests). */
  followed?: Followed;

  @state() private _member?: AudienceMember;
  @state() private _detail?: LessonDetail;
  @state() private _shown?: FeedSnapshot;
  @state() private _status?: string;
  @state() private _chat?: { lines: ChatLine[]; options: ChatBoxOptions };
  @state() private _error?: string;

  private _presentation?: PresentationController;
  private _live?: LiveTraceController;
  private _stopClient?: () => void;
  /** Counts lesson switches, so that only the newest one starts a client. */
  private _switches = 0;

  override connectedCallback(): void {
    super.connectedCallback();
    void this._join();
  }

  override disconnectedCallback(): void {
    this._stopClient?.();
    super.disconnectedCallback();
  }

  private async _join(fresh = false) {
    try {
      this._member = await joinAudience({ fresh });
    } catch (error) {
      this._error = `Could not join: ${error instanceof Error ? error.message : String(error)}`;
      return;
    }
    if (this._presentation) dropController(this, this._presentation);
    this._presentation = new PresentationController(this, {
      member: this._member.id,
      onChange: (next, previous) => this._follow(next, previous),
      // The workbench restarted and forgot this member: join again as a new one.
      onLost: () => void this._join(true),
    });
  }

  /** Catches up with the presenter: a new lesson loads and restarts this page's client; a new step just shows. */
  private async _follow(next: PresentationState, previous: PresentationState | undefined) {
    if (next.lesson !== previous?.lesson || !this._detail) await this._switchLesson(next.lesson);
    // A newer state may have been shown while this one waited for its lesson to load.
    if (this.followed && this.followed.revision > next.revision) return;
    this.followed = { revision: next.revision, lesson: next.lesson, step: next.step, at: Date.now() };
    this.dataset.lesson = next.lesson ?? '';
    this.dataset.step = String(next.step);
  }

  private async _switchLesson(slug: string | undefined) {
    const run = ++this._switches;
    this._stopClient?.();
    this._stopClient = undefined;
    this._shown = undefined;
    this._status = undefined;
    this._chat = undefined;
    if (this._live) dropController(this, this._live);
    this._live = undefined;
    if (!slug) return void (this._detail = undefined);
    const member = this._member!;
    // The live socket connects and syncs the clock while the lesson loads: forty pages joining at once wait for one round trip, not two.
    const live = (this._live = new LiveTraceController(this, slug, { member: member.id }));
    try {
      const res = await fetch(`/api/lessons/${encodeURIComponent(slug)}`);
      if (!res.ok) throw new Error(`GET /api/lessons/${slug} answered ${res.status}`);
      const detail = (await res.json()) as LessonDetail;
      if (run !== this._switches) return;
      this._detail = detail;
      this._error = undefined;
      const [start] = await Promise.all([loadLessonClient(slug, detail.clientModule), live.synced]);
      if (run !== this._switches) return;
      const spec = detail.clients.find((c) => c.id === detail.audience);
      const { context, stop } = createClientContext({
        slug,
        clientId: member.id,
        label: member.label,
        options: { ...detail.options, ...spec?.options },
        now: () => live.serverNow(),
        timeScale: () => detail.settings.timeScale,
        report: (event) => live.report(event),
        onShow: (snapshot) => (this._shown = snapshot),
        onStatus: (text) => (this._status = text),
        chatBox: (options) => {
          this._chat = { lines: [], options };
          return { add: (line) => this._chat && (this._chat = { ...this._chat, lines: [...this._chat.lines.slice(-(MAX_CHAT_LINES - 1)), line] }) };
        },
      });
      this._stopClient = stop;
      start(context);
    } catch (error) {
      this._error = error instanceof Error ? error.message : String(error);
    }
  }

  override render() {
    const state = this._presentation?.state;
    const detail = this._detail;
    if (!this._member) return html`<p class=${this._error ? 'error' : ''}>${this._error ?? 'Joining…'}</p>`;
    if (!state?.lesson || !detail) {
      return html`<p class="where"><span>${this._member.label}</span></p>
        <h1>Waiting for the presenter…</h1>
        <p>Keep this page open: it follows the lesson on the projector, and your browser joins the live demo.</p>
        ${this._error ? html`<p class="error" role="alert">${this._error}</p>` : nothing}`;
    }
    const step = detail.steps[Math.min(state.step, detail.steps.length) - 1];
    return html`
      <p class="where">
        <span class=${this._presentation?.status === 'open' ? 'live' : ''}>Following the presenter</span>
        <span>Step ${state.step} of ${detail.steps.length}</span>
        ${state.paused ? html`<span class="paused">Paused</span>` : nothing}
        <span>${state.audience} in the room</span>
      </p>
      <h1>${String(detail.order).padStart(2, '0')} · ${detail.title}</h1>
      <section class="me" aria-label="Your browser in the demo">
        <span class="name">You are ${this._member.label}</span> — your browser is a live client of this demo.
        ${this._chat
          ? html`<chat-box
              .lines=${this._chat.lines}
              me=${this._member.label}
              @chat-send=${(e: ChatSendEvent) => this._chat?.options.onSend(e.text)}
              @chat-typing=${() => this._chat?.options.onTyping?.()}
            ></chat-box>`
          : html`<div>It shows <span class="value">${this._shown ? `v${this._shown.version} ${JSON.stringify(this._shown.value)}` : '—'}</span></div>`}
        ${this._status ? html`<div class="status">${this._status}</div>` : nothing}
      </section>
      ${this._error ? html`<p class="error" role="alert">${this._error}</p>` : nothing}
      ${step ? html`<article class="step"><h2>${step.title}</h2>${unsafeHTML(step.html)}</article>` : nothing}
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'audience-view': AudienceView;
  }
}
