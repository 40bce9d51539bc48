import { diffArrays } from 'diff';

/** One line of the diff between two functions of a source file. */
export interface FunctionDiffLine {
  /** The line's text, dedented so that its function starts at column 0. */
  text: string;
  /** The line's number in the source: in the `from` function for a removed line, in `to` for the others. */
  line: number;
  change: 'add' | 'remove' | 'same';
}

interface SourceLine {
  text: string;
  line: number;
}

/**
 * Line diff of function `from` against function `to` of one source, each taken with the comment lines
 * right above it. Lines that differ only in `[!code …]` notations count as unchanged.
 * @throws Error naming the function when either is missing or has no closing brace.
 */
export function diffFunctions(source: string, from: string, to: string): FunctionDiffLine[] {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const changes = diffArrays(functionBlock(lines, from), functionBlock(lines, to), {
    comparator: (a, b) => withoutNotations(a.text) === withoutNotations(b.text),
  });
  // An unchanged run carries the lines of `to` (the new side), so its numbers point into `to`.
  return changes.flatMap(({ added, removed, value }) => {
    const change = added ? 'add' : removed ? 'remove' : 'same';
    return value.map(({ text, line }) => ({ text, line, change }));
  });
}

/** The lines of function `name`: its leading `//` or `/** *\/` comments down to its closing `}`, dedented. */
function functionBlock(lines: readonly string[], name: string): SourceLine[] {
  const declaration = new RegExp(
    String.raw`^(\s*)(?:export\s+)?(?:default\s+)?(?:async\s+)?function\s*\*?\s*${escapeRegExp(name)}\s*[<(]`,
  );
  const start = lines.findIndex((line) => declaration.test(line));
  if (start === -1) throw new Error(`No function "${name}" in the source (looked for "function ${name}(")`);
  const indent = declaration.exec(lines[start])![1];

  let end = start;
  if (!lines[start].trimEnd().endsWith('}')) {
    end = lines.findIndex((line, i) => i > start && line.startsWith(`${indent}}`));
    if (end === -1) throw new Error(`Function "${name}" has no closing "}" indented like its "function" line`);
  }

  let first = start;
  for (let i = start - 1; i >= 0; i--) {
    const text = lines[i].trim();
    if (text.startsWith('//')) first = i;
    else if (text.endsWith('*/')) {
      const open = lines.findLastIndex((line, j) => j <= i && line.trim().startsWith('/*'));
      if (open === -1) break;
      first = i = open;
    } else break;
  }

  const block = lines.slice(first, end + 1).map((text, i) => ({ text, line: first + i + 1 }));
  const margin = Math.min(...block.filter(({ text }) => text.trim()).map(({ text }) => /^\s*/.exec(text)![0].length));
  return block.map(({ text, line }) => ({ text: text.slice(margin), line }));
}

/** The line without `[!code …]` notations and the comment marker or spaces they leave at its end. */
function withoutNotations(text: string): string {
  return text.replace(/\[!code [^\]]*\]/g, '').replace(/\s*(?:\/\/)?\s*$/, '');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
