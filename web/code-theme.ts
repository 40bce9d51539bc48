import { javascript, typescriptLanguage } from '@codemirror/lang-javascript';
import { HighlightStyle, LanguageSupport, syntaxHighlighting } from '@codemirror/language';
import type { Extension } from '@codemirror/state';
import { Decoration, EditorView, MatchDecorator, ViewPlugin, type DecorationSet, type ViewUpdate } from '@codemirror/view';
import { Tag, styleTags, tags as t } from '@lezer/highlight';
import { css } from 'lit';

/** Colours of Shiki's `github-dark`, the theme the server highlights the read view with (server/highlight.ts). */
const GITHUB_DARK = {
  background: '#24292e',
  foreground: '#e1e4e8',
  comment: '#6a737d',
  constant: '#79b8ff',
  entity: '#b392f0',
  keyword: '#f97583',
  string: '#9ecbff',
  regexp: '#dbedff',
  variable: '#ffab70',
  tag: '#85e89d',
  invalid: '#fdaeb7',
  selection: '#3392ff44',
  cursor: '#c8e1ff',
  lineHighlight: '#2b3036',
  bracketMatch: '#17e5e650',
  findMatch: '#ffd33d22',
  findMatchSelected: '#ffd33d44',
} as const;

/** The read view's active line (`--code-panel-active`, `--code-panel-active-bar` of `<code-panel>`), with its defaults. */
const ACTIVE_LINE = {
  background: 'var(--code-panel-active, rgb(227 179 65 / 0.3))',
  bar: 'var(--code-panel-active-bar, var(--wb-held))',
} as const;

/** A function's parameter: github-dark gives them their own colour (`variable.parameter`). */
const parameterName = Tag.define(t.variableName);

/**
 * TypeScript for lesson files, tagged a little closer to the TextMate grammar Shiki uses: parameters
 * apart from other definitions, and imported names as plain variables.
 */
export function lessonTypeScript(): LanguageSupport {
  const { support } = javascript({ typescript: true });
  const language = typescriptLanguage.configure({
    props: [
      styleTags({
        'ParamList/VariableDefinition ParamList/ObjectPattern/PatternProperty/VariableDefinition': parameterName,
        'ImportGroup/VariableDefinition': t.variableName,
      }),
    ],
  });
  return new LanguageSupport(language, support);
}

/** Lezer's tags mapped to the TextMate scopes github-dark colours, as near as the two grammars allow. */
const githubDarkHighlight = HighlightStyle.define([
  { tag: [t.comment, t.lineComment, t.blockComment, t.docComment], color: GITHUB_DARK.comment },
  {
    tag: [t.keyword, t.controlKeyword, t.moduleKeyword, t.operatorKeyword, t.definitionKeyword, t.modifier, t.operator, t.definitionOperator, t.compareOperator, t.logicOperator, t.arithmeticOperator, t.bitwiseOperator, t.updateOperator, t.function(t.punctuation)],
    color: GITHUB_DARK.keyword,
  },
  { tag: [t.string, t.special(t.string), t.attributeValue], color: GITHUB_DARK.string },
  { tag: [t.regexp, t.escape], color: GITHUB_DARK.regexp },
  { tag: [t.number, t.bool, t.null, t.atom, t.self, t.constant(t.variableName), t.definition(t.variableName), t.standard(t.typeName)], color: GITHUB_DARK.constant },
  {
    tag: [t.function(t.variableName), t.function(t.propertyName), t.function(t.definition(t.variableName)), t.typeName, t.definition(t.typeName), t.className, t.definition(t.className), t.namespace],
    color: GITHUB_DARK.entity,
  },
  { tag: [t.tagName, t.angleBracket], color: GITHUB_DARK.tag },
  { tag: [parameterName, t.attributeName, t.labelName], color: GITHUB_DARK.variable },
  { tag: [t.variableName, t.propertyName, t.definition(t.propertyName), t.punctuation, t.separator, t.paren, t.brace, t.squareBracket, t.derefOperator], color: GITHUB_DARK.foreground },
  { tag: t.invalid, color: GITHUB_DARK.invalid, fontStyle: 'italic' },
  { tag: t.heading, color: GITHUB_DARK.constant, fontWeight: 'bold' },
  { tag: t.emphasis, fontStyle: 'italic' },
  { tag: t.strong, fontWeight: 'bold' },
]);

