import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { LessonDetail, LessonSummary } from '../../lessons/lesson.ts';
import { launchChromium, textNow } from '../setup/chromium.ts';
import { ROOT, startWorkbench, waitFor } from '../setup/workbench.ts';

/** Where the screenshots go (test-results/ is not committed). */
const SHOTS = join(ROOT, 'test-results', 'presenter-mode');
const MIN_PX = 20;

/** Whether the first line the step focuses (if it has one in the tab shown) is in the code panel's view: it scrolls there smoothly. */
function focusInView(page: Page) {
  return page.evaluate(() => {
    const view = document.querySelector('workbench-app')!.shadowRoot!.querySelector('lesson-view')!;
    const code = view.shadowRoot!.querySelector('code-panel')!.shadowRoot!;
    const panel = [...code.querySelectorAll<HTMLElement>('.panel')].find((p) => !p.hidden)!;
    const focused = panel.querySelector('.line.step-focus');
    if (!focused) return true;
    const line = focused.getBoundingClientRect();
    const box = panel.getBoundingClientRect();
    return line.top >= box.top - 1 && line.bottom <= box.bottom + 1;
  });
}

/** What a presenter's screen shows that could be wrong: the page scrolling, text cut or too small. */
function measure(page: Page) {
  return page.evaluate((minPx) => {
    const view = document.querySelector('workbench-app')!.shadowRoot!.querySelector('lesson-view')!;
    const root = view.shadowRoot!;
    const problems: string[] = [];
    const doc = document.scrollingElement!;
    if (doc.scrollWidth > innerWidth || doc.scrollHeight > innerHeight) problems.push(`the page scrolls: ${doc.scrollWidth}×${doc.scrollHeight}`);
    const small = (where: string, el: Element, px: number) => px < minPx - 0.01 && problems.push(`${where}: "${el.textContent?.trim().slice(0, 30)}" at ${px.toFixed(1)} px`);
    const hasText = (el: Element) => [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent!.trim());

    for (const el of root.querySelectorAll('.present-bar, .present-bar *')) {
      if (hasText(el)) small('bar', el, parseFloat(getComputedStyle(el).fontSize));
      if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflow === 'hidden') problems.push(`bar: "${el.textContent?.trim()}" is cut`);
    }
    const timeline = root.querySelector('event-timeline')!.shadowRoot!;
    const svg = timeline.querySelector('svg')!;
    if (svg.getBoundingClientRect().right > innerWidth) problems.push('the timeline is wider than the screen');
    for (const text of timeline.querySelectorAll('svg text')) {
      if (!text.textContent?.trim()) continue;
      small('timeline', text, parseFloat(getComputedStyle(text).fontSize) * (text as SVGTextElement).getScreenCTM()!.a);
    }
    for (const el of timeline.querySelectorAll('*')) if (!(el instanceof SVGElement) && hasText(el) && el.getClientRects().length) small('timeline', el, parseFloat(getComputedStyle(el).fontSize));

    const code = root.querySelector('code-panel')!.shadowRoot!;
    for (const el of code.querySelectorAll('*')) if (hasText(el) && el.getClientRects().length) small('code', el, parseFloat(getComputedStyle(el).fontSize));
    const panel = [...code.querySelectorAll<HTMLElement>('.panel')].find((p) => !p.hidden)!;
    if (panel.scrollWidth > panel.clientWidth + 1) problems.push(`code is wider than its panel: ${panel.scrollWidth} > ${panel.clientWidth}`);
    return problems;
  }, MIN_PX);
}

/** How many lines of code the presenter's screen shows whole (0 when the code panel is hidden). */
function codeLinesInView(page: Page) {
  return page.evaluate(() => {
    const code = document.querySelector('workbench-app')!.shadowRoot!.querySelector('lesson-view')!.shadowRoot!.querySelector('code-panel')!;
    if (!code.getClientRects().length) return 0;
    const panel = [...code.shadowRoot!.querySelectorAll<HTMLElement>('.panel')].find((p) => !p.hidden)!;
    const box = panel.getBoundingClientRect();
    return [...panel.querySelectorAll('.line')].filter((line) => {
      const r = line.getBoundingClientRect();
      return r.height > 0 && r.top >= box.top - 1 && r.bottom <= box.bottom + 1;
    }).length;
  });
}

