import { describe, expect, it } from 'vitest';
import type { TraceEvent, TraceInput } from '../lessons/trace-event.ts';
import { createFeed } from './feed.ts';
import { createRaceOnCue } from './race-on-cue.ts';

let seq = 0;
const event = (input: TraceInput): TraceEvent => ({ ...input, seq: ++seq, lesson: 'long-polling' }) as TraceEvent;
const request = (t: number, conn: string, client = 'naive') =>
  event({ kind: 'http-request', t, lane: 'server', client, conn, method: 'GET', url: '/data?wait=1', headers: {}, bytes: 80 });
const held = (t: number, conn: string, client = 'naive') => event({ kind: 'http-held', t, lane: 'server', client, conn });
const response = (t: number, conn: string, client = 'naive') =>
  event({ kind: 'http-response', t, lane: 'server', client, conn, status: 200, headers: {}, bytes: 200, durationMs: 1 });

/** A race director over a real feed, with the feed's changes recorded. */
function setUp(answerTimeoutMs = 10_000) {
  const feed = createFeed();
  const causes: string[] = [];
  feed.subscribe((_s, cause) => causes.push(cause));
  const race = createRaceOnCue({ feed, timeScale: () => 1, answerTimeoutMs });
  return { feed, causes, race };
}

describe('createRaceOnCue', () => {
  it('makes a change to answer a held client, then lands the race change halfway through its measured gap', async () => {
    const { causes, race } = setUp();
    const now = Date.now();
    race.observe(response(now - 400, 'c1'));
    race.observe(request(now - 200, 'c2')); // a 200 ms gap
    race.observe(held(now - 199, 'c2'));

    const result = race.race('naive');
    expect(causes).toEqual(['manual']); // the opener: it answers the held request
    race.observe(response(Date.now(), 'c2'));
    const { change, opener, gapMs, afterMs } = await result;
    expect(causes).toEqual(['manual', 'race']);
    expect(opener?.version).toBe(change.version - 1);
    expect(gapMs).toBe(200);
    expect(afterMs).toBe(100);
  });

  it('waits for the next answer when the client is between polls, and needs no opener', async () => {
    const { causes, race } = setUp();
    const t = Date.now();
    race.observe(response(t - 300, 'c1'));
    race.observe(request(t - 100, 'c2'));
    const result = race.race('naive');
    race.observe(response(Date.now(), 'c2'));
    expect((await result).opener).toBeUndefined();
    expect(causes).toEqual(['race']);
  });

  it('forgets the requests of a runner that was replaced: after a reload it waits for the new runner to hold one', async () => {
    const { causes, race } = setUp();
    const now = Date.now();
    race.observe(response(now - 400, 'c1'));
    race.observe(request(now - 200, 'c2'));
    race.observe(held(now - 199, 'c2'));
    // The old runner answered c2 as it retired, and that answer never reached the trace.
    race.observe(event({ kind: 'reload', t: now - 100, lane: 'server', generation: 2, file: 'server.ts', reason: 'edited' }));

    const result = race.race('naive');
    expect(causes).toEqual([]);
    race.observe(request(Date.now(), 'c3'));
    race.observe(held(Date.now(), 'c3'));
    expect(causes).toEqual(['manual']);
    race.observe(response(Date.now(), 'c3'));
    await result;
    expect(causes).toEqual(['manual', 'race']);
  });

  it('makes the opener when the client becomes held after the race was asked for', async () => {
    const { causes, race } = setUp();
    race.observe(response(1_000, 'c1'));
    const result = race.race('naive');
    race.observe(request(1_300, 'c2'));
    expect(causes).toEqual([]);
    race.observe(held(1_300, 'c2'));
    expect(causes).toEqual(['manual']);
    race.observe(response(Date.now(), 'c2'));
    expect((await result).gapMs).toBe(300);
  });

  it('refuses with 409 when the gap is too short to land a change in', async () => {
    const { causes, race } = setUp();
    race.observe(response(1_000, 'c1'));
    race.observe(request(1_004, 'c2'));
    const result = race.race('naive');
    race.observe(response(1_010, 'c2'));
    await expect(result).rejects.toMatchObject({ status: 409, message: expect.stringMatching(/only 4 ms.*think time/) });
    expect(causes).toEqual([]);
  });

  it('refuses a second race while one is on its way, and gives up with 409 when no answer comes', async () => {
    const { race } = setUp(50);
    const first = race.race('naive');
    await expect(race.race('fixed')).rejects.toMatchObject({ status: 409, message: expect.stringMatching(/already on its way/) });
    await expect(first).rejects.toMatchObject({ status: 409, message: expect.stringMatching(/no answer in 0.05 s/) });
  });

  it('ignores the other clients', async () => {
    const { causes, race } = setUp(50);
    race.observe(held(1_000, 'f1', 'fixed'));
    const result = race.race('naive');
    race.observe(response(1_100, 'f1', 'fixed'));
    await expect(result).rejects.toMatchObject({ status: 409 });
    expect(causes).toEqual([]);
  });
});
