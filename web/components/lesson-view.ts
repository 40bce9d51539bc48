import { Task } from '@lit/task';
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { unsafeHTML } from 'lit/directives/unsafe-html.js';
import type { ChatBoxOptions, ChatLine, ClientOptions, CompareTechnique, FeedSnapshot, LessonControl, LessonDetail, LessonFigures } from '../../lessons/lesson.ts';
import type { Recording } from '../../lessons/recording.ts';
import type { PresenterStage } from '../../server/presentation.ts';
import { clientLane, type Lane, type SourceLocation, type TraceEvent } from '../../lessons/trace-event.ts';
import { callApi } from '../api.ts';
import { createClientContext } from '../client-context.ts';
import { dropController } from '../controllers/drop-controller.ts';
import { LiveTraceController } from '../controllers/live-trace-controller.ts';
import { PresentationController } from '../controllers/presentation-controller.ts';
import { ReplayTraceController } from '../controllers/replay-trace-controller.ts';
import { createProgressStore } from '../progress.ts';
import { isTyping, nextStage, presenterCommand, STAGE_LABELS, type PresenterCommand } from '../presenter-keys.ts';
import { fetchRecording, sitePath, STATIC_SITE } from '../static-site.ts';
import { runStepAction } from '../step-action.ts';
import type { ClientOptionsChangeEvent, ControlErrorEvent, TimelineHoverEvent, TimelineSelectEvent } from '../events.ts';
import { loadLessonClient } from '../lesson-clients.ts';
import { computeClientStats, RATE_WINDOW_MS, type ClientStats } from '../lesson-stats.ts';
import { claimTabNumber } from '../tab-number.ts';
import { proseStyles, theme } from '../theme.ts';
import { eventBytes, formatBytes, formatDuration } from '../timeline-format.ts';
import { MAX_CHAT_LINES, type ChatSendEvent } from './chat-box.ts';
import type { RuntimeError } from './code-panel.ts';
import './code-panel.ts';
import './event-timeline.ts';
import './lesson-controls.ts';
import './replay-bar.ts';
import { formatFigure } from './technique-figures.ts';
import './socket-wire-view.ts';
import './stream-wire-view.ts';
import './trace-table.ts';

/**
 * One lesson: its prose in steps, the live timeline of its clients and server, the controls,
 * and the code that ran. Starts the lesson's browser clients and keeps them running.
 * Given a `recording` (or on the static site), it replays that instead: no server, no clients.
 */
