import { describe, expect, it } from 'vitest';
import { launchChromium, textNow } from '../setup/chromium.ts';
import { startWorkbench, waitFor } from '../setup/workbench.ts';

/** A real workbench and the short-polling lesson open in Chromium, with its first poll drawn. */
async function openLessonPage() {
  const [{ url }, browser] = await Promise.all([startWorkbench({ hmr: true }), launchChromium()]);
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${url}/lessons/short-polling/`);
  await page.locator('event-timeline .request').first().waitFor({ state: 'attached', timeout: 15_000 });
  return { url, page };
}

describe('the short-polling lesson page in Chromium', () => {
  it('lists the lessons on the home page and links to each', async () => {
    const [{ url }, browser] = await Promise.all([startWorkbench({ hmr: true }), launchChromium()]);
    const page = await browser.newPage();
    await page.goto(`${url}/`);
    const link = page.locator('lesson-list a', { hasText: 'Short polling' });
    await link.waitFor();
    expect(await link.getAttribute('href')).toBe('/lessons/short-polling/');
  });

  it('draws live polls on the timeline, and hovering an answer lights the line of code that wrote it', async () => {
    const [{ url }, browser] = await Promise.all([startWorkbench({ hmr: true }), launchChromium()]);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${url}/lessons/short-polling/`);

    // Playwright's CSS locators pierce open shadow roots: these are the SVG shapes in <event-timeline>.
    await waitFor(async () => (await page.locator('event-timeline .request').count()) >= 3, { what: '3 polls on the timeline', timeoutMs: 15_000 });
    // The timeline scrolls live, so point at the shape itself rather than at screen coordinates.
    await page.locator('event-timeline .response').first().dispatchEvent('mouseover');

    const lit = page.locator('code-panel .line.active-line');
    await lit.waitFor();
    expect(await lit.getAttribute('data-line')).toMatch(/^\d+$/);
    expect(await lit.textContent()).toContain('res.json(');

    // A request arrow starts in the browser: it lights the fetch() line of client.ts.
    await page.locator('event-timeline .request:not(.one-sided)').first().dispatchEvent('mouseover');
    await waitFor(async () => (await page.locator('code-panel [role=tab][data-file="client.ts"]').getAttribute('aria-selected')) === 'true', { what: 'the client.ts tab' });
    expect(await page.locator('code-panel .panel[data-file="client.ts"] .line.active-line').textContent()).toContain("fetch(url('/data')");
    expect(errors).toEqual([]);
  });

  it('shows a feed change posted from outside on the next poll, joined to the change on the timeline', async () => {
    const { url, page } = await openLessonPage();

    const post = await fetch(`${url}/api/lessons/short-polling/feed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ value: { headline: 'from the test' } }),
    });
    const { version } = (await post.json()) as { version: number };
    const card = page.locator('lesson-view .client[data-client="chained"] .value');
    await waitFor(async () => (await textNow(card))?.includes(`v${version} {"headline":"from the test"}`), { what: `v${version} shown`, timeoutMs: 10_000 });
    await page.locator(`event-timeline .feed-change[data-version="${version}"]`).waitFor({ state: 'attached' });
    await page.locator(`event-timeline .link[data-version="${version}"]`).first().waitFor({ state: 'attached' });
  });

  it('answers conditional polls with 304 once Conditional is on, and counts the bytes saved', async () => {
    const { page } = await openLessonPage();
    await page.getByLabel('Poll every').fill('500');
    await page.getByLabel('Poll every').dispatchEvent('change');
    await page.getByLabel('Conditional (ETag → 304)').check();

    await page.locator('event-timeline .response.status-304').first().waitFor({ state: 'attached', timeout: 10_000 });
    await waitFor(async () => /saved by 304/.test((await textNow(page.locator('lesson-view .client[data-client="chained"] .figures'))) ?? ''), {
      what: 'the bytes saved by 304',
    });
  });

  it('piles requests up with setInterval against a slow server, and never with setTimeout chaining', async () => {
    const { page } = await openLessonPage();
    await page.getByLabel('Server delay').fill('1000');
    await page.getByLabel('Server delay').dispatchEvent('change');
    await page.getByLabel('Poll every').fill('250');
    await page.getByLabel('Poll every').dispatchEvent('change');

    const figures = (client: string) => textNow(page.locator(`lesson-view .client[data-client="${client}"] .figures`));
    await waitFor(async () => /[3-9] requests in flight at once/.test((await figures('interval')) ?? ''), { what: 'setInterval to pile up' });
    expect(await figures('chained')).not.toMatch(/in flight at once/);
  });
});
