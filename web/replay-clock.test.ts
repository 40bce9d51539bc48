import { describe, expect, it } from 'vitest';
import { countUpTo, createReplayClock } from './replay-clock.ts';

describe('createReplayClock', () => {
  it('runs recorded time at its speed while playing, stops at the end, and plays again from the start', () => {
    let wall = 1_000;
    const clock = createReplayClock(50_000, 60_000, () => wall);
    expect(clock.time()).toBe(50_000);
    expect(clock.playing).toBe(false);
    clock.play();
    wall += 2_000;
    expect(clock.time()).toBe(52_000);
    clock.setSpeed(0.25);
    wall += 4_000;
    expect(clock.time()).toBe(53_000);
    clock.setSpeed(4);
    wall += 10_000;
    expect(clock.time()).toBe(60_000); // not past the end
    expect(clock.playing).toBe(false);
    clock.play();
    expect(clock.time()).toBe(50_000);
    expect(clock.playing).toBe(true);
  });

  it('holds still while paused, and seeks within the recording whether playing or not', () => {
    let wall = 0;
    const clock = createReplayClock(100, 1_100, () => wall);
    clock.seek(600);
    wall += 500;
    expect(clock.time()).toBe(600);
    clock.seek(-5);
    expect(clock.time()).toBe(100);
    clock.seek(9_999);
    expect(clock.time()).toBe(1_100);
    clock.seek(300);
    clock.play();
    wall += 100;
    clock.pause();
    wall += 100;
    expect(clock.time()).toBe(400);
    expect(() => clock.setSpeed(0)).toThrow(RangeError);
  });
});

describe('countUpTo', () => {
  it('counts the prefix of events at or before a time, so an answer never shows before its request', () => {
    const events = [{ t: 10 }, { t: 20 }, { t: 19 }, { t: 30 }];
    expect(countUpTo(events, 9)).toBe(0);
    expect(countUpTo(events, 19)).toBe(1);
    expect(countUpTo(events, 20)).toBe(3);
    expect(countUpTo(events, 99)).toBe(4);
  });
});
