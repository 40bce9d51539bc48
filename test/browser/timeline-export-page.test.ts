import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { EventTimeline } from '../../web/components/event-timeline.ts';
import { launchChromium } from '../setup/chromium.ts';
import { startWorkbench, waitFor } from '../setup/workbench.ts';

/** A real workbench and the short-polling lesson open in Chromium at a projector's size, with polls drawn. */
async function openLessonPage() {
  const [{ url }, browser] = await Promise.all([startWorkbench({ hmr: true }), launchChromium()]);
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${url}/lessons/short-polling/`);
  await waitFor(async () => (await page.locator('event-timeline .request').count()) >= 2, { what: '2 polls on the timeline', timeoutMs: 15_000 });
  return { page, errors };
}

/** Clicks an export button and reads the file it downloads. */
async function downloadFrom(page: Page, button: string): Promise<{ name: string; bytes: Buffer }> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator(`event-timeline button${button}`).click()]);
  return { name: download.suggestedFilename(), bytes: await readFile(await download.path()) };
}

describe('exporting the timeline in Chromium', () => {
  it('downloads what is shown as a standalone SVG that parses, and as a PNG at twice its size', async () => {
    const { page, errors } = await openLessonPage();

    const { name, bytes } = await downloadFrom(page, '.export-svg');
    const text = bytes.toString('utf8');
    expect(name).toBe('short-polling.svg');
    expect(text).toMatch(/^(<\?xml[^>]*\?>\s*)?<svg /);
    expect(text).toContain('xmlns="http://www.w3.org/2000/svg"');
    expect(text).toMatch(/<text [^>]*class="lane-label server[^>]*>\s*server/);
    expect(text).toMatch(/<g class="shape arrow request/);
    expect(text).toContain('<style>');
    expect(text).not.toContain('<!--');
    expect(text).not.toContain('foreignObject');
    const parsed = await page.evaluate((svg) => {
      const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
      return { errors: doc.getElementsByTagName('parsererror').length, root: doc.documentElement.localName, width: Number(doc.documentElement.getAttribute('width')) };
    }, text);
    expect(parsed).toMatchObject({ errors: 0, root: 'svg' });
    // Logical size: the element's width, without its border.
    const shownWidth = await page.locator('event-timeline .plot > svg').evaluate((svg) => svg.getBoundingClientRect().width);
    expect(Math.abs(parsed.width - shownWidth)).toBeLessThanOrEqual(1);

    const png = await downloadFrom(page, '.export-png');
    expect(png.name).toBe('short-polling.png');
    expect([...png.bytes.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    // The IHDR chunk comes first: its width is the big-endian word at byte 16.
    expect(Math.abs(png.bytes.readUInt32BE(16) - 2 * parsed.width)).toBeLessThanOrEqual(2);
    expect(errors).toEqual([]);
  });

  it('draws every text at 20 px or more at presenter scale 1.6, without overflowing, and still shows tooltips', async () => {
    const { page, errors } = await openLessonPage();
    const timeline = page.locator('event-timeline');
    await timeline.evaluate(async (el: EventTimeline) => {
      el.scale = 1.6;
      await el.updateComplete;
    });

    const sizes = await timeline.evaluate((el) =>
      [...el.shadowRoot!.querySelectorAll('svg text')].map((t) => ({
        text: t.textContent?.trim(),
        px: parseFloat(getComputedStyle(t).fontSize) * (t as SVGTextElement).getScreenCTM()!.a,
      })),
    );
    expect(sizes.length).toBeGreaterThan(5);
    expect(sizes.filter((s) => s.px < 20)).toEqual([]);
    const { svgWidth, hostWidth } = await timeline.evaluate((el) => ({
      svgWidth: el.shadowRoot!.querySelector('.plot > svg')!.getBoundingClientRect().width,
      hostWidth: el.clientWidth,
    }));
    expect(svgWidth).toBeLessThanOrEqual(hostWidth + 0.5);
    const hint = await timeline.evaluate((el) => parseFloat(getComputedStyle(el.shadowRoot!.querySelector('.hint')!).fontSize));
    expect(hint).toBeGreaterThanOrEqual(20);

    // A feed change is a dot on the top lane, under nothing else: wait until one has scrolled well into the plot, then pause and point at it.
    const feedChange = () =>
      timeline.evaluate((el) => {
        const plot = el.shadowRoot!.querySelector('.plot-area')!.getBoundingClientRect();
        const centers = [...el.shadowRoot!.querySelectorAll('.feed-change .body')].map((dot) => {
          const box = dot.getBoundingClientRect();
          return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
        });
        return centers.find(({ x }) => x > plot.left + 10 && x < plot.right - 40);
      });
    await waitFor(feedChange, { what: 'a feed change inside the plot', timeoutMs: 10_000 });
    await timeline.locator('button.live-toggle').click();
    const point = (await feedChange())!;
    await page.mouse.move(point.x, point.y);
    const tooltip = (await timeline.locator('.tooltip').boundingBox({ timeout: 5_000 }))!;
    // Its corner is 14 by 12 screen px from the dot, on one side or the other.
    expect(Math.min(Math.abs(tooltip.x - point.x - 14), Math.abs(tooltip.x + tooltip.width - point.x + 14))).toBeLessThan(3);
    expect(Math.abs(tooltip.y - point.y - 12)).toBeLessThan(3);
    await page.mouse.move(0, 0);

    // Dragging pans by as much as the pointer moved on screen.
    const tickX = () => timeline.locator('.axis-label', { hasText: '−10 s' }).evaluate((t) => t.getBoundingClientRect().x);
    const before = await tickX();
    const plot = (await timeline.locator('.plot-area').boundingBox())!;
    await page.mouse.move(plot.x + 40, plot.y + 10);
    await page.mouse.down();
    await page.mouse.move(plot.x + 140, plot.y + 10, { steps: 5 });
    await page.mouse.up();
    expect(Math.abs((await tickX()) - before - 100)).toBeLessThanOrEqual(1.5);
    expect(errors).toEqual([]);
  });
});
