import { Task } from '@lit/task';
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { keyed } from 'lit/directives/keyed.js';
import { repeat } from 'lit/directives/repeat.js';
import { unsafeHTML } from 'lit/directives/unsafe-html.js';
import type { CheckResult, LessonCheck, LessonCode } from '../../lessons/lesson.ts';
import type { LessonFile, SourceLocation } from '../../lessons/trace-event.ts';
import { callApi } from '../api.ts';
import { checkErrorStatus, checkResultStatus, checkRunningStatus, type CheckStatus } from '../check-status.ts';
import { getCode, resetCode, saveCode, type CodeError, type CodeRunResult } from '../code-api.ts';
import { readCodeTabs, tabForLine, tabForSteps, type CodeTabContent } from '../code-tabs.ts';
import { theme } from '../theme.ts';
import type { CodeEditor, CodeSaveEvent } from './code-editor.ts';

type CopyState = 'idle' | 'copied' | 'selected';

/** An error the running lesson code threw, at its line. */
export interface RuntimeError {
  file: SourceLocation['file'];
  line: number;
  message: string;
}

const COPY_LABELS: Record<CopyState, string> = {
  idle: 'Copy',
  copied: 'Copied',
  selected: 'Text selected',
};

const COPY_FEEDBACK_MS: Record<Exclude<CopyState, 'idle'>, number> = { copied: 1500, selected: 4000 };

/** The files the page can edit, each on its own tab (whose id is the file name). */
const EDITABLE_FILES: readonly LessonFile[] = ['server.ts', 'client.ts'];

/** What the status line says after a save or a reset of each file, and while an edit does not compile. */
const EDIT_TEXTS: Record<LessonFile, { saved: string; reset: string; kept: string }> = {
  'server.ts': { saved: 'Saved: running your code', reset: 'Reset: the original runs again', kept: 'the last good code keeps serving' },
  'client.ts': { saved: 'Saved: the clients restart on your code', reset: 'Reset: the original client runs again', kept: 'the last good client keeps running' },
};

/** The status line of the edit mode: what the last action did. */
interface EditStatus {
  kind: 'busy' | 'ok' | 'error';
  text: string;
  /** Where the first error is and what it says. */
  detail?: string;
}

