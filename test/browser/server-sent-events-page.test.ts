import { describe, expect, it } from 'vitest';
import type { ClientShowEvent, HttpRequestEvent } from '../../lessons/trace-event.ts';
import { launchChromium, textNow } from '../setup/chromium.ts';
import { startWorkbench, traceOf, waitFor } from '../setup/workbench.ts';

const SLUG = 'server-sent-events';

/** A real workbench with the SSE lesson open in Chromium, the data changing every `everyMs`. */
async function openSsePage(everyMs: number, params: Record<string, unknown> = {}) {
  const [{ url }, browser] = await Promise.all([startWorkbench({ hmr: true }), launchChromium()]);
  const put = (path: string, body: unknown) => fetch(`${url}/api/lessons/${SLUG}/${path}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect((await put('scenario', { kind: 'interval', everyMs })).status).toBe(200);
  expect((await put('settings', { params: { retryMs: 500, ...params } })).status).toBe(200);
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${url}/lessons/${SLUG}/`);
  return { url, page, errors };
}

const shownVersion = async (page: import('playwright-core').Page, client: string) =>
  Number(/^v(\d+) /.exec((await textNow(page.locator(`lesson-view .client[data-client="${client}"] .value`))) ?? '')?.[1] ?? NaN);

describe('the SSE lesson page in Chromium', () => {
  // Eight steps in a row, each bounded and named (the page is served through Vite, which transforms every module afresh).
  it('resumes tab A after "Drop tab A\'s connection" with Last-Event-ID: nothing lost, nothing doubled', { timeout: 60_000 }, async () => {
    const { url, page, errors } = await openSsePage(150);
    await waitFor(async () => (await shownVersion(page, 'a')) > 0 && (await shownVersion(page, 'b')) > 0, { what: 'both tabs showing a version', timeoutMs: 20_000 });
    // Both tabs are on /client-count: each card says two are listening.
    await waitFor(async () => (await textNow(page.locator('lesson-view .client[data-client="b"] .client-status')))?.startsWith('2 listening'), { what: 'tab B counting 2 listeners' });

    const before = await shownVersion(page, 'a');
    await page.locator('lesson-controls button.drop[data-client="a"]').click({ timeout: 5_000 });
    await page.locator('event-timeline .reconnect').first().waitFor({ state: 'attached', timeout: 10_000 });
    await waitFor(async () => (await shownVersion(page, 'a')) > before + 10, { what: 'tab A showing versions after the reconnect', timeoutMs: 15_000 });

    const trace = await traceOf(url, SLUG);
    const shows = trace.filter((e): e is ClientShowEvent => e.kind === 'client-show' && e.client === 'a');
    const versions = shows.map((e) => e.version);
    const first = versions[0]!;
    expect(versions).toEqual(versions.map((_, i) => first + i)); // consecutive: no hole, no double
    // Only the value the client came to is its first: the reconnect is the same run of the client.
    expect(shows.map((e) => e.first === true)).toEqual(shows.map((_, i) => i === 0));
    const dataRequests = trace.filter((e): e is HttpRequestEvent => e.kind === 'http-request' && e.client === 'a' && e.url.includes('/data'));
    expect(dataRequests.length).toBeGreaterThanOrEqual(2);
    expect(dataRequests[0]!.headers['last-event-id']).toBeUndefined();
    const resumedFrom = Number(dataRequests[1]!.headers['last-event-id']);
    expect(versions).toContain(resumedFrom);
    expect(versions).toContain(resumedFrom + 1);
    expect(trace.some((e) => e.kind === 'stream-close' && e.client === 'a' && e.reason === 'dropped from the page')).toBe(true);

    // The wire view follows the newest /data stream: tab A's, resumed; its replayed events were received.
    const wire = page.locator('stream-wire-view');
    const note = await waitFor(async () => (await textNow(wire.locator('.resume-note')))?.match(/^resumed from id (\d+)/), { what: 'the wire view showing the resumed stream' });
    const resumedId = Number(note[1]);
    const resumed = wire.locator(`.wire-event[data-last-event-id="${resumedId + 1}"][data-received="yes"]`);
    await resumed.waitFor({ state: 'attached', timeout: 10_000 });
    await resumed.hover({ timeout: 10_000 });
    await page.locator('code-panel .line.active-line').first().waitFor({ state: 'attached', timeout: 5_000 });
    expect(errors).toEqual([]);
  });
});
