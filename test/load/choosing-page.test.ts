import { describe, expect, it } from 'vitest';
import type { LessonFigures } from '../../lessons/lesson.ts';
import { launchChromium } from '../setup/chromium.ts';
import { startWorkbench, waitFor } from '../setup/workbench.ts';

const KINDS = ['short-polling', 'long-polling', 'sse', 'websocket'];

describe('the choosing lesson page in Chromium', () => {
  it('runs the four techniques live with their figures, stays responsive under 1 000 virtual clients each, and stops them when the page closes', { timeout: 150_000 }, async () => {
    const [{ url, workbench }, browser] = await Promise.all([startWorkbench({ hmr: true }), launchChromium()]);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${url}/lessons/choosing/`);

    // Every technique has its row of figures, and the page's own four clients deliver.
    const figures = page.locator('technique-figures');
    for (const kind of KINDS) await figures.locator(`tr[data-kind="${kind}"]`).waitFor({ timeout: 15_000 });
    const cell = (kind: string, column: number) => figures.locator(`tr[data-kind="${kind}"] td`).nth(column).innerText();
    await waitFor(async () => (await Promise.all(KINDS.map((kind) => cell(kind, 3)))).every((p99) => /\d ms$/.test(p99)), {
      timeoutMs: 20_000,
      what: 'a latency p99 on every row, from the page clients',
    });
    for (const lane of ['short polling', 'long polling', 'SSE', 'WebSocket']) expect(await page.locator('event-timeline .lane-label', { hasText: lane }).count()).toBeGreaterThan(0);

    // 1 000 virtual clients of each technique: counted in the figures, not drawn.
    await figures.getByRole('button', { name: '1,000', exact: true }).click();
    const comparison = workbench.hosts.get('choosing')!.comparison!;
    const row = (f: LessonFigures, kind: string) => f.techniques.find((t) => t.kind === kind)!;
    let last: LessonFigures | undefined;
    await waitFor(
      () => {
        last = comparison.figures();
        return ['sse', 'websocket'].every((k) => row(last!, k).open >= 1_000) && KINDS.every((k) => row(last!, k).clients >= 1_000);
      },
      { timeoutMs: 60_000, what: '1 000 virtual clients of each technique seen, the streams and sockets open' },
    ).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}; last figures: ${JSON.stringify(last?.techniques.map(({ kind, open, clients }) => ({ kind, open, clients })))}`);
    });
    await waitFor(async () => Number((await cell('sse', 4)).replace(/,/g, '')) >= 1_000, { timeoutMs: 10_000, what: 'the open column showing them' });

    // Responsive: a step turns, and a change made now reaches all four page clients.
    const asked = Date.now();
    await page.locator('button[aria-label="Next step"]').click();
    await page.locator('.step-nav .count', { hasText: 'Step 2 of' }).waitFor({ timeout: 5_000 });
    const stepMs = Date.now() - asked;
    const { version } = (await (await fetch(`${url}/api/lessons/choosing/feed/next`, { method: 'POST' })).json()) as { version: number };
    const changed = Date.now();
    await waitFor(async () => (await page.locator('.client .value').allInnerTexts()).every((text) => text.startsWith(`v${version} `) || Number(/^v(\d+)/.exec(text)?.[1]) > version), {
      timeoutMs: 10_000,
      what: `v${version} shown by every page client`,
    });
    console.log(`choosing page under 4 × 1 000 virtual clients: step turned in ${stepMs} ms; a change shown by all four page clients in ${Date.now() - changed} ms`);

    // The page's "Short poll every" sets the virtual short-polling clients' interval too.
    const every = page.locator('lesson-controls label', { hasText: 'Short poll every' }).locator('input');
    await every.fill('2000');
    await every.press('Enter');
    await waitFor(() => comparison.figures().virtual.intervalMs === 2_000, { timeoutMs: 10_000, what: 'the virtual clients polling every 2 s' });

    // Measure each alone: one technique's 1 000 virtual clients at a time, the server's CPU with each, then the 4 × 1 000 back.
    await figures.locator('button.measure-alone').click();
    await figures.locator('button.measure-alone', { hasText: /Measuring Short polling alone/ }).waitFor({ timeout: 5_000 });
    const aloneCpu = () => Promise.all(KINDS.map((kind) => figures.locator(`tr[data-kind="${kind}"] td.alone-cpu`).innerText()));
    await waitFor(async () => (await aloneCpu()).every((text) => /^\d[\d.]* %$/.test(text)), { timeoutMs: 60_000, what: 'the CPU alone of every technique' });
    const [shortPolling, , sse] = (await aloneCpu()).map((text) => Number.parseFloat(text));
    console.log(`CPU alone, 1 000 virtual clients: ${(await aloneCpu()).join(' / ')} (short polling / long polling / SSE / WebSocket)`);
    expect(shortPolling).toBeGreaterThan(sse!); // a thousand requests a second against a write per change
    await waitFor(() => KINDS.every((k) => comparison.figures().virtual.counts[k as keyof LessonFigures['virtual']['counts']] === 1_000), { timeoutMs: 10_000, what: 'the virtual clients put back' });
    expect(errors).toEqual([]);

    // Closing the page stops them.
    await page.close();
    await waitFor(() => KINDS.every((k) => comparison.figures().virtual.counts[k as keyof LessonFigures['virtual']['counts']] === 0), { timeoutMs: 10_000, what: 'the virtual clients stopped' });
  });
});