@customElement('lesson-view')
export class LessonView extends LitElement {
  static override styles = [
    theme,
    proseStyles,
    css`
      :host {
        display: grid;
        grid-template-rows: auto 1fr;
        grid-template-columns: minmax(0, 1fr);
        height: 100vh;
        background: var(--wb-bg);
      }
      header {
        display: flex;
        align-items: baseline;
        gap: 1rem;
        padding: 0.6rem 1.25rem;
        border-bottom: 1px solid var(--wb-border);
        background: var(--wb-surface);
      }
      header a {
        color: var(--wb-accent);
        text-decoration: none;
      }
      header h1 {
        font-size: 1.3rem;
        margin: 0;
      }
      header .summary {
        color: var(--wb-muted);
        flex: 1;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .status {
        font-size: 0.85rem;
        color: var(--wb-muted);
      }
      .status[data-status='open']::before {
        content: '● ';
        color: var(--wb-server);
      }
      .status[data-status='closed']::before {
        content: '● ';
        color: var(--wb-error);
      }
      main {
        display: grid;
        grid-template-columns: minmax(18rem, 27%) minmax(0, 1fr);
        min-height: 0;
      }
      .prose {
        display: flex;
        flex-direction: column;
        min-height: 0;
        border-right: 1px solid var(--wb-border);
      }
      .step-nav {
        display: flex;
        align-items: center;
        gap: 0.5rem;
        padding: 0.6rem 1.25rem;
        border-bottom: 1px solid var(--wb-border);
      }
      .step-nav .count {
        color: var(--wb-muted);
        flex: 1;
      }
      .step {
        overflow: auto;
        padding: 0 1.25rem 2rem;
        font-size: 1.02rem;
        line-height: 1.6;
      }
      .step h2 {
        font-size: 1.35rem;
        margin: 1rem 0 0.5rem;
      }
      .workspace {
        display: flex;
        flex-direction: column;
        gap: 0.5rem;
        padding: 0.6rem 1rem;
        min-width: 0;
        min-height: 0;
        overflow: auto;
      }
      .clients {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
      }
      .client {
        flex: 1 1 14rem;
        padding: 0.3rem 0.75rem;
        border: 1px solid var(--wb-border);
        border-left: 4px solid var(--wb-client);
        border-radius: var(--wb-radius);
        background: var(--wb-surface);
        font-size: 0.9rem;
      }
      .client .name {
        font-weight: 600;
      }
      .client .value {
        font-family: var(--wb-mono);
      }
      .client .figures {
        color: var(--wb-muted);
      }
      .client .client-status {
        color: var(--wb-muted);
      }
      .client .missed,
      .client .failed {
        color: var(--wb-error);
        font-weight: 600;
      }
      .view-buttons {
        display: flex;
        flex-direction: column;
        gap: 0.3rem;
        justify-content: center;
      }
      .error {
        color: var(--wb-error);
        margin: 0;
      }
      code-panel {
        flex: 1 0 16rem;
        min-height: 16rem;
      }
      header .present {
        margin-left: auto;
      }

      /* Presenter mode: the chrome hides, type grows, the timeline and the code share the screen. */
      .present-bar {
        display: flex;
        align-items: baseline;
        gap: 1.25rem;
        padding: 0.35rem 1rem;
        font-size: 22px;
        border-bottom: 1px solid var(--wb-border);
        background: var(--wb-surface);
        white-space: nowrap;
        min-width: 0;
      }
      .present-bar .lesson {
        color: var(--wb-muted);
      }
      .present-bar .step-title {
        font-weight: 600;
        flex: 1;
        min-width: 0;
        overflow: hidden;
        text-overflow: ellipsis;
      }
      .present-bar .badge {
        color: var(--wb-muted);
      }
      .present-bar .paused {
        color: var(--wb-held);
        font-weight: 600;
      }
      .stage {
        display: flex;
        flex-direction: column;
        gap: 0.5rem;
        padding: 0.5rem 0.75rem;
        min-height: 0;
      }
      .stage event-timeline {
        flex: none;
      }
      /* Pause is a key (B) in presenter mode: the bar's room goes to the code. */
      .stage event-timeline::part(toolbar) {
        display: none;
      }
      .stage code-panel {
        --code-panel-font-size: 20px;
      }
      .stage code-panel {
        flex: 1 1 0;
        min-height: 0;
      }
      .stage .error {
        font-size: 20px;
      }
      /* Z gives the stage to one of the two (a short projector: six lanes leave the code two lines at 720p). */
      .stage[data-stage='timeline'] code-panel,
      .stage[data-stage='code'] event-timeline {
        display: none;
      }
      .qr {
        position: fixed;
        inset: 0;
        display: grid;
        place-content: center;
        justify-items: center;
        gap: 1rem;
        background: rgb(13 17 23 / 0.94);
        font-size: 26px;
        text-align: center;
        z-index: 10;
      }
      .qr img {
        width: min(60vh, 28rem);
        height: auto;
        background: #fff;
        border-radius: var(--wb-radius);
      }
      .qr .url {
        font-family: var(--wb-mono);
        color: var(--wb-accent);
      }
      .qr .hint {
        color: var(--wb-muted);
        font-size: 20px;
        max-width: 40rem;
      }
    `,
  ];

  /** The lesson to show. */
  @property() slug = '';
  /** A recording to replay instead of the live lesson (on the static site, the lesson's own). */
  @property({ attribute: false }) recording?: Recording;

  @state() private _step = stepFromHash();
  @state() private _options?: ClientOptions;
  @state() private _shown = new Map<string, FeedSnapshot>();
  /** The status line each client last showed (`context.status`). */
  @state() private _statuses = new Map<string, string>();
  /** Why each client that failed to start (its client.ts did not load, or threw when called) is not running. */
  @state() private _failed = new Map<string, string>();
  /** The chat box each client asked for (`context.chatBox`): its lines, and what to do with what is typed. */
  @state() private _chats = new Map<string, { lines: ChatLine[]; options: ChatBoxOptions; since: number }>();
  /** Which browser tab of this lesson this is: the clients of tab 2 are `ada-2`, "Ada 2". */
  @state() private _tab = 1;
  @state() private _activeLine?: SourceLocation;
  @state() private _pinnedLine?: SourceLocation;
  @state() private _table = false;
  @state() private _error?: string;
  /** Presenter mode (`P`, or `?present` in the URL): big type, stepping by keys and clickers, the class following. */
  @property({ type: Boolean, reflect: true }) presenting = new URLSearchParams(location.search).has('present');
  /** The join code shown full screen (`Q`). */
  @state() private _qr = false;
  /** The stage of a replay presented on its own (live, the presentation on the server holds it). */
  @state() private _replayStage: PresenterStage = 'both';

  /** Where the trace comes from: the workbench, live, or a recording played back. */
  private _live?: LiveTraceController | ReplayTraceController;
  private _stopClients: (() => void)[] = [];
  private readonly _tabLock = new AbortController();
  private _startedFor?: string;
  /** The edited client.ts the clients run (`LessonDetail.clientModule`); undefined while they run the original. */
  private _clientModule?: string;
  /** The claim of this tab's number: one per page, shared by starts that overlap (a restart while the first start loads). */
  private _tabClaim?: Promise<number>;
  /** Counts client starts, so that only the newest one starts clients. */
  private _runs = 0;
  private readonly _onHashChange = () => (this._step = stepFromHash());
  private readonly _onKeyDown = (e: KeyboardEvent) => this._onKey(e);
  /** Follows and steers the class's presentation while presenting. */
  private _presentation?: PresentationController;
  private readonly _progress = createProgressStore();
  /** The last check verdict looked at (by seq), to remember a pass in the progress. */
  private _checkSeen = 0;
  /** The lesson, step and step count last recorded in the progress. */
  private _progressShown?: string;