describe('presenter mode', () => {
  it('steps through every step of every lesson at 1280×720 with keys, legible and without overflow', { timeout: 240_000 }, async () => {
    const [{ url }, browser] = await Promise.all([startWorkbench({ hmr: true }), launchChromium()]);
    await mkdir(SHOTS, { recursive: true });
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    const lessons = (await (await fetch(`${url}/api/lessons`)).json()) as LessonSummary[];
    const found: string[] = [];
    let shots = 0;
    let total = 0;
    for (const { slug } of lessons) {
      const { steps } = (await (await fetch(`${url}/api/lessons/${slug}`)).json()) as LessonDetail;
      total += steps.length;
      await page.goto(`${url}/lessons/${slug}/?present`);
      await page.locator('lesson-view event-timeline').waitFor();
      if (slug === 'choosing') {
        // No room for the figures' table on a projector: each technique's p99 and bytes per update sit under its lane's name, live.
        const notes = () => page.locator('lesson-view event-timeline .noted-label').evaluateAll((labels) => labels.map((label) => [...label.querySelectorAll('text')].map((t) => [...t.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent).join('').trim())));
        await waitFor(async () => (await notes()).some(([, p99]) => /^p99 [\d.,]+ ms$/.test(p99 ?? '')), { what: 'a p99 under a lane name' });
        const labelled = await notes();
        expect(labelled.map(([name]) => name)).toEqual(['short polling', 'long polling', 'SSE', 'WebSocket']);
        for (const [, p99, bytes] of labelled) {
          expect(p99).toMatch(/^p99 (—|[\d.,]+ ms)$/);
          expect(bytes).toMatch(/^(—|[\d,]+) B\/update$/);
        }
      }
      for (let n = 1; n <= steps.length; n++) {
        if (n > 1) await page.keyboard.press(n % 2 ? 'PageDown' : 'Space'); // a clicker, and the space bar
        await waitFor(async () => (await textNow(page.locator('lesson-view .step-count')))?.trim() === `${n} / ${steps.length}`, { what: `${slug} step ${n}` });
        expect(await page.locator('lesson-view .step-title').textContent()).toBe(steps[n - 1]!.title);
        // The presentation follows: an audience would be on this step too.
        await waitFor(async () => {
          const state = (await (await fetch(`${url}/api/presentation`)).json()) as { lesson: string; step: number };
          return state.lesson === slug && state.step === n;
        }, { what: `the presentation at ${slug} step ${n}` });
        await page.waitForFunction(() => document.fonts.status === 'loaded');
        if (!(await waitFor(() => focusInView(page), { what: 'the focused code', timeoutMs: 3_000 }).catch(() => false))) found.push(`${slug} step ${n}: its focused code is out of view`);
        await page.screenshot({ path: join(SHOTS, `${slug}-${String(n).padStart(2, '0')}.png`) });
        shots++;
        found.push(...(await measure(page)).map((problem) => `${slug} step ${n}: ${problem}`));
      }
      // Back one, and the key for "first" goes to the start.
      await page.keyboard.press('ArrowLeft');
      await waitFor(async () => (await textNow(page.locator('lesson-view .step-count')))?.trim() === `${steps.length - 1} / ${steps.length}`, { what: 'one step back' });
      await page.keyboard.press('Home');
      await waitFor(async () => (await textNow(page.locator('lesson-view .step-count')))?.trim() === `1 / ${steps.length}`, { what: 'the first step' });
    }
    expect(found).toEqual([]);
    expect([lessons.length, shots]).toEqual([5, total]);
    // P leaves presenter mode: the lesson's own page, with its prose, is back.
    await page.keyboard.press('p');
    await page.locator('lesson-view .step-nav').waitFor();
    expect(errors).toEqual([]);
  });

  it('gives a short screen\'s stage to the timeline or the code with Z, and every window follows', async () => {
    const [{ url }, browser] = await Promise.all([startWorkbench({ hmr: true }), launchChromium()]);
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    // The choosing lesson has six lanes: at 720p they leave the code a line or two.
    await page.goto(`${url}/lessons/choosing/?present`);
    const timeline = page.locator('lesson-view event-timeline');
    await timeline.locator('.lane-label').first().waitFor({ timeout: 15_000 });
    const stageOf = async () => ((await (await fetch(`${url}/api/presentation`)).json()) as { stage: string }).stage;
    expect(await stageOf()).toBe('both');
    const linesShared = await codeLinesInView(page);

    await page.keyboard.press('z');
    await waitFor(async () => (await textNow(page.locator('lesson-view .stage-only'))) === 'Timeline only', { what: 'the badge for the timeline alone' });
    expect([await stageOf(), await timeline.isVisible(), await codeLinesInView(page)]).toEqual(['timeline', true, 0]);

    await page.keyboard.press('z');
    await waitFor(async () => (await textNow(page.locator('lesson-view .stage-only'))) === 'Code only', { what: 'the badge for the code alone' });
    expect([await stageOf(), await timeline.isVisible()]).toEqual(['code', false]);
    const linesAlone = await codeLinesInView(page);
    expect(linesAlone).toBeGreaterThanOrEqual(20);
    expect(linesAlone).toBeGreaterThan(linesShared + 10);

    // The presenter window (or a phone) turns it through the workbench: the projector follows.
    const remote = await browser.newPage({ viewport: { width: 1000, height: 720 } });
    remote.on('pageerror', (error) => errors.push(error.message));
    await remote.goto(`${url}/presenter`);
    const button = remote.locator('presenter-view button.stage');
    await waitFor(async () => (await textNow(button))?.trim() === 'Stage: Code only', { what: 'the presenter window showing the stage' });
    await button.click();
    await page.locator('lesson-view .stage-only').waitFor({ state: 'detached', timeout: 5_000 });
    await waitFor(async () => (await textNow(button))?.trim() === 'Stage: Timeline + code', { what: 'the presenter window showing both' });
    expect(await stageOf()).toBe('both');
    expect([await timeline.isVisible(), await codeLinesInView(page)]).toEqual([true, linesShared]);
    expect(errors).toEqual([]);
  });
});
