import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '../lessons/trace-event.ts';
import { computeClientStats } from './lesson-stats.ts';

let seq = 0;
const at = <E extends Omit<TraceEvent, 'seq' | 'lesson'>>(e: E) => ({ ...e, seq: ++seq, lesson: 'short-polling' }) as unknown as TraceEvent;
const request = (client: string, conn: string, t: number) => at({ kind: 'client-request', lane: `client:${client}`, client, conn, t, method: 'GET', url: '/data' });
const response = (client: string, conn: string, t: number) => at({ kind: 'client-response', lane: `client:${client}`, client, conn, t, status: 200 });
const served = (client: string, status: number, bytes: number) =>
  at({ kind: 'http-response', lane: 'server', client, conn: 'x', t: 0, status, bytes, headers: {}, durationMs: 1 });

describe('computeClientStats', () => {
  it('counts requests, answers by status, bytes and what 304s saved', () => {
    const [a] = computeClientStats([served('a', 200, 300), served('a', 200, 320), served('a', 304, 150), served('a', 304, 150)], ['a'], 0);
    expect(a).toMatchObject({ statuses: { 200: 2, 304: 2 }, bytes: 920, bytesSaved: 320 });
  });

  it('finds the most requests in flight at once (setInterval piling up)', () => {
    const events = [request('a', '1', 0), request('a', '2', 10), request('a', '3', 20), response('a', '1', 30), request('a', '4', 40)];
    const [a] = computeClientStats(events, ['a'], 0);
    expect(a).toMatchObject({ requests: 4, maxInFlight: 3 });
  });

  it('counts polls in flight per path: POSTs beside a held poll are not a pile-up', () => {
    const post = (conn: string, t: number) => at({ kind: 'client-request', lane: 'client:a', client: 'a', conn, t, method: 'POST', url: '/chat/send?name=A' });
    const other = at({ kind: 'client-request', lane: 'client:a', client: 'a', conn: 'o', t: 15, method: 'GET', url: '/chat/stats' });
    const [a] = computeClientStats([request('a', 'poll', 0), post('p1', 10), post('p2', 11), other, response('a', 'p1', 20)], ['a'], 30);
    expect(a).toMatchObject({ requests: 4, maxInFlight: 1 });
  });

  it('stops counting a request the page cancelled as in flight', () => {
    const cancel = (client: string, conn: string, t: number) => at({ kind: 'client-abort', lane: `client:${client}`, client, conn, t });
    const events = [request('a', '1', 0), cancel('a', '1', 5), request('a', '2', 10), response('a', '2', 30), request('a', '3', 40)];
    const [a] = computeClientStats(events, ['a'], 0);
    expect(a).toMatchObject({ requests: 3, maxInFlight: 1 });
  });

  it('takes the median staleness of the values shown and ignores other clients', () => {
    const show = (client: string, version: number, staleMs: number) =>
      at({ kind: 'client-show', lane: `client:${client}`, client, t: 0, version, changedAt: 0, staleMs });
    const [a, b] = computeClientStats([show('a', 2, 100), show('a', 3, 900), show('a', 4, 300), show('z', 5, 1)], ['a', 'b'], 0);
    expect(a).toMatchObject({ medianStaleMs: 300, shownVersion: 4 });
    expect(b).toEqual({ client: 'b', requests: 0, statuses: {}, bytes: 0, streams: 0, messages: 0, reconnects: 0, sockets: 0, frames: 0, wireBytes: 0, bytesSaved: 0, requestsPerSec: 0, bytesPerSec: 0, maxInFlight: 0, errors: 0, missed: 0, staleMs: 0 });
  });

  it('measures requests and bytes per second over the last 10 s, or over the whole trace while it is shorter', () => {
    const answered = (t: number, bytes: number) => at({ kind: 'http-response', lane: 'server', client: 'a', conn: `c${t}`, t, status: 200, bytes, headers: {}, durationMs: 1 });
    const old = [request('a', 'o1', 0), answered(1, 1_000)];
    const recent = Array.from({ length: 20 }, (_, i) => [request('a', `r${i}`, 20_000 + i * 500), answered(20_001 + i * 500, 100)]).flat();
    const [a] = computeClientStats([...old, ...recent], ['a'], 30_000);
    expect(a).toMatchObject({ requests: 21, requestsPerSec: 2, bytesPerSec: 200 });
    const [early] = computeClientStats([request('a', 'x', 1_000), answered(1_100, 500), request('a', 'y', 3_000)], ['a'], 5_000);
    expect(early).toMatchObject({ requestsPerSec: 0.5, bytesPerSec: 125 });
  });

  it('counts the updates a client missed and how long it was stale, up to now while it has not caught up', () => {
    const change = (t: number, version: number) => at({ kind: 'feed-change', lane: 'feed', t, version, changedAt: t, value: version, cause: 'scenario' });
    const held = (client: string, t: number) => at({ kind: 'http-held', lane: 'server', client, conn: `${client}${t}`, t });
    const show = (client: string, t: number, version: number, changedAt: number) =>
      at({ kind: 'client-show', lane: `client:${client}`, client, t, version, changedAt, staleMs: t - changedAt });
    const events = [change(0, 1), show('naive', 5, 1, 0), show('fixed', 5, 1, 0), change(100, 2), held('naive', 110), show('fixed', 105, 2, 100)];
    const [naive, fixed] = computeClientStats([...events, change(300, 3), show('naive', 310, 3, 300)], ['naive', 'fixed'], 1000);
    expect([naive?.missed, naive?.staleMs, fixed?.missed, fixed?.staleMs]).toEqual([1, 210, 0, 0]);
    const [stillStale] = computeClientStats(events, ['naive'], 1000);
    expect([stillStale?.missed, stillStale?.staleMs]).toEqual([1, 900]);
  });

  it('counts event streams, the events they delivered, reconnects and stream bytes', () => {
    const events = [
      at({ kind: 'stream-open', lane: 'server', client: 'a', conn: 's1', t: 0, status: 200, headers: {} }),
      at({ kind: 'stream-chunk', lane: 'server', client: 'a', conn: 's1', t: 1, bytes: 40, text: 'id: 1' }),
      at({ kind: 'client-message', lane: 'client:a', client: 'a', t: 2, url: '/data', type: 'message', lastEventId: '1', data: '{}' }),
      at({ kind: 'client-stream', lane: 'client:a', client: 'a', t: 3, url: '/data', state: 'connecting' }),
      at({ kind: 'stream-open', lane: 'server', client: 'a', conn: 's2', t: 4, status: 200, headers: {} }),
      at({ kind: 'stream-chunk', lane: 'server', client: 'b', conn: 's3', t: 5, bytes: 99, text: 'x' }),
    ];
    const [a] = computeClientStats(events, ['a'], 10);
    expect(a).toMatchObject({ streams: 2, messages: 1, reconnects: 1, bytes: 40, requests: 0 });
  });

  it('counts WebSockets, their frames both ways, reconnects, and every byte both ways', () => {
    const frame = (t: number, direction: 'in' | 'out', bytes: number) =>
      at({ kind: 'ws-frame', lane: 'server', client: 'a', conn: 'w1', t, direction, opcode: 'text', bytes, length: bytes - 2, masked: direction === 'in', fragments: 1 });
    const socket = (t: number, state: 'connecting' | 'open' | 'closed') => at({ kind: 'client-socket', lane: 'client:a', client: 'a', t, url: '/chat', state });
    const events = [
      socket(0, 'connecting'),
      at({ kind: 'http-request', lane: 'server', client: 'a', conn: 'w1', t: 1, method: 'GET', url: '/chat', headers: {}, bytes: 400 }),
      at({ kind: 'ws-open', lane: 'server', client: 'a', conn: 'w1', t: 2, url: '/chat', headers: {}, bytes: 130 }),
      frame(3, 'in', 30),
      frame(4, 'out', 50),
      socket(5, 'closed'),
      socket(6, 'connecting'),
      socket(9, 'connecting'),
    ];
    const [a] = computeClientStats(events, ['a'], 10);
    expect(a).toMatchObject({ sockets: 1, frames: 2, reconnects: 2, bytes: 50, wireBytes: 610, requests: 0 });
  });
});