  private readonly _lesson = new Task(this, {
    task: async ([slug, recording], { signal }) => {
      if (recording) return recording.detail;
      // The static site has no server: its lesson is the recording shipped beside the page.
      if (STATIC_SITE) return (this.recording = await fetchRecording(sitePath(`recordings/${slug}.json`), signal)).detail;
      const res = await fetch(`/api/lessons/${slug}`, { signal });
      if (!res.ok) throw new Error(res.status === 404 ? `There is no lesson "${slug}".` : `GET /api/lessons/${slug} answered ${res.status}`);
      return (await res.json()) as LessonDetail;
    },
    args: () => [this.slug, this.recording] as const,
  });

  override connectedCallback(): void {
    super.connectedCallback();
    addEventListener('hashchange', this._onHashChange);
    addEventListener('keydown', this._onKeyDown);
  }

  override disconnectedCallback(): void {
    removeEventListener('hashchange', this._onHashChange);
    removeEventListener('keydown', this._onKeyDown);
    this._stopAllClients();
    this._tabLock.abort();
    super.disconnectedCallback();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (this.recording) {
      if (this._replay?.recording !== this.recording) {
        if (this._live) dropController(this, this._live);
        const replay = new ReplayTraceController(this, this.recording);
        this._live = replay;
        // A link to a step of a replay plays it from that step.
        const turn = replay.recording.steps?.find((t) => t.step === this._step);
        if (turn && this._step > 1) {
          replay.clock.seek(turn.at);
          this._replayTurn = turn.step;
        }
      }
    } else if (!STATIC_SITE && changed.has('slug') && this.slug && this._live?.slug !== this.slug) {
      this._live = new LiveTraceController(this, this.slug);
    }
    if (changed.has('presenting')) this._followPresentation(this.presenting);
  }

  protected override updated(): void {
    const detail = this._detail;
    if (!detail || !this._live) return;
    this._recordProgress(detail);
    if (this._replay) return this._turnWithReplay(this._replay);
    if (this._startedFor !== detail.slug) {
      this._startedFor = detail.slug;
      this._clientModule = detail.clientModule;
      void this._live.synced.then(() => this._startClients());
    } else if (this._clientModule !== detail.clientModule) {
      // client.ts was edited or reset from a page: the clients restart on the code that now runs.
      this._clientModule = detail.clientModule;
      void this._live.synced.then(() => this._restartClients());
    }
  }

  /** The replay playing, when this page replays a recording. */
  private get _replay(): ReplayTraceController | undefined {
    return this._live instanceof ReplayTraceController ? this._live : undefined;
  }

  /** The newest lesson detail: pushed by the server after a change, else the one fetched. */
  private get _detail(): LessonDetail | undefined {
    return this._live?.detail ?? this._lesson.value;
  }

