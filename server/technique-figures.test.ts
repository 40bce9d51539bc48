import { describe, expect, it } from 'vitest';
import type { CompareTechnique, VirtualClientsState } from '../lessons/lesson.ts';
import { createTechniqueFigures } from './technique-figures.ts';

const compare: CompareTechnique[] = [
  { kind: 'short-polling', label: 'Short polling', route: '/poll', client: 'short' },
  { kind: 'sse', label: 'SSE', route: '/events', client: 'sse' },
];
const virtual: VirtualClientsState = { counts: { 'short-polling': 0, 'long-polling': 0, sse: 10, websocket: 0 }, intervalMs: 1000, max: 5000, maxTotal: 8000 };

describe('createTechniqueFigures', () => {
  it('gives requests per second, bytes per client per change, latency percentiles, open connections and CPU', () => {
    let now = 0;
    const figures = createTechniqueFigures({ compare, windowMs: 10_000, now: () => now });
    const reading = (pollBytes: number, sseBytes: number, cpuMicros: number) =>
      figures.addMeters(
        { '/poll': { requests: 10, bytesIn: pollBytes / 2, bytesOut: pollBytes / 2, open: 0, clients: 10 }, '/events': { requests: 0, bytesIn: 0, bytesOut: sseBytes, open: 10, clients: 10 } },
        cpuMicros,
      );
    now = 1_000;
    reading(0, 0, 1_000_000); // the first reading only marks where the window begins
    for (let second = 2; second <= 5; second++) {
      now = second * 1_000 - 500;
      figures.addChange();
      now = second * 1_000;
      reading(8_000, 600, 1_000_000 + (second - 1) * 250_000);
    }
    figures.addLatencies('sse', Array.from({ length: 100 }, (_, i) => i + 1));
    const taken = figures.take(virtual);
    const [poll, sse] = taken.techniques;
    expect(taken.changes).toBe(4);
    expect(taken.serverCpuPercent).toBe(25);
    expect(poll).toMatchObject({ kind: 'short-polling', requestsPerSec: 10, bytesPerUpdate: 800, clients: 10, open: 0, deliveries: 0 });
    expect(poll!.latencyP50Ms).toBeUndefined();
    expect(sse).toMatchObject({ kind: 'sse', requestsPerSec: 0, bytesPerUpdate: 60, latencyP50Ms: 50, latencyP99Ms: 99, deliveries: 100, open: 10, virtual: 10 });
  });

  it('says nothing about bytes per update without a change, and forgets what left the window', () => {
    let now = 0;
    const figures = createTechniqueFigures({ compare, windowMs: 5_000, now: () => now });
    figures.addLatencies('sse', [5]);
    figures.addMeters({ '/events': { requests: 1, bytesIn: 100, bytesOut: 100, open: 1, clients: 1 } }, 0);
    now = 10_000;
    const [, sse] = figures.take(virtual).techniques;
    expect(sse).toMatchObject({ deliveries: 0, open: 0 });
    expect(sse!.bytesPerUpdate).toBeUndefined();
  });

  it('gives the CPU and one technique\'s latencies since a moment, for measuring it alone', () => {
    let now = 0;
    const figures = createTechniqueFigures({ compare, windowMs: 10_000, now: () => now });
    const cpuAt = (at: number, cpuMicros: number) => {
      now = at;
      figures.addMeters({}, cpuMicros);
    };
    cpuAt(1_000, 0);
    cpuAt(2_000, 900_000); // 90 % before the moment
    figures.addLatencies('sse', [500]);
    cpuAt(3_000, 1_000_000); // then 10 %, then 30 %
    figures.addLatencies('sse', [10, 20, 30]);
    figures.addLatencies('short-polling', [400]);
    cpuAt(4_000, 1_300_000);
    expect(figures.since(2_000, 'sse')).toEqual({ serverCpuPercent: 20, latencyP50Ms: 20, latencyP99Ms: 30, deliveries: 3 });
    expect(figures.since(4_000, 'sse')).toEqual({ deliveries: 0 });
  });
});

