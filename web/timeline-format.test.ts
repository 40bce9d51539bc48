import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '../lessons/trace-event.ts';
import { describeEvent, eventBytes, requestsByConn, formatBytes, formatDuration, formatRelativeTime, formatStaleness, summarizeEvent } from './timeline-format.ts';

const base = { seq: 1, lesson: 'test', t: 1000 } as const;

describe('formatDuration', () => {
  it('uses ms below a second, tenths of seconds below a minute, then minutes', () => {
    expect([0, 850, 999.4, 999.6, 1234, 12_345, 59_940, 60_000, 125_000, -40].map(formatDuration)).toEqual([
      '0 ms',
      '850 ms',
      '999 ms',
      '1.0 s',
      '1.2 s',
      '12.3 s',
      '59.9 s',
      '1 min',
      '2 min 5 s',
      '−40 ms',
    ]);
  });
});

describe('formatStaleness', () => {
  it('prefixes a plus sign', () => {
    expect([formatStaleness(1200), formatStaleness(40), formatStaleness(-3)]).toEqual(['+1.2 s', '+40 ms', '−3 ms']);
  });
});

describe('formatBytes', () => {
  it('uses SI units with one decimal below ten', () => {
    expect([0, 512, 999, 1300, 12_345, 999_400, 2_400_000].map(formatBytes)).toEqual(['0 B', '512 B', '999 B', '1.3 kB', '12 kB', '999 kB', '2.4 MB']);
  });
});

describe('formatRelativeTime', () => {
  it('shows ms precision by default and signs both sides of the origin', () => {
    expect([formatRelativeTime(12_345), formatRelativeTime(0), formatRelativeTime(-1500, 1), formatRelativeTime(0.2)]).toEqual([
      '+12.345 s',
      '0.000 s',
      '−1.5 s',
      '0.000 s',
    ]);
  });
});

describe('summarizeEvent', () => {
  it('summarizes requests, responses, versions and messages', () => {
    const events: TraceEvent[] = [
      { ...base, kind: 'http-request', lane: 'server', conn: 'c1', method: 'GET', url: '/data?since=3', headers: {}, bytes: 100 },
      { ...base, kind: 'http-response', lane: 'server', conn: 'c1', status: 304, headers: {}, bytes: 80, durationMs: 1250 },
      { ...base, kind: 'feed-change', lane: 'feed', version: 4, changedAt: 1000, value: { price: 3 }, cause: 'manual' },
      { ...base, kind: 'client-show', lane: 'client:a', client: 'a', version: 4, changedAt: 0, staleMs: 1200 },
      { ...base, kind: 'ws-frame', lane: 'server', conn: 'w', direction: 'in', opcode: 'text', bytes: 9, length: 7, masked: true, fragments: 1, text: '{"a":1}' },
      { ...base, kind: 'stream-chunk', lane: 'server', conn: 's', bytes: 20, text: 'event: time\ndata: 1\n\n', version: 2 },
      { ...base, kind: 'error', lane: 'server', message: 'boom', phase: 'runtime' },
      { ...base, kind: 'reload', lane: 'server', generation: 3, file: 'server.ts', reason: 'file-changed' },
    ];
    expect(events.map((e) => summarizeEvent(e))).toEqual([
      'GET /data?since=3',
      '304 in 1.3 s',
      'v4 = {"price":3} (manual)',
      'showed v4 (+1.2 s stale)',
      '→ server text: {"a":1}',
      'chunk v2: event: time ⏎ data: 1',
      'runtime error: boom',
      'reloaded #3 (file-changed) server.ts',
    ]);
    expect(summarizeEvent(events[1]!, { method: 'GET', url: '/data' })).toBe('304 GET /data in 1.3 s');
  });
});

