import type { TraceEvent, TraceInput } from '../lessons/trace-event.ts';
import { RingBuffer } from './ring-buffer.ts';

/** Records each lesson's trace in a bounded buffer and hands every new event to live listeners. */
export interface TraceHub {
  emit(lesson: string, input: TraceInput): TraceEvent;
  /** The recorded trace of a lesson, oldest first. */
  events(lesson: string): TraceEvent[];
  subscribe(lesson: string, listener: (event: TraceEvent) => void): () => void;
  /** Forgets a lesson's trace (sequence numbers go on) and tells `onClear` listeners. */
  clear(lesson: string): void;
  onClear(lesson: string, listener: () => void): () => void;
}

export interface TraceHubOptions {
  /** Events kept per lesson; older ones are forgotten. @default 20000 */
  capacity?: number;
}

/** Creates an empty trace hub. */
export function createTraceHub({ capacity = 20_000 }: TraceHubOptions = {}): TraceHub {
  const lessons = new Map<string, { seq: number; buffer: RingBuffer<TraceEvent>; listeners: Set<(event: TraceEvent) => void>; clearListeners: Set<() => void> }>();
  const lessonTrace = (lesson: string) => {
    let trace = lessons.get(lesson);
    if (!trace) lessons.set(lesson, (trace = { seq: 0, buffer: new RingBuffer(capacity), listeners: new Set(), clearListeners: new Set() }));
    return trace;
  };

  return {
    emit(lesson, input) {
      const trace = lessonTrace(lesson);
      const event = { ...input, seq: ++trace.seq, lesson } as TraceEvent;
      trace.buffer.push(event);
      for (const listener of trace.listeners) listener(event);
      return event;
    },
    events: (lesson) => lessons.get(lesson)?.buffer.toArray() ?? [],
    subscribe(lesson, listener) {
      const { listeners } = lessonTrace(lesson);
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    clear(lesson) {
      const trace = lessonTrace(lesson);
      trace.buffer.clear();
      for (const listener of trace.clearListeners) listener();
    },
    onClear(lesson, listener) {
      const { clearListeners } = lessonTrace(lesson);
      clearListeners.add(listener);
      return () => clearListeners.delete(listener);
    },
  };
}