  override render() {
    const detail = this._detail;
    if (!detail) {
      return this._lesson.render({
        pending: () => html`<p style="padding:2rem">Loading the lesson…</p>`,
        error: (error) => html`<p class="error" style="padding:2rem">${String(error instanceof Error ? error.message : error)} <a href="/">All lessons</a></p>`,
      });
    }
    const stepIndex = Math.min(this._step, detail.steps.length) - 1;
    const step = detail.steps[stepIndex];
    const events = this._live?.events ?? [];
    const options = this._options ?? detail.options;
    const clients = this._pageClients(detail);
    const stats = computeClientStats(events, clients.map((c) => c.id), this._live?.serverNow() ?? Date.now());
    const replay = this._replay;
    const shownBy: ReadonlyMap<string, { version: number; value?: unknown }> = replay ? shownIn(events) : this._shown;
    const lanes: { lane: Lane; label: string }[] = [
      ...(detail.usesFeed ? [{ lane: 'feed' as const, label: 'feed' }] : []),
      { lane: 'server', label: 'server' },
      ...clients.map((c) => ({ lane: clientLane(c.id), label: c.label })),
    ];
    const origin = replay?.clock.start ?? events[0]?.t ?? 0;
    if (this.presenting) return this._renderPresenting(detail, stepIndex, events, lanes, origin);
    return html`
      <header>
        <a href=${sitePath('/')}>← Lessons</a>
        <h1>${String(detail.order).padStart(2, '0')} · ${detail.title}</h1>
        <span class="summary">${detail.summary}</span>
        <span class="status" data-status=${this._live?.status ?? 'connecting'}>${this._live?.status === 'open' ? 'live' : this._live?.status}</span>
        ${replay && !STATIC_SITE ? html`<a href=${`/lessons/${detail.slug}/`} title="Leave the replay for the lesson running live">Live lesson</a>` : nothing}
        <button class="present" title="Presenter mode: big type, Space and arrows step, the class can join (P)" @click=${() => (this.presenting = true)}>Present</button>
      </header>
      <main>
        <section class="prose" aria-label="Lesson">
          <nav class="step-nav" aria-label="Steps">
            <button ?disabled=${stepIndex <= 0} @click=${() => this._goToStep(stepIndex)} aria-label="Previous step">‹</button>
            <span class="count">Step ${stepIndex + 1} of ${detail.steps.length}</span>
            <button ?disabled=${stepIndex >= detail.steps.length - 1} @click=${() => this._goToStep(stepIndex + 2)} aria-label="Next step">›</button>
          </nav>
          <article class="step">
            ${step ? html`<h2>${step.title}</h2>${unsafeHTML(step.html)}` : nothing}
          </article>
        </section>
        <section class="workspace" aria-label="Live demo">
          ${replay ? this._renderReplayBar(replay) : this._renderControls(detail, options)}
          <div class="clients">
            ${clients.map((client) => {
              const shown = shownBy.get(client.id);
              const chat = this._chats.get(client.id);
              const s = stats.find((x) => x.client === client.id)!;
              return html`<div class="client" data-client=${client.id}>
                <span class="name">${client.label}</span>
                ${chat || (replay && !detail.usesFeed) ? nothing : html`shows <span class="value">${shown ? `v${shown.version}${'value' in shown ? ` ${JSON.stringify(shown.value)}` : ''}` : '—'}</span>`}
                <div class="figures">${this._figures(s, chat && { lines: chat.lines, bytes: this._bytesSince(events, client.id, chat.since) })}</div>
                ${this._statuses.has(client.id) ? html`<div class="client-status">${this._statuses.get(client.id)}</div>` : nothing}
                ${this._failed.has(client.id) ? html`<div class="failed" role="alert">Not running: ${this._failed.get(client.id)}</div>` : nothing}
                ${s.missed > 0
                  ? html`<div class="missed">missed ${s.missed} ${s.missed === 1 ? 'update' : 'updates'} · stale ${formatDuration(s.staleMs)}</div>`
                  : nothing}
                ${chat
                  ? html`<chat-box
                      .lines=${chat.lines}
                      me=${client.label}
                      @chat-send=${(e: ChatSendEvent) => chat.options.onSend(e.text)}
                      @chat-typing=${() => chat.options.onTyping?.()}
                    ></chat-box>`
                  : nothing}
              </div>`;
            })}
            <div class="view-buttons">
              <button aria-pressed=${this._table} @click=${() => (this._table = !this._table)}>Table view</button>
              ${replay
                ? nothing
                : html`<button @click=${() => this._clearTrace()} title="Forget the events recorded so far">Clear</button>
                    <button class="save-recording" @click=${() => this._saveRecording()} title="Download the trace with this lesson: it replays in any workbench page, or on the static site, without a server">
                      Save recording
                    </button>`}
            </div>
          </div>
          ${this._error ? html`<p class="error" role="alert">${this._error}</p>` : nothing}
          ${this._table
            ? html`<trace-table .events=${events} .origin=${origin} @timeline-hover=${this._onHover} @timeline-select=${this._onSelect}></trace-table>`
            : html`<event-timeline
                export-name=${detail.slug}
                .events=${events}
                .lanes=${lanes}
                .origin=${origin}
                .serverOffsetMs=${this._live?.offsetMs ?? 0}
                .clock=${replay?.serverNow}
                @timeline-hover=${this._onHover}
                @timeline-select=${this._onSelect}
              ></event-timeline>`}
          ${!detail.compare && this._hasStreams(events)
            ? html`<stream-wire-view .events=${events} .origin=${origin} follow="/lessons/${detail.slug}/api/data" @timeline-hover=${this._onHover} @timeline-select=${this._onSelect}></stream-wire-view>`
            : nothing}
          ${!detail.compare && this._hasSockets(events)
            ? html`<socket-wire-view .events=${events} .origin=${origin} follow="/lessons/${detail.slug}/api/chat" @timeline-hover=${this._onHover} @timeline-select=${this._onSelect}></socket-wire-view>`
            : nothing}
          <code-panel
            .slug=${replay ? '' : detail.slug}
            .runtimeErrors=${this._runtimeErrors(events)}
            .code=${detail.code}
            .activeLine=${this._activeLine ?? this._pinnedLine}
            .focusSteps=${step?.focus ?? []}
            .check=${replay ? undefined : detail.check}
            .checkClient=${detail.check && this._pageClientId(detail.check.client)}
          ></code-panel>
        </section>
      </main>
    `;
  }