/**
 * Shows a lesson's highlighted files (and views of them, like the diff of a fix) in tabs, and lights up
 * the lines the timeline points at. The server.ts and client.ts tabs can be edited, one at a time: Edit
 * opens the file in `<code-editor>`, Save (Ctrl-S) runs the edit through the code API (the lesson server
 * reloads, or the page's clients restart), Diff shows it against the lesson's own file.
 * "Check my code" runs the lesson's check against the server code that runs, and keeps its verdict
 * in view until the next check, save or reset.
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
      .copy,
      .edit,
      .toolbar .check {
        margin-bottom: 0.35rem;
        font-size: 13px;
      }
      .check {
        border-color: color-mix(in srgb, var(--wb-server) 60%, var(--wb-border));
        color: var(--wb-server);
        font-weight: 600;
        white-space: nowrap;
      }
      .check:disabled {
        opacity: 0.6;
        cursor: progress;
      }
      .check-status {
        display: flex;
        flex-wrap: wrap;
        align-items: baseline;
        gap: 0 0.75em;
        padding: 0.3rem 0.75rem;
        border-bottom: 1px solid var(--wb-border);
        border-left: 4px solid var(--wb-muted);
        background: var(--wb-surface);
        color: var(--wb-muted);
        font-size: 13px;
        line-height: 1.4;
      }
      .check-status[data-kind='ok'] {
        border-left-color: var(--wb-server);
        background: color-mix(in srgb, var(--wb-server) 8%, var(--wb-surface));
        color: var(--wb-server);
      }
      .check-status[data-kind='error'] {
        border-left-color: var(--wb-error);
        background: color-mix(in srgb, var(--wb-error) 8%, var(--wb-surface));
        color: var(--wb-error);
      }
      .check-status .detail {
        font-family: var(--wb-mono);
        font-size: 12px;
        color: var(--wb-muted);
      }
      .copy {
        min-width: 7.5em;
      }
      .badge {
        margin-left: 0.5em;
        padding: 0 0.45em;
        border-radius: 999px;
        font-family: var(--wb-font);
        font-size: 11px;
        line-height: 1.5;
        vertical-align: 1px;
        color: var(--wb-bg);
        background: var(--wb-reload);
      }

      .panel.editing:not([hidden]) {
        display: flex;
        flex-direction: column;
        overflow: hidden;
      }
      .edit-bar {
        display: flex;
        align-items: center;
        gap: 0.5rem;
        padding: 0.35rem 0.5rem;
        background: var(--wb-surface);
        border-bottom: 1px solid var(--wb-border);
        font-size: 13px;
      }
      .edit-bar button {
        flex: none;
        white-space: nowrap;
      }
      .edit-bar .save {
        background: var(--wb-accent);
        border-color: var(--wb-accent);
        color: var(--wb-bg);
        font-weight: 600;
      }
      .edit-bar .save:disabled {
        opacity: 0.6;
        cursor: progress;
      }
      .edit-bar .done {
        margin-left: auto;
      }
      .edit-bar .done.confirm {
        border-color: var(--wb-error);
        color: var(--wb-error);
      }
      .edit-status {
        min-width: 0;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
        color: var(--wb-muted);
      }
      .edit-status[data-kind='ok'] {
        color: var(--wb-server);
      }
      .edit-status[data-kind='error'] {
        color: var(--wb-error);
      }
      .edit-status .detail {
        margin-left: 0.5em;
        font-family: var(--wb-mono);
        color: var(--wb-text);
      }
      code-editor,
      code-diff {
        flex: 1 1 0;
        min-height: 0;
      }
      code-editor[hidden] {
        display: none;
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

      .line.runtime-error {
        background: rgb(255 123 114 / 0.15);
        box-shadow: inset 5px 0 0 var(--wb-error);
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

      /* Presenting: type for the back of the room, long lines wrapped (under their own text, not the numbers), no editing chrome. */
      :host([presenting]) [role='tab'],
      :host([presenting]) .badge,
      :host([presenting]) .check-status,
      :host([presenting]) .check-status .detail {
        font-size: 20px;
      }
      :host([presenting]) .edit,
      :host([presenting]) .copy,
      :host([presenting]) .toolbar .check {
        display: none;
      }
      :host([presenting]) pre {
        white-space: pre-wrap;
        overflow-wrap: anywhere;
        line-height: 1.45;
      }
      :host([presenting]) code {
        width: auto;
      }
      :host([presenting]) .line {
        padding-left: 7ch;
        text-indent: -7ch;
      }
    `,
  ];

  /** The lesson's tabs, one per `LessonCode.tab`: usually server.ts and client.ts, maybe a diff. */
  @property({ attribute: false }) code: readonly LessonCode[] = [];

  /** The id of the tab shown; defaults to the first tab. */
  @property() tab?: string;

  /** The line of the selected timeline event: a tab showing it is shown, and the line lit and scrolled to. */
  @property({ attribute: false }) activeLine?: SourceLocation;

  /** Step ids whose lines are emphasised while the others dim. */
  @property({ attribute: false }) focusSteps: readonly string[] = [];

  /** The lesson these files belong to: editing a file goes through `/api/lessons/<slug>/code/<file>`. */
  @property() slug = '';

  /** Errors the running code threw since it was loaded, at their lines: marked in the read view and in the editor. */
  @property({ attribute: false }) runtimeErrors: readonly RuntimeError[] = [];

  /** The lesson's check: with one, "Check my code" runs it against the server code that runs. */
  @property({ attribute: false }) check?: LessonCheck;

  /** The client the check watches: this page's own (`naive-2` in a second tab); defaults to `check.client`. */
  @property() checkClient?: string;

  /** Presenter mode: large type, long lines wrapped, no editing buttons. */
  @property({ type: Boolean, reflect: true }) presenting = false;

  /** The tab shown, once chosen by the user, `tab`, `activeLine` or `focusSteps`. */
  @state() private _tab?: string;

  @state() private _copyState: CopyState = 'idle';

  /** The file open in the editor, if any. */
  @state() private _editing?: LessonFile;
  /** The editor's text when Diff was turned on; undefined while the diff is off. */
  @state() private _diffText?: string;
  @state() private _errors: readonly CodeError[] = [];
  @state() private _status?: EditStatus;
  @state() private _busy = false;
  /** Done was pressed with unsaved changes: pressing it again drops them. */
  @state() private _confirmDone = false;
  /** The check running, or the verdict of the last one while it still speaks of the code that runs. */
  @state() private _checkStatus?: CheckStatus;
  /** Counts the saves and resets that ran: a verdict is about the code that ran all through its check. */
  private _codeRuns = 0;

  /** The file edited as it runs, and its original: loaded when editing starts, and again after a reset. */
  private _file = new Task(this, {
    // Run only by Edit and Reset, so while a file is open.
    task: async ([slug, file], { signal }) => (await Promise.all([getCode(slug, file!, signal), loadEditor()]))[0],
    args: () => [this.slug, this._editing] as const,
    autoRun: false,
  });
  /** The text that runs, as far as the editor knows: the one loaded or last saved. */
  private _savedText = '';

  @query('code-editor') private _editor?: CodeEditor;

  private _content = new Map<string, CodeTabContent>();
  private _copyTimer?: ReturnType<typeof setTimeout>;

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearTimeout(this._copyTimer);
  }

  override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('code')) this._content = readCodeTabs(this.code);
    if (changed.has('slug')) {
      if (this._editing) this._stopEditing();
      this._checkStatus = undefined;
    }
    if (changed.has('tab') && this.tab) this._tab = this.tab;
    // While editing, the timeline and the steps light lines but never take the user away from the editor.
    if (this._editing) return;
    if (changed.has('focusSteps') && this.focusSteps.length > 0) {
      this._tab = tabForSteps(this.code, this._content, this._currentTab(), this.focusSteps) ?? this._tab;
    }
    if (changed.has('activeLine') && this.activeLine) {
      this._tab = tabForLine(this.code, this._content, this._currentTab(), this.activeLine) ?? this._tab;
    }
  }

  override render() {
    if (this.code.length === 0) return html`<div class="empty">No code loaded.</div>`;
    const current = this._currentTab();
    const editingCurrent = this._editing !== undefined && current === this._editing;
    const editable = EDITABLE_FILES.find((file) => file === current);
    return html`
      <div class="toolbar">
        <div role="tablist" aria-label="Lesson files" @keydown=${this._onTabKeydown}>
          ${this.code.map(
            ({ tab, title, file, edited }) => html`<button
              role="tab"
              id=${`tab-${tab}`}
              aria-controls=${`panel-${tab}`}
              aria-selected=${tab === current}
              tabindex=${tab === current ? 0 : -1}
              data-tab=${tab}
              data-file=${file}
              @click=${() => this._select(tab)}
            >
              ${title}${edited
                ? html`<span class="badge" title="Your edit from this page runs, not the lesson's own file">edited</span>`
                : nothing}
            </button>`,
          )}
        </div>
        ${editable && this.slug && !this._editing
          ? html`<button class="edit" @click=${() => this._startEditing(editable)} title=${`Edit ${editable} here and run it`}>Edit</button>`
          : nothing}
        ${editingCurrent ? nothing : this._renderCheckButton()}
        ${editingCurrent ? nothing : html`<button class="copy" @click=${this._onCopy} aria-live="polite">${COPY_LABELS[this._copyState]}</button>`}
      </div>
      ${editingCurrent ? nothing : this._renderCheckStatus()}
      ${repeat(
        this.code,
        (c) => c.tab,
        (c) => {
          const editing = c.tab === this._editing;
          return html`<div
            class="panel ${editing ? 'editing' : ''}"
            role="tabpanel"
            id=${`panel-${c.tab}`}
            aria-labelledby=${`tab-${c.tab}`}
            data-tab=${c.tab}
            data-file=${c.file}
            ?hidden=${c.tab !== current}
            @keydown=${editing ? this._onEditKeydown : undefined}
          >
            ${editing ? this._renderEditing(c.file) : unsafeHTML(c.html)}
          </div>`;
        },
      )}
    `;
  }

  /** The edit mode of `file`: its toolbar and status, then the editor (or the diff against the original). */
  private _renderEditing(file: LessonFile) {
    const status = this._status;
    const diffing = this._diffText !== undefined;
    const loaded = this._file.value;
    return html`
      <div class="edit-bar">
        <button class="save" ?disabled=${this._busy || !loaded} @click=${() => this._save()} title="Run this code (Ctrl-S, ⌘-S)">Save</button>
        <button class="diff" aria-pressed=${diffing} ?disabled=${!loaded} @click=${this._toggleDiff} title=${`Compare with the lesson's own ${file}`}>
          Diff
        </button>
        <button
          class="reset"
          ?disabled=${this._busy || !loaded}
          @click=${this._reset}
          title=${`Throw the edit away (saved and unsaved) and run the lesson's own ${file} again`}
        >
          Reset to original
        </button>
        ${this._renderCheckButton()}
        <span class="edit-status" role="status" data-kind=${status?.kind ?? nothing} title=${status ? [status.text, status.detail].filter(Boolean).join(' ') : nothing}
          >${status?.text}${status?.detail ? html`<span class="detail">${status.detail}</span>` : nothing}</span
        >
        <button class="done ${this._confirmDone ? 'confirm' : ''}" @click=${this._onDone} title="Back to the read view">
          ${this._confirmDone ? 'Drop changes' : 'Done'}
        </button>
      </div>
      ${this._renderCheckStatus()}
      ${this._file.render({
        pending: () => html`<div class="empty">Loading ${file}…</div>`,
        error: (error) => html`<div class="empty" role="alert">Could not load ${file}: ${(error as Error).message}</div>`,
        complete: (loaded) =>
          // A new load (Edit, Reset) gets a new editor; a new lesson detail after a save keeps the user's text.
          keyed(
            loaded,
            html`<code-editor
                .value=${loaded.code}
                .errors=${this._editorErrors()}
                .activeLine=${this.activeLine?.file === file ? this.activeLine.line : undefined}
                label=${file}
                ?hidden=${diffing}
                @code-save=${(e: CodeSaveEvent) => this._save(e.code)}
              ></code-editor>
              ${!diffing
                ? nothing
                : this._diffText === loaded.original
                  ? html`<div class="empty">No changes: this is the lesson's own ${file}.</div>`
                  : html`<code-diff .original=${loaded.original} .value=${this._diffText}></code-diff>`}`,
          ),
      })}
    `;
  }

  /** "Check my code", in the toolbar of the read view and in the edit bar, while the lesson has a check. */
  private _renderCheckButton() {
    if (!this.check || !this.slug) return nothing;
    const running = this._checkStatus?.result === 'running';
    return html`<button
      class="check"
      aria-busy=${running}
      ?disabled=${running || this._busy}
      @click=${this._runCheck}
      title=${`Check the server code that runs now (saved, not unsaved edits): ${this.check.expect}`}
    >
      Check my code
    </button>`;
  }

  /** The check running, or its verdict: under the bar that holds the button. */
  private _renderCheckStatus() {
    const status = this._checkStatus;
    if (!status) return nothing;
    const kind = { running: 'busy', pass: 'ok', fail: 'error', error: 'error' }[status.result];
    return html`<div class="check-status" role="status" data-kind=${kind} data-result=${status.result === 'running' ? nothing : status.result}>
      <span class="text">${status.text}</span>${status.detail ? html`<span class="detail">${status.detail}</span>` : nothing}
    </div>`;
  }

  override updated(changed: PropertyValues<this>): void {
    // Class toggling runs on every update: new `code` HTML replaces the lines and their classes.
    for (const panel of this.renderRoot.querySelectorAll<HTMLElement>('.panel')) this._decoratePanel(panel);

    const panel = this._panel(this._currentTab());
    if (!panel) return;
    if (changed.has('activeLine') && this.activeLine) {
      const line = panel.querySelector<HTMLElement>('.line.active-line');
      if (line) scrollLineIntoPanel(panel, line);
    } else if (changed.has('focusSteps') && this.focusSteps.length > 0) {
      const line = panel.querySelector<HTMLElement>('.line.step-focus');
      if (line) scrollLineIntoPanel(panel, line);
    }
  }

  /** Lights the active line and the focused steps; a diff tab matches them too, as its lines keep their file's numbers. */
  private _decoratePanel(panel: HTMLElement): void {
    const file = panel.dataset.file;
    const activeLine = this.activeLine?.file === file ? this.activeLine?.line : undefined;
    const thrown = new Map(this._runtimeErrorsIn(file).map((e) => [String(e.line), e.message]));
    let hasStepFocus = false;
    for (const line of panel.querySelectorAll<HTMLElement>('.line')) {
      line.classList.toggle('active-line', activeLine !== undefined && line.dataset.line === String(activeLine));
      const error = thrown.get(line.dataset.line ?? '');
      line.classList.toggle('runtime-error', error !== undefined);
      if (error !== undefined) line.title = `Thrown while running: ${error}`;
      else line.removeAttribute('title');
      const steps = line.dataset.step?.split(' ') ?? [];
      const focused = steps.some((step) => this.focusSteps.includes(step));
      line.classList.toggle('step-focus', focused);
      hasStepFocus ||= focused;
    }
    panel.classList.toggle('has-step-focus', hasStepFocus);
  }

  /** Compile errors of the last save and errors thrown by the running code, for the editor (the same array while neither changes). */
  private _editorErrors(): readonly CodeError[] {
    const [compile, thrown, merged] = this._mergedErrors ?? [];
    if (merged && compile === this._errors && thrown === this.runtimeErrors) return merged;
    const next = [...this._errors, ...this._runtimeErrorsIn(this._editing).map((e) => ({ line: e.line, column: 1, message: `Thrown while running: ${e.message}` }))];
    this._mergedErrors = [this._errors, this.runtimeErrors, next];
    return next;
  }
  private _mergedErrors?: [readonly CodeError[], readonly RuntimeError[], readonly CodeError[]];

  private _runtimeErrorsIn(file: string | undefined): readonly RuntimeError[] {
    return this.runtimeErrors.filter((e) => e.file === file);
  }

  private _currentTab(): string | undefined {
    const tabs = this.code.map((c) => c.tab);
    if (this._tab && tabs.includes(this._tab)) return this._tab;
    if (this.tab && tabs.includes(this.tab)) return this.tab;
    return tabs[0];
  }

  private _panel(tab: string | undefined): HTMLElement | null {
    if (tab === undefined) return null;
    return this.renderRoot.querySelector<HTMLElement>(`.panel[data-tab="${CSS.escape(tab)}"]`);
  }

  private _select(tab: string): void {
    this._tab = tab;
  }

  private async _startEditing(file: LessonFile): Promise<void> {
    this._editing = file;
    this._status = undefined;
    this._errors = [];
    await this._load();
    await this.updateComplete;
    await this._editor?.updateComplete;
    this._editor?.focus();
  }

  private async _load(): Promise<void> {
    await this._file.run();
    this._savedText = this._file.value?.code ?? '';
  }

  private _stopEditing(): void {
    this._editing = undefined;
    this._diffText = undefined;
    this._errors = [];
    this._status = undefined;
    this._confirmDone = false;
  }

  private async _onDone(): Promise<void> {
    const editor = this._editor;
    if (editor && editor.text !== this._savedText && !this._confirmDone) {
      this._confirmDone = true;
      this._status = { kind: 'error', text: 'Unsaved changes: Save them, or press Drop changes to leave without them' };
      return;
    }
    this._stopEditing();
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>('button.edit')?.focus();
  }

  /** Ctrl-S or Cmd-S anywhere in the edit mode (the editor handles its own first). */
  private _onEditKeydown(event: KeyboardEvent): void {
    if (event.defaultPrevented || event.key.toLowerCase() !== 's' || !(event.ctrlKey || event.metaKey) || event.altKey) return;
    event.preventDefault();
    void this._save();
  }

  private _toggleDiff(): void {
    this._diffText = this._diffText === undefined ? (this._editor?.text ?? this._file.value?.code) : undefined;
  }

  private async _save(code = this._editor?.text): Promise<void> {
    const file = this._editing;
    if (code === undefined || !file || this._busy) return;
    this._confirmDone = false;
    await this._run(file, 'Saving…', () => saveCode(this.slug, file, code), () => {
      this._savedText = code;
      return EDIT_TEXTS[file].saved;
    });
  }

  private async _reset(): Promise<void> {
    const file = this._editing;
    if (!file || this._busy) return;
    this._confirmDone = false;
    this._diffText = undefined;
    await this._run(file, 'Resetting…', () => resetCode(this.slug, file), async () => {
      await this._load();
      return EDIT_TEXTS[file].reset;
    });
  }

  /** Runs the lesson's check on this page's client, and shows its verdict (unless the code changed meanwhile). */
  private async _runCheck(): Promise<void> {
    const { check, slug } = this;
    if (!check || this._checkStatus?.result === 'running') return;
    const runs = this._codeRuns;
    this._checkStatus = checkRunningStatus(check);
    let status: CheckStatus;
    try {
      const result = await callApi<CheckResult>('POST', `/api/lessons/${encodeURIComponent(slug)}/check`, { client: this.checkClient ?? check.client });
      status = runs === this._codeRuns ? checkResultStatus(result) : checkErrorStatus(new Error('the code changed while it was checked: check again'));
    } catch (error) {
      status = checkErrorStatus(error);
    }
    // Another lesson now: the verdict is not about anything shown.
    if (slug === this.slug) this._checkStatus = status;
  }

  /** Runs a save or a reset, and tells how it went in the status line and the editor. */
  private async _run(file: LessonFile, busyText: string, action: () => Promise<CodeRunResult>, done: () => string | Promise<string>): Promise<void> {
    this._busy = true;
    this._status = { kind: 'busy', text: busyText };
    try {
      const result = await action();
      if (result.ok) {
        this._errors = [];
        this._codeRuns++;
        // The verdict was about the code that ran before (a running check reports the change itself).
        if (this._checkStatus?.result !== 'running') this._checkStatus = undefined;
        this._status = { kind: 'ok', text: await done() };
      } else {
        this._errors = result.errors;
        this._status = errorStatus(result.errors, EDIT_TEXTS[file].kept);
      }
    } catch (error) {
      this._status = { kind: 'error', text: (error as Error).message };
    } finally {
      this._busy = false;
    }
  }

  private _onTabKeydown(event: KeyboardEvent): void {
    const tabs = this.code.map((c) => c.tab);
    const index = tabs.indexOf(this._currentTab() ?? tabs[0]);
    const next = {
      ArrowRight: (index + 1) % tabs.length,
      ArrowLeft: (index - 1 + tabs.length) % tabs.length,
      Home: 0,
      End: tabs.length - 1,
    }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    this._select(tabs[next]);
    void this.updateComplete.then(() =>
      this.renderRoot.querySelector<HTMLElement>(`[role='tab'][data-tab="${CSS.escape(tabs[next])}"]`)?.focus(),
    );
  }

  private async _onCopy(): Promise<void> {
    const current = this._currentTab();
    const code = this.code.find((c) => c.tab === current);
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

/** Loads the editor and the diff view (CodeMirror) the first time someone edits, not with the page. */
function loadEditor(): Promise<unknown> {
  return Promise.all([import('./code-editor.ts'), import('./code-diff.ts')]);
}

/** "2 errors: <what keeps running>" and where the first one is, for the status line. */
function errorStatus(errors: readonly CodeError[], kept: string): EditStatus {
  const count = errors.length;
  const [first] = errors;
  return {
    kind: 'error',
    text: `${count === 0 ? 'The code did not run' : `${count} ${count === 1 ? 'error' : 'errors'}`}: ${kept}`,
    detail: first && `line ${first.line}:${first.column} ${first.message}`,
  };
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
