import { describe, expect, it } from 'vitest';
import { estimateClockOffset } from './clock-offset.ts';

describe('estimateClockOffset', () => {
  it('uses the midpoint of the fastest round trip', () => {
    const offset = estimateClockOffset([
      { sentAt: 1_000, receivedAt: 1_100, serverNow: 6_000 }, // slow: 100 ms round trip
      { sentAt: 2_000, receivedAt: 2_010, serverNow: 7_003 }, // fast: midpoint 2005
      { sentAt: 3_000, receivedAt: 3_050, serverNow: 8_100 },
    ]);
    expect(offset).toBe(4_998);
  });

  it('is undefined without a usable sample', () => {
    expect(estimateClockOffset([])).toBeUndefined();
    expect(estimateClockOffset([{ sentAt: 10, receivedAt: 5, serverNow: 0 }])).toBeUndefined();
  });
});