  /** The live lesson's controls (and, when it compares techniques, its live figures). */
  private _renderControls(detail: LessonDetail, options: ClientOptions) {
    return html`<lesson-controls
        .slug=${detail.slug}
        .controls=${this._pageControls(detail.controls)}
        .usesFeed=${detail.usesFeed}
        .options=${options}
        .settings=${detail.settings}
        .scenario=${detail.scenario}
        @client-options-change=${(e: ClientOptionsChangeEvent) => this._onOptionsChange(e)}
        @control-error=${(e: ControlErrorEvent) => (this._error = e.message)}
      ></lesson-controls>
      ${detail.compare
        ? html`<technique-figures
            .slug=${detail.slug}
            .figures=${this._live?.figures}
            .intervalMs=${typeof options.intervalMs === 'number' ? options.intervalMs : undefined}
            @control-error=${(e: ControlErrorEvent) => (this._error = e.message)}
          ></technique-figures>`
        : nothing}`;
  }

  private _renderReplayBar(replay: ReplayTraceController) {
    return html`<replay-bar .replay=${replay} .time=${replay.clock.time()} .playing=${replay.clock.playing} .speed=${replay.clock.speed}></replay-bar>`;
  }

  /** The stage in presenter mode: one line of where we are, the timeline and the code, big. */
  private _renderPresenting(detail: LessonDetail, stepIndex: number, events: readonly TraceEvent[], lanes: { lane: Lane; label: string }[], origin: number) {
    const step = detail.steps[stepIndex];
    const replay = this._replay;
    const state = this._presentation?.state;
    const paused = replay ? !replay.clock.playing : state?.paused;
    const speed = replay ? replay.clock.speed : 1 / detail.settings.timeScale;
    const stage = replay ? this._replayStage : (state?.stage ?? 'both');
    return html`
      <header class="present-bar" aria-label="Presenting">
        <span class="lesson">${String(detail.order).padStart(2, '0')} · ${detail.title}</span>
        <span class="step-title">${step?.title ?? ''}</span>
        <span class="badge step-count">${stepIndex + 1} / ${detail.steps.length}</span>
        ${paused ? html`<span class="paused">Paused</span>` : nothing}
        ${speed !== 1 ? html`<span class="badge speed">${formatSpeed(speed)}</span>` : nothing}
        ${stage !== 'both' ? html`<span class="badge stage-only" title="Z shows the other, then both">${STAGE_LABELS[stage]}</span>` : nothing}
        ${replay
          ? html`<span class="badge replay">Replay ${formatDuration(replay.clock.time() - replay.clock.start)}</span>`
          : html`<span class="badge audience" title="Audience pages following (Q shows the join code)">${state?.audience ?? 0} joined</span>`}
      </header>
      <section class="stage" data-stage=${stage} aria-label="Live demo">
        ${this._error ? html`<p class="error" role="alert">${this._error}</p>` : nothing}
        <event-timeline
          .events=${events}
          .lanes=${lanes}
          .origin=${origin}
          .serverOffsetMs=${this._live?.offsetMs ?? 0}
          .clock=${replay?.serverNow}
          .paused=${state?.paused ?? false}
          .scale=${PRESENTING_TIMELINE_SCALE}
          .laneNotes=${detail.compare ? figureNotes(detail.compare, this._live?.figures) : undefined}
          .maxLanes=${lanes.length + 1}
          export-name=${detail.slug}
          @timeline-hover=${this._onHover}
          @timeline-select=${this._onSelect}
        ></event-timeline>
        <code-panel
          presenting
          .slug=${replay ? '' : detail.slug}
          .runtimeErrors=${this._runtimeErrors(events)}
          .code=${detail.code}
          .activeLine=${this._activeLine ?? this._pinnedLine}
          .focusSteps=${step?.focus ?? []}
        ></code-panel>
      </section>
      ${this._qr ? this._renderJoinCode(state?.audience ?? 0) : nothing}
    `;
  }

  /** The join code, full screen: the audience URL as a QR code and as text. */
  private _renderJoinCode(audience: number) {
    const urls = this._presentation?.urls;
    return html`<div class="qr" role="dialog" aria-label="Join the class" @click=${() => (this._qr = false)}>
      <img src="/api/presentation/qr.svg?for=audience" alt="QR code of the audience URL" />
      <div class="url">${urls?.audience ?? ''}</div>
      <div>${audience} joined</div>
      ${urls?.reachable === false
        ? html`<div class="hint">Only this machine can open it: start the workbench with <code>npm start -- --host 0.0.0.0</code> to let a class join.</div>`
        : html`<div class="hint">Open it on your phone or laptop: your browser joins the demo. Q or a click closes this.</div>`}
    </div>`;
  }

  /** Starts or stops following the class's presentation; a presenter taking the stage shows this lesson at this step. */
  private _followPresentation(on: boolean): void {
    if (this._presentation) dropController(this, this._presentation);
    this._presentation = undefined;
    // A replay is presented on its own: nothing on a server to steer or follow.
    if (!on || STATIC_SITE || this._replay || this.recording) return;
    // Until the workbench has taken this page's lesson and step, the states it streams are older ones: not to be followed.
    let takenAt = Infinity;
    const presentation = new PresentationController(this, { onChange: (state) => state.revision >= takenAt && this._onPresentation(state.lesson, state.step) });
    this._presentation = presentation;
    presentation.change({ lesson: this.slug, step: this._step }).then(
      (state) => (takenAt = state.revision),
      (error: Error) => (this._error = error.message),
    );
  }

