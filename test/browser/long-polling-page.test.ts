import { describe, expect, it } from 'vitest';
import { textNow } from '../setup/chromium.ts';
import { openLongPollPage } from '../setup/lesson-page.ts';
import { waitFor } from '../setup/workbench.ts';

describe('the long-polling lesson page in Chromium', () => {
  it('"Change it between polls" makes the naive client miss the change, 10 times out of 10, and never the fixed one', async () => {
    const { page, errors } = await openLongPollPage(300);
    const race = page.locator('lesson-controls button.race');
    const missedOn = (client: string) => page.locator(`event-timeline .missed[data-key^="missed:${client}:"]`);

    for (let round = 1; round <= 10; round++) {
      await waitFor(async () => (await race.isEnabled()) && (await race.getAttribute('aria-busy')) === 'false', { what: `the race button ready for round ${round}` });
      const answer = page.waitForResponse((res) => res.url().endsWith('/api/lessons/long-polling/race'));
      await race.click();
      const res = await answer;
      expect(res.status(), await res.text()).toBe(201);
      const { change } = (await res.json()) as { change: { version: number } };
      // The version made in the naive client's gap is marked missed on its lane…
      await missedOn('naive').and(page.locator(`[data-version="${change.version}"]`)).waitFor({ state: 'attached', timeout: 10_000 });
      // …while the fixed client, asking with ?since=, shows it.
      await waitFor(async () => (await textNow(page.locator('lesson-view .client[data-client="fixed"] .value')))?.startsWith(`v${change.version} `), {
        what: `v${change.version} shown by the fixed client`,
      });
    }
    expect(await missedOn('naive').count()).toBeGreaterThanOrEqual(10);
    expect(await missedOn('fixed').count()).toBe(0);
    await waitFor(async () => (await textNow(page.locator('lesson-view .client[data-client="naive"] .missed')))?.includes('missed 10 updates'), { what: 'the naive card counting 10 missed' });
    await page.screenshot({ path: 'test-results/long-polling-race.png' });
    expect(errors).toEqual([]);
  });

  it('shows the fix as a diff tab of server.ts whose added line is the since check', async () => {
    const { page, errors } = await openLongPollPage(1000);
    await page.locator('code-panel [role=tab][data-tab="fix"]').click();
    const added = page.locator('code-panel .panel[data-tab="fix"] .line.diff.add');
    await waitFor(async () => (await added.allTextContents()).some((line) => line.includes('isNewer(latest, token)')), { what: 'the since check as an added line' });
    expect(await page.locator('code-panel .panel[data-tab="fix"] .line.diff.remove').count()).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });
});
