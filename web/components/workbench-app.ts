import { LitElement, css, html } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { theme } from '../theme.ts';
import './lesson-list.ts';
import './lesson-view.ts';
import './presenter-view.ts';

const LESSON_PATH = /^\/lessons\/([a-z0-9-]+)\/?$/;

/** The whole page: the lesson list at `/`, one lesson at `/lessons/<slug>/`, the presenter window at `/presenter`. */
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
    `,
  ];

  @state() private _path = location.pathname;

  private readonly _onPopState = () => (this._path = location.pathname);

  override connectedCallback(): void {
    super.connectedCallback();
    addEventListener('popstate', this._onPopState);
  }

  override disconnectedCallback(): void {
    removeEventListener('popstate', this._onPopState);
    super.disconnectedCallback();
  }

  override render() {
    if (this._path === '/presenter') return html`<presenter-view></presenter-view>`;
    const slug = LESSON_PATH.exec(this._path)?.[1];
    return slug ? html`<lesson-view .slug=${slug}></lesson-view>` : html`<lesson-list></lesson-list>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'workbench-app': WorkbenchApp;
  }
}