  /** Another window (the presenter window, a phone) moved the presentation: go where it is. */
  private _onPresentation(lesson: string | undefined, step: number): void {
    if (!lesson) return;
    if (lesson !== this.slug) return void location.assign(`/lessons/${lesson}/?present#step-${step}`);
    if (step !== this._step) location.hash = `#step-${step}`;
  }

  private _onKey(e: KeyboardEvent): void {
    if (e.defaultPrevented || isTyping(e)) return;
    if (!this.presenting) {
      if (e.key === 'p' || e.key === 'P') this.presenting = true;
      return;
    }
    const command = e.key === 'p' || e.key === 'P' ? 'exit' : presenterCommand(e.key);
    if (!command) return;
    e.preventDefault();
    this._run(command);
  }

  /** Does what a presenter's key asks. */
  private _run(command: PresenterCommand): void {
    const detail = this._detail;
    if (!detail) return;
    const count = detail.steps.length;
    const at = Math.min(this._step, count);
    const fail = (error: Error) => (this._error = error.message);
    // A replay has no server behind it: no data to change, no action to run, no class to join, no presenter window.
    if (this._replay && (command === 'change' || command === 'action' || command === 'qr' || command === 'window')) return;
    switch (command) {
      case 'next':
        return this._goToStep(Math.min(count, at + 1));
      case 'previous':
        return this._goToStep(Math.max(1, at - 1));
      case 'first':
        return this._goToStep(1);
      case 'last':
        return this._goToStep(count);
      case 'pause':
        if (this._replay) return this._replay.control((c) => (c.playing ? c.pause() : c.play()));
        return void this._presentation?.change({ paused: !this._presentation.state?.paused }).catch(fail);
      case 'change':
        return void (detail.usesFeed && callApi('POST', `/api/lessons/${detail.slug}/feed/next`).catch(fail));
      case 'action':
        const action = detail.steps[at - 1]?.action;
        return void (action && runStepAction(detail.slug, action, (id) => this._pageClientId(id)).catch(fail));
      case 'stage':
        if (this._replay) return void (this._replayStage = nextStage(this._replayStage));
        return void this._presentation?.change({ stage: nextStage(this._presentation.state?.stage ?? 'both') }).catch(fail);
      case 'qr':
        return void (this._qr = !this._qr);
      case 'window':
        return void open('/presenter', 'rww-presenter', 'popup,width=1000,height=720');
      case 'exit':
        if (this._qr) return void (this._qr = false);
        this.presenting = false;
    }
  }

  /** Remembers the step shown and a passed check, for the lesson list. */
  private _recordProgress(detail: LessonDetail): void {
    // Once per step shown, not once per render (the store reads localStorage).
    const step = Math.min(this._step, detail.steps.length);
    const shown = `${detail.slug}#${step}/${detail.steps.length}`;
    if (shown !== this._progressShown) this._progress.visit(detail.slug, step, detail.steps.length);
    this._progressShown = shown;
    const events = this._live?.events ?? [];
    const client = detail.check && this._pageClientId(detail.check.client);
    for (let i = events.length - 1; i >= 0 && events[i]!.seq > this._checkSeen; i--) {
      const e = events[i]!;
      if (e.kind === 'check' && e.phase === 'pass' && e.client === client) this._progress.passCheck(detail.slug);
    }
    this._checkSeen = events.at(-1)?.seq ?? this._checkSeen;
  }


  /** Every byte a client's connections carried since `since` (server time), both ways. */
  private _bytesSince(events: readonly TraceEvent[], client: string, since: number): number {
    let bytes = 0;
    for (const e of events) if (e.client === client && e.t >= since) bytes += eventBytes(e) ?? 0;
    return bytes;
  }

  /** A client card's figures: requests or streams or sockets, bytes, rates, staleness; for a chat, the bytes per message since its box opened. */
  private _figures(s: ClientStats, chat: { lines: readonly ChatLine[]; bytes: number } | undefined) {
    const rate = html`<span class="rate" title="over the last ${RATE_WINDOW_MS / 1000} s"
      >${s.requests === 0 && (s.streams > 0 || s.sockets > 0) ? '' : `${formatRate(s.requestsPerSec)} req/s, `}${formatBytes(s.bytesPerSec)}/s</span
    >`;
    const chats = chat?.lines.filter((line) => line.kind === 'chat').length ?? 0;
    const counts = [
      s.sockets > 0 ? `${s.sockets} ${s.sockets === 1 ? 'socket' : 'sockets'} · ${s.frames} frames · ${s.reconnects} reconnects` : '',
      s.streams > 0 ? `${s.streams} ${s.streams === 1 ? 'stream' : 'streams'} · ${s.messages} events received · ${s.reconnects} reconnects` : '',
      s.requests > 0 || (s.sockets === 0 && s.streams === 0)
        ? `${s.requests} requests · ${Object.entries(s.statuses).map(([status, n]) => `${n}× ${status}`).join(', ') || 'no answers yet'}`
        : '',
    ].filter(Boolean);
    return html`${counts.join(' · ')} · ${chat ? formatBytes(s.wireBytes) : formatBytes(s.bytes)}${s.bytesSaved
        ? html` · <strong>${formatBytes(s.bytesSaved)} saved by 304</strong>`
        : nothing} · ${rate}${chat && chats > 0
        ? html` · <strong class="per-message" title="every byte both ways since this chat box opened (handshakes, headers, frames, pings) ÷ chat messages it received">${formatBytes(chat.bytes / chats)} per chat message</strong>`
        : nothing}${s.medianStaleMs !== undefined ? html` · median staleness ${formatDuration(s.medianStaleMs)}` : nothing}${s.maxInFlight > 1
        ? html` · <strong class="pile-up">${s.maxInFlight} requests in flight at once</strong>`
        : nothing}`;
  }

