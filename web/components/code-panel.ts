import { LitElement, css, html, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { unsafeHTML } from 'lit/directives/unsafe-html.js';
import type { LessonCode } from '../../lessons/lesson.ts';
import type { LessonFile, SourceLocation } from '../../lessons/trace-event.ts';
import { theme } from '../theme.ts';

type CopyState = 'idle' | 'copied' | 'selected';

const COPY_LABELS: Record<CopyState, string> = {
  idle: 'Copy',
  copied: 'Copied',
  selected: 'Text selected',
};

const COPY_FEEDBACK_MS: Record<Exclude<CopyState, 'idle'>, number> = { copied: 1500, selected: 4000 };

/**
 * Shows a lesson's highlighted files in tabs and lights up the lines the timeline points at.
 * @cssprop --code-panel-font-size - Code font size, never below 14px (default 15px).
 * @cssprop --code-panel-active - Background of the line of the selected event.
 * @cssprop --code-panel-active-bar - Edge and number colour of that line (default `--wb-held`).
 * @cssprop --code-panel-step - Colour of step markers and focused steps (default `--wb-accent`).
 */
@customElement('code-panel')
export class CodePanel extends LitElement {
  static override styles = [
    theme,
    css`
      :host {
        display: flex;
        flex-direction: column;
        min-height: 0;
        background: var(--wb-surface);
        border: 1px solid var(--wb-border);
        border-radius: var(--wb-radius);
        overflow: hidden;
        --code-panel-font-size: 15px;
        --code-panel-active: rgb(227 179 65 / 0.3);
        --code-panel-active-bar: var(--wb-held);
        --code-panel-step: var(--wb-accent);
      }

      .toolbar {
        display: flex;
        align-items: end;
        gap: 0.5rem;
        padding: 0.35rem 0.5rem 0;
        border-bottom: 1px solid var(--wb-border);
      }
      [role='tablist'] {
        display: flex;
        gap: 0.25rem;
        flex: 1;
        min-width: 0;
      }
      [role='tab'] {
        font-family: var(--wb-mono);
        font-size: 14px;
        border: 1px solid transparent;
        border-bottom: none;
        border-radius: var(--wb-radius) var(--wb-radius) 0 0;
        background: transparent;
        color: var(--wb-muted);
        padding: 0.3rem 0.8rem;
      }
      [role='tab'][aria-selected='true'] {
        background: var(--wb-bg);
        border-color: var(--wb-border);
        color: var(--wb-text);
        margin-bottom: -1px;
      }
      .copy {
        margin-bottom: 0.35rem;
        font-size: 13px;
        min-width: 7.5em;
      }

      .panel {
        flex: 1 1 auto;
        min-height: 0;
        overflow: auto;
        position: relative;
        background: var(--wb-bg);
      }
      .panel[hidden] {
        display: none;
      }

      pre {
        margin: 0;
        padding: 0.5rem 0;
        min-height: 100%;
        box-sizing: border-box;
        font-family: var(--wb-mono);
        font-size: max(14px, var(--code-panel-font-size));
        line-height: 1.6;
        tab-size: 2;
      }
      pre:focus-visible {
        outline-offset: -2px;
      }
      code {
        display: block;
        width: fit-content;
        min-width: 100%;
        font: inherit;
      }

      /* One row per line, as wide as the longest line, so backgrounds span the whole row. */
      .line {
        display: inline-block;
        width: 100%;
        padding-right: 1rem;
        box-sizing: border-box;
        transition:
          opacity 0.2s,
          filter 0.2s,
          background-color 0.2s;
      }
      .line::before {
        content: attr(data-line) '  ';
        display: inline-block;
        width: 6ch;
        padding-left: 0.5ch;
        margin-right: 1ch;
        text-align: right;
        color: var(--wb-muted);
        opacity: 0.7;
        user-select: none;
      }
      .line.diff.add::before {
        content: attr(data-line) ' +';
      }
      .line.diff.remove::before {
        content: attr(data-line) ' −';
      }

      .line.highlighted {
        background: rgb(88 166 255 / 0.12);
      }
      .line.diff.add {
        background: rgb(46 160 67 / 0.2);
      }
      .line.diff.add::before {
        color: #3fb950;
        opacity: 1;
      }
      .line.diff.remove {
        background: rgb(248 81 73 / 0.18);
      }
      .line.diff.remove::before {
        color: #f85149;
        opacity: 1;
      }
      .line.has-step {
        box-shadow: inset 2px 0 0 color-mix(in srgb, var(--code-panel-step) 45%, transparent);
      }

      .has-focused .line:not(.focused, .step-focus, .active-line) {
        opacity: 0.6;
        filter: blur(0.08rem);
      }
      .has-focused:hover .line:not(.focused) {
        opacity: 1;
        filter: none;
      }

      .panel.has-step-focus .line:not(.step-focus, .active-line) {
        opacity: 0.4;
      }
      .line.step-focus {
        background: rgb(88 166 255 / 0.16);
        box-shadow: inset 3px 0 0 var(--code-panel-step);
      }
      .line.step-focus::before {
        color: var(--code-panel-step);
        opacity: 1;
      }

      .line.active-line {
        background: var(--code-panel-active);
        box-shadow:
          inset 5px 0 0 var(--code-panel-active-bar),
          inset 0 1px 0 var(--code-panel-active-bar),
          inset 0 -1px 0 var(--code-panel-active-bar);
        opacity: 1;
        filter: none;
      }
      .line.active-line::before {
        color: var(--code-panel-active-bar);
        font-weight: 700;
        opacity: 1;
      }

      .empty {
        padding: 1rem;
        color: var(--wb-muted);
      }

      @media (prefers-reduced-motion: reduce) {
        .line {
          transition: none;
        }
      }
    `,
  ];

  /** The lesson's highlighted files, usually server.ts and client.ts. */
  @property({ attribute: false }) code: readonly LessonCode[] = [];

  /** The file whose tab is shown; defaults to the first file. */
  @property() file?: LessonFile;

  /** The line of the selected timeline event: its tab is shown and the line lit and scrolled to. */
  @property({ attribute: false }) activeLine?: SourceLocation;

  /** Step ids whose lines are emphasised while the others dim. */
  @property({ attribute: false }) focusSteps: readonly string[] = [];

  /** The tab shown, once chosen by the user, `file`, `activeLine` or `focusSteps`. */
  @state() private _file?: LessonFile;

  @state() private _copyState: CopyState = 'idle';

  private _stepsByFile = new Map<LessonFile, Set<string>>();
  private _copyTimer?: ReturnType<typeof setTimeout>;

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearTimeout(this._copyTimer);
  }

  override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('code')) this._stepsByFile = stepsByFile(this.code);
    if (changed.has('file') && this.file) this._file = this.file;
    if (changed.has('focusSteps') && this.focusSteps.length > 0) {
      const current = this._currentFile();
      const owners = this.code.map((c) => c.file).filter((file) => this._hasFocusStep(file));
      if (owners.length > 0 && (current === undefined || !owners.includes(current))) this._file = owners[0];
    }
    if (changed.has('activeLine') && this.activeLine && this.code.some((c) => c.file === this.activeLine?.file)) {
      this._file = this.activeLine.file;
    }
  }

  override render() {
    if (this.code.length === 0) return html`<div class="empty">No code loaded.</div>`;
    const current = this._currentFile();
    return html`
      <div class="toolbar">
        <div role="tablist" aria-label="Lesson files" @keydown=${this._onTabKeydown}>
          ${this.code.map(
            ({ file }) => html`<button
              role="tab"
              id=${`tab-${file}`}
              aria-controls=${`panel-${file}`}
              aria-selected=${file === current}
              tabindex=${file === current ? 0 : -1}
              data-file=${file}
              @click=${() => this._select(file)}
            >
              ${file}
            </button>`,
          )}
        </div>
        <button class="copy" @click=${this._onCopy} aria-live="polite">${COPY_LABELS[this._copyState]}</button>
      </div>
      ${repeat(
        this.code,
        (c) => c.file,
        (c) => html`<div
          class="panel"
          role="tabpanel"
          id=${`panel-${c.file}`}
          aria-labelledby=${`tab-${c.file}`}
          data-file=${c.file}
          ?hidden=${c.file !== current}
        >
          ${unsafeHTML(c.html)}
        </div>`,
      )}
    `;
  }

  override updated(changed: PropertyValues<this>): void {
    // Class toggling runs on every update: new `code` HTML replaces the lines and their classes.
    for (const panel of this.renderRoot.querySelectorAll<HTMLElement>('.panel')) this._decoratePanel(panel);

    const panel = this._panel(this._currentFile());
    if (!panel) return;
    if (changed.has('activeLine') && this.activeLine) {
      const line = panel.querySelector<HTMLElement>('.line.active-line');
      if (line) scrollLineIntoPanel(panel, line);
    } else if (changed.has('focusSteps') && this.focusSteps.length > 0) {
      const line = panel.querySelector<HTMLElement>('.line.step-focus');
      if (line) scrollLineIntoPanel(panel, line);
    }
  }

  private _decoratePanel(panel: HTMLElement): void {
    const file = panel.dataset.file;
    const activeLine = this.activeLine?.file === file ? this.activeLine?.line : undefined;
    let hasStepFocus = false;
    for (const line of panel.querySelectorAll<HTMLElement>('.line')) {
      line.classList.toggle('active-line', activeLine !== undefined && line.dataset.line === String(activeLine));
      const steps = line.dataset.step?.split(' ') ?? [];
      const focused = steps.some((step) => this.focusSteps.includes(step));
      line.classList.toggle('step-focus', focused);
      hasStepFocus ||= focused;
    }
    panel.classList.toggle('has-step-focus', hasStepFocus);
  }

  private _currentFile(): LessonFile | undefined {
    const files = this.code.map((c) => c.file);
    if (this._file && files.includes(this._file)) return this._file;
    if (this.file && files.includes(this.file)) return this.file;
    return files[0];
  }

  private _hasFocusStep(file: LessonFile): boolean {
    const steps = this._stepsByFile.get(file);
    return steps !== undefined && this.focusSteps.some((step) => steps.has(step));
  }

  private _panel(file: LessonFile | undefined): HTMLElement | null {
    if (file === undefined) return null;
    return this.renderRoot.querySelector<HTMLElement>(`.panel[data-file="${CSS.escape(file)}"]`);
  }

  private _select(file: LessonFile): void {
    this._file = file;
  }

  private _onTabKeydown(event: KeyboardEvent): void {
    const files = this.code.map((c) => c.file);
    const index = files.indexOf(this._currentFile() ?? files[0]);
    const next = {
      ArrowRight: (index + 1) % files.length,
      ArrowLeft: (index - 1 + files.length) % files.length,
      Home: 0,
      End: files.length - 1,
    }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    this._select(files[next]);
    void this.updateComplete.then(() =>
      this.renderRoot.querySelector<HTMLElement>(`[role='tab'][data-file="${CSS.escape(files[next])}"]`)?.focus(),
    );
  }

  private async _onCopy(): Promise<void> {
    const current = this._currentFile();
    const code = this.code.find((c) => c.file === current);
    if (!code) return;
    try {
      // navigator.clipboard is missing on plain-HTTP origins other than localhost.
      if (!navigator.clipboard) throw new Error('Clipboard API unavailable');
      await navigator.clipboard.writeText(code.text);
      this._showCopyState('copied');
    } catch {
      // Fall back to selecting the code so the user can copy it with the keyboard.
      const codeElement = this._panel(current)?.querySelector('code');
      const selection = window.getSelection();
      if (codeElement && selection) {
        selection.selectAllChildren(codeElement);
        this._showCopyState('selected');
      }
    }
  }

  private _showCopyState(copyState: Exclude<CopyState, 'idle'>): void {
    this._copyState = copyState;
    clearTimeout(this._copyTimer);
    this._copyTimer = setTimeout(() => (this._copyState = 'idle'), COPY_FEEDBACK_MS[copyState]);
  }
}

