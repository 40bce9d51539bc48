import type { LessonDetail } from '../lessons/lesson.ts';
import type { TraceEvent, TraceInput } from '../lessons/trace-event.ts';

/** Path of the page's live socket: `/api/live?lesson=<slug>`. */
export const LIVE_PATH = '/api/live';

/** What the workbench sends a page on its live socket. */
export type LiveServerMessage =
  /** First message: the recorded trace so far. */
  | { type: 'hello'; lesson: string; events: TraceEvent[] }
  /** New trace events, batched. */
  | { type: 'trace'; events: TraceEvent[] }
  /** The lesson's code, prose or settings changed: here is the new detail. */
  | { type: 'lesson'; detail: LessonDetail }
  /** The trace was cleared. */
  | { type: 'cleared' }
  /** Answer to a clock ping. */
  | { type: 'pong'; id: number; serverNow: number };

/** What a page sends on its live socket. */
export type LiveClientMessage =
  /** The page's own view of its clients (already in server time). */
  | { type: 'client-events'; events: TraceInput[] }
  /** Clock sync: the server answers with its time. */
  | { type: 'ping'; id: number };
