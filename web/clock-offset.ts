/** One clock ping: browser time when sent and when answered, and the server's time in between. */
export interface ClockSample {
  sentAt: number;
  receivedAt: number;
  serverNow: number;
}

/**
 * Server clock minus browser clock, from the sample with the shortest round trip (the one whose
 * midpoint is least blurred by queueing), as NTP does. Add it to a browser time to get server time.
 */
export function estimateClockOffset(samples: readonly ClockSample[]): number | undefined {
  let best: ClockSample | undefined;
  for (const sample of samples) {
    if (sample.receivedAt < sample.sentAt) continue;
    if (!best || sample.receivedAt - sample.sentAt < best.receivedAt - best.sentAt) best = sample;
  }
  return best && best.serverNow - (best.sentAt + best.receivedAt) / 2;
}
