import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { FeedSnapshot } from '../../lessons/lesson.ts';
import { textNow } from '../setup/chromium.ts';
import { openLongPollPage, replaceInEditor } from '../setup/lesson-page.ts';
import { traceOf, waitFor } from '../setup/workbench.ts';

const EXPECT = 'Every version reaches the naive client';

/** What a failed check of the naive client says (its id is `naive`, or `naive-2` if the page counts as a second tab). */
function failedVerdict(naive: string): RegExp {
  return new RegExp(`^✗ Check failed: v\\d+ did not reach ${naive} within 2\\.5 s: the server held its next request \\(${naive}-[\\w-]+\\) instead of answering with it$`);
}

/** Presses "Check my code", sees it busy, and waits for its verdict line. */
async function pressCheck(page: Page): Promise<{ result: string | null; kind: string | null; text: string | null }> {
  const panel = page.locator('code-panel');
  await panel.locator('button.check:not([disabled])').click();
  await panel.locator('button.check[aria-busy="true"]').waitFor();
  expect(await panel.locator('.check-status .text').textContent()).toBe(`Checking: ${EXPECT}…`);
  const verdict = panel.locator('.check-status[data-result]');
  await verdict.waitFor({ timeout: 20_000 });
  expect(await panel.locator('button.check').getAttribute('aria-busy')).toBe('false');
  return { result: await verdict.getAttribute('data-result'), kind: await verdict.getAttribute('data-kind'), text: await verdict.locator('.text').textContent() };
}

/** The check verdicts (pass or fail) on the trace so far. */
async function checkVerdicts(url: string): Promise<string[]> {
  return (await traceOf(url, 'long-polling')).flatMap((e) => (e.kind === 'check' && e.phase !== 'start' ? [e.phase] : []));
}

describe('"Check my code" in the long-polling lesson page', () => {
  it('fails on the original, passes once waitNaive answers a client that is behind, and fails again after a reset', { timeout: 90_000 }, async () => {
    const { url, page, errors } = await openLongPollPage(300);
    const panel = page.locator('code-panel');
    const editStatus = panel.locator('.edit-status');
    expect(await panel.locator('.toolbar button.check').getAttribute('title')).toContain(EXPECT);
    // The page checks its own naive client: the first card.
    const naive = (await page.locator('lesson-view .client').first().getAttribute('data-client'))!;
    expect(naive).toMatch(/^naive(-\d+)?$/);
    const failed = failedVerdict(naive);

    expect(await pressCheck(page)).toEqual({ result: 'fail', kind: 'error', text: expect.stringMatching(failed) });
    expect(await checkVerdicts(url)).toEqual(['fail']);

    // Fix waitNaive in the editor: answer at once when the client's token shows it is behind.
    await panel.locator('button.edit').click();
    await panel.locator('code-editor .cm-content').waitFor();
    // The verdict stays in the edit mode: it is about the code that runs.
    expect(await panel.locator('.check-status').getAttribute('data-result')).toBe('fail');
    const signature = 'waitNaive(res: Response, _token?: Token) {';
    await replaceInEditor(page, signature, `${signature}\n    if (_token && isNewer(latest, _token)) return void res.json(latest);`);
    await page.keyboard.press('Control+s');
    await waitFor(async () => (await textNow(editStatus)) === 'Saved: running your code', { what: 'the saved status' });
    await waitFor(async () => (await traceOf(url, 'long-polling')).some((e) => e.kind === 'reload' && e.reason === 'edited'), { what: 'a reload for the edit' });
    // The failed verdict was about the code that ran before.
    expect(await panel.locator('.check-status').count()).toBe(0);

    // The race that made the naive client miss a change now reaches it.
    const race = page.locator('lesson-controls button.race');
    await waitFor(async () => (await race.isEnabled()) && (await race.getAttribute('aria-busy')) === 'false', { what: 'the race button ready' });
    const answer = page.waitForResponse((res) => res.url().endsWith('/api/lessons/long-polling/race'));
    await race.click();
    const res = await answer;
    expect(res.status(), await res.text()).toBe(201);
    const { change, opener } = (await res.json()) as { change: FeedSnapshot; opener?: FeedSnapshot };
    await waitFor(async () => (await textNow(page.locator(`lesson-view .client[data-client="${naive}"] .value`)))?.startsWith(`v${change.version} `), {
      what: `v${change.version} shown by ${naive}`,
    });
    // Red missed marks of the naive lane, if any, are of versions made before the edit ran.
    const missed = await page.locator(`event-timeline .missed[data-key^="missed:${naive}:"]`).evaluateAll((marks) => marks.map((m) => Number(m.getAttribute('data-version'))));
    expect(missed.filter((version) => version >= (opener ?? change).version)).toEqual([]);

    expect(await pressCheck(page)).toEqual({ result: 'pass', kind: 'ok', text: `✓ Check passed: ${EXPECT}` });
    expect(await checkVerdicts(url)).toEqual(['fail', 'pass']);

    await panel.locator('button.reset').click();
    await waitFor(async () => (await textNow(editStatus)) === 'Reset: the original runs again', { what: 'the reset status' });
    expect(await panel.locator('.check-status').count()).toBe(0);
    expect(await pressCheck(page)).toEqual({ result: 'fail', kind: 'error', text: expect.stringMatching(failed) });
    expect(await checkVerdicts(url)).toEqual(['fail', 'pass', 'fail']);
    expect(errors).toEqual([]);
  });
});
