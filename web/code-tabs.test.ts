import { describe, expect, it } from 'vitest';
import type { LessonCode } from '../lessons/lesson.ts';
import { readCodeTabs, tabForLine, tabForSteps } from './code-tabs.ts';

/** A tab whose HTML has one `.line` per `[line, steps]` pair. */
function tab(tab: string, file: LessonCode['file'], lines: [number, string?][]): LessonCode {
  const html = lines
    .map(([line, steps]) => `<span class="line" data-line="${line}"${steps ? ` data-step="${steps}"` : ''}>x</span>`)
    .join('\n');
  return { tab, title: tab, file, html, text: '' };
}

const CODE = [
  tab('server.ts', 'server.ts', [[1], [2, 'hold'], [3, 'naive'], [4, 'at-once answer']]),
  tab('fix', 'server.ts', [[3], [4, 'at-once']]),
  tab('client.ts', 'client.ts', [[1, 'poll'], [2]]),
];
const CONTENT = readCodeTabs(CODE);

describe('readCodeTabs', () => {
  it('collects the line numbers and the space-separated step ids of each tab', () => {
    expect(CONTENT.get('server.ts')).toEqual({ lines: new Set([1, 2, 3, 4]), steps: new Set(['hold', 'naive', 'at-once', 'answer']) });
    expect(CONTENT.get('fix')).toEqual({ lines: new Set([3, 4]), steps: new Set(['at-once']) });
  });
});

describe('tabForLine', () => {
  it('stays on the current tab when it shows that line of the file', () => {
    expect(tabForLine(CODE, CONTENT, 'fix', { file: 'server.ts', line: 4 })).toBe('fix');
  });

  it('moves to the first tab showing the line when the current one does not', () => {
    expect(tabForLine(CODE, CONTENT, 'fix', { file: 'server.ts', line: 2 })).toBe('server.ts');
    expect(tabForLine(CODE, CONTENT, 'server.ts', { file: 'client.ts', line: 2 })).toBe('client.ts');
  });

  it('falls back to the first tab of the file when no tab shows the line', () => {
    expect(tabForLine(CODE, CONTENT, 'client.ts', { file: 'server.ts', line: 99 })).toBe('server.ts');
  });

  it('returns undefined when no tab shows the file', () => {
    expect(tabForLine(CODE.slice(0, 2), CONTENT, 'fix', { file: 'client.ts', line: 1 })).toBeUndefined();
  });
});

describe('tabForSteps', () => {
  it('stays on the current tab when it has one of the steps', () => {
    expect(tabForSteps(CODE, CONTENT, 'fix', ['poll', 'at-once'])).toBe('fix');
  });

  it('moves to the first tab with one of the steps', () => {
    expect(tabForSteps(CODE, CONTENT, 'fix', ['naive'])).toBe('server.ts');
    expect(tabForSteps(CODE, CONTENT, 'server.ts', ['poll'])).toBe('client.ts');
    expect(tabForSteps(CODE, CONTENT, undefined, ['at-once'])).toBe('server.ts');
  });

  it('returns undefined when no tab has any of the steps', () => {
    expect(tabForSteps(CODE, CONTENT, 'fix', ['nowhere'])).toBeUndefined();
  });
});
