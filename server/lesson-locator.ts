import { findSourceMap } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { LessonFile, SourceLocation } from '../lessons/trace-event.ts';

/** Finds the line of lesson code on the current call stack, mapped back to the file people read. */
export type LessonLocator = (fromStack?: readonly NodeJS.CallSite[]) => SourceLocation | undefined;

/**
 * Creates a locator for one compiled lesson module. It reads V8's structured call sites (no
 * string parsing) and maps the compiled position through the module's inline source map.
 */
export function createLessonLocator(modulePath: string, file: LessonFile): LessonLocator {
  const moduleUrl = pathToFileURL(modulePath).href;
  // A broadcast writes from the same place to every client: map each compiled position once.
  const mapped = new Map<number, SourceLocation>();
  return function locate(fromStack = callSites(locate)) {
    for (const site of fromStack) {
      const name = site.getFileName();
      if (name !== moduleUrl && name !== modulePath) continue;
      const line = site.getLineNumber();
      const column = site.getColumnNumber();
      if (line == null || column == null) continue;
      const key = line * 100_000 + column;
      let location = mapped.get(key);
      if (!location) {
        const entry = findSourceMap(modulePath)?.findEntry(line - 1, column - 1) as { originalLine?: number } | undefined;
        mapped.set(key, (location = { file, line: (entry?.originalLine ?? line - 1) + 1 }));
      }
      return location;
    }
    return undefined;
  };
}

/** The structured stack above `above`, without formatting it into a string. */
function callSites(above: Function): NodeJS.CallSite[] {
  const previous = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  Error.prepareStackTrace = (_error, sites) => sites;
  Error.stackTraceLimit = 30;
  try {
    const holder: { stack?: unknown } = {};
    Error.captureStackTrace(holder, above);
    return holder.stack as NodeJS.CallSite[];
  } finally {
    Error.prepareStackTrace = previous;
    Error.stackTraceLimit = limit;
  }
}

/** The first line of `sourcePath` in an error's (source-mapped) stack. */
export function locateError(error: unknown, sourcePath: string, file: LessonFile): SourceLocation | undefined {
  const stack = error instanceof Error ? (error.stack ?? '') : '';
  for (const line of stack.split('\n')) {
    const at = line.lastIndexOf(`${sourcePath}:`);
    if (at === -1) continue;
    const match = /^:(\d+):\d+/.exec(line.slice(at + sourcePath.length));
    if (match) return { file, line: Number(match[1]) };
  }
  return undefined;
}
