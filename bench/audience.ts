import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { PresentationState } from '../server/presentation.ts';
import { createWorkbench } from '../server/workbench.ts';
import type { Followed } from '../web/components/audience-view.ts';
import { median } from './stats.ts';
import { until } from './until.ts';

export interface AudienceFigures {
  pages: number;
  /** How the page was served: the production build, as `npm start` serves it once built, or Vite. */
  mode: 'prod' | 'dev';
  /** Per lesson switch: ms from the switch until each guest's traffic reached the lesson's server. */
  joins: number[][];
  /** Per step: ms from the step until each page showed it. */
  follows: number[][];
  /** All 40 pages opened and counted in the room. */
  loadedMs: number;
}

const TOKEN = 'bench-presenter';
/** Each switch makes every page a client of another lesson's demo: polls, a stream, a socket. */
const LESSONS = ['long-polling', 'server-sent-events', 'websocket'];

/**
 * A class joining a presentation: `pages` audience pages in headless Chromium, each a browser
 * context of its own (its own connections and session), on one workbench with loopback not trusted
 * (students on other machines). The presenter switches lesson through the API, as its page does,
 * and every page becomes a client of the new demo: a join is the time from the switch to the guest's
 * first request or socket reaching the lesson's server (its lane on the presenter's timeline). Then
 * the presenter steps, and a follow is the time from the step to the page showing it. One machine,
 * one clock: the pages and the workbench compare `Date.now()`s.
 */
export async function measureAudience(browser: Browser, root: string, { pages: count = 40, mode = 'prod' as 'prod' | 'dev' } = {}): Promise<AudienceFigures> {
  const workbench = await createWorkbench({
    root,
    mode,
    hmr: false,
    watch: false,
    presenterToken: TOKEN,
    trustLoopback: false,
    workspaceDir: await mkdtemp(join(tmpdir(), 'bench-workspace-')),
  });
  const url = await workbench.listen(0, '127.0.0.1');
  const contexts = await Promise.all(Array.from({ length: count }, () => browser.newContext()));
  try {
    const state = async () => (await (await fetch(`${url}/api/presentation`)).json()) as PresentationState;
    const present = async (change: object) => {
      const res = await fetch(`${url}/api/presentation`, { method: 'PUT', headers: { 'content-type': 'application/json', 'x-presenter-token': TOKEN }, body: JSON.stringify(change) });
      if (!res.ok) throw new Error(`audience bench: PUT /api/presentation answered ${res.status} ${await res.text()}`);
      return (await res.json()) as PresentationState;
    };

    const openedAt = Date.now();
    const pages = await Promise.all(contexts.map((context) => context.newPage()));
    await Promise.all(pages.map((page) => page.goto(`${url}/audience`, { waitUntil: 'commit', timeout: 90_000 })));
    await until(async () => (await state()).audience === count, { what: `${count} pages in the room`, timeoutMs: 90_000 });
    const loadedMs = Date.now() - openedAt;
    // The class opened the page before the talk: every page drawn and its renderer idle before the first switch.
    await until(async () => (await Promise.all(pages.map((page) => page.locator('audience-view h1').allTextContents()))).every(([text]) => text === 'Waiting for the presenter…'), { what: 'every page waiting for the presenter', timeoutMs: 60_000 });
    await new Promise((resolve) => setTimeout(resolve, 2_000));

    const followed = (page: Page) => page.locator('audience-view').evaluate((el: HTMLElement & { followed?: Followed }) => el.followed);
    const joins: number[][] = [];
    const follows: number[][] = [];
    for (const lesson of LESSONS) {
      const seen = new Map<string, number>();
      const stop = workbench.hub.subscribe(lesson, (event) => {
        if ((event.kind === 'http-request' || event.kind === 'ws-open' || event.kind === 'stream-open') && event.client?.startsWith('guest-') && !seen.has(event.client)) seen.set(event.client, Date.now());
      });
      const switched = await present({ lesson, step: 1 });
      await until(() => seen.size === count, { what: `${count} guests on the ${lesson} demo`, timeoutMs: 60_000 });
      stop();
      joins.push([...seen.values()].map((t) => t - switched.at));

      // The presenter steps; every page follows.
      const stepped = await present({ step: 2 });
      const shownAt = await until(
        async () => {
          const all = await Promise.all(pages.map(followed));
          return all.every((f) => f && f.revision >= stepped.revision && f.step === 2) && all.map((f) => f!.at);
        },
        { what: `every page on step 2 of ${lesson}`, timeoutMs: 30_000 },
      );
      follows.push(shownAt.map((at) => at - stepped.at));
    }
    return { pages: count, mode, joins, follows, loadedMs };
  } finally {
    await Promise.all(contexts.map((context) => context.close()));
    await workbench.close();
  }
}

/** The median over all pages and switches, and the median over switches of the last page. */
export function audienceSummary(rounds: number[][]): { p50: number; last: number } {
  return { p50: median(rounds.flat()), last: median(rounds.map((round) => Math.max(...round))) };
}
