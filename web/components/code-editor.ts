import { indentWithTab } from '@codemirror/commands';
import { lintGutter, setDiagnostics, type Diagnostic } from '@codemirror/lint';
import { EditorState, Prec, RangeSet, StateEffect, StateField, type Text } from '@codemirror/state';
import { Decoration, EditorView, GutterMarker, gutterLineClass, keymap, type DecorationSet } from '@codemirror/view';
import { basicSetup } from 'codemirror';
import { LitElement, html, type PropertyValues } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { CodeError } from '../code-api.ts';
import { codeTheme, editorHostStyles, lessonTypeScript } from '../code-theme.ts';
import { theme } from '../theme.ts';

/** The user asked to save the editor's text (Ctrl-S or Cmd-S). */
export class CodeSaveEvent extends Event {
  static readonly eventName = 'code-save' as const;
  constructor(readonly code: string) {
    super(CodeSaveEvent.eventName, { bubbles: true, composed: true });
  }
}

declare global {
  interface HTMLElementEventMap {
    [CodeSaveEvent.eventName]: CodeSaveEvent;
  }
}

/** A row of the gutters that carries a class. */
class GutterRowClass extends GutterMarker {
  constructor(override readonly elementClass: string) {
    super();
  }
}

/**
 * Lines that carry `className`: `set` (positions on them) replaces them, and they stay on their
 * lines while the user types. With `gutterClass`, the gutters' rows beside them carry that class.
 */
function classedLines(className: string, gutterClass?: string) {
  const set = StateEffect.define<readonly number[]>();
  const mark = Decoration.line({ class: className });
  const field = StateField.define<DecorationSet>({
    create: () => Decoration.none,
    update(lines, tr) {
      lines = lines.map(tr.changes);
      for (const effect of tr.effects) {
        if (effect.is(set)) lines = Decoration.set(effect.value.map((pos) => mark.range(tr.state.doc.lineAt(pos).from)), true);
      }
      return lines;
    },
    provide: (field) => EditorView.decorations.from(field),
  });
  if (!gutterClass) return { set, extension: field };
  const row = new GutterRowClass(gutterClass);
  const rows = gutterLineClass.compute([field], (state) => {
    const starts: number[] = [];
    for (const cursor = state.field(field).iter(); cursor.value; cursor.next()) starts.push(cursor.from);
    return RangeSet.of(starts.map((from) => row.range(from)));
  });
  return { set, extension: [field, rows] };
}

/** The lines that have errors, tinted. */
const errorLines = classedLines('cm-error-line');

/** The line of the timeline event under the pointer (or pinned), lit as the read view lights it. */
const timelineLine = classedLines('cm-timeline-line', 'cm-timeline-gutter');

/**
 * A TypeScript editor (CodeMirror 6) for a lesson file, looking like the read view of
 * `<code-panel>`: basicSetup's undo, search (Mod-F), bracket matching and completion, Tab to
 * indent (Escape then Tab leaves the editor), and errors drawn at their places.
 * @fires code-save - Ctrl-S or Cmd-S: read `event.code`.
 * @cssprop --code-panel-font-size - Code font size, never below 14px (default 15px).
 */
@customElement('code-editor')
export class CodeEditor extends LitElement {
  static override styles = [
    theme,
    editorHostStyles,
  ];

  /** The document. Setting it replaces the text the user typed; set it when a file is (re)loaded. */
  @property({ attribute: false }) value = '';

  /** Errors to draw at their places (1-based line and column): an underline, a gutter marker, the message on hover. */
  @property({ attribute: false }) errors: readonly CodeError[] = [];

  /** The editor's accessible name. */
  @property() label = 'Code';

  /** A line to light (1-based), the one of the timeline event under the pointer: scrolled to when off-screen; the cursor stays. */
  @property({ attribute: false }) activeLine?: number;

  private _view?: EditorView;
  /** The text of a view destroyed when the element left the DOM, to build it again from if it comes back. */
  private _detachedText?: string;

  /** The text in the editor now, with the user's unsaved changes. */
  get text(): string {
    return this._view?.state.doc.toString() ?? this._detachedText ?? this.value;
  }

