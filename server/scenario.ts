import type { Scenario } from '../lessons/lesson.ts';
import type { Feed } from './feed.ts';

/** Drives a feed by a scenario; the scenario and the time scale can change while it runs. */
export interface ScenarioDriver {
  readonly scenario: Scenario;
  /** Whether the driver is paused (it keeps its scenario, and makes no changes). */
  readonly paused: boolean;
  set(scenario: Scenario, timeScale: number): void;
  /** Holds the scenario (a presenter pausing the demo) or lets it run again. */
  pause(paused: boolean): void;
  stop(): void;
}

/** Starts changing `feed` as `scenario` says, each delay multiplied by `timeScale`. */
export function createScenarioDriver(feed: Feed, scenario: Scenario, timeScale = 1): ScenarioDriver {
  let interval: NodeJS.Timeout | undefined;
  const pending = new Set<NodeJS.Timeout>();
  let current = scenario;
  let scale = timeScale;
  let paused = false;

  const change = () => feed.change(feed.nextValue(), 'scenario');
  const later = (ms: number) => {
    const timer = setTimeout(() => {
      pending.delete(timer);
      change();
    }, ms).unref();
    pending.add(timer);
  };
  const stop = () => {
    clearInterval(interval);
    for (const timer of pending) clearTimeout(timer);
    pending.clear();
  };
  const start = (s: Scenario, timeScale: number) => {
    stop();
    current = s;
    scale = timeScale;
    if (paused) return;
    if (s.kind === 'interval') interval = setInterval(change, s.everyMs * scale).unref();
    if (s.kind === 'burst') {
      interval = setInterval(() => {
        change();
        for (let i = 1; i < s.count; i++) {
          // A zero gap means "in the same moment": changes in one turn, most often in the same millisecond.
          if (s.gapMs === 0) change();
          else later(i * s.gapMs * scale);
        }
      }, s.everyMs * scale).unref();
    }
  };

  start(scenario, timeScale);
  return {
    get scenario() {
      return current;
    },
    get paused() {
      return paused;
    },
    set: start,
    pause(next) {
      if (next === paused) return;
      paused = next;
      start(current, scale);
    },
    stop,
  };
}

/** Reads a scenario from untrusted input; returns undefined when it is not one. */
export function parseScenario(input: unknown): Scenario | undefined {
  const s = input as Record<string, unknown> | null;
  if (!s || typeof s !== 'object') return undefined;
  const ms = (v: unknown, min: number) => (typeof v === 'number' && Number.isFinite(v) && v >= min && v <= 600_000 ? v : undefined);
  if (s.kind === 'manual') return { kind: 'manual' };
  if (s.kind === 'interval') {
    const everyMs = ms(s.everyMs, 20);
    return everyMs === undefined ? undefined : { kind: 'interval', everyMs };
  }
  if (s.kind === 'burst') {
    const everyMs = ms(s.everyMs, 100);
    const gapMs = ms(s.gapMs, 0);
    const count = typeof s.count === 'number' && Number.isInteger(s.count) && s.count >= 1 && s.count <= 50 ? s.count : undefined;
    if (everyMs === undefined || gapMs === undefined || count === undefined || count * gapMs >= everyMs) return undefined;
    return { kind: 'burst', count, gapMs, everyMs };
  }
  return undefined;
}
