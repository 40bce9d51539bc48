import { describe, expect, it } from 'vitest';
import { createRouteMeter } from './route-meter.ts';

const base = '/lessons/choosing/api';

describe('createRouteMeter', () => {
  it('counts requests, bytes both ways, open connections and clients per route', () => {
    let now = 1;
    const meter = createRouteMeter(() => base, { clientWindowMs: 10_000, now: () => now });
    const t = 1;
    meter.add({ kind: 'http-request', t, lane: 'server', conn: 's1', client: 'a', method: 'GET', url: `${base}/poll?client=a`, headers: {}, bytes: 100 });
    meter.add({ kind: 'http-response', t, lane: 'server', conn: 's1', client: 'a', status: 200, headers: {}, bytes: 300, durationMs: 1 });
    meter.add({ kind: 'http-request', t, lane: 'server', conn: 's2', client: 'b', method: 'GET', url: `${base}/events`, headers: {}, bytes: 90 });
    meter.add({ kind: 'stream-open', t, lane: 'server', conn: 's2', client: 'b', status: 200, headers: {} });
    meter.add({ kind: 'stream-chunk', t, lane: 'server', conn: 's2', client: 'b', bytes: 60, text: 'data: {}\n\n' });
    meter.add({ kind: 'http-request', t, lane: 'server', conn: 'ws1', client: 'c', method: 'GET', url: `${base}/socket`, headers: {}, bytes: 200 });
    meter.add({ kind: 'ws-open', t, lane: 'server', conn: 'ws1', client: 'c', url: `${base}/socket`, headers: {}, bytes: 129 });
    meter.add({ kind: 'ws-frame', t, lane: 'server', conn: 'ws1', client: 'c', direction: 'out', opcode: 'text', bytes: 50, length: 48, masked: false, fragments: 1 });
    meter.add({ kind: 'ws-frame', t, lane: 'server', conn: 'ws1', client: 'c', direction: 'in', opcode: 'text', bytes: 12, length: 6, masked: true, fragments: 1 });
    expect(meter.take()).toEqual({
      '/poll': { requests: 1, bytesIn: 100, bytesOut: 300, open: 1, clients: 1 }, // open until answered, within the second
      '/events': { requests: 1, bytesIn: 90, bytesOut: 60, open: 1, clients: 1 },
      '/socket': { requests: 1, bytesIn: 212, bytesOut: 179, open: 1, clients: 1 },
    });
    // The next reading starts from zero but keeps what is still open, and the clients seen lately.
    meter.add({ kind: 'stream-close', t, lane: 'server', conn: 's2', client: 'b', by: 'client', durationMs: 5 });
    expect(meter.take()).toMatchObject({ '/poll': { open: 0 }, '/events': { requests: 0, bytesIn: 0, bytesOut: 0, open: 1, clients: 1 }, '/socket': { open: 1, clients: 1 } });
    expect(meter.take()).toMatchObject({ '/events': { open: 0 }, '/socket': { open: 1 } });
    now = 20_000;
    expect(meter.take()).toMatchObject({ '/events': { open: 0, clients: 0 }, '/socket': { open: 1, clients: 0 } });
  });

  it('has nothing to say when nothing happened and nothing is open', () => {
    let now = 0;
    const meter = createRouteMeter(() => base, { clientWindowMs: 1_000, now: () => now });
    expect(meter.take()).toBeUndefined();
    meter.add({ kind: 'http-request', t: 1, lane: 'server', conn: 's1', method: 'GET', url: `${base}/poll`, headers: {}, bytes: 10 });
    meter.add({ kind: 'http-abort', t: 2, lane: 'server', conn: 's1', durationMs: 1 });
    expect(meter.take()).toMatchObject({ '/poll': { requests: 1, open: 1 } });
    now = 5_000;
    expect(meter.take()).toBeUndefined();
  });
});
