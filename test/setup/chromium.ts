import type { Browser, Locator } from 'playwright-core';
import { onTestFinished } from 'vitest';
import { launchHeadlessChromium } from '../../server/chromium.ts';

/** Launches headless Chromium for one test and closes it when the test ends. */
export async function launchChromium(): Promise<Browser> {
  const browser = await launchHeadlessChromium();
  onTestFinished(() => browser.close());
  return browser;
}

/**
 * The text of the first element `locator` matches now, or null when none does. Unlike
 * `locator.textContent()`, which waits up to 30 s for an element, it answers at once, so a
 * `waitFor` polling it keeps its own deadline and says what it waited for.
 */
export async function textNow(locator: Locator): Promise<string | null> {
  return (await locator.allTextContents())[0] ?? null;
}
