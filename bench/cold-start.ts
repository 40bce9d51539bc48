import { spawn } from 'node:child_process';
import type { Browser } from 'playwright-core';

export interface ColdStartFigures {
  /** Process start to the "ready" line. */
  readyMs: number;
  /** Process start to the lesson page's first contentful paint. */
  firstPaintMs: number;
  /** Process start to the first poll drawn on the lesson's timeline. */
  firstPollDrawnMs: number;
}

/**
 * Starts `npm start` as a user would (a fresh process on a free port), opens the short-polling
 * lesson as soon as the URL is printed, and times each stage from the moment of the spawn.
 */
export async function measureColdStart(browser: Browser, root: string, port: number): Promise<ColdStartFigures> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts', '--port', String(port)], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk;
        const match = /(http:\/\/\S+?)\/?\s/.exec(out);
        if (match) resolve(match[1]!);
      });
      child.once('exit', (code) => reject(new Error(`npm start exited with ${code}: ${out}`)));
    });
    const readyMs = performance.now() - started;
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const navigationStart = performance.now();
    await page.goto(`${url}/lessons/short-polling/`);
    const fcp = await page.evaluate(
      () =>
        new Promise<number>((resolve) => {
          new PerformanceObserver((list) => {
            const entry = list.getEntriesByName('first-contentful-paint')[0];
            if (entry) resolve(entry.startTime);
          }).observe({ type: 'paint', buffered: true });
        }),
    );
    await page.locator('event-timeline .request').first().waitFor({ state: 'attached', timeout: 30_000 });
    const firstPollDrawnMs = performance.now() - started;
    await page.close();
    return { readyMs, firstPaintMs: navigationStart - started + fcp, firstPollDrawnMs };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}
