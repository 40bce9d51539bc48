import type { LessonCode } from '../lessons/lesson.ts';
import type { SourceLocation } from '../lessons/trace-event.ts';

/** What a code tab shows, read once from its HTML: the line numbers and the step ids on its lines. */
export interface CodeTabContent {
  lines: ReadonlySet<number>;
  steps: ReadonlySet<string>;
}

/** Reads the `data-line` and `data-step` values of each tab's HTML, keyed by tab id. */
export function readCodeTabs(code: readonly LessonCode[]): Map<string, CodeTabContent> {
  return new Map(
    code.map(({ tab, html }) => [
      tab,
      {
        lines: new Set([...html.matchAll(/data-line="(\d+)"/g)].map(([, line]) => Number(line))),
        steps: new Set([...html.matchAll(/data-step="([^"]*)"/g)].flatMap(([, steps]) => steps.split(' '))),
      },
    ]),
  );
}

/**
 * The tab to show for a source line: the current tab if it shows that line of that file, else the first
 * tab showing it, else the first tab of the file; `undefined` when no tab shows the file.
 */
export function tabForLine(
  code: readonly LessonCode[],
  content: ReadonlyMap<string, CodeTabContent>,
  current: string | undefined,
  { file, line }: SourceLocation,
): string | undefined {
  const ofFile = code.filter((c) => c.file === file).map((c) => c.tab);
  const showing = ofFile.filter((tab) => content.get(tab)?.lines.has(line));
  if (current !== undefined && showing.includes(current)) return current;
  return showing[0] ?? ofFile[0];
}

/** The tab to show for focused steps: the current tab if it has one of them, else the first that does, else `undefined`. */
export function tabForSteps(
  code: readonly LessonCode[],
  content: ReadonlyMap<string, CodeTabContent>,
  current: string | undefined,
  steps: readonly string[],
): string | undefined {
  const owners = code.map((c) => c.tab).filter((tab) => steps.some((step) => content.get(tab)?.steps.has(step)));
  if (current !== undefined && owners.includes(current)) return current;
  return owners[0];
}
