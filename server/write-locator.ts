import type { SourceLocation } from '../lessons/trace-event.ts';

/** Finds the line of lesson code that is writing `chunk` (to a response or a socket). */
export type WriteLocator = (chunk: Buffer | string) => SourceLocation | undefined;

/** How many distinct writes a turn remembers (a WebSocket message is two: its header, then its payload). */
const REMEMBERED = 4;

/**
 * Locates writes as a broadcast makes them: one line of lesson code writes the same bytes to every
 * client within one turn of the event loop. A write of bytes already located in this turn is given
 * that line without walking the stack again: a stack capture costs about 10 µs, which a broadcast
 * to a thousand clients would otherwise spend a thousand times before the last one is written.
 *
 * The one thing it cannot tell apart: two lines that write the very same bytes in the same turn are
 * both shown as the first.
 */
export function createWriteLocator(locate: () => SourceLocation | undefined): WriteLocator {
  let recent: { chunk: Buffer | string; location: SourceLocation | undefined }[] = [];
  const forget = () => {
    recent = [];
  };
  return (chunk) => {
    for (const entry of recent) if (same(entry.chunk, chunk)) return entry.location;
    const location = locate();
    if (recent.length === 0) queueMicrotask(forget);
    if (recent.length < REMEMBERED) recent.push({ chunk, location });
    return location;
  };
}

function same(a: Buffer | string, b: Buffer | string): boolean {
  if (a === b) return true;
  if (typeof a === 'string' || typeof b === 'string') return false;
  return a.length === b.length && a.equals(b);
}
