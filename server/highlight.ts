import {
  transformerNotationDiff,
  transformerNotationFocus,
  transformerNotationHighlight,
  transformerRemoveNotationEscape,
} from '@shikijs/transformers';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { createHighlighter, hastToHtml, type Highlighter, type ShikiTransformer } from 'shiki';
import type { Element, ElementContent, RootContent } from 'hast';
import type { LessonCode, LessonFix } from '../lessons/lesson.ts';
import type { LessonFile } from '../lessons/trace-event.ts';
import { createDiskCache } from './disk-cache.ts';
import { diffFunctions, type FunctionDiffLine } from './function-diff.ts';
import { transformerNotationStep } from './notation-step.ts';

const CODE_THEME = 'github-dark';

const LANGS = ['ts', 'js', 'json', 'html', 'css', 'bash', 'shellscript', 'http', 'md'];

let highlighterPromise: Promise<Highlighter> | undefined;

/** The shared highlighter, created on first use (loading grammars is the slow part). */
function getHighlighter(): Promise<Highlighter> {
  highlighterPromise ??= createHighlighter({ themes: [CODE_THEME], langs: LANGS });
  return highlighterPromise;
}

/**
 * Highlighted code is kept between starts, by content: Shiki takes about 0.2 s a file on a small
 * machine, over 1 s for the first page after a start (its grammars loading), and that page waited for
 * it. The key names what made the HTML too: Shiki's version and this code's own source.
 */
export const HIGHLIGHT_CACHE_DIR = fileURLToPath(new URL('../.workbench/highlight-cache', import.meta.url));
const cache = createDiskCache(HIGHLIGHT_CACHE_DIR);
const require = createRequire(import.meta.url);
const HIGHLIGHTER = createHash('sha256')
  .update(JSON.stringify([require('shiki/package.json').version, CODE_THEME, LANGS])) // @shikijs/* are released with it
  .update(['./highlight.ts', './notation-step.ts', './function-diff.ts'].map((path) => readFileSync(new URL(path, import.meta.url), 'utf8')).join('\0'))
  .digest('hex');

/** Highlights a lesson file for the code panel, keeping each line's number in the file on disk. */
export function highlightLessonFile(file: LessonFile, code: string): Promise<LessonCode> {
  return cache.get([HIGHLIGHTER, 'file', file, code], () => highlightFileNow(file, code));
}

async function highlightFileNow(file: LessonFile, code: string): Promise<LessonCode> {
  const source = code.replace(/\r\n?/g, '\n');
  // A final newline would render as an extra, empty numbered line.
  const endsWithNewline = source.endsWith('\n');
  const { html, lines } = await highlightLessonCode(
    endsWithNewline ? source.slice(0, -1) : source,
    langOfFile(file),
    transformerSourceLines(),
  );
  const text = lines.map((line) => line.text).join('\n');
  return { tab: file, title: file, file, html, text: endsWithNewline ? `${text}\n` : text };
}

/**
 * Highlights the diff from function `fix.from` to function `fix.to` of a lesson's server.ts as one block:
 * removed lines get `diff remove`, added ones `diff add`, and every line keeps its number in the file.
 * @throws Error naming the function when either is missing from `code`.
 */
export function highlightLessonFix(code: string, fix: LessonFix): Promise<LessonCode> {
  return cache.get([HIGHLIGHTER, 'fix', code, fix], () => highlightFixNow(code, fix));
}

async function highlightFixNow(code: string, fix: LessonFix): Promise<LessonCode> {
  const diff = diffFunctions(code, fix.from, fix.to);
  const { html, lines } = await highlightLessonCode(
    diff.map(({ text }) => text).join('\n'),
    'ts',
    transformerDiffLines(diff),
  );
  const text = lines.map(({ text, classes }) => `${diffSign(classes)} ${text}`.trimEnd()).join('\n');
  return { tab: 'fix', title: fix.title, file: 'server.ts', html, text: `${text}\n` };
}

/** Highlights a fenced code block from lesson prose; an unknown language renders as plain text. */
export function highlightSnippet(code: string, lang: string): Promise<string> {
  return cache.get([HIGHLIGHTER, 'snippet', code, lang], () => highlightSnippetNow(code, lang)).catch((error: unknown) => {
    // Prose must still render if highlighting fails; the block just loses its colours (and is not kept so).
    console.warn('highlightSnippet: rendering as plain text', error);
    return `<pre class="shiki"><code>${escapeHtml(code)}</code></pre>`;
  });
}