/**
 * The editor chrome of the read view (web/components/code-panel.ts): github-dark colours, the
 * `--wb-mono` font at the panel's size and line height, muted line numbers without a border.
 */
const githubDarkChrome = EditorView.theme(
  {
    '&': {
      color: GITHUB_DARK.foreground,
      backgroundColor: GITHUB_DARK.background,
      fontSize: 'max(14px, var(--code-panel-font-size, 15px))',
    },
    '&.cm-focused': { outline: 'none' },
    '.cm-scroller': { fontFamily: 'var(--wb-mono)', lineHeight: '1.6' },
    '.cm-content': { padding: '0.5rem 0', caretColor: GITHUB_DARK.cursor },
    '.cm-line': { padding: '0 1rem 0 0.9ch' },
    '.cm-cursor, .cm-dropCursor': { borderLeftColor: GITHUB_DARK.cursor, borderLeftWidth: '2px' },
    '&.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground, .cm-selectionBackground, .cm-content ::selection': {
      backgroundColor: GITHUB_DARK.selection,
    },
    '.cm-activeLine': { backgroundColor: GITHUB_DARK.lineHighlight },
    '.cm-gutters': { backgroundColor: GITHUB_DARK.background, color: 'color-mix(in srgb, var(--wb-muted) 70%, transparent)', border: 'none' },
    // The read view draws numbers 6ch wide with the code 1.5ch after them.
    '.cm-lineNumbers .cm-gutterElement': { minWidth: '3ch', padding: '0 0.5ch 0 0.5ch' },
    '.cm-activeLineGutter': { backgroundColor: GITHUB_DARK.lineHighlight, color: GITHUB_DARK.foreground },
    '.cm-foldGutter .cm-gutterElement': { padding: '0 0.25ch', color: 'var(--wb-muted)' },
    '.cm-gutter-lint': { width: '1.2em' },
    '.cm-gutter-lint .cm-gutterElement': { padding: '0 0 0 0.3em' },
    '.cm-matchingBracket, &.cm-focused .cm-matchingBracket': { backgroundColor: GITHUB_DARK.bracketMatch, color: 'inherit', outline: 'none' },
    '.cm-nonmatchingBracket, &.cm-focused .cm-nonmatchingBracket': { color: GITHUB_DARK.invalid },
    '.cm-searchMatch': { backgroundColor: GITHUB_DARK.findMatch, outline: `1px solid ${GITHUB_DARK.findMatchSelected}` },
    '.cm-searchMatch.cm-searchMatch-selected': { backgroundColor: GITHUB_DARK.findMatchSelected },
    '.cm-selectionMatch': { backgroundColor: 'rgb(88 166 255 / 0.15)' },
    '.cm-foldPlaceholder': { backgroundColor: 'var(--wb-surface-2)', border: '1px solid var(--wb-border)', color: 'var(--wb-muted)' },
    '.cm-panels': { backgroundColor: 'var(--wb-surface)', color: GITHUB_DARK.foreground },
    '.cm-panels.cm-panels-top': { borderBottom: '1px solid var(--wb-border)' },
    '.cm-panels.cm-panels-bottom': { borderTop: '1px solid var(--wb-border)' },
    '.cm-panel.cm-search': { fontFamily: 'var(--wb-font)', fontSize: '14px', padding: '0.35rem 0.5rem' },
    '.cm-textfield': {
      backgroundColor: 'var(--wb-bg)',
      color: GITHUB_DARK.foreground,
      border: '1px solid var(--wb-border)',
      borderRadius: 'var(--wb-radius)',
      fontSize: '14px',
    },
    '.cm-button': {
      backgroundImage: 'none',
      backgroundColor: 'var(--wb-surface-2)',
      color: GITHUB_DARK.foreground,
      border: '1px solid var(--wb-border)',
      borderRadius: 'var(--wb-radius)',
      fontSize: '14px',
    },
    '.cm-button:hover': { borderColor: 'var(--wb-accent)' },
    '.cm-tooltip': {
      backgroundColor: 'var(--wb-surface)',
      color: GITHUB_DARK.foreground,
      border: '1px solid var(--wb-border)',
      borderRadius: 'var(--wb-radius)',
    },
    '.cm-tooltip-autocomplete > ul': { fontFamily: 'var(--wb-mono)' },
    '.cm-tooltip-autocomplete > ul > li[aria-selected]': { backgroundColor: 'rgb(88 166 255 / 0.3)', color: GITHUB_DARK.foreground },
    '.cm-diagnostic': { fontFamily: 'var(--wb-mono)', fontSize: '14px', padding: '0.25rem 0.6rem' },
    '.cm-diagnostic-error': { borderLeftColor: 'var(--wb-error)' },
    '.cm-lintRange-error': { backgroundColor: 'rgb(248 81 73 / 0.18)' },
    '.cm-line.cm-error-line': { backgroundColor: 'rgb(248 81 73 / 0.12)' },
    // The line of the timeline event under the pointer, as the read view's active line (code-panel.ts).
    '.cm-line.cm-timeline-line, .cm-gutterElement.cm-timeline-gutter': {
      backgroundColor: ACTIVE_LINE.background,
      boxShadow: `inset 0 1px 0 ${ACTIVE_LINE.bar}, inset 0 -1px 0 ${ACTIVE_LINE.bar}`,
    },
    '.cm-gutter:first-child .cm-gutterElement.cm-timeline-gutter': {
      boxShadow: `inset 5px 0 0 ${ACTIVE_LINE.bar}, inset 0 1px 0 ${ACTIVE_LINE.bar}, inset 0 -1px 0 ${ACTIVE_LINE.bar}`,
    },
    '.cm-lineNumbers .cm-gutterElement.cm-timeline-gutter': { color: ACTIVE_LINE.bar, fontWeight: '700' },
    '.cm-step-notation, .cm-step-notation *': { color: 'color-mix(in srgb, var(--wb-accent) 75%, transparent)' },
    // The diff view (@codemirror/merge), in the read view's diff colours.
    '.cm-changedLine, .cm-inlineChangedLine': { backgroundColor: 'rgb(46 160 67 / 0.2) !important' },
    '.cm-changedText': { background: 'rgb(46 160 67 / 0.45) !important' },
    '.cm-deletedChunk': { backgroundColor: 'rgb(248 81 73 / 0.18) !important', paddingLeft: '0.5ch' },
    '.cm-deletedChunk .cm-deletedText': { background: 'rgb(248 81 73 / 0.4) !important' },
    '.cm-changedLineGutter': { background: '#3fb950 !important' },
    '.cm-deletedLineGutter': { background: '#f85149 !important' },
    '.cm-collapsedLines': {
      background: 'var(--wb-surface) !important',
      color: 'var(--wb-muted) !important',
      fontFamily: 'var(--wb-font)',
      fontSize: '13px',
      padding: '0.2rem 0.5rem',
    },
    // The merge view's own markers (U+299A) are missing from common monospace fonts.
    '.cm-collapsedLines::before, .cm-collapsedLines::after': { content: 'none' },
    '.cm-collapsedLines:hover': { color: 'var(--wb-text) !important' },
  },
  { dark: true },
);

