import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { PresentationState } from '../../server/presentation.ts';
import type { Followed } from '../../web/components/audience-view.ts';
import { launchChromium } from '../setup/chromium.ts';
import { readEventStream } from '../setup/event-stream-reader.ts';
import { startWorkbench, waitFor } from '../setup/workbench.ts';

const AUDIENCE = 40;
const TOKEN = 'class-token';

/** The median and the largest of some figures. */
function spread(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)]!, max: sorted.at(-1)! };
}

const followed = (page: Page) => page.locator('audience-view').evaluate((el: HTMLElement & { followed?: Followed }) => el.followed);

describe('a class joins a presentation', () => {
  it(`${AUDIENCE} audience pages join the demo as clients, follow the presenter's steps, and may not steer`, { timeout: 240_000 }, async () => {
    // Loopback is not trusted here: the presenter shows the token, the audience does not (as students on other machines).
    const [{ url, workbench }, browser] = await Promise.all([startWorkbench({ hmr: true, presenterToken: TOKEN, trustLoopback: false }), launchChromium()]);
    const state = async () => (await (await fetch(`${url}/api/presentation`)).json()) as PresentationState;
    const errors: string[] = [];

    // The class opens the audience URL before the talk: each student a browser of its own (its own connections, its own session).
    const pages = await Promise.all(Array.from({ length: AUDIENCE }, async () => (await browser.newContext()).newPage()));
    for (const page of pages) page.on('pageerror', (error) => errors.push(error.message));
    const openedAt = Date.now();
    // Forty Chromium renderers starting at once on two cores take a while: wait for the room to fill rather than for each page's load event.
    await Promise.all(pages.map((page) => page.goto(`${url}/audience`, { waitUntil: 'commit', timeout: 90_000 })));
    await waitFor(async () => (await state()).audience === AUDIENCE, { what: `${AUDIENCE} pages in the room`, timeoutMs: 90_000 });
    const loadedMs = Date.now() - openedAt;
    expect(await pages[0]!.locator('audience-view h1').textContent()).toBe('Waiting for the presenter…');

    // The presenter starts the lesson: every page becomes a client of its demo. When each guest's first request reaches the
    // trace is watched in the workbench itself (polling the trace API forty times a second would load what it measures).
    const firstRequest = new Map<string, number>();
    const stopWatching = workbench.hub.subscribe('long-polling', (e) => {
      // `t` is when the page sent it (on the server's clock, corrected by the page's measured offset).
      if (e.kind === 'client-request' && e.client?.startsWith('guest-') && !firstRequest.has(e.client)) firstRequest.set(e.client, e.t);
    });
    const presenter = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    presenter.on('pageerror', (error) => errors.push(error.message));
    await presenter.goto(`${url}/lessons/long-polling/?present&token=${TOKEN}#step-2`);
    const started = await waitFor(async () => {
      const now = await state();
      return now.lesson === 'long-polling' && now;
    }, { what: 'the presenter on the long-polling lesson', timeoutMs: 15_000 });
    expect(await presenter.evaluate(() => location.search)).toBe('?present'); // the token left the address bar
    await waitFor(() => firstRequest.size === AUDIENCE, { what: `${AUDIENCE} guests polling on the presenter's trace`, timeoutMs: 30_000 });
    stopWatching();
    const join = spread([...firstRequest.values()].map((t) => t - started.at));
    expect((await state()).audience).toBe(AUDIENCE);
    // Their lanes reach the presenter's timeline: past the first two, folded into one lane with counts.
    await waitFor(async () => (await presenter.locator('event-timeline .lane-label.aggregate').count()) === 1, { what: 'the folded audience lane' });

    // The presenter steps: every page follows.
    const before = (await state()).revision;
    const steppedAt = Date.now();
    await presenter.keyboard.press('PageDown');
    const follows = await waitFor(
      async () => {
        const all = await Promise.all(pages.map(followed));
        return all.every((f) => f && f.revision > before && f.step === 3) && all.map((f) => f!.at - steppedAt);
      },
      { what: 'every audience page on step 3' },
    );
    const follow = spread(follows);
    console.log(
      `audience: ${AUDIENCE} pages loaded and in the room in ${loadedMs} ms; clients of the demo ${join.median} ms (median) / ${join.max} ms (last) after the presenter started; ` +
        `followed a step in ${follow.median} ms (median) / ${follow.max} ms (slowest)`,
    );

    // An audience page may read and run its client, but not steer or edit.
    const refusals = await pages[5]!.evaluate(async () => {
      const call = async (method: string, path: string, body?: unknown) =>
        (await fetch(path, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })).status;
      return [
        await call('PUT', '/api/presentation', { step: 1 }),
        await call('PUT', '/api/lessons/long-polling/code/server.ts', { code: 'export default () => null;' }),
        await call('POST', '/api/lessons/long-polling/feed/next'),
        await call('PUT', '/api/lessons/long-polling/scenario', { kind: 'interval', everyMs: 20 }),
        await call('PUT', '/api/lessons/long-polling/settings', { timeScale: 10 }),
        await call('POST', '/api/lessons/long-polling/race', { client: 'naive' }),
        await call('GET', '/api/lessons/long-polling/code/server.ts'),
      ];
    });
    expect(refusals).toEqual([403, 403, 403, 403, 403, 403, 200]);
    expect((await state()).step).toBe(3);

    // The join and follow times are printed above; `npm run bench` measures them (audienceJoinMs…, audienceFollowMs…).
    // Here every page joining and following is the outcome, each wait bounded: a timed bound would measure the machine.
    expect(errors).toEqual([]);
  });

  it('counts the audience on the SSE lesson\'s /client-count, each guest by id, once the presenter moves there', { timeout: 120_000 }, async () => {
    const members = 5;
    const [{ url }, browser] = await Promise.all([startWorkbench({ presenterToken: TOKEN, trustLoopback: false }), launchChromium()]);
    const pages = await Promise.all(Array.from({ length: members }, async () => (await browser.newContext()).newPage()));
    await Promise.all(pages.map((page) => page.goto(`${url}/audience`, { waitUntil: 'commit', timeout: 90_000 })));
    await waitFor(async () => ((await (await fetch(`${url}/api/presentation`)).json()) as PresentationState).audience === members, { what: 'the room full', timeoutMs: 90_000 });
    const moved = await fetch(`${url}/api/presentation`, { method: 'PUT', headers: { 'content-type': 'application/json', 'x-presenter-token': TOKEN }, body: JSON.stringify({ lesson: 'server-sent-events', step: 1 }) });
    expect(moved.status).toBe(200);

    // One more listener (this test) hears who is there: every guest by client id, and the count.
    const listener = await readEventStream(`${url}/lessons/server-sent-events/api/client-count`);
    await waitFor(() => listener.events.some((e) => e.type === 'client-count' && JSON.parse(e.data).count === members + 1), { what: `${members} guests and the test counted`, timeoutMs: 60_000 });
    const names = new Set(listener.events.filter((e) => e.type === 'add').map((e) => e.data));
    expect([...names].filter((name) => /^guest-\d+$/.test(name))).toHaveLength(members);
    listener.close();
  });
});
