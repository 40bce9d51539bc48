import type { Browser } from 'playwright-core';

/**
 * Posts `changes` feed changes to the short-polling lesson while its page is open, and measures
 * for each how long after its `changedAt` (server clock; same machine) the page drew its marker on
 * the timeline: the trace path feed → hub → live socket → layout → SVG, independent of polling.
 */
export async function measureFeedToDrawing(browser: Browser, url: string, changes: number): Promise<number[]> {
  // Only our changes, far enough apart never to be merged into one marker on the timeline.
  await fetch(`${url}/api/lessons/short-polling/scenario`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"kind":"manual"}' });
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  await page.goto(`${url}/lessons/short-polling/`);
  await page.locator('event-timeline .request').first().waitFor({ state: 'attached', timeout: 30_000 });
  await page.evaluate(() => {
    const drawn = new Map<number, number>();
    (window as unknown as { drawn: Map<number, number> }).drawn = drawn;
    const root = document.querySelector('workbench-app')!.shadowRoot!.querySelector('lesson-view')!.shadowRoot!.querySelector('event-timeline')!.shadowRoot!;
    new MutationObserver(() => {
      const now = Date.now();
      for (const el of root.querySelectorAll('.feed-change[data-version]')) {
        const version = Number(el.getAttribute('data-version'));
        if (!drawn.has(version)) drawn.set(version, now);
      }
    }).observe(root, { subtree: true, childList: true, attributes: true });
  });
  const delays: number[] = [];
  for (let i = 0; i < changes; i++) {
    const res = await fetch(`${url}/api/lessons/short-polling/feed/next`, { method: 'POST' });
    const { version, changedAt } = (await res.json()) as { version: number; changedAt: number };
    const drawnAt = await page.waitForFunction((v) => (window as unknown as { drawn: Map<number, number> }).drawn.get(v), version, { polling: 5, timeout: 10_000 });
    delays.push(((await drawnAt.jsonValue()) as number) - changedAt);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await page.close();
  return delays;
}