const stepNotationMark = Decoration.mark({ class: 'cm-step-notation' });

/** Tints `[!code step:<id>]` notations in the step colour, as they tie the line to the timeline. */
const stepNotations = ViewPlugin.fromClass(
  class {
    decorations: DecorationSet;
    private readonly _matcher = new MatchDecorator({ regexp: /\[!code step:[\w-]+(?::\d+)?\]/g, decoration: stepNotationMark });
    constructor(view: EditorView) {
      this.decorations = this._matcher.createDeco(view);
    }
    update(update: ViewUpdate) {
      this.decorations = this._matcher.updateDeco(update, this.decorations);
    }
  },
  { decorations: (plugin) => plugin.decorations },
);

/** The look of every CodeMirror view on the page: `<code-editor>` and `<code-diff>` look like the read view. */
export const codeTheme: Extension = [githubDarkChrome, syntaxHighlighting(githubDarkHighlight), stepNotations];

/** The styles of a Lit element that hosts one CodeMirror view filling it (the editor, the diff). */
export const editorHostStyles = css`
  :host {
    display: flex;
    flex-direction: column;
    min-height: 0;
    overflow: hidden;
  }
  .host {
    display: contents;
  }
  .cm-editor {
    flex: 1 1 auto;
    min-height: 0;
  }
`;
