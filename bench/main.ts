/**
 * `npm run bench` — measures, side by side in one run, and ends with one JSON line of figures.
 * `npm run bench -- --quick` does fewer rounds. Everything runs on loopback, bounded in count.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { createWorkbench } from '../server/workbench.ts';
import { CHROMIUM_ARGS, chromiumPath } from '../test/setup/chromium.ts';
import { measureColdStart } from './cold-start.ts';
import { measureFeedToDrawing } from './feed-to-drawing.ts';
import { median, percentile, round1 } from './stats.ts';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const rounds = values.quick ? 2 : 5;
const root = fileURLToPath(new URL('..', import.meta.url));
const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });

try {
  const cold = [];
  for (let i = 0; i < rounds; i++) {
    const figures = await measureColdStart(browser, root, 5300 + i);
    cold.push(figures);
    console.log(`cold start ${i + 1}/${rounds}: ready ${figures.readyMs.toFixed(0)} ms, first paint ${figures.firstPaintMs.toFixed(0)} ms, first poll drawn ${figures.firstPollDrawnMs.toFixed(0)} ms`);
  }

  const workbench = await createWorkbench({ root, hmr: false, watch: false });
  const url = await workbench.listen(0, '127.0.0.1');
  const delays = await measureFeedToDrawing(browser, url, values.quick ? 15 : 40);
  await workbench.close();
  console.log(`feed change → drawn on the timeline: ${delays.length} changes, median ${round1(median(delays))} ms, p95 ${round1(percentile(delays, 95))} ms`);

  console.log(
    JSON.stringify({
      coldReadyMs: Math.round(median(cold.map((c) => c.readyMs))),
      coldFirstPaintMs: Math.round(median(cold.map((c) => c.firstPaintMs))),
      coldStartMs: Math.round(median(cold.map((c) => c.firstPollDrawnMs))),
      feedToDrawMsP50: round1(median(delays)),
      feedToDrawMsP95: round1(percentile(delays, 95)),
    }),
  );
} finally {
  await browser.close();
}