  /** The lesson's clients as this tab runs them: in a second tab of the lesson, `ada-2` labelled "Ada 2". */
  private _pageClients(detail: LessonDetail): { id: string; label: string; options?: ClientOptions }[] {
    if (this._tab === 1) return detail.clients;
    return detail.clients.map((c) => ({ ...c, id: this._pageClientId(c.id), label: `${c.label} ${this._tab}` }));
  }

  /** The id this tab runs a lesson client under: `ada`, or `ada-2` in a second tab. */
  private _pageClientId(id: string): string {
    return this._tab === 1 ? id : `${id}-${this._tab}`;
  }

  /** The controls, pointed at this tab's clients. */
  private _pageControls(controls: readonly LessonControl[]): LessonControl[] {
    if (this._tab === 1) return [...controls];
    return controls.map((c) => (c.kind === 'race' || c.kind === 'drop' ? { ...c, client: this._pageClientId(c.client) } : c));
  }

  /** Whether the lesson has opened an event stream (then the wire view shows under the timeline); once true, it stays. */
  private _streams = false;
  private _hasStreams(events: readonly TraceEvent[]): boolean {
    return (this._streams ||= events.some((e) => e.kind === 'stream-open'));
  }

  /** The runtime errors to mark in the code: a new array only when they change, so the editor is not redrawn for nothing. */
  private _thrown: RuntimeError[] = [];
  private _runtimeErrors(events: readonly TraceEvent[]): RuntimeError[] {
    const now = runtimeErrors(events);
    if (JSON.stringify(now) !== JSON.stringify(this._thrown)) this._thrown = now;
    return this._thrown;
  }

  /** Whether the lesson has opened a WebSocket (then the socket wire view shows); once true, it stays. */
  private _sockets = false;
  private _hasSockets(events: readonly TraceEvent[]): boolean {
    return (this._sockets ||= events.some((e) => e.kind === 'ws-open'));
  }

  private readonly _onHover = (e: TimelineHoverEvent) => (this._activeLine = e.source);
  private readonly _onSelect = (e: TimelineSelectEvent) => (this._pinnedLine = e.source);

  private _goToStep(n: number) {
    location.hash = `#step-${n}`;
    if (this._replay) return this._seekToStep(this._replay, n);
    // Presenting, the workbench sets the step's scenario and runs its action, and the class follows.
    if (this._presentation) return void this._presentation.change({ lesson: this.slug, step: n }).catch((error: Error) => (this._error = error.message));
    const scenario = this._detail?.steps[n - 1]?.scenario;
    if (scenario) callApi('PUT', `/api/lessons/${this.slug}/scenario`, scenario).catch((error: Error) => (this._error = error.message));
  }

  private async _startClients() {
    const detail = this._detail;
    const live = this._live;
    if (!detail || !live) return;
    const run = ++this._runs;
    try {
      // A client.ts that does not load fails each client as a throw in it would: on its card and its lane.
      const start = await loadLessonClient(detail.slug, detail.clientModule).catch((error: unknown) => (): never => {
        throw error;
      });
      this._tab = await (this._tabClaim ??= claimTabNumber(`lesson:${detail.slug}`, this._tabLock.signal));
      // Restarted (new options, new client.ts) while this start was loading: the newer start runs the clients.
      if (run !== this._runs) return;
      // An older start may have run before this one began (an edit pushed while the page first synced its clock).
      this._stopAllClients();
      const options = this._options ?? detail.options;
      const failed = new Map<string, string>();
      for (const client of this._pageClients(detail)) {
        const { context, stop } = createClientContext({
          slug: detail.slug,
          clientId: client.id,
          label: client.label,
          options: { ...options, ...client.options },
          now: () => live.serverNow(),
          timeScale: () => this._detail?.settings.timeScale ?? 1,
          report: (event) => live.report(event),
          onShow: (snapshot) => (this._shown = new Map(this._shown).set(client.id, snapshot)),
          onStatus: (text) => (this._statuses = new Map(this._statuses).set(client.id, text)),
          chatBox: (chatOptions) => {
            this._chats = new Map(this._chats).set(client.id, { lines: [], options: chatOptions, since: live.serverNow() });
            return {
              add: (line) => {
                const chat = this._chats.get(client.id);
                if (chat) this._chats = new Map(this._chats).set(client.id, { ...chat, lines: [...chat.lines.slice(-(MAX_CHAT_LINES - 1)), line] });
              },
            };
          },
        });
        this._stopClients.push(stop);
        try {
          start(context);
        } catch (error) {
          failed.set(client.id, error instanceof Error ? error.message : String(error));
          context.reportError(error);
        }
      }
      this._failed = failed;
    } catch (error) {
      this._error = error instanceof Error ? error.message : String(error);
    }
  }

