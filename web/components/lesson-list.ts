import { Task } from '@lit/task';
import { LitElement, css, html } from 'lit';
import { customElement } from 'lit/decorators.js';
import type { LessonSummary } from '../../lessons/lesson.ts';
import { theme } from '../theme.ts';

/** The course: every lesson, in order, with its summary. */
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
        grid-template-columns: 3rem 1fr;
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
        grid-row: span 2;
        font: 600 1.6rem var(--wb-mono);
        color: var(--wb-accent);
      }
      .title {
        font-size: 1.25rem;
        font-weight: 600;
      }
      .summary {
        color: var(--wb-muted);
        line-height: 1.4;
      }
      .error {
        color: var(--wb-error);
      }
    `,
  ];

  private readonly _lessons = new Task(this, {
    task: async (_args, { signal }) => {
      const res = await fetch('/api/lessons', { signal });
      if (!res.ok) throw new Error(`GET /api/lessons answered ${res.status}`);
      return (await res.json()) as LessonSummary[];
    },
    args: () => [],
  });

  override render() {
    return html`
      <h1>Realtime Web Workbench</h1>
      <p class="lead">
        How does a page get fresh data? Each lesson runs a real endpoint and a real browser client, and draws what
        happened on the wire next to the code that did it.
      </p>
      ${this._lessons.render({
        pending: () => html`<p>Loading lessons…</p>`,
        error: (error) => html`<p class="error">Could not load the lessons: ${String(error)}</p>`,
        complete: (lessons) => html`
          <ol>
            ${lessons.map(
              (lesson) => html`<li>
                <a href="/lessons/${lesson.slug}/">
                  <span class="order">${String(lesson.order).padStart(2, '0')}</span>
                  <span class="title">${lesson.title}</span>
                  <span class="summary">${lesson.summary}</span>
                </a>
              </li>`,
            )}
          </ol>
        `,
      })}
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'lesson-list': LessonList;
  }
}
