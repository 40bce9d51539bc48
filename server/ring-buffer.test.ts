import { describe, expect, it } from 'vitest';
import { RingBuffer } from './ring-buffer.ts';

/** A buffer of `capacity` with the given items pushed in order. */
function createFilledBuffer(capacity: number, items: number[]) {
  const buffer = new RingBuffer<number>(capacity);
  for (const item of items) buffer.push(item);
  return buffer;
}

describe('RingBuffer', () => {
  it('starts empty', () => {
    const buffer = new RingBuffer<number>(3);
    expect(buffer.size).toBe(0);
    expect(buffer.toArray()).toEqual([]);
    expect(buffer.capacity).toBe(3);
  });

  it('keeps items oldest first while below capacity', () => {
    const buffer = createFilledBuffer(3, [1, 2]);
    expect(buffer.size).toBe(2);
    expect(buffer.toArray()).toEqual([1, 2]);
  });

  it('keeps every item when exactly full', () => {
    const buffer = createFilledBuffer(3, [1, 2, 3]);
    expect(buffer.size).toBe(3);
    expect(buffer.toArray()).toEqual([1, 2, 3]);
  });

  it('forgets the oldest item when a push goes over capacity', () => {
    const buffer = createFilledBuffer(3, [1, 2, 3, 4]);
    expect(buffer.size).toBe(3);
    expect(buffer.toArray()).toEqual([2, 3, 4]);
  });

  it('keeps the newest items after wrapping around many times', () => {
    const buffer = createFilledBuffer(3, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(buffer.toArray()).toEqual([8, 9, 10]);
  });

  it('keeps only the last item with a capacity of 1', () => {
    const buffer = createFilledBuffer(1, [1, 2, 3]);
    expect(buffer.size).toBe(1);
    expect(buffer.toArray()).toEqual([3]);
  });

  it('returns a copy that later pushes do not change', () => {
    const buffer = createFilledBuffer(3, [1, 2]);
    const snapshot = buffer.toArray();
    buffer.push(3);
    snapshot.push(99);
    expect(snapshot).toEqual([1, 2, 99]);
    expect(buffer.toArray()).toEqual([1, 2, 3]);
  });

  describe('#clear', () => {
    it('empties the buffer', () => {
      const buffer = createFilledBuffer(3, [1, 2, 3, 4]);
      buffer.clear();
      expect(buffer.size).toBe(0);
      expect(buffer.toArray()).toEqual([]);
    });

    it('leaves the buffer usable from the start again', () => {
      const buffer = createFilledBuffer(3, [1, 2, 3, 4]);
      buffer.clear();
      for (const item of [5, 6, 7, 8]) buffer.push(item);
      expect(buffer.toArray()).toEqual([6, 7, 8]);
    });
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses a capacity of %s', (capacity) => {
    expect(() => new RingBuffer(capacity)).toThrow(new RangeError('capacity must be a positive integer'));
  });
});
