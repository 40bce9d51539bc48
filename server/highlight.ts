import {
  transformerNotationDiff,
  transformerNotationFocus,
  transformerNotationHighlight,
  transformerRemoveNotationEscape,
} from '@shikijs/transformers';
import { createHighlighter, hastToHtml, type Highlighter, type ShikiTransformer } from 'shiki';
import type { Element, ElementContent, RootContent } from 'hast';
import type { LessonCode } from '../lessons/lesson.ts';
import type { LessonFile } from '../lessons/trace-event.ts';
import { transformerNotationStep } from './notation-step.ts';

const CODE_THEME = 'github-dark';

const LANGS = ['ts', 'js', 'json', 'html', 'css', 'bash', 'shellscript', 'http', 'md'];

let highlighterPromise: Promise<Highlighter> | undefined;

/** The shared highlighter, created on first use (loading grammars is the slow part). */
function getHighlighter(): Promise<Highlighter> {
  highlighterPromise ??= createHighlighter({ themes: [CODE_THEME], langs: LANGS });
  return highlighterPromise;
}

/** Highlights a lesson file for the code panel, keeping each line's number in the file on disk. */
export async function highlightLessonFile(file: LessonFile, code: string): Promise<LessonCode> {
  const highlighter = await getHighlighter();
  const source = code.replace(/\r\n?/g, '\n');
  // A final newline would render as an extra, empty numbered line.
  const endsWithNewline = source.endsWith('\n');
  const root = highlighter.codeToHast(endsWithNewline ? source.slice(0, -1) : source, {
    lang: langOfFile(file),
    theme: CODE_THEME,
    transformers: [
      transformerNotationHighlight(),
      transformerNotationFocus(),
      transformerNotationDiff(),
      transformerNotationStep(),
      transformerSourceLines(),
    ],
  });
  const text = renderedLines(root.children).map(textContent).join('\n');
  return { file, html: hastToHtml(root), text: endsWithNewline ? `${text}\n` : text };
}

/** Highlights a fenced code block from lesson prose; an unknown language renders as plain text. */
export async function highlightSnippet(code: string, lang: string): Promise<string> {
  try {
    const highlighter = await getHighlighter();
    // A fence info string may carry more than the language (`ts title="x"`).
    const name = lang.trim().split(/\s+/)[0].toLowerCase();
    return highlighter.codeToHtml(code.replace(/\n$/, ''), {
      lang: highlighter.getLoadedLanguages().includes(name) ? name : 'text',
      theme: CODE_THEME,
      transformers: [
        transformerNotationHighlight(),
        transformerNotationFocus(),
        transformerNotationDiff(),
        transformerRemoveNotationEscape(),
      ],
    });
  } catch (error) {
    // Prose must still render if highlighting fails; the block just loses its colours.
    console.warn('highlightSnippet: rendering as plain text', error);
    return `<pre class="shiki"><code>${escapeHtml(code)}</code></pre>`;
  }
}

/** Numbers each line as in the source given to shiki (`data-line`) and trims line ends once notations are gone. */
function transformerSourceLines(): ShikiTransformer {
  return {
    name: 'workbench:source-lines',
    // `line` hooks all run before any `code` hook, so this sees every line, including the ones
    // the notation transformers remove later.
    line(node, line) {
      node.properties['data-line'] = line;
    },
    // Must come after the notation transformers: removing `// [!code …]` leaves the space before it.
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