describe('check events', () => {
  const check = (phase: 'start' | 'pass' | 'fail', message: string, version?: number): TraceEvent => ({
    ...base,
    kind: 'check',
    lane: 'client:naive',
    client: 'naive',
    phase,
    message,
    ...(version === undefined ? {} : { version }),
  });
  const why = 'v12 did not reach naive within 2.5 s: the server held its next request (naive-7) instead of answering with it';

  it('summarizes the start, the pass and the failure with the whole message', () => {
    expect([
      summarizeEvent(check('start', 'Every version reaches the naive client')),
      summarizeEvent(check('pass', 'Every version reaches the naive client')),
      summarizeEvent(check('fail', why, 12)),
    ]).toEqual([
      'check started: Every version reaches the naive client',
      'check passed: Every version reaches the naive client',
      `check failed: ${why}`,
    ]);
  });

  it('lists the phase, the message and the version that did not arrive', () => {
    expect(describeEvent(check('fail', why, 12))).toEqual([
      { label: 'kind', value: 'check' },
      { label: 'phase', value: 'fail' },
      { label: 'message', value: why },
      { label: 'version', value: '12' },
      { label: 'lane', value: 'client:naive' },
    ]);
  });
});

describe('describeEvent', () => {
  it('lists method, URL, a few headers (workbench ones left out), bytes, lane and source', () => {
    const event: TraceEvent = {
      ...base,
      kind: 'http-request',
      lane: 'server',
      conn: 'c1',
      method: 'GET',
      url: '/data',
      headers: { 'user-agent': 'x', host: 'h', 'x-workbench-conn': 'c1', accept: 'text/event-stream', 'last-event-id': '7', 'if-none-match': '"v3"' },
      bytes: 1300,
      source: { file: 'client.ts', line: 12 },
    };
    expect(describeEvent(event)).toEqual([
      { label: 'kind', value: 'http-request' },
      { label: 'method', value: 'GET' },
      { label: 'URL', value: '/data' },
      { label: 'accept', value: 'text/event-stream' },
      { label: 'if-none-match', value: '"v3"' },
      { label: 'last-event-id', value: '7' },
      { label: 'user-agent', value: 'x' },
      { label: 'bytes', value: '1.3 kB' },
      { label: 'lane', value: 'server' },
      { label: 'conn', value: 'c1' },
      { label: 'source', value: 'client.ts:12' },
    ]);
    expect(describeEvent(event, { headers: false }).map((row) => row.label)).toEqual(['kind', 'method', 'URL', 'bytes', 'lane', 'conn', 'source']);
  });

  it('gives staleness for a show and the message for an error', () => {
    const show: TraceEvent = { ...base, kind: 'client-show', lane: 'client:a', client: 'a', version: 4, changedAt: 0, staleMs: 850 };
    const error: TraceEvent = { ...base, kind: 'client-error', lane: 'client:a', client: 'a', message: 'Failed to fetch' };
    expect(describeEvent(show)).toEqual([
      { label: 'kind', value: 'client-show' },
      { label: 'version', value: '4' },
      { label: 'staleness', value: '+850 ms' },
      { label: 'lane', value: 'client:a' },
    ]);
    expect(describeEvent(error)).toContainEqual({ label: 'message', value: 'Failed to fetch' });
  });
});

describe('eventBytes', () => {
  it('reads bytes from wire events only', () => {
    expect(eventBytes({ ...base, kind: 'ws-frame', lane: 'server', conn: 'w', direction: 'out', opcode: 'ping', bytes: 2, length: 0, masked: false, fragments: 1 })).toBe(2);
    expect(eventBytes({ ...base, kind: 'http-held', lane: 'server', conn: 'c' })).toBeUndefined();
  });
});

describe('requestsByConn', () => {
  it('maps each conn to the method and URL of its first request', () => {
    const events: TraceEvent[] = [
      { ...base, kind: 'client-request', lane: 'client:a', conn: 'c1', client: 'a', method: 'GET', url: '/data' },
      { ...base, kind: 'http-request', lane: 'server', conn: 'c1', method: 'GET', url: '/lessons/x/api/data', headers: {}, bytes: 1 },
      { ...base, kind: 'http-request', lane: 'server', conn: 'c2', method: 'POST', url: '/messages', headers: {}, bytes: 1 },
    ];
    expect([...requestsByConn(events)]).toEqual([
      ['c1', { method: 'GET', url: '/data' }],
      ['c2', { method: 'POST', url: '/messages' }],
    ]);
  });
});