async function highlightSnippetNow(code: string, lang: string): Promise<string> {
  const highlighter = await getHighlighter();
  // A fence info string may carry more than the language (`ts title="x"`).
  const name = lang.trim().split(/\s+/)[0].toLowerCase();
  return highlighter.codeToHtml(code.replace(/\n$/, ''), {
    lang: highlighter.getLoadedLanguages().includes(name) ? name : 'text',
    theme: CODE_THEME,
    transformers: [transformerNotationHighlight(), transformerNotationFocus(), transformerNotationDiff(), transformerRemoveNotationEscape()],
  });
}

/** Shiki HTML for lesson code and the text of each line left once notations are removed. */
interface HighlightedCode {
  html: string;
  lines: { text: string; classes: string[] }[];
}

/** Highlights lesson code with the notation transformers; `numbering` gives each line its `data-line`. */
async function highlightLessonCode(code: string, lang: string, numbering: ShikiTransformer): Promise<HighlightedCode> {
  const highlighter = await getHighlighter();
  const root = highlighter.codeToHast(code, {
    lang,
    theme: CODE_THEME,
    transformers: [
      transformerNotationHighlight(),
      transformerNotationFocus(),
      transformerNotationDiff(),
      transformerNotationStep(),
      numbering,
      transformerTrimLineEnds(),
    ],
  });
  const lines = renderedLines(root.children).map((line) => ({ text: textContent(line), classes: classList(line) }));
  return { html: hastToHtml(root), lines };
}

// `line` hooks all run before any `code` hook, so the numbering transformers see every line,
// including the ones the notation transformers remove later.

/** Numbers each line as in the source given to shiki (`data-line`). */
function transformerSourceLines(): ShikiTransformer {
  return {
    name: 'workbench:source-lines',
    line(node, line) {
      node.properties['data-line'] = line;
    },
  };
}

/** Numbers each line of a function diff as in its file and marks it added or removed, like `// [!code ++]` does. */
function transformerDiffLines(diff: readonly FunctionDiffLine[]): ShikiTransformer {
  return {
    name: 'workbench:diff-lines',
    pre(node) {
      this.addClassToHast(node, 'has-diff');
    },
    line(node, line) {
      const { line: number, change } = diff[line - 1];
      node.properties['data-line'] = number;
      if (change !== 'same') this.addClassToHast(node, ['diff', change]);
    },
  };
}

/** Trims line ends; must come after the notation transformers, as removing `// [!code …]` leaves the space before it. */
function transformerTrimLineEnds(): ShikiTransformer {
  return {
    name: 'workbench:trim-line-ends',
    code(node) {
      for (const line of renderedLines(node.children)) trimTrailingWhitespace(line);
    },
  };
}

/** Trims whitespace at the end of an element's text, dropping tokens it empties. */
function trimTrailingWhitespace(node: Element): void {
  for (let i = node.children.length - 1; i >= 0; i--) {
    const child = node.children[i];
    if (child.type === 'text') child.value = child.value.trimEnd();
    else if (child.type === 'element') trimTrailingWhitespace(child);
    if (textContent(child) !== '') return;
    node.children.splice(i, 1);
  }
}

/** The unified-diff sign of a rendered line. */
function diffSign(classes: readonly string[]): '-' | '+' | ' ' {
  return classes.includes('remove') ? '-' : classes.includes('add') ? '+' : ' ';
}

function langOfFile(file: string): string {
  const extension = file.slice(file.lastIndexOf('.') + 1);
  return extension === 'mts' || extension === 'cts' ? 'ts' : extension;
}

/** The `.line` spans left in the rendered tree, in order. */
function renderedLines(nodes: readonly RootContent[]): Element[] {
  const lines: Element[] = [];
  for (const node of nodes) {
    if (node.type !== 'element') continue;
    if (node.tagName === 'span' && classList(node).includes('line')) lines.push(node);
    else lines.push(...renderedLines(node.children));
  }
  return lines;
}

function classList(node: Element): string[] {
  const value = node.properties.class;
  return Array.isArray(value) ? value.map(String) : String(value ?? '').split(' ');
}

function textContent(node: ElementContent): string {
  if (node.type === 'text') return node.value;
  if (node.type === 'element') return node.children.map(textContent).join('');
  return '';
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
