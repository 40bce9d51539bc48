import { afterEach, describe, expect, it, vi } from 'vitest';
import { createProgressStore, PROGRESS_KEY, progressLabel, type LessonProgress, type ProgressStorage } from './progress.ts';

const NOW = Date.UTC(2025, 0, 2, 3, 4, 5);

/** A stand-in for `localStorage`, with the stored strings in `items`. */
function createFakeStorage(items = new Map<string, string>()): ProgressStorage & { items: Map<string, string> } {
  return {
    items,
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => void items.set(key, value),
    removeItem: (key) => void items.delete(key),
  };
}

/** A store over a fake storage that already holds `stored` (a string as is, anything else as JSON). */
function storeHolding(stored: unknown) {
  const storage = createFakeStorage(new Map([[PROGRESS_KEY, typeof stored === 'string' ? stored : JSON.stringify(stored)]]));
  return { store: createProgressStore(storage), storage };
}

const progress = (overrides: Partial<LessonProgress> = {}): LessonProgress => ({
  lastStep: 2,
  seen: [1, 2],
  totalSteps: 5,
  checkPassed: false,
  updatedAt: NOW,
  ...overrides,
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('createProgressStore', () => {
  describe('#visit', () => {
    it('records the step shown, the steps seen and the step count, under one JSON key', () => {
      vi.useFakeTimers({ now: NOW });
      const storage = createFakeStorage();
      const store = createProgressStore(storage);
      store.visit('short-polling', 1, 5);
      store.visit('short-polling', 2, 5);

      expect(store.get('short-polling')).toEqual(progress());
      expect(store.all()).toEqual({ 'short-polling': progress() });
      expect([...storage.items.keys()]).toEqual([PROGRESS_KEY]);
      expect(JSON.parse(storage.items.get(PROGRESS_KEY)!)).toEqual({ 'short-polling': progress() });
    });

    it('keeps each step seen once, in order, and the step shown last as lastStep', () => {
      const store = createProgressStore(createFakeStorage());
      for (const step of [4, 1, 4, 2, 1]) store.visit('websocket', step, 10);
      expect(store.get('websocket')).toMatchObject({ lastStep: 1, seen: [1, 2, 4], totalSteps: 10 });
    });

    it('keeps lessons apart', () => {
      const store = createProgressStore(createFakeStorage());
      store.visit('short-polling', 3, 5);
      store.visit('long-polling', 1, 4);
      expect(store.all()).toEqual({
        'short-polling': expect.objectContaining({ lastStep: 3, seen: [3] }),
        'long-polling': expect.objectContaining({ lastStep: 1, seen: [1], totalSteps: 4 }),
      });
    });

    it('forgets steps a lesson no longer has when its step count shrinks', () => {
      const store = createProgressStore(createFakeStorage());
      for (const step of [1, 5, 6]) store.visit('long-polling', step, 6);
      store.visit('long-polling', 2, 4);
      expect(store.get('long-polling')).toMatchObject({ lastStep: 2, seen: [1, 2], totalSteps: 4 });
    });

    it('ignores a step out of range, a step count over 200 and a slug that is not one', () => {
      const storage = createFakeStorage();
      const store = createProgressStore(storage);
      store.visit('short-polling', 0, 5);
      store.visit('short-polling', 6, 5);
      store.visit('short-polling', 1.5, 5);
      store.visit('short-polling', 1, 201);
      store.visit('Short Polling', 1, 5);
      store.visit('', 1, 5);
      store.visit('x'.repeat(65), 1, 5);
      expect(storage.items.size).toBe(0);
    });

    it('remembers the 100 lessons visited last', () => {
      vi.useFakeTimers({ now: NOW });
      const store = createProgressStore(createFakeStorage());
      for (let i = 0; i < 101; i++) {
        vi.setSystemTime(NOW + i);
        store.visit(`lesson-${i}`, 1, 1);
      }
      const slugs = Object.keys(store.all());
      expect(slugs).toHaveLength(100);
      expect(slugs).not.toContain('lesson-0');
      expect(slugs).toContain('lesson-100');
    });

    it('keeps a check that passed', () => {
      const store = createProgressStore(createFakeStorage());
      store.visit('short-polling', 1, 5);
      store.passCheck('short-polling');
      store.visit('short-polling', 2, 5);
      expect(store.get('short-polling')?.checkPassed).toBe(true);
    });
  });

  describe('#passCheck', () => {
    it('marks a visited lesson as passed', () => {
      vi.useFakeTimers({ now: NOW });
      const store = createProgressStore(createFakeStorage());
      store.visit('short-polling', 2, 5);
      vi.setSystemTime(NOW + 1000);
      store.passCheck('short-polling');
      expect(store.get('short-polling')).toEqual(progress({ lastStep: 2, seen: [2], checkPassed: true, updatedAt: NOW + 1000 }));
    });

    it('ignores a lesson never visited, whose step count is unknown', () => {
      const storage = createFakeStorage();
      createProgressStore(storage).passCheck('short-polling');
      expect(storage.items.size).toBe(0);
    });
  });

  describe('#get', () => {
    it('knows nothing of a lesson not visited, whatever its name', () => {
      const store = createProgressStore(createFakeStorage());
      expect(store.get('short-polling')).toBeUndefined();
      expect(store.get('constructor')).toBeUndefined();
      expect(store.get('__proto__')).toBeUndefined();
    });
  });

  describe('reading what is stored', () => {
    it('reads a corrupt value as no progress, and writes over it', () => {
      const { store, storage } = storeHolding('{"short-polling": {"lastStep"');
      expect(store.all()).toEqual({});
      expect(store.get('short-polling')).toBeUndefined();
      store.visit('short-polling', 1, 5);
      expect(JSON.parse(storage.items.get(PROGRESS_KEY)!)).toEqual({ 'short-polling': expect.objectContaining({ seen: [1] }) });
    });

    it.each([['null'], ['42'], ['"text"'], ['[]'], ['[{"lastStep":1}]']])('reads %s as no progress', (stored) => {
      expect(storeHolding(stored).store.all()).toEqual({});
    });

    it.each<[string, unknown]>([
      ['a lesson that is not an object', 'step 2'],
      ['a missing field', { lastStep: 2, seen: [1, 2], totalSteps: 5, updatedAt: NOW }],
      ['a step as a string', progress({ lastStep: '2' as never })],
      ['a last step past the count', progress({ lastStep: 6 })],
      ['a step 0', progress({ seen: [0, 1] })],
      ['a seen step past the count', progress({ seen: [1, 6] })],
      ['a fractional step', progress({ seen: [1.5] })],
      ['seen as an object', progress({ seen: { 0: 1 } as never })],
      ['a count over 200', progress({ totalSteps: 201 })],
      ['checkPassed as a string', progress({ checkPassed: 'yes' as never })],
      ['no time', progress({ updatedAt: null as never })],
    ])('drops a lesson with %s and keeps the others', (_what, bad) => {
      const { store } = storeHolding({ 'short-polling': bad, 'long-polling': progress() });
      expect(store.all()).toEqual({ 'long-polling': progress() });
    });

    it('drops a lesson whose slug is not one', () => {
      const { store } = storeHolding({ 'Short Polling': progress(), '../x': progress(), 'long-polling': progress() });
      expect(store.all()).toEqual({ 'long-polling': progress() });
    });

    it('sorts stored steps and drops repeats', () => {
      const { store } = storeHolding({ 'short-polling': progress({ seen: [3, 1, 3, 2] }) });
      expect(store.get('short-polling')?.seen).toEqual([1, 2, 3]);
    });

    it('keeps the 100 lessons changed last of more', () => {
      const stored = Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`lesson-${i}`, progress({ updatedAt: NOW + i })]));
      const slugs = Object.keys(storeHolding(stored).store.all());
      expect(slugs).toHaveLength(100);
      expect(slugs).toContain('lesson-119');
      expect(slugs).not.toContain('lesson-19');
    });
  });

  describe('when storage fails', () => {
    it('does not save, nor throw, when setItem throws (over quota)', () => {
      const storage = createFakeStorage();
      storage.setItem = () => {
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      };
      const store = createProgressStore(storage);
      const listener = vi.fn();
      store.subscribe(listener);
      expect(() => store.visit('short-polling', 1, 5)).not.toThrow();
      expect(store.get('short-polling')).toBeUndefined();
      expect(listener).not.toHaveBeenCalled();
    });

    it('has no progress, and does not throw, when getItem and removeItem throw', () => {
      const fail = () => {
        throw new DOMException('Access is denied for this document.', 'SecurityError');
      };
      const store = createProgressStore({ getItem: fail, setItem: fail, removeItem: fail });
      expect(store.all()).toEqual({});
      expect(() => store.clear()).not.toThrow();
    });

    it('has no progress, and does not throw, without storage', () => {
      const store = createProgressStore(undefined);
      const listener = vi.fn();
      store.subscribe(listener)();
      expect(() => {
        store.visit('short-polling', 1, 5);
        store.passCheck('short-polling');
        store.clear();
      }).not.toThrow();
      expect(store.get('short-polling')).toBeUndefined();
      expect(store.all()).toEqual({});
    });
  });

  describe('#clear', () => {
    it('removes the key', () => {
      const { store, storage } = storeHolding({ 'short-polling': progress() });
      store.clear();
      expect(storage.items.has(PROGRESS_KEY)).toBe(false);
      expect(store.all()).toEqual({});
    });
  });

  describe('#subscribe', () => {
    it('calls the listener after each change made through the store, until it unsubscribes', () => {
      const store = createProgressStore(createFakeStorage());
      const listener = vi.fn();
      const unsubscribe = store.subscribe(listener);
      store.visit('short-polling', 1, 5);
      store.passCheck('short-polling');
      store.passCheck('short-polling'); // already passed: no change
      store.clear();
      expect(listener).toHaveBeenCalledTimes(3);
      unsubscribe();
      store.visit('short-polling', 2, 5);
      expect(listener).toHaveBeenCalledTimes(3);
    });

    it('calls the listener when another tab changes the progress, while subscribed', () => {
      const window = new EventTarget();
      vi.stubGlobal('window', window);
      const storageEvent = (key: string | null) => Object.assign(new Event('storage'), { key });
      const listener = vi.fn();
      const unsubscribe = createProgressStore(createFakeStorage()).subscribe(listener);

      window.dispatchEvent(storageEvent(PROGRESS_KEY));
      window.dispatchEvent(storageEvent('some-other-key'));
      window.dispatchEvent(storageEvent(null)); // the other tab cleared all storage
      expect(listener).toHaveBeenCalledTimes(2);

      unsubscribe();
      window.dispatchEvent(storageEvent(PROGRESS_KEY));
      expect(listener).toHaveBeenCalledTimes(2);
    });
  });
});

describe('progressLabel', () => {
  it.each<[string, LessonProgress | undefined, string]>([
    ['no progress', undefined, 'Not started'],
    ['some steps seen', progress({ lastStep: 3, seen: [1, 2, 3, 7], totalSteps: 10 }), 'Step 3 of 10 · 4 seen'],
    ['every step seen', progress({ lastStep: 4, seen: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], totalSteps: 10 }), 'All 10 steps seen'],
    ['the only step seen', progress({ lastStep: 1, seen: [1], totalSteps: 1 }), 'All 1 step seen'],
    ['a passed check', progress({ lastStep: 3, seen: [1, 2, 3], totalSteps: 10, checkPassed: true }), 'Step 3 of 10 · 3 seen · ✓ check passed'],
    ['every step and a passed check', progress({ lastStep: 5, seen: [1, 2, 3, 4, 5], checkPassed: true }), 'All 5 steps seen · ✓ check passed'],
  ])('names %s', (_what, p, label) => {
    expect(progressLabel(p)).toBe(label);
  });
});
