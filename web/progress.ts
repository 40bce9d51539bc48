/** The localStorage key that holds everyone's progress, as JSON: `{ [slug]: LessonProgress }`. */
export const PROGRESS_KEY = 'rww-progress-v1';

/** Steps a lesson may have; a stored count above this is not ours. */
const MAX_STEPS = 200;
/** Lessons remembered at most; past this, the one left longest ago is forgotten. */
const MAX_LESSONS = 100;
const SLUG = /^[a-z0-9-]{1,64}$/;

/** How far one lesson got in this browser. */
export interface LessonProgress {
  /** The step shown last (1-based): where "Continue" goes. */
  lastStep: number;
  /** Every step shown at least once, ascending. */
  seen: number[];
  /** Steps the lesson had when last shown. */
  totalSteps: number;
  /** Whether the lesson's "Check my code" passed at least once. */
  checkPassed: boolean;
  /** When this lesson's progress last changed (ms since the epoch). */
  updatedAt: number;
}

/** The parts of `Storage` the progress store uses, so a test can pass a fake. */
export type ProgressStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

/** Progress through the lessons, kept in the browser. No method throws: without storage, there is no progress. */
export interface ProgressStore {
  /** Records that step `step` (1-based) of `totalSteps` of lesson `slug` was shown. Out-of-range input is ignored. */
  visit(slug: string, step: number, totalSteps: number): void;
  /** Records that the lesson's check passed. Ignored for a lesson never visited, whose step count is unknown. */
  passCheck(slug: string): void;
  get(slug: string): LessonProgress | undefined;
  all(): Record<string, LessonProgress>;
  /** Forgets the progress of every lesson. */
  clear(): void;
  /**
   * Calls `listener` after each change made here and, when there is a window, after each change made by
   * another page (another tab, or the page that followed this one while it sat in the back/forward cache).
   * Returns the function that unsubscribes.
   */
  subscribe(listener: () => void): () => void;
}

/** A store over `storage` (default: `localStorage`, when the browser lets the page have it). */
export function createProgressStore(storage: ProgressStorage | undefined = defaultStorage()): ProgressStore {
  const listeners = new Set<() => void>();

  const read = (): Map<string, LessonProgress> => {
    try {
      const raw = storage?.getItem(PROGRESS_KEY);
      return raw ? parseProgress(JSON.parse(raw)) : new Map();
    } catch {
      return new Map();
    }
  };

  const write = (progress: Map<string, LessonProgress>) => {
    try {
      storage?.setItem(PROGRESS_KEY, JSON.stringify(Object.fromEntries(newest(progress))));
    } catch {
      return; // over quota, or storage refused: the progress is simply not kept
    }
    notify();
  };

  const notify = () => {
    for (const listener of [...listeners]) listener();
  };

  const onStorage = (event: StorageEvent) => {
    // `key` is null when another tab cleared the whole storage.
    if (event.key === PROGRESS_KEY || event.key === null) notify();
  };

  return {
    visit(slug, step, totalSteps) {
      if (!SLUG.test(slug) || !isCount(totalSteps, MAX_STEPS) || !isCount(step, totalSteps)) return;
      const progress = read();
      const before = progress.get(slug);
      // A lesson edited to fewer steps keeps only the steps it still has.
      const seen = new Set((before?.seen ?? []).filter((n) => n <= totalSteps)).add(step);
      progress.set(slug, {
        lastStep: step,
        seen: [...seen].sort((a, b) => a - b),
        totalSteps,
        checkPassed: before?.checkPassed ?? false,
        updatedAt: Date.now(),
      });
      write(progress);
    },

    passCheck(slug) {
      const progress = read();
      const before = progress.get(slug);
      if (!before || before.checkPassed) return;
      progress.set(slug, { ...before, checkPassed: true, updatedAt: Date.now() });
      write(progress);
    },

    get(slug) {
      return read().get(slug);
    },

    all() {
      return Object.fromEntries(read());
    },

    clear() {
      try {
        storage?.removeItem(PROGRESS_KEY);
      } catch {
        return;
      }
      notify();
    },

    subscribe(listener) {
      if (listeners.size === 0 && typeof window !== 'undefined') {
        window.addEventListener('storage', onStorage);
      }
      listeners.add(listener);
      return () => {
        if (!listeners.delete(listener) || listeners.size > 0 || typeof window === 'undefined') return;
        window.removeEventListener('storage', onStorage);
      };
    },
  };
}

/** What a lesson card says about its progress: `Not started`, `Step 3 of 10 · 4 seen`, `All 10 steps seen · ✓ check passed`. */
export function progressLabel(progress: LessonProgress | undefined): string {
  if (!progress) return 'Not started';
  const { lastStep, seen, totalSteps, checkPassed } = progress;
  const where = seen.length === totalSteps ? `All ${totalSteps} ${totalSteps === 1 ? 'step' : 'steps'} seen` : `Step ${lastStep} of ${totalSteps} · ${seen.length} seen`;
  return checkPassed ? `${where} · ✓ check passed` : where;
}

/** `localStorage`, or undefined where reading it throws (a sandboxed frame, storage disabled). */
function defaultStorage(): ProgressStorage | undefined {
  try {
    return globalThis.localStorage ?? undefined;
  } catch {
    return undefined;
  }
}

/** The valid lessons of a stored value; anything else in it is dropped. */
function parseProgress(value: unknown): Map<string, LessonProgress> {
  const progress = new Map<string, LessonProgress>();
  if (!isRecord(value)) return progress;
  for (const [slug, entry] of Object.entries(value)) {
    const lesson = parseLessonProgress(entry);
    if (SLUG.test(slug) && lesson) progress.set(slug, lesson);
  }
  return newest(progress);
}

function parseLessonProgress(value: unknown): LessonProgress | undefined {
  if (!isRecord(value)) return undefined;
  const { lastStep, seen, totalSteps, checkPassed, updatedAt } = value;
  if (!isCount(totalSteps, MAX_STEPS) || !isCount(lastStep, totalSteps) || typeof checkPassed !== 'boolean') return undefined;
  if (!isCount(updatedAt, Number.MAX_SAFE_INTEGER)) return undefined;
  if (!Array.isArray(seen) || !seen.every((n) => isCount(n, totalSteps))) return undefined;
  return { lastStep, seen: [...new Set(seen)].sort((a, b) => a - b), totalSteps, checkPassed, updatedAt };
}

/** The `MAX_LESSONS` lessons changed most recently. */
function newest(progress: Map<string, LessonProgress>): Map<string, LessonProgress> {
  if (progress.size <= MAX_LESSONS) return progress;
  return new Map([...progress].sort(([, a], [, b]) => b.updatedAt - a.updatedAt).slice(0, MAX_LESSONS));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A whole number from 1 to `max`. */
function isCount(value: unknown, max: number): value is number {
  return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= max;
}
