import type { SourceLocation, TraceEvent } from '../lessons/trace-event.ts';
import type { ClientOptions } from '../lessons/lesson.ts';
import type { Recording } from '../lessons/recording.ts';

/**
 * The pointer moved onto a timeline event (or off all of them: `traceEvent` is undefined).
 * `source` is the lesson code behind the shape: the event's own, or that of the other side of it
 * (a request arrow's browser side has the `fetch()` line when the server side has none).
 */
export class TimelineHoverEvent extends Event {
  static readonly eventName = 'timeline-hover' as const;
  constructor(
    readonly traceEvent: TraceEvent | undefined,
    readonly source: SourceLocation | undefined = traceEvent?.source,
  ) {
    super(TimelineHoverEvent.eventName, { bubbles: true, composed: true });
  }
}

/** The user pinned a timeline event by clicking it (or unpinned: `traceEvent` is undefined); `source` as above. */
export class TimelineSelectEvent extends Event {
  static readonly eventName = 'timeline-select' as const;
  constructor(
    readonly traceEvent: TraceEvent | undefined,
    readonly source: SourceLocation | undefined = traceEvent?.source,
  ) {
    super(TimelineSelectEvent.eventName, { bubbles: true, composed: true });
  }
}

/** A recording was opened from a file, to replay. */
export class RecordingOpenEvent extends Event {
  static readonly eventName = 'recording-open' as const;
  constructor(readonly recording: Recording) {
    super(RecordingOpenEvent.eventName, { bubbles: true, composed: true });
  }
}

declare global {
  interface HTMLElementEventMap {
    [RecordingOpenEvent.eventName]: RecordingOpenEvent;
    [TimelineHoverEvent.eventName]: TimelineHoverEvent;
    [TimelineSelectEvent.eventName]: TimelineSelectEvent;
  }
}

/** The user changed the lesson clients' options (the clients restart with them). */
export class ClientOptionsChangeEvent extends Event {
  static readonly eventName = 'client-options-change' as const;
  constructor(readonly options: ClientOptions) {
    super(ClientOptionsChangeEvent.eventName, { bubbles: true, composed: true });
  }
}

/** A control failed to reach the workbench (shown by the lesson view). */
export class ControlErrorEvent extends Event {
  static readonly eventName = 'control-error' as const;
  constructor(readonly message: string) {
    super(ControlErrorEvent.eventName, { bubbles: true, composed: true });
  }
}

declare global {
  interface HTMLElementEventMap {
    [ClientOptionsChangeEvent.eventName]: ClientOptionsChangeEvent;
    [ControlErrorEvent.eventName]: ControlErrorEvent;
  }
}
