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
import { DEFAULT_SEED, measureBatching, measureMissedUpdates } from './long-polling.ts';
import { median, percentile, round1 } from './stats.ts';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, seed: { type: 'string', default: String(DEFAULT_SEED) } } });
const rounds = values.quick ? 2 : 5;
const seed = Number(values.seed);
if (!Number.isSafeInteger(seed)) throw new TypeError(`--seed must be an integer, got ${values.seed}`);
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

  const race = await measureMissedUpdates({ durationMs: values.quick ? 10_000 : 60_000, seed });
  const client = (name: string, c: typeof race.naive) => `${name} missed ${c.missed}, stale ${round1(c.staleMs / 1000)} s, showed ${c.shown}`;
  console.log(`long polling, random changes (seed ${race.seed}): ${race.changes} changes; ${client('naive', race.naive)}; ${client('fixed', race.fixed)}`);

  const load = await measureBatching({ durationMs: values.quick ? 4_000 : 10_000 });
  const loadLine = (l: typeof load.noBatch) =>
    `${round1(l.requestsPerSec)} req/s, ${round1(l.kbPerSec)} KB/s, delivery p50 ${round1(l.deliveryP50Ms)} ms (${round1(l.changesPerSec)} changes/s, event loop ${Math.round(l.busy * 100)} % busy)`;
  console.log(
    `long polling, ${load.clients} fixed clients, think 0: batchMs 0 ${loadLine(load.noBatch)}; batchMs 200 ${loadLine(load.batch200)}; ` +
      `${round1(load.noBatch.requestsPerSec / load.batch200.requestsPerSec)}× the requests without batching`,
  );

  console.log(
    JSON.stringify({
      coldReadyMs: Math.round(median(cold.map((c) => c.readyMs))),
      coldFirstPaintMs: Math.round(median(cold.map((c) => c.firstPaintMs))),
      coldStartMs: Math.round(median(cold.map((c) => c.firstPollDrawnMs))),
      feedToDrawMsP50: round1(median(delays)),
      feedToDrawMsP95: round1(percentile(delays, 95)),
      longPollChanges: race.changes,
      longPollMissedNaive: race.naive.missed,
      longPollMissedFixed: race.fixed.missed,
      longPollStaleSecNaive: round1(race.naive.staleMs / 1000),
      longPollStaleSecFixed: round1(race.fixed.staleMs / 1000),
      longPollReqPerSecNoBatch: round1(load.noBatch.requestsPerSec),
      longPollReqPerSecBatch200: round1(load.batch200.requestsPerSec),
      longPollBatchRequestRatio: round1(load.noBatch.requestsPerSec / load.batch200.requestsPerSec),
      longPollKBPerSecNoBatch: round1(load.noBatch.kbPerSec),
      longPollKBPerSecBatch200: round1(load.batch200.kbPerSec),
      longPollDeliveryP50MsNoBatch: round1(load.noBatch.deliveryP50Ms),
      longPollDeliveryP50MsBatch200: round1(load.batch200.deliveryP50Ms),
    }),
  );
} finally {
  await browser.close();
}
