import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { highlightLessonFile, highlightLessonFix, highlightSnippet } from './highlight.ts';

const FIXTURES = new URL('./__fixtures__/steps/', import.meta.url);

function readFixture(name: string): string {
  return readFileSync(new URL(`${name}.ts`, FIXTURES), 'utf8');
}

/** The opening tag of every rendered `.line`, as `{ line, step, classes }`, in document order. */
function lineTags(html: string) {
  return [...html.matchAll(/<span class="(line(?: [^"]*)?)"([^>]*)>/g)].map(([, classes, attributes]) => ({
    line: Number(/data-line="(\d+)"/.exec(attributes)?.[1]),
    step: /data-step="([^"]*)"/.exec(attributes)?.[1],
    classes: classes.split(' '),
  }));
}

function stepsByLine(html: string): Record<number, string> {
  return Object.fromEntries(lineTags(html).flatMap(({ line, step }) => (step ? [[line, step]] : [])));
}

function linesWithClass(html: string, className: string): number[] {
  return lineTags(html)
    .filter(({ classes }) => classes.includes(className))
    .map(({ line }) => line);
}

describe('highlightLessonFile', () => {
  const fixtures = readdirSync(FIXTURES)
    .filter((name) => name.endsWith('.ts'))
    .map((name) => name.slice(0, -'.ts'.length));

  it.each(fixtures)('renders the %s fixture', async (name) => {
    const { html } = await highlightLessonFile('server.ts', readFixture(name));
    await expect(html).toMatchFileSnapshot(`./__fixtures__/steps/${name}.output.html`);
  });

  it('puts data-step on the marked line, the line after a comment-only notation, and each line of a range', async () => {
    const { html } = await highlightLessonFile('server.ts', readFixture('basic'));
    expect(stepsByLine(html)).toEqual({
      5: 'publish',
      9: 'subscribe',
      12: 'unsubscribe',
      13: 'unsubscribe',
      14: 'unsubscribe',
    });
    expect(linesWithClass(html, 'has-step')).toEqual([5, 9, 12, 13, 14]);
  });

  it('numbers lines as in the file when comment-only notation lines are removed', async () => {
    const code = readFixture('removed-lines');
    const { html } = await highlightLessonFile('server.ts', code);
    expect(lineTags(html).map(({ line }) => line)).toEqual([2, 3, 5, 6, 7, 9, 10]);
    expect(stepsByLine(html)).toEqual({ 2: 'counter', 5: 'tick', 9: 'respond' });
    expect(linesWithClass(html, 'focused')).toEqual([5]);
    expect(linesWithClass(html, 'highlighted')).toEqual([7]);

    const fileLines = code.split('\n');
    for (const n of [2, 5, 7, 9]) expect(fileLines[n - 1]).not.toMatch(/^\s*\/\/ \[!code/);
  });

  it('returns the text without notations, keeping ordinary comments and the final newline', async () => {
    const { tab, title, file, text } = await highlightLessonFile('client.ts', readFixture('removed-lines'));
    expect({ tab, title, file }).toEqual({ tab: 'client.ts', title: 'client.ts', file: 'client.ts' });
    expect(text).toBe(
      [
        'let count = 0;',
        '',
        'export function tick(): number {',
        '  // Keep this comment: it is not a notation.',
        '  count += 1;',
        '  return count;',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('joins several steps on one line with spaces', async () => {
    const { html, text } = await highlightLessonFile('server.ts', readFixture('multiple-steps'));
    expect(stepsByLine(html)).toEqual({ 4: 'schedule', 5: 'schedule render frame', 6: 'schedule' });
    expect(html).toContain('data-step="schedule render frame"');
    expect(text).toContain('  const frame = requestAnimationFrame(() => render(queuedAt));\n');
  });

  it('keeps shiki highlight, focus and diff classes beside the steps', async () => {
    const { html, text } = await highlightLessonFile('server.ts', readFixture('notations'));
    const preClasses = /^<pre class="([^"]*)"/.exec(html)?.[1].split(' ');
    expect(preClasses?.sort()).toEqual(['github-dark', 'has-diff', 'has-focused', 'has-highlighted', 'shiki']);
    expect(linesWithClass(html, 'remove')).toEqual([3]);
    expect(linesWithClass(html, 'add')).toEqual([4]);
    expect(linesWithClass(html, 'diff')).toEqual([3, 4]);
    expect(linesWithClass(html, 'highlighted')).toEqual([6, 7]);
    expect(linesWithClass(html, 'focused')).toEqual([8]);
    expect(stepsByLine(html)).toEqual({ 8: 'greet' });
    expect(text).not.toContain('[!code');
  });

  it('numbers every line from 1 when there is no notation', async () => {
    const { html, text } = await highlightLessonFile('client.ts', 'const a = 1;\r\nconst b = a;');
    expect(lineTags(html)).toEqual([
      { line: 1, step: undefined, classes: ['line'] },
      { line: 2, step: undefined, classes: ['line'] },
    ]);
    expect(text).toBe('const a = 1;\nconst b = a;');
  });
});

describe('highlightLessonFix', () => {
  const FIX = { from: 'before', to: 'after', title: 'the fix' };
  // Line numbers on the right are the ones the rendered lines must carry.
  const SOURCE = [
    'export function create() {', //                                  1
    '  // Before: adds one.', //                                        2
    '  function before(n: number) {', //                                3
    '    const step = 1;', //                                           4
    '    return n + step; // [!code step:add]', //                      5
    '  }', //                                                           6
    '', //                                                              7
    '  /**', //                                                         8
    '   * After: adds two.', //                                         9
    '   */', //                                                        10
    '  function after(n: number) {', //                                11
    '    const step = 2; // [!code step:two]', //                      12
    '    return n + step;', //                                         13
    '  }', //                                                          14
    '}', //                                                            15
  ].join('\n');

  it('marks removed and added lines, shows unchanged ones once, numbered as in the file', async () => {
    const { html } = await highlightLessonFix(SOURCE, FIX);
    expect(lineTags(html).map(({ line, classes }) => [line, classes.join(' ')])).toEqual([
      [2, 'line diff remove'],
      [3, 'line diff remove'],
      [4, 'line diff remove'],
      [8, 'line diff add'],
      [9, 'line diff add'],
      [10, 'line diff add'],
      [11, 'line diff add'],
      [12, 'line diff add has-step'],
      [13, 'line'],
      [14, 'line'],
    ]);
    expect(/^<pre class="([^"]*)"/.exec(html)?.[1].split(' ')).toContain('has-diff');
  });

  it('keeps step notations as data-step and strips them from the text', async () => {
    const { tab, title, file, html, text } = await highlightLessonFix(SOURCE, FIX);
    expect({ tab, title, file }).toEqual({ tab: 'fix', title: 'the fix', file: 'server.ts' });
    expect(stepsByLine(html)).toEqual({ 12: 'two' });
    expect(text).toBe(
      [
        '- // Before: adds one.',
        '- function before(n: number) {',
        '-   const step = 1;',
        '+ /**',
        '+  * After: adds two.',
        '+  */',
        '+ function after(n: number) {',
        '+   const step = 2;',
        '    return n + step;',
        '  }',
        '',
      ].join('\n'),
    );
  });

  it('throws an error naming a function that is not in the source', async () => {
    await expect(highlightLessonFix(SOURCE, { ...FIX, to: 'afterAll' })).rejects.toThrow(/"afterAll"/);
    await expect(highlightLessonFix(SOURCE, { ...FIX, from: 'missing' })).rejects.toThrow(/"missing"/);
  });

  it('shows the token check of the long-polling lesson as added', async () => {
    const path = new URL('../lessons/02-long-polling/server.ts', import.meta.url);
    const code = readFileSync(path, 'utf8');
    const { html, text } = await highlightLessonFix(code, { from: 'waitNaive', to: 'waitFixed', title: 'the fix' });
    const isNewerLine = code.split('\n').findIndex((line) => line.includes('if (isNewer(')) + 1;
    expect(linesWithClass(html, 'add')).toContain(isNewerLine);
    expect(text).toMatch(/^\+ {3}if \(isNewer\(latest, token\)\)/m);
    expect(text).toMatch(/^- function waitNaive\(/m);
  });
});

describe('highlightSnippet', () => {
  it('highlights a known language', async () => {
    const html = await highlightSnippet('curl -N http://localhost:5173/api\n', 'bash title="Try it"');
    expect(html).toMatch(/^<pre class="shiki github-dark"/);
    expect(html).toContain('<span style="color:#B392F0">curl</span>');
  });

  it('renders an unknown language as escaped plain text', async () => {
    const html = await highlightSnippet('if (a < b) <b>bold</b>', 'no-such-lang');
    expect(html).toMatch(/^<pre class="shiki github-dark"/);
    expect(html).toContain('&#x3C;b>bold&#x3C;/b>');
    expect(html).not.toContain('<b>');
  });

  it('applies shiki notations and shows an escaped notation literally', async () => {
    const html = await highlightSnippet("send(); // [!code ++]\n// write [\\!code step:x] in the file", 'ts');
    expect(lineTags(html).map(({ classes }) => classes)).toEqual([['line', 'diff', 'add'], ['line']]);
    expect(html).toContain('[!code step:x]');
    expect(html).not.toContain('[\\!code');
  });
});
