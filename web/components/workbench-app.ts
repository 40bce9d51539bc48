import { LitElement, css, html } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { keyed } from 'lit/directives/keyed.js';
import type { Recording } from '../../lessons/recording.ts';
import { RecordingOpenEvent } from '../events.ts';
import { pagePath, sitePath, STATIC_SITE } from '../static-site.ts';
import './open-recording.ts';
import { theme } from '../theme.ts';
import './lesson-list.ts';
import './lesson-view.ts';
import './presenter-view.ts';

const LESSON_PATH = /^\/lessons\/([a-z0-9-]+)\/?$/;

/**
 * The whole page: the lesson list at `/`, one lesson at `/lessons/<slug>/`, the presenter window at
 * `/presenter`. A recording opened from a file replays at `/lessons/<slug>/?replay`.
 */
@customElement('workbench-app')
export class WorkbenchApp extends LitElement {
  static override styles = [
    theme,
    css`
      :host {
        display: block;
        min-height: 100vh;
        background: var(--wb-bg);
      }
      .notice {
        max-width: 50rem;
        margin: 0 auto;
        padding: 3rem 1.5rem;
      }
      a {
        color: var(--wb-accent);
      }
    `,
  ];

  @state() private _path = pagePath();
  /** The recording opened from a file in this page, if any (a reload forgets it: files are not kept). */
  @state() private _recording?: Recording;

  private readonly _onPopState = () => (this._path = pagePath());
  private readonly _onRecordingOpen = (e: RecordingOpenEvent) => {
    this._recording = e.recording;
    history.pushState(null, '', sitePath(`lessons/${e.recording.detail.slug}/?replay`));
    this._path = pagePath();
  };

  override connectedCallback(): void {
    super.connectedCallback();
    addEventListener('popstate', this._onPopState);
    this.addEventListener(RecordingOpenEvent.eventName, this._onRecordingOpen);
  }

  override disconnectedCallback(): void {
    removeEventListener('popstate', this._onPopState);
    this.removeEventListener(RecordingOpenEvent.eventName, this._onRecordingOpen);
    super.disconnectedCallback();
  }

  override render() {
    if (this._path === '/presenter') return html`<presenter-view></presenter-view>`;
    const slug = LESSON_PATH.exec(this._path)?.[1];
    if (!slug) return html`<lesson-list></lesson-list>`;
    if (STATIC_SITE || !new URLSearchParams(location.search).has('replay')) return keyed(slug, html`<lesson-view .slug=${slug}></lesson-view>`);
    const recording = this._recording?.detail.slug === slug ? this._recording : undefined;
    if (!recording) {
      return html`<p class="notice">
        This replay's recording was opened from a file, and a page keeps no file when it reloads.
        <open-recording></open-recording> or see <a href=${sitePath(`lessons/${slug}/`)}>the lesson live</a>.
      </p>`;
    }
    return keyed(recording, html`<lesson-view .slug=${slug} .recording=${recording}></lesson-view>`);
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'workbench-app': WorkbenchApp;
  }
}