/** The step ids each file's HTML carries in its `data-step` attributes. */
function stepsByFile(code: readonly LessonCode[]): Map<LessonFile, Set<string>> {
  return new Map(
    code.map(({ file, html }) => [
      file,
      new Set([...html.matchAll(/data-step="([^"]*)"/g)].flatMap(([, steps]) => steps.split(' '))),
    ]),
  );
}

/** Scrolls only the panel (never the page) so the line sits in its middle, unless it is already well in view. */
function scrollLineIntoPanel(panel: HTMLElement, line: HTMLElement): void {
  const panelRect = panel.getBoundingClientRect();
  const lineRect = line.getBoundingClientRect();
  const margin = Math.min(lineRect.height * 2, panelRect.height / 4);
  if (lineRect.top >= panelRect.top + margin && lineRect.bottom <= panelRect.bottom - margin) return;
  const top = panel.scrollTop + (lineRect.top - panelRect.top) - (panel.clientHeight - lineRect.height) / 2;
  const reduceMotion = window.matchMedia?.('(prefers-reduced-motion: reduce)').matches;
  panel.scrollTo({ top: Math.max(0, top), behavior: reduceMotion ? 'auto' : 'smooth' });
}

declare global {
  interface HTMLElementTagNameMap {
    'code-panel': CodePanel;
  }
}
