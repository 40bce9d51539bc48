import { LitElement, css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { unsafeHTML } from 'lit/directives/unsafe-html.js';
import type { LessonControl, LessonDetail, LessonSummary } from '../../lessons/lesson.ts';
import type { PresentationState } from '../../server/presentation.ts';
import { callApi } from '../api.ts';
import { PresentationController } from '../controllers/presentation-controller.ts';
import type { ControlErrorEvent } from '../events.ts';
import { isTyping, nextStage, presenterCommand, STAGE_LABELS } from '../presenter-keys.ts';
import { runStepAction } from '../step-action.ts';
import { proseStyles, theme } from '../theme.ts';
import './lesson-controls.ts';

/**
 * The presenter window (`/presenter`, opened with W from presenter mode, or on a phone from its
 * QR code): the speaker notes of the step on the projector, the next step, a timer, and the same
 * controls. It steers through the workbench, so every window and every student follows.
 */
@customElement('presenter-view')
export class PresenterView extends LitElement {
  static override styles = [
    theme,
    proseStyles,
    css`
      :host {
        display: block;
        padding: 0.75rem 1rem 2rem;
        font-size: 1.05rem;
        line-height: 1.5;
      }
      .top {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.5rem 1rem;
      }
      .timer {
        font: 600 2rem var(--wb-mono);
        font-variant-numeric: tabular-nums;
      }
      .clock,
      .muted {
        color: var(--wb-muted);
      }
      .live::before {
        content: '● ';
        color: var(--wb-server);
      }
      .nav {
        display: grid;
        grid-template-columns: 1fr 1fr 1fr;
        gap: 0.5rem;
        margin: 0.75rem 0;
      }
      .nav button {
        padding: 0.9rem;
        font-size: 1.2rem;
        font-weight: 600;
      }
      .nav .next {
        background: var(--wb-accent);
        border-color: var(--wb-accent);
        color: var(--wb-bg);
      }
      .nav .pause[aria-pressed='true'] {
        background: var(--wb-held);
        border-color: var(--wb-held);
        color: var(--wb-bg);
      }
      h1 {
        font-size: 1.4rem;
        margin: 0.5rem 0 0;
      }
      h2 {
        font-size: 1.05rem;
        margin: 1rem 0 0.25rem;
        color: var(--wb-muted);
        text-transform: uppercase;
        letter-spacing: 0.05em;
      }
      .notes {
        font-size: 1.15rem;
      }
      .next-step {
        padding: 0.5rem 0.75rem;
        border-left: 4px solid var(--wb-border);
        color: var(--wb-muted);
      }
      .actions {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
      }
      .codes {
        display: flex;
        flex-wrap: wrap;
        gap: 1.5rem;
      }
      .codes figure {
        margin: 0;
        text-align: center;
        max-width: 14rem;
      }
      .codes img {
        width: 12rem;
        background: #fff;
        border-radius: var(--wb-radius);
      }
      .codes figcaption {
        font-size: 0.9rem;
        color: var(--wb-muted);
        overflow-wrap: anywhere;
      }
      .error {
        color: var(--wb-error);
      }
    `,
  ];

  @state() private _lessons: LessonSummary[] = [];
  @state() private _detail?: LessonDetail;
  @state() private _now = Date.now();
  @state() private _error?: string;
  /** Server clock minus this device's, from the time stamp of the last state. */
  private _offsetMs = 0;
  private _ticker?: ReturnType<typeof setInterval>;
  private _detailFor?: string;

  private readonly _presentation = new PresentationController(this, { onChange: (state) => this._onChange(state) });
  private readonly _onKeyDown = (e: KeyboardEvent) => {
    if (e.defaultPrevented || isTyping(e)) return;
    const command = presenterCommand(e.key);
    if (command === 'next' || command === 'previous' || command === 'pause' || command === 'stage') {
      e.preventDefault();
      if (command === 'pause') this._togglePause();
      else if (command === 'stage') this._turnStage();
      else this._step(command === 'next' ? 1 : -1);
    }
  };

  override connectedCallback(): void {
    super.connectedCallback();
    addEventListener('keydown', this._onKeyDown);
    this._ticker = setInterval(() => (this._now = Date.now()), 1_000);
    callApi<LessonSummary[]>('GET', '/api/lessons').then(
      (lessons) => (this._lessons = lessons),
      (error: Error) => (this._error = error.message),
    );
  }

  override disconnectedCallback(): void {
    removeEventListener('keydown', this._onKeyDown);
    clearInterval(this._ticker);
    super.disconnectedCallback();
  }

  private _onChange(state: PresentationState): void {
    this._offsetMs = state.at - Date.now();
    // The lesson's steps and its settings as they are now (a control or a step may have changed them).
    if (state.lesson) void this._loadDetail(state.lesson);
  }

  private async _loadDetail(slug: string) {
    this._detailFor = slug;
    try {
      const detail = await callApi<LessonDetail>('GET', `/api/lessons/${encodeURIComponent(slug)}`);
      if (this._detailFor === slug) this._detail = detail;
    } catch (error) {
      this._error = (error as Error).message;
    }
  }

  override render() {
    const state = this._presentation.state;
    const role = this._presentation.role;
    const detail = state?.lesson === this._detail?.slug ? this._detail : undefined;
    const count = detail?.steps.length ?? 0;
    const step = detail?.steps[(state?.step ?? 1) - 1];
    const next = detail?.steps[state?.step ?? 1];
    return html`
      <div class="top">
        <span class="timer" title="Time since the talk started">${formatElapsed(this._now + this._offsetMs - (state?.startedAt ?? this._now))}</span>
        <button @click=${() => this._change({ restartTimer: true })}>Restart timer</button>
        <span class="clock">${new Date(this._now).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}</span>
        <span class=${this._presentation.status === 'open' ? 'live' : 'muted'}>${this._presentation.status === 'open' ? 'in sync' : this._presentation.status}</span>
        <span class="audience">${state?.audience ?? 0} joined</span>
        <label
          >Lesson
          <select @change=${(e: Event) => this._change({ lesson: (e.target as HTMLSelectElement).value })}>
            ${state?.lesson ? nothing : html`<option selected disabled>Pick a lesson…</option>`}
            ${this._lessons.map((l) => html`<option value=${l.slug} ?selected=${l.slug === state?.lesson}>${String(l.order).padStart(2, '0')} · ${l.title}</option>`)}
          </select></label
        >
        <button class="stage" title="What the projector shows: the timeline and the code, or one of them on the whole screen (Z)" ?disabled=${!state?.lesson} @click=${this._turnStage}>
          Stage: ${STAGE_LABELS[state?.stage ?? 'both']}
        </button>
      </div>
      ${role === 'audience' ? html`<p class="error" role="alert">This device cannot steer: open the presenter window from its QR code (it carries the presenter token).</p>` : nothing}
      ${this._error ? html`<p class="error" role="alert">${this._error}</p>` : nothing}
      <div class="nav">
        <button class="previous" ?disabled=${!detail || state!.step <= 1} @click=${() => this._step(-1)}>‹ Back</button>
        <button class="pause" aria-pressed=${state?.paused ?? false} ?disabled=${!state?.lesson} @click=${this._togglePause}>${state?.paused ? 'Resume' : 'Pause'}</button>
        <button class="next" ?disabled=${!detail || state!.step >= count} @click=${() => this._step(1)}>Next ›</button>

      </div>
      ${detail && step
        ? html`
            <h1>Step ${state!.step} of ${count} · ${step.title}</h1>
            <h2>${step.notes ? 'Notes' : 'On the screen (no notes for this step)'}</h2>
            <div class="notes step">${unsafeHTML(step.notes ?? step.html)}</div>
            ${step.action ? html`<div class="actions"><button @click=${() => this._runAction()}>Run the step's ${step.action.kind} again</button></div>` : nothing}
            <h2>Next</h2>
            <div class="next-step">${next ? next.title : 'The end of the lesson'}</div>
            <h2>Controls</h2>
            <lesson-controls
              .slug=${detail.slug}
              .controls=${detail.controls.filter(steersServer)}
              .usesFeed=${detail.usesFeed}
              .settings=${detail.settings}
              .scenario=${detail.scenario}
              @control-error=${(e: ControlErrorEvent) => (this._error = e.message)}
            ></lesson-controls>
          `
        : html`<p class="muted">${state?.lesson ? 'Loading the lesson…' : 'Nothing is presented yet: pick a lesson, or press P on a lesson page.'}</p>`}
      ${role === 'presenter'
        ? html`<h2>Join codes</h2>
            <div class="codes">
              <figure>
                <img src="/api/presentation/qr.svg?for=audience" alt="QR code of the audience URL" />
                <figcaption>Audience: ${this._presentation.urls?.audience}</figcaption>
              </figure>
              <figure>
                <img src="/api/presentation/qr.svg?for=presenter" alt="QR code of this window, with the presenter token" />
                <figcaption>This window on your phone (it carries the presenter token: do not project it)</figcaption>
              </figure>
            </div>`
        : nothing}
    `;
  }

  private _step(delta: number): void {
    const state = this._presentation.state;
    const count = this._detail?.steps.length ?? 0;
    if (!state?.lesson || count === 0) return;
    const step = Math.min(count, Math.max(1, state.step + delta));
    if (step !== state.step) this._change({ step });
  }

  private readonly _togglePause = () => this._change({ paused: !this._presentation.state?.paused });
  private readonly _turnStage = () => this._change({ stage: nextStage(this._presentation.state?.stage ?? 'both') });

  private _runAction(): void {
    const action = this._detail?.steps[(this._presentation.state?.step ?? 1) - 1]?.action;
    if (!action || !this._detail) return;
    runStepAction(this._detail.slug, action).catch((error: Error) => (this._error = error.message));
  }

  private _change(change: Parameters<PresentationController['change']>[0]): void {
    this._error = undefined;
    this._presentation.change(change).catch((error: Error) => (this._error = error.message));
  }
}

/** Whether a control acts on the server (a button, a server parameter): a client option only sets the clients of the page it is on. */
function steersServer(control: LessonControl): boolean {
  return !('option' in control && control.option !== undefined);
}

/** `12:05` or `1:02:05`. */
function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const [h, m, sec] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  const two = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(sec)}` : `${m}:${two(sec)}`;
}

declare global {
  interface HTMLElementTagNameMap {
    'presenter-view': PresenterView;
  }
}
