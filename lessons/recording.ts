import type { LessonDetail } from './lesson.ts';
import type { TraceEvent } from './trace-event.ts';

/** What a recording file says it is, so that any other JSON is told apart at once. */
export const RECORDING_FORMAT = 'realtime-web-workbench/recording';
export const RECORDING_VERSION = 1;

/**
 * A lesson's trace saved with everything needed to replay it without a server: the lesson as the
 * page showed it (prose, highlighted code, clients) and the events, in the order they were recorded.
 * `GET /api/trace?lesson=<slug>&format=recording` makes one; the page replays one from a file, and the
 * static site (`npm run build:static`) ships one per lesson.
 */
export interface Recording {
  format: typeof RECORDING_FORMAT;
  version: typeof RECORDING_VERSION;
  /** Server time the recording was taken, ms. */
  recordedAt: number;
  detail: LessonDetail;
  events: TraceEvent[];
  /**
   * When the recording moved on to each step of the lesson (server ms), oldest first: a replay
   * turns the steps with it, and picking a step seeks to it. The static site's recordings have them.
   */
  steps?: { step: number; at: number }[];
}

/** Reads a recording from its JSON text, or throws an error that says what is wrong with the file. */
export function parseRecording(text: string): Recording {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('This file is not JSON: save a recording with "Save recording" on a lesson page.');
  }
  const r = value as Partial<Recording> | null;
  if (!r || typeof r !== 'object' || r.format !== RECORDING_FORMAT) {
    throw new Error('This JSON is not a workbench recording (no "format": "realtime-web-workbench/recording").');
  }
  if (r.version !== RECORDING_VERSION) throw new Error(`This recording is version ${String(r.version)}; this workbench replays version ${RECORDING_VERSION}.`);
  const detail = r.detail;
  if (!detail || typeof detail.slug !== 'string' || !Array.isArray(detail.steps) || !Array.isArray(detail.code) || !Array.isArray(detail.clients)) {
    throw new Error('This recording has no lesson in it ("detail" with slug, steps, code and clients).');
  }
  if (!Array.isArray(r.events)) throw new Error('This recording has no "events" list.');
  const bad = r.events.findIndex((e: unknown) => !isEvent(e));
  if (bad >= 0) throw new Error(`Event ${bad + 1} of the recording is not a trace event (each needs a number "seq" and "t", and a "kind").`);
  if (typeof r.recordedAt !== 'number') throw new Error('This recording has no "recordedAt" time.');
  if (r.steps !== undefined && (!Array.isArray(r.steps) || !r.steps.every((s) => Number.isInteger(s?.step) && typeof s?.at === 'number'))) {
    throw new Error('This recording\'s "steps" must be a list of {"step", "at"}.');
  }
  return r as Recording;
}

function isEvent(e: unknown): e is TraceEvent {
  const x = e as Partial<TraceEvent> | null;
  return !!x && typeof x === 'object' && typeof x.seq === 'number' && typeof x.t === 'number' && typeof x.kind === 'string';
}
