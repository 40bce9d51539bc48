import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { LessonSummary } from '../lessons/lesson.ts';
import { parseRecording, type Recording } from '../lessons/recording.ts';
import { launchHeadlessChromium } from './chromium.ts';
import { buildPage } from './page-build.ts';
import { createWorkbench } from './workbench.ts';

export interface StaticSiteOptions {
  /** The project folder (holds lessons/, web/, vite.config.ts). */
  root: string;
  /** Where the site goes; emptied first. */
  outDir: string;
  /** The path the site will be served under, e.g. `/workbench/`. @default '/' */
  base?: string;
  /** The lessons to record, by slug. @default every lesson */
  lessons?: readonly string[];
  /** How long each step of a lesson is recorded for, ms. @default 3 000 */
  stepMs?: number;
  log?: (line: string) => void;
}

/**
 * Builds the static site: a recording of every lesson, made by going through it step by step in
 * headless Chromium against a real workbench as a presenter would (each step's scenario and action
 * run, chat boxes say hello), then the page built in `static` mode to replay them with no server. Deep links
 * (`/lessons/<slug>/`) get their own copy of index.html, so any static host serves them.
 */
export async function buildStaticSite({ root, outDir, base = '/', lessons, stepMs = 3_000, log = () => {} }: StaticSiteOptions): Promise<LessonSummary[]> {
  await rm(outDir, { recursive: true, force: true });
  const recordings = join(outDir, 'recordings');
  await mkdir(recordings, { recursive: true });
  const workspaceDir = join(tmpdir(), `rww-static-${process.pid}-${Date.now()}`);
  const workbench = await createWorkbench({ root, hmr: false, watch: false, workspaceDir });
  let browser: Browser | undefined;
  let recorded: LessonSummary[];
  try {
    const url = await workbench.listen(0, '127.0.0.1');
    const all = (await (await fetch(`${url}/api/lessons`)).json()) as LessonSummary[];
    const unknown = lessons?.filter((slug) => !all.some((l) => l.slug === slug)) ?? [];
    if (unknown.length) throw new Error(`No such lesson: ${unknown.join(', ')} (there are ${all.map((l) => l.slug).join(', ')})`);
    recorded = all.filter((l) => !lessons || lessons.includes(l.slug));
    browser = await launchHeadlessChromium();
    for (const lesson of recorded) {
      const started = performance.now();
      const text = await recordLesson(browser, url, lesson.slug, stepMs);
      await writeFile(join(recordings, `${lesson.slug}.json`), text);
      log(`recorded ${lesson.slug} in ${((performance.now() - started) / 1000).toFixed(1)} s (${(text.length / 1024).toFixed(0)} KB)`);
    }
  } finally {
    await browser?.close();
    await workbench.close();
    await rm(workspaceDir, { recursive: true, force: true });
  }
  await writeFile(join(recordings, 'index.json'), JSON.stringify(recorded));
  await buildPage({ root, outDir, mode: 'static', base, emptyOutDir: false });
  for (const lesson of recorded) {
    await mkdir(join(outDir, 'lessons', lesson.slug), { recursive: true });
    await copyFile(join(outDir, 'index.html'), join(outDir, 'lessons', lesson.slug, 'index.html'));
  }
  log(`built the static site in ${outDir}`);
  return recorded;
}

/**
 * Goes through one lesson from its first step to its last, `stepMs` each, and returns its recording
 * (JSON text). The page shows each step; the workbench is told the step as a presenter would, so that
 * it sets the step's scenario and runs its action (the long-poll race lands on cue). Chat boxes say hello.
 */
async function recordLesson(browser: Browser, url: string, slug: string, stepMs: number): Promise<string> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const present = async (step: number) => {
    const res = await fetch(`${url}/api/presentation`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ lesson: slug, step }) });
    if (!res.ok) throw new Error(`Recording ${slug}: stepping to ${step} answered ${res.status} ${await res.text()}`);
  };
  try {
    await fetch(`${url}/api/trace?lesson=${slug}`, { method: 'DELETE' });
    await page.goto(`${url}/lessons/${slug}/#step-1`);
    await page.locator('lesson-view .status[data-status="open"]').waitFor();
    const { steps } = (await (await fetch(`${url}/api/lessons/${slug}`)).json()) as { steps: unknown[] };
    const turns: Recording['steps'] = [];
    for (let step = 1; step <= steps.length; step++) {
      await page.evaluate(`location.hash = '#step-${step}'`);
      turns.push({ step, at: Date.now() }); // the workbench's clock: it runs in this process
      await present(step);
      await page.waitForTimeout(stepMs);
      if (step === 1) await sayHello(page);
    }
    const res = await fetch(`${url}/api/trace?lesson=${slug}&format=recording`);
    if (!res.ok) throw new Error(`Recording ${slug}: the trace API answered ${res.status}`);
    const recording = parseRecording(await res.text());
    return JSON.stringify({ ...recording, steps: turns } satisfies Recording);
  } finally {
    await page.close();
  }
}

/** Each chat box on the page (the WebSocket lesson's) sends a line. */
async function sayHello(page: Page): Promise<void> {
  const boxes = page.locator('lesson-view .client chat-box input');
  const count = await boxes.count();
  for (let i = 0; i < count; i++) {
    await boxes.nth(i).fill(i === 0 ? 'Hello, is anyone here?' : 'Hi! Yes, I am.');
    await boxes.nth(i).press('Enter');
  }
}