  private _onOptionsChange(e: ClientOptionsChangeEvent) {
    this._options = e.options;
    this._restartClients();
  }

  private _restartClients() {
    this._stopAllClients();
    void this._startClients();
  }

  private _stopAllClients() {
    for (const stop of this._stopClients.splice(0)) stop();
  }

  /** The step the replay last turned to: a step the reader picks stands until the recording turns again. */
  private _replayTurn?: number;

  /** Turns the steps as the recording did (a recording made step by step says when). */
  private _turnWithReplay(replay: ReplayTraceController): void {
    const turns = replay.recording.steps;
    if (!turns?.length) return;
    const time = replay.clock.time();
    let step = turns[0]!.step;
    for (const turn of turns) if (turn.at <= time) step = turn.step;
    if (step === this._replayTurn) return;
    this._replayTurn = step;
    if (step !== this._step) location.hash = `#step-${step}`;
  }

  /** Picking a step of a replay plays it from where the recording turned to it. */
  private _seekToStep(replay: ReplayTraceController, n: number): void {
    const turn = replay.recording.steps?.find((t) => t.step === n);
    if (!turn) return;
    this._replayTurn = n;
    replay.control((clock) => clock.seek(turn.at));
  }

  private _saveRecording() {
    const link = Object.assign(document.createElement('a'), { href: `/api/trace?lesson=${encodeURIComponent(this.slug)}&format=recording`, download: `${this.slug}.recording.json` });
    link.click();
  }

  private _clearTrace() {
    callApi('DELETE', `/api/trace?lesson=${this.slug}`).catch((error: Error) => (this._error = error.message));
  }
}

/** The version each client showed last, by the trace (a replay has no clients to ask). */
function shownIn(events: readonly TraceEvent[]): Map<string, { version: number }> {
  const shown = new Map<string, { version: number }>();
  for (const e of events) if (e.kind === 'client-show') shown.set(e.client, { version: e.version });
  return shown;
}

/**
 * Errors thrown at a line of lesson code: by the server code since server.ts was last (re)loaded, and
 * by the clients since either file was (what a client throws is often its answer to what the server did).
 */
function runtimeErrors(events: readonly TraceEvent[]): RuntimeError[] {
  const errors: RuntimeError[] = [];
  let clientReloaded = false;
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    if (e.kind === 'reload' && e.file === 'server.ts') break;
    if (e.kind === 'reload') clientReloaded = true;
    const thrown = (e.kind === 'error' && e.phase === 'runtime') || e.kind === 'client-error' ? e : undefined;
    const source = thrown?.source;
    if (!source || (source.file === 'client.ts' && clientReloaded) || errors.some((x) => x.file === source.file && x.line === source.line)) continue;
    errors.unshift({ file: source.file, line: source.line, message: thrown.message });
  }
  return errors;
}

function formatRate(perSec: number): string {
  return perSec >= 10 ? String(Math.round(perSec)) : perSec.toFixed(1);
}

/** How much bigger the timeline is drawn in presenter mode: its 13 px labels become 20 px. */
const PRESENTING_TIMELINE_SCALE = 1.54;

/**
 * The live figures in presenter mode: on a projector there is no room for the table under a
 * timeline of six lanes, so each technique's latency and bytes per change go under its lane's name.
 */
function figureNotes(compare: readonly CompareTechnique[], figures: LessonFigures | undefined): Map<Lane, string[]> {
  const notes = new Map<Lane, string[]>();
  for (const { kind, client } of compare) {
    const t = figures?.techniques.find((f) => f.kind === kind);
    if (!t) continue;
    notes.set(clientLane(client), [
      t.latencyP99Ms === undefined ? 'p99 —' : `p99 ${formatFigure(t.latencyP99Ms)} ms`,
      t.bytesPerUpdate === undefined ? '— B/update' : `${formatFigure(t.bytesPerUpdate)} B/update`,
    ]);
  }
  return notes;
}

function formatSpeed(speed: number): string {
  return `${Number(speed.toFixed(2))}×`;
}

function stepFromHash(): number {
  const match = /^#step-(\d+)$/.exec(location.hash);
  return match ? Math.max(1, Number(match[1])) : 1;
}

declare global {
  interface HTMLElementTagNameMap {
    'lesson-view': LessonView;
  }
}
