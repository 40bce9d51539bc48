import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '../../lessons/trace-event.ts';
import { launchChromium, textNow } from '../setup/chromium.ts';
import { startWorkbench, traceOf, waitFor } from '../setup/workbench.ts';

const SLUG = 'websocket';

/** Types a line into a client's chat box and sends it with Enter. */
async function say(page: Page, client: string, text: string) {
  const input = page.locator(`lesson-view .client[data-client="${client}"] chat-box input`);
  await input.fill(text);
  await input.press('Enter');
}

/** Waits until a client's chat box shows `text` from `from`. */
async function heard(page: Page, client: string, from: string, text: string) {
  const line = page.locator(`lesson-view .client[data-client="${client}"] chat-box li.chat`, { hasText: text });
  await line.waitFor({ timeout: 10_000 });
  expect(await line.locator('.from').textContent()).toBe(from);
}

/** The clients whose lanes in this page's timeline show frame ticks going `direction`, with `opcode`. */
async function clientsWithTicks(page: Page, trace: TraceEvent[], direction: 'in' | 'out', opcode = 'text'): Promise<Set<string | undefined>> {
  const seqs = await page.locator(`event-timeline g.tick.frame.client-side.${direction}.op-${opcode}`).evaluateAll((ticks) => ticks.map((t) => Number(t.getAttribute('data-seq'))));
  return new Set(seqs.map((seq) => trace.find((e) => e.seq === seq)?.client));
}

