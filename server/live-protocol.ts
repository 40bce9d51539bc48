import type { LessonDetail, LessonFigures } from '../lessons/lesson.ts';
import type { TraceEvent, TraceInput } from '../lessons/trace-event.ts';
import type { PresentationState } from './presentation.ts';

/**
 * Path of the page's live socket: `/api/live?lesson=<slug>` for a lesson's trace, or
 * `/api/live?presentation` (with `&member=<id>` for an audience page) to follow the presentation.
 * A WebSocket, not an event stream, so that it does not take one of the browser's six HTTP/1.1
 * connections per host, which a lesson's own streams may all need.
 */
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
  | { type: 'pong'; id: number; serverNow: number }
  /** The live figures of a lesson that compares techniques, once a second. */
  | { type: 'figures'; figures: LessonFigures }
  /** The presentation as it is now: sent on connecting and after every change. */
  | { type: 'presentation'; state: PresentationState };

/** What a page sends on its live socket. */
export type LiveClientMessage =
  /** The page's own view of its clients (already in server time). */
  | { type: 'client-events'; events: TraceInput[] }
  /** Clock sync: the server answers with its time. */
  | { type: 'ping'; id: number };
