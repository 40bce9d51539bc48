import { unifiedMergeView } from '@codemirror/merge';
import { EditorState, type Extension } from '@codemirror/state';
import { EditorView, highlightSpecialChars, lineNumbers } from '@codemirror/view';
import { LitElement, html, type PropertyValues } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { codeTheme, editorHostStyles, lessonTypeScript } from '../code-theme.ts';
import { theme } from '../theme.ts';

/**
 * The read-only diff of a lesson file: what the user has (`value`) against the lesson's
 * `original`, unified (deleted lines drawn above the lines that replaced them), themed like the
 * read view, with unchanged stretches folded away.
 * @cssprop --code-panel-font-size - Code font size, never below 14px (default 15px).
 */
@customElement('code-diff')
export class CodeDiff extends LitElement {
  static override styles = [
    theme,
    editorHostStyles,
  ];

  /** The lesson's own file. */
  @property({ attribute: false }) original = '';

  /** The edited text. */
  @property({ attribute: false }) value = '';

  /** The diff's accessible name. */
  @property() label = 'Changes from the original';

  private _view?: EditorView;

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this._view?.destroy();
    this._view = undefined;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.hasUpdated && !this._view) this.requestUpdate();
  }

  override render() {
    return html`<div class="host"></div>`;
  }

  override updated(changed: PropertyValues<this>): void {
    if (!this._view) {
      this._view = new EditorView({
        root: this.renderRoot as ShadowRoot,
        parent: this.renderRoot.querySelector('.host')!,
        state: this._state(),
      });
    } else if (changed.has('original') || changed.has('value')) {
      this._view.setState(this._state());
    }
  }

  private _state(): EditorState {
    return EditorState.create({ doc: this.value, extensions: diffExtensions(this.original, this.label) });
  }
}

function diffExtensions(original: string, label: string): Extension {
  return [
    lineNumbers(),
    highlightSpecialChars(),
    // Read-only but focusable: keyboard users can still move through it, select and copy.
    EditorState.readOnly.of(true),
    EditorView.contentAttributes.of({ 'aria-label': label }),
    EditorState.phrases.of({ '$ unchanged lines': '$ unchanged lines: click to show them' }),
    lessonTypeScript(),
    unifiedMergeView({ original, mergeControls: false, gutter: true, collapseUnchanged: { margin: 3, minSize: 6 } }),
    codeTheme,
  ];
}

declare global {
  interface HTMLElementTagNameMap {
    'code-diff': CodeDiff;
  }
}