describe('the WebSocket lesson page in Chromium', () => {
  it('lets two pages chat, and both timelines draw the frames both ways on their clients\' lanes, pings and pongs included', async () => {
    const [{ url }, browser] = await Promise.all([startWorkbench({ hmr: true }), launchChromium()]);
    const put = (body: unknown) => fetch(`${url}/api/lessons/${SLUG}/settings`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await put({ params: { heartbeatMs: 1000 } })).status).toBe(200);
    // One browser, two tabs: the second tab's clients are "Ada 2" and "Bob 2".
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    const [first, second] = [await context.newPage(), await context.newPage()];
    for (const page of [first, second]) page.on('pageerror', (error) => errors.push(error.message));
    await first.goto(`${url}/lessons/${SLUG}/`);
    await first.locator('lesson-view .client[data-client="ada"] chat-box input').waitFor();
    await second.goto(`${url}/lessons/${SLUG}/`);
    await second.locator('lesson-view .client[data-client="ada-2"] chat-box input').waitFor();
    await waitFor(async () => (await textNow(first.locator('lesson-view .client[data-client="ada"] .client-status')))?.includes('Bob 2'), { what: 'the first page to see the second join' });

    await say(first, 'ada', 'hello from the first tab');
    await heard(second, 'bob-2', 'Ada', 'hello from the first tab');
    await say(second, 'ada-2', 'and hello back');
    await heard(first, 'bob', 'Ada 2', 'and hello back');
    await heard(first, 'ada', 'Ada 2', 'and hello back');

    for (const [page, ada, bob] of [[first, 'ada', 'bob'], [second, 'ada-2', 'bob-2']] as const) {
      // Which clients' lanes show which frames; drawn a frame after they arrive, so wait for them all,
      // then assert each one so that a failure names what is missing.
      const lanes = async () => {
        const trace = await traceOf(url, SLUG);
        const [up, down, pings, pongs] = await Promise.all([
          clientsWithTicks(page, trace, 'in'),
          clientsWithTicks(page, trace, 'out'),
          clientsWithTicks(page, trace, 'out', 'ping'),
          clientsWithTicks(page, trace, 'in', 'pong'),
        ]);
        return { up, down, pings, pongs };
      };
      let seen = await lanes();
      const complete = () => seen.up.has(ada) && seen.down.has(ada) && seen.down.has(bob) && seen.pings.has(ada) && seen.pongs.has(bob);
      await waitFor(async () => complete() || ((seen = await lanes()) && complete()), { what: `frames on ${ada}'s and ${bob}'s lanes` }).catch(() => undefined);
      expect(seen.up).toContain(ada); // Ada's chat went up
      expect(seen.down).toContain(ada); // everyone's chat came down to both
      expect(seen.down).toContain(bob);
      expect(seen.pings).toContain(ada);
      expect(seen.pongs).toContain(bob);
    }
    // The wire view shows the handshake of the newest socket, and the accept key checks out.
    await first.locator('socket-wire-view .accept[data-valid="true"]').waitFor({ state: 'attached' });
    expect(await first.locator('socket-wire-view .message.response').textContent()).toContain('101 Switching Protocols');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('reconnects Ada after her connection is cut, and carries Bob over the long-poll fallback', async () => {
    const [{ url }, browser] = await Promise.all([startWorkbench({ hmr: true }), launchChromium()]);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${url}/lessons/${SLUG}/`);
    await waitFor(async () => (await textNow(page.locator('lesson-view .client[data-client="ada"] .client-status')))?.includes('Bob'), { what: 'both in the room' });

    await page.locator('lesson-controls button.drop[data-client="ada"]').click();
    // Her socket closed without a close frame (1006), and a new one was made after a backoff.
    await page.locator('event-timeline .marker.reconnect').first().waitFor({ state: 'attached', timeout: 10_000 });
    await page.locator('event-timeline .marker.error', { hasText: '1006' }).first().waitFor({ state: 'attached' });
    await waitFor(async () => (await textNow(page.locator('lesson-view .client[data-client="ada"] .figures')))?.includes('1 reconnects'), { what: 'the reconnect counted' });
    await waitFor(async () => (await textNow(page.locator('lesson-view .client[data-client="ada"] .client-status')))?.includes('here'), { what: 'Ada back in the room' });
    await say(page, 'ada', 'back online');
    await heard(page, 'bob', 'Ada', 'back online');

    await page.locator('lesson-controls select').first().selectOption('long-poll');
    await waitFor(async () => / requests · /.test((await textNow(page.locator('lesson-view .client[data-client="bob"] .figures'))) ?? ''), { what: 'Bob polling' });
    await say(page, 'bob', 'over plain HTTP now');
    await heard(page, 'ada', 'Bob', 'over plain HTTP now');
    await say(page, 'ada', 'and back to you');
    await heard(page, 'bob', 'Ada', 'and back to you');
    const trace = await traceOf(url, SLUG);
    expect(trace.some((e) => e.kind === 'http-request' && e.client === 'bob' && e.method === 'POST' && e.url.includes('/chat/send'))).toBe(true);
    expect(errors).toEqual([]);
  });
  it('keeps its wire view at the newest frame while the reader is at the bottom, and still where the reader scrolled up to', async () => {
    const [{ url }, browser] = await Promise.all([startWorkbench({ hmr: true }), launchChromium()]);
    const put = (body: unknown) => fetch(`${url}/api/lessons/${SLUG}/settings`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await put({ params: { heartbeatMs: 300 } })).status).toBe(200); // a ping and a pong every 0.3 s: rows keep coming
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${url}/lessons/${SLUG}/`);
    const scroller = page.locator('socket-wire-view .scroller').first();
    await scroller.waitFor();
    await scroller.scrollIntoViewIfNeeded();
    const state = () => scroller.evaluate((el) => ({ top: el.scrollTop, max: el.scrollHeight - el.clientHeight, rows: el.querySelectorAll('ol > li').length }));
    /** Waits for more rows than now, then says where the view is. */
    const afterMoreRows = async () => {
      const { rows } = await state();
      return waitFor(async () => {
        const now = await state();
        return now.rows > rows && now;
      }, { what: 'more frames in the wire view' });
    };

    await waitFor(async () => (await state()).max > 50, { what: 'more frames than the wire view shows at once' });
    const atNewest = async () => {
      const { top, max } = await state();
      return max > 0 && Math.abs(top - max) < 2;
    };
    for (let i = 0; i < 2; i++) {
      await afterMoreRows();
      await waitFor(atNewest, { what: 'the view at the newest frame' });
    }
    await scroller.evaluate((el) => (el.scrollTop = 0));
    for (let i = 0; i < 2; i++) expect((await afterMoreRows()).top).toBe(0);
    await scroller.evaluate((el) => (el.scrollTop = el.scrollHeight));
    await afterMoreRows();
    await waitFor(atNewest, { what: 'the view following again from the bottom' });
    expect(errors).toEqual([]);
  });
});
