import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { LessonDetail } from '../../lessons/lesson.ts';
import type { Recording } from '../../lessons/recording.ts';
import type { TraceEvent } from '../../lessons/trace-event.ts';
import { countUpTo, createReplayClock, type ReplayClock } from '../replay-clock.ts';

/** How often the replay hands the page the events that have happened by now, ms (the live page gets batches as often). */
const TICK_MS = 50;
/** How much of the recording before its first activity a replay shows, ms. */
const LEAD_MS = 1_000;

/**
 * A recorded trace played back in the page, with no server: the same face to the lesson view as
 * `LiveTraceController` (events so far, the lesson, a clock), but the clock is the replay's, which
 * plays, pauses, seeks and changes speed. Starts playing a second before the first activity.
 */
export class ReplayTraceController implements ReactiveController {
  readonly slug: string;
  readonly detail: LessonDetail;
  readonly recording: Recording;
  readonly clock: ReplayClock;
  /** The recorded events that have happened by the replay's time, oldest first. */
  events: readonly TraceEvent[] = [];
  readonly status = 'replay';
  readonly figures = undefined;
  readonly offsetMs = 0;
  readonly synced = Promise.resolve();

  private _timer?: ReturnType<typeof setInterval>;
  private _wasPlaying = false;

  constructor(
    private readonly host: ReactiveControllerHost,
    recording: Recording,
  ) {
    this.recording = recording;
    this.detail = recording.detail;
    this.slug = recording.detail.slug;
    let [start, end] = [recording.recordedAt, recording.recordedAt];
    for (const e of recording.events) [start, end] = [Math.min(start, e.t), Math.max(end, e.t)];
    this.clock = createReplayClock(start, end);
    // The data changes whether anyone watches: play from just before the first thing that is not a
    // feed change (a trace kept since the workbench started would open on minutes of nothing else).
    const first = recording.events.find((e) => e.kind !== 'feed-change');
    if (first) this.clock.seek(first.t - LEAD_MS);
    this.clock.play();
    host.addController(this);
  }

  /** The replay's time: what "now" was in the recording. (Bound: the timeline reads its clock through it.) */
  readonly serverNow = (): number => this.clock.time();

  /** A replay has no server to report to. */
  report(): void {}

  hostConnected(): void {
    this._tick();
    this._timer = setInterval(() => this._tick(), TICK_MS);
  }

  hostDisconnected(): void {
    clearInterval(this._timer);
  }

  /** Plays, pauses, seeks or changes speed, and shows the result at once. */
  control(change: (clock: ReplayClock) => void): void {
    change(this.clock);
    this._tick(true);
  }

  private _tick(force = false): void {
    const n = countUpTo(this.recording.events, this.clock.time());
    const changed = n !== this.events.length;
    if (changed) this.events = this.recording.events.slice(0, n);
    // Playing, the page redraws on every tick (the position moves); paused, only when told.
    const playing = this.clock.playing;
    if (force || changed || playing || this._wasPlaying) this.host.requestUpdate();
    this._wasPlaying = playing;
  }
}
