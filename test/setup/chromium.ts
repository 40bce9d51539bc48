import type { Browser } from 'playwright-core';
import { onTestFinished } from 'vitest';
import { launchHeadlessChromium } from '../../server/chromium.ts';

/** Launches headless Chromium for one test and closes it when the test ends. */
export async function launchChromium(): Promise<Browser> {
  const browser = await launchHeadlessChromium();
  onTestFinished(() => browser.close());
  return browser;
}
