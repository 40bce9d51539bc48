import type { FeedSnapshot, LessonSettings } from '../lessons/lesson.ts';
import type { TraceInput } from '../lessons/trace-event.ts';
import type { RouteCounts } from './route-meter.ts';

/** Messages the workbench sends a runner process over IPC. */
export type ToRunnerMessage =
  | {
      type: 'load';
      slug: string;
      generation: number;
      /** The compiled module to import. */
      modulePath: string;
      /** The lesson file it was compiled from (what stack traces point at). */
      sourcePath: string;
      feed: FeedSnapshot;
      settings: LessonSettings;
      /** Count the traffic per route and send `meters` (a lesson that compares techniques). */
      meters: boolean;
    }
  /** A client's connection, handed over with this message (a socket handle): `head` (latin1) is what was read from it already, the request head and any bytes after it. */
  | { type: 'connection'; head: string }
  | { type: 'feed'; snapshot: FeedSnapshot }
  | { type: 'settings'; settings: LessonSettings }
  /** End the event streams of one client (or all) from the server side. */
  | { type: 'end-streams'; client?: string; reason: string }
  /** A newer version took over: abort the lesson's signal, report what that did, then go. */
  | { type: 'retire' };

/** Messages a runner process sends the workbench over IPC. */
export type FromRunnerMessage =
  | { type: 'ready'; port: number }
  | { type: 'loaded'; generation: number }
  | { type: 'load-error'; message: string; line?: number }
  | { type: 'trace'; events: TraceInput[] }
  /** A client's connection handed back (a socket handle) with a request that is not the lesson's: `head` (latin1) is what was read from it. */
  | { type: 'connection'; head: string }
  | { type: 'streams-ended'; count: number }
  /** Once a second while there is traffic: what each route did, and the CPU this process has used so far (µs, user + system). */
  | { type: 'meters'; routes: Record<string, RouteCounts>; cpuMicros: number }
  /** Sent every `ALIVE_EVERY_MS` while the event loop turns: a runner that stops sending it is stuck (a busy loop). */
  | { type: 'alive' };

/** How long a retiring runner keeps reporting what its abort did (the held requests it answered, the sockets it closed) before it disconnects, ms. */
export const RETIRE_REPORT_MS = 100;

/** How often a runner says it is alive, ms. */
export const ALIVE_EVERY_MS = 250;

/** How often a runner sends its route meters, ms. */
export const METERS_EVERY_MS = 1_000;
