import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Flags for Debian's Chromium in a sandboxed, offline machine (see README, "Tests"). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** Where Chromium is: `CHROMIUM_PATH`, else Debian's `/usr/bin/chromium`. */
export function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(path)) {
    throw new Error(
      `Chromium not found at ${path}. Browser tests, the bench and the static site's recordings drive a real Chromium: install it ` +
        '(Debian/Ubuntu: `sudo apt-get install chromium`) or point CHROMIUM_PATH at a Chromium or Chrome binary.',
    );
  }
  return path;
}

/** Starts headless Chromium (playwright-core, the system's Chromium). */
export function launchHeadlessChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS });
}
