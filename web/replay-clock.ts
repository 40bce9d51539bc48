/** The speeds a replay offers. */
export const REPLAY_SPEEDS = [0.1, 0.25, 0.5, 1, 2, 4] as const;

export interface ReplayClock {
  /** Recorded time the replay starts and ends at, ms. */
  readonly start: number;
  readonly end: number;
  /** Recorded time now, ms: from `start` to `end`. */
  time(): number;
  readonly playing: boolean;
  readonly speed: number;
  /** Plays on from where it is (from the start again once it has reached the end). */
  play(): void;
  pause(): void;
  /** Jumps to a recorded time (clamped to the recording); keeps playing or paused as it was. */
  seek(time: number): void;
  setSpeed(speed: number): void;
}

/**
 * The clock of a replay: recorded time that runs at `speed` while playing and stops at the end.
 * `now` is the wall clock it runs by (ms; `performance.now` in the page, a fake in tests).
 */
export function createReplayClock(start: number, end: number, now: () => number = () => performance.now()): ReplayClock {
  let anchor = { wall: now(), time: start };
  let playing = false;
  let speed = 1;
  const time = () => (playing ? Math.min(end, anchor.time + (now() - anchor.wall) * speed) : anchor.time);
  const setAnchor = (t: number) => (anchor = { wall: now(), time: Math.min(end, Math.max(start, t)) });
  return {
    start,
    end,
    time,
    get playing() {
      return playing && time() < end;
    },
    get speed() {
      return speed;
    },
    play() {
      const t = time();
      setAnchor(t >= end ? start : t);
      playing = true;
    },
    pause() {
      setAnchor(time());
      playing = false;
    },
    seek(t) {
      setAnchor(t);
    },
    setSpeed(next) {
      if (!(next > 0) || !Number.isFinite(next)) throw new RangeError(`A replay speed is a positive number, got ${next}`);
      setAnchor(time());
      speed = next;
    },
  };
}

/**
 * How many of `events` (in recorded order) had happened by `time`: the longest prefix whose times
 * are all at or before it. (Browser events carry corrected clocks and may sit a few ms out of order;
 * a prefix keeps every request before its answer.)
 */
export function countUpTo(events: readonly { t: number }[], time: number): number {
  let n = 0;
  while (n < events.length && events[n]!.t <= time) n++;
  return n;
}
