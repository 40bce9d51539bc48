import { describe, expect, it } from 'vitest';
import type { LessonCheck } from '../lessons/lesson.ts';
import { checkErrorStatus, checkResultStatus, checkRunningStatus } from './check-status.ts';

const CHECK: LessonCheck = { expect: 'Every version reaches the naive client', client: 'naive', change: 'race', rounds: 3, withinMs: 2500 };

describe('checkRunningStatus', () => {
  it('says what is being checked', () => {
    expect(checkRunningStatus(CHECK)).toEqual({ result: 'running', text: 'Checking: Every version reaches the naive client…' });
  });
});

describe('checkResultStatus', () => {
  it('ticks a passed check with its expectation and how long each version took', () => {
    const status = checkResultStatus({
      passed: true,
      client: 'naive',
      message: CHECK.expect,
      changes: [
        { what: 'v5', version: 5, shownAfterMs: 41.6 },
        { what: 'v6', version: 6, shownAfterMs: 1250 },
      ],
    });
    expect(status).toEqual({ result: 'pass', text: '✓ Check passed: Every version reaches the naive client', detail: 'v5 in 42 ms · v6 in 1.3 s' });
  });

  it('crosses a failed check with what went wrong and the version that never arrived', () => {
    const message = 'v12 did not reach naive within 2.5 s: the server held its next request (naive-7) instead of answering with it';
    const status = checkResultStatus({ passed: false, client: 'naive', message, changes: [{ what: 'v11', version: 11, shownAfterMs: 0 }, { what: 'v12', version: 12 }] });
    expect(status).toEqual({ result: 'fail', text: `✗ Check failed: ${message}`, detail: 'v11 in 0 ms · v12 never arrived' });
  });

  it('names a sent message as the check does', () => {
    const status = checkResultStatus({ passed: false, client: 'ada', message: '"hi 1" did not reach Ada', changes: [{ what: '"hi 1"' }] });
    expect(status.detail).toBe('"hi 1" never arrived');
  });

  it('leaves the detail out when the check made no change', () => {
    expect(checkResultStatus({ passed: false, client: 'naive', message: 'x', changes: [] })).toEqual({ result: 'fail', text: '✗ Check failed: x' });
  });
});

describe('checkErrorStatus', () => {
  it("shows the server's or the network's message", () => {
    expect(checkErrorStatus(new Error('A check is already running'))).toEqual({ result: 'error', text: '✗ Check could not run: A check is already running' });
    expect(checkErrorStatus('offline')).toEqual({ result: 'error', text: '✗ Check could not run: offline' });
  });
});
