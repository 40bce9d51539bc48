import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import type { TraceEvent } from '../../lessons/trace-event.ts';
import { createWorkbench, type Workbench, type WorkbenchOptions } from '../../server/workbench.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface TestWorkbench {
  workbench: Workbench;
  /** e.g. `http://127.0.0.1:40123` */
  url: string;
  /** The lessons folder this workbench serves (a temporary copy when `copyLessons` is set). */
  lessonsDir: string;
  /** Where this workbench keeps edits made through the code API (a temporary folder). */
  workspaceDir: string;
}

/**
 * Starts a real workbench on a free loopback port and closes it when the test ends. With
 * `copyLessons`, it serves a temporary copy of lessons/ (plus `extraLessons` from
 * test/fixtures/lessons) that the test may edit on disk.
 */
export async function startWorkbench({
  copyLessons = false,
  extraLessons = [],
  ...options
}: Partial<WorkbenchOptions> & { copyLessons?: boolean; extraLessons?: string[] } = {}): Promise<TestWorkbench> {
  let lessonsDir = join(ROOT, 'lessons');
  if (copyLessons || extraLessons.length) {
    lessonsDir = await mkdtemp(join(tmpdir(), 'workbench-lessons-'));
    await cp(join(ROOT, 'lessons'), lessonsDir, { recursive: true });
    for (const lesson of extraLessons) await cp(join(ROOT, 'test', 'fixtures', 'lessons', lesson), join(lessonsDir, lesson), { recursive: true });
    onTestFinished(() => rm(lessonsDir, { recursive: true, force: true }));
  }
  // Never the repository's own workspace: a test's edits must not outlive it.
  const workspaceDir = await mkdtemp(join(tmpdir(), 'workbench-workspace-'));
  onTestFinished(() => rm(workspaceDir, { recursive: true, force: true }));
  const workbench = await createWorkbench({ root: ROOT, hmr: false, watch: copyLessons || extraLessons.length > 0, lessonsDir, workspaceDir, ...options });
  onTestFinished(() => workbench.close());
  const url = await workbench.listen(0, '127.0.0.1');
  return { workbench, url, lessonsDir, workspaceDir };
}

type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>;

/** Waits until `check` returns something truthy (polling every 20 ms), or fails after `timeoutMs`. */
export async function waitFor<T>(check: () => T | Promise<T>, { timeoutMs = 10_000, what = 'condition' } = {}): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as Truthy<T>;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The recorded trace of a lesson, via the public API. */
export async function traceOf(url: string, lesson: string): Promise<TraceEvent[]> {
  const res = await fetch(`${url}/api/trace?lesson=${lesson}`);
  return ((await res.json()) as { events: TraceEvent[] }).events;
}
