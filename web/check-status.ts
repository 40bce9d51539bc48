import type { CheckResult, LessonCheck } from '../lessons/lesson.ts';
import { formatDuration } from './timeline-format.ts';

/** What the check line of the code panel says: a check running, its verdict, or why it could not run. */
export interface CheckStatus {
  result: 'running' | 'pass' | 'fail' | 'error';
  text: string;
  /** How long each thing the check changed or sent took to reach the client ("v5 in 40 ms · v6 never arrived"). */
  detail?: string;
}

/** "Checking: <expectation>…" while a check runs. */
export function checkRunningStatus(check: LessonCheck): CheckStatus {
  return { result: 'running', text: `Checking: ${check.expect}…` };
}

/** "✓ Check passed: <expectation>" or "✗ Check failed: <what went wrong>", with the delivery time of each change. */
export function checkResultStatus({ passed, message, changes }: CheckResult): CheckStatus {
  const detail = changes.map(({ what, shownAfterMs }) => `${what} ${shownAfterMs === undefined ? 'never arrived' : `in ${formatDuration(shownAfterMs)}`}`).join(' · ');
  return { result: passed ? 'pass' : 'fail', text: passed ? `✓ Check passed: ${message}` : `✗ Check failed: ${message}`, ...(detail ? { detail } : {}) };
}

/** A check that did not run: one running already, no check, no client, no network. */
export function checkErrorStatus(error: unknown): CheckStatus {
  return { result: 'error', text: `✗ Check could not run: ${error instanceof Error ? error.message : String(error)}` };
}
