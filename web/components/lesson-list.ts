import { Task } from '@lit/task';
import { LitElement, css, html } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import type { LessonSummary } from '../../lessons/lesson.ts';
import { createProgressStore, progressLabel, type LessonProgress } from '../progress.ts';
import { LESSONS_URL, sitePath, STATIC_SITE } from '../static-site.ts';
import { theme } from '../theme.ts';
import './open-recording.ts';

/** The course: every lesson, in order, with its summary and how far this browser got in it. */
@customElement('lesson-list')
export class LessonList extends LitElement {
  static override styles = [
    theme,
    css`
      :host {
        display: block;
        max-width: 60rem;
        margin: 0 auto;
        padding: 3rem 1.5rem;
      }
      h1 {
        font-size: 2.2rem;
        margin: 0 0 0.5rem;
      }
      .lead {
        color: var(--wb-muted);
        font-size: 1.15rem;
        margin: 0 0 2rem;
        line-height: 1.5;
      }
      ol {
        list-style: none;
        padding: 0;
        display: grid;
        gap: 0.75rem;
      }
      a {
        display: grid;
        grid-template-columns: 3rem 1fr auto;
        gap: 0 1rem;
        padding: 1rem 1.25rem;
        border: 1px solid var(--wb-border);
        border-radius: var(--wb-radius);
        background: var(--wb-surface);
        color: inherit;
        text-decoration: none;
      }
      a:hover,
      a:focus-visible {
        border-color: var(--wb-accent);
      }
      .order {
        grid-row: span 3;
        font: 600 1.6rem var(--wb-mono);
        color: var(--wb-accent);
      }
      .title {
        font-size: 1.25rem;
        font-weight: 600;
      }
      .title,
      .summary {
        grid-column: span 2;
      }
      .summary {
        color: var(--wb-muted);
        line-height: 1.4;
      }
      .progress {
        display: flex;
        align-items: center;
        gap: 0.75rem;
        margin-top: 0.6rem;
        color: var(--wb-muted);
        font-size: 0.9rem;
      }
      .bar {
        flex: none;
        width: 8rem;
        height: 0.35rem;
        border-radius: 0.2rem;
        background: var(--wb-surface-2);
        overflow: hidden;
      }
      .bar span {
        display: block;
        height: 100%;
        background: var(--wb-server);
      }
      .continue {
        align-self: end;
        margin-top: 0.6rem;
        color: var(--wb-accent);
        font-size: 0.9rem;
      }
      .replay {
        color: var(--wb-muted);
        margin-top: 1.5rem;
      }
      .forget {
        display: flex;
        align-items: center;
        gap: 1rem;
        margin-top: 1.5rem;
        color: var(--wb-muted);
      }
      .forget button {
        color: var(--wb-text);
      }
      .error {
        color: var(--wb-error);
      }
    `,
  ];

  private readonly _lessons = new Task(this, {
    task: async (_args, { signal }) => {
      const res = await fetch(LESSONS_URL, { signal });
      if (!res.ok) throw new Error(`GET ${LESSONS_URL} answered ${res.status}`);
      return (await res.json()) as LessonSummary[];
    },
    args: () => [],
  });

  private readonly _store = createProgressStore();
  private _unsubscribe?: () => void;

  /** Progress per lesson slug, read again whenever it changes (here or in another tab). */
  @state() private _progress: Record<string, LessonProgress> = {};

  override connectedCallback(): void {
    super.connectedCallback();
    this._progress = this._store.all();
    this._unsubscribe = this._store.subscribe(() => (this._progress = this._store.all()));
  }

  override disconnectedCallback(): void {
    this._unsubscribe?.();
    super.disconnectedCallback();
  }

  override render() {
    return html`
      <h1>Realtime Web Workbench</h1>
      <p class="lead">
        How does a page get fresh data? Each lesson runs a real endpoint and a real browser client, and draws what
        happened on the wire next to the code that did it.
      </p>
      ${STATIC_SITE
        ? html`<p class="lead recorded">
            This copy has no server: each lesson replays a recording made on a real workbench. Run
            <code>npm install &amp;&amp; npm start</code> to run them live, and edit them.
          </p>`
        : ''}
      ${this._lessons.render({
        pending: () => html`<p>Loading lessons…</p>`,
        error: (error) => html`<p class="error">Could not load the lessons: ${String(error)}</p>`,
        complete: (lessons) => html`
          <ol>
            ${lessons.map((lesson) => this._renderLesson(lesson, this._progress[lesson.slug]))}
          </ol>
          ${Object.keys(this._progress).length
            ? html`<p class="forget">
                Your progress is kept in this browser only.
                <button @click=${() => this._store.clear()}>Forget my progress</button>
              </p>`
            : ''}
        `,
      })}
      <p class="replay">Saved a lesson's recording? <open-recording></open-recording></p>
    `;
  }

  private _renderLesson(lesson: LessonSummary, progress: LessonProgress | undefined) {
    const seen = progress ? progress.seen.length / progress.totalSteps : 0;
    return html`<li>
      <a href="${sitePath(`lessons/${lesson.slug}/`)}${progress ? `#step-${progress.lastStep}` : ''}">
        <span class="order">${String(lesson.order).padStart(2, '0')}</span>
        <span class="title">${lesson.title}</span>
        <span class="summary">${lesson.summary}</span>
        <span class="progress">
          <span class="bar" aria-hidden="true"><span style="width: ${Math.round(seen * 100)}%"></span></span>
          <span class="label">${progressLabel(progress)}</span>
        </span>
        ${progress ? html`<span class="continue">Continue at step ${progress.lastStep} →</span>` : ''}
      </a>
    </li>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'lesson-list': LessonList;
  }
}