  /** Puts the keyboard focus in the editor. */
  override focus(): void {
    this._view?.focus();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.hasUpdated && !this._view) this.requestUpdate();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    // The view listens on the window and observes its DOM: let it go while the element is out of the page.
    this._detachedText = this._view?.state.doc.toString();
    this._view?.destroy();
    this._view = undefined;
  }

  override render() {
    return html`<div class="host"></div>`;
  }

  override updated(changed: PropertyValues<this>): void {
    if (!this._view) {
      this._view = this._createView();
      this._showErrors();
      this._showActiveLine();
      return;
    }
    if (changed.has('value') && this.value !== this.text) {
      this._view.dispatch({ changes: { from: 0, to: this._view.state.doc.length, insert: this.value } });
    }
    if (changed.has('errors') || changed.has('value')) this._showErrors();
    if (changed.has('activeLine') || changed.has('value')) this._showActiveLine();
  }

  private _createView(): EditorView {
    const doc = this._detachedText ?? this.value;
    this._detachedText = undefined;
    return new EditorView({
      root: this.renderRoot as ShadowRoot,
      parent: this.renderRoot.querySelector('.host')!,
      state: EditorState.create({
        doc,
        extensions: [
          lintGutter(),
          basicSetup,
          keymap.of([indentWithTab]),
          Prec.highest(keymap.of([{ key: 'Mod-s', preventDefault: true, run: (view) => this._save(view) }])),
          lessonTypeScript(),
          errorLines.extension,
          timelineLine.extension,
          codeTheme,
          EditorView.contentAttributes.of({ 'aria-label': this.label }),
        ],
      }),
    });
  }

  private _save(view: EditorView): boolean {
    this.dispatchEvent(new CodeSaveEvent(view.state.doc.toString()));
    return true;
  }

  private _showErrors(): void {
    const view = this._view;
    if (!view) return;
    const diagnostics = this.errors.map((error) => diagnosticOf(view.state.doc, error));
    view.dispatch(setDiagnostics(view.state, diagnostics), { effects: errorLines.set.of(diagnostics.map((d) => d.from)) });
  }

  /** Lights `activeLine` (or nothing), scrolling only when it is out of sight: the user's scroll and cursor stay otherwise. */
  private _showActiveLine(): void {
    const view = this._view;
    if (!view) return;
    const { doc } = view.state;
    const line = this.activeLine !== undefined && this.activeLine >= 1 && this.activeLine <= doc.lines ? doc.line(this.activeLine) : undefined;
    const effects: StateEffect<unknown>[] = [timelineLine.set.of(line ? [line.from] : [])];
    if (line && !isInSight(view, line.from)) effects.push(EditorView.scrollIntoView(line.from, { y: 'center' }));
    view.dispatch({ effects });
  }
}

/** Whether the line at `pos` shows whole in the editor's scroller. */
function isInSight(view: EditorView, pos: number): boolean {
  const line = view.coordsAtPos(pos);
  const scroller = view.scrollDOM.getBoundingClientRect();
  return line !== null && line.top >= scroller.top && line.bottom <= scroller.bottom;
}

/** Places an error on the word at its line and column (or the character there; a line's end marks its last character). */
function diagnosticOf(doc: Text, { line, column, message }: CodeError): Diagnostic {
  const { from: lineFrom, to: lineTo } = doc.line(Math.min(Math.max(1, line), doc.lines));
  const pos = Math.min(lineFrom + Math.max(0, column - 1), lineTo);
  const word = /[\w$]+/y;
  const text = doc.sliceString(lineFrom, lineTo);
  word.lastIndex = pos - lineFrom;
  const match = word.exec(text);
  const from = pos === lineTo && pos > lineFrom ? pos - 1 : pos;
  const to = match ? pos + match[0].length : Math.min(from + 1, lineTo);
  return { from, to, severity: 'error', message, source: `line ${line}:${column}` };
}

declare global {
  interface HTMLElementTagNameMap {
    'code-editor': CodeEditor;
  }
}
