import { chromium, type Page } from 'playwright-core';
import { describe, expect, it, onTestFinished } from 'vitest';
import { PROGRESS_KEY, type LessonProgress } from '../../web/progress.ts';
import { CHROMIUM_ARGS, chromiumPath } from '../../server/chromium.ts';
import { launchChromium } from '../setup/chromium.ts';
import { startWorkbench, waitFor } from '../setup/workbench.ts';

/** What the progress store writes after steps 1 and 2 of the short-polling lesson (of 5) were shown. */
const SHORT_POLLING_AT_STEP_2: Record<string, LessonProgress> = {
  'short-polling': { lastStep: 2, seen: [1, 2], totalSteps: 5, checkPassed: false, updatedAt: Date.now() },
};

/** A real workbench and its home page open in Chromium, with the lessons listed. */
async function openHomePage() {
  const [{ url }, browser] = await Promise.all([startWorkbench({ hmr: true }), launchChromium()]);
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${url}/`);
  await page.locator('lesson-list a').first().waitFor();
  return { url, context, page, errors };
}

function storeProgress(page: Page, value: string | null) {
  return page.evaluate(([key, value]) => (value === null ? localStorage.removeItem(key) : localStorage.setItem(key, value)), [PROGRESS_KEY, value] as const);
}

const card = (page: Page, title: string) => page.locator('lesson-list a', { hasText: title });
const labelOf = (page: Page, title: string) => card(page, title).locator('.label').textContent();

/** Every card but short polling's: each must read as not started and link to the lesson's start. */
async function expectOtherLessonsNotStarted(page: Page) {
  const others = page.locator('lesson-list a').filter({ hasNotText: 'Short polling' });
  expect(await others.count()).toBeGreaterThanOrEqual(3);
  for (const other of await others.all()) {
    expect(await other.locator('.label').textContent()).toBe('Not started');
    expect(await other.getAttribute('href')).toMatch(/^\/lessons\/[a-z0-9-]+\/$/);
  }
}

describe('the progress on the home page in Chromium', () => {
  it('shows the progress kept in this browser, links to the step to continue at, and forgets it on request', async () => {
    const { page, errors } = await openHomePage();
    await storeProgress(page, JSON.stringify(SHORT_POLLING_AT_STEP_2));
    await page.reload();

    await waitFor(async () => (await labelOf(page, 'Short polling')) === 'Step 2 of 5 · 2 seen', { what: 'the short-polling progress' });
    expect(await card(page, 'Short polling').getAttribute('href')).toBe('/lessons/short-polling/#step-2');
    expect(await card(page, 'Short polling').locator('.continue').textContent()).toBe('Continue at step 2 →');
    expect(await card(page, 'Short polling').locator('.bar span').evaluate((bar) => (bar as HTMLElement).style.width)).toBe('40%');
    await expectOtherLessonsNotStarted(page);

    await page.getByRole('button', { name: 'Forget my progress' }).click();
    await waitFor(async () => (await labelOf(page, 'Short polling')) === 'Not started', { what: 'the progress forgotten' });
    expect(await card(page, 'Short polling').getAttribute('href')).toBe('/lessons/short-polling/');
    expect(await card(page, 'Short polling').locator('.continue').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Forget my progress' }).count()).toBe(0);
    expect(await page.evaluate((key) => localStorage.getItem(key), PROGRESS_KEY)).toBeNull();
    expect(errors).toEqual([]);
  });

  it('follows progress made in another tab', async () => {
    const { url, context, page } = await openHomePage();
    const otherTab = await context.newPage();
    await otherTab.goto(`${url}/api/lessons`);

    await storeProgress(otherTab, JSON.stringify(SHORT_POLLING_AT_STEP_2));
    await waitFor(async () => (await labelOf(page, 'Short polling')) === 'Step 2 of 5 · 2 seen', { what: 'the progress from the other tab' });
    await storeProgress(otherTab, null);
    await waitFor(async () => (await labelOf(page, 'Short polling')) === 'Not started', { what: 'the progress cleared in the other tab' });
  });

  it('shows progress made on the next page after going back to the list kept in the back/forward cache', async () => {
    // Playwright turns the back/forward cache off; people's browsers have it on.
    const [{ url }, browser] = await Promise.all([
      startWorkbench({ hmr: true }),
      chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS, ignoreDefaultArgs: ['--disable-back-forward-cache'] }),
    ]);
    onTestFinished(() => browser.close());
    const page = await browser.newPage();
    await page.goto(`${url}/`);
    await card(page, 'Short polling').waitFor();
    await page.evaluate(() => addEventListener('pageshow', (event) => document.documentElement.setAttribute('data-restored', String(event.persisted))));

    await page.goto(`${url}/api/lessons`);
    await storeProgress(page, JSON.stringify(SHORT_POLLING_AT_STEP_2));
    // A page restored from the cache fires no load event: wait for the commit only.
    await page.goBack({ waitUntil: 'commit' });
    await page.locator('html[data-restored="true"]').waitFor({ state: 'attached' });
    await waitFor(async () => (await labelOf(page, 'Short polling')) === 'Step 2 of 5 · 2 seen', { what: 'the progress after going back' });
  });

  it('still lists every lesson, as not started, when the stored progress is corrupt', async () => {
    const { page, errors } = await openHomePage();
    for (const corrupt of ['{"short-polling": {"lastStep"', '{"short-polling": {"lastStep": "two"}}', '[1, 2]']) {
      await storeProgress(page, corrupt);
      await page.reload();
      await card(page, 'Short polling').waitFor();
      expect(await labelOf(page, 'Short polling')).toBe('Not started');
      expect(await card(page, 'Short polling').getAttribute('href')).toBe('/lessons/short-polling/');
      await expectOtherLessonsNotStarted(page);
      expect(await page.getByRole('button', { name: 'Forget my progress' }).count()).toBe(0);
    }
    expect(errors).toEqual([]);
  });
});
