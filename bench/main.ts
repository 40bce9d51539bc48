/**
 * `npm run bench` — measures, side by side in one run, and ends with one JSON line of figures.
 * `npm run bench -- --quick` does fewer rounds. Everything runs on loopback, bounded in count.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createWorkbench } from '../server/workbench.ts';
import { HIGHLIGHT_CACHE_DIR } from '../server/highlight.ts';
import { launchHeadlessChromium } from '../server/chromium.ts';
import { pageBuildState } from '../server/page-build.ts';
import { measureColdStart } from './cold-start.ts';
import { measureFeedToDrawing } from './feed-to-drawing.ts';
import { DEFAULT_SEED, measureBatching, measureMissedUpdates } from './long-polling.ts';
import { median, percentile, round1 } from './stats.ts';
import { measureWireBytesPerUpdate, type TechniqueFigures } from './wire-bytes.ts';
import { measureChat, type ChatTransportFigures } from './websocket-chat.ts';
import { measureEditReload } from './edit-reload.ts';
import { measureSseFanOut, measureWorkbenchOverhead, type OverheadFigures } from './fan-out.ts';
import { measureInitialJs } from './initial-js.ts';
import { measureTimelineFrames } from './timeline-frames.ts';
import { audienceSummary, measureAudience } from './audience.ts';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, seed: { type: 'string', default: String(DEFAULT_SEED) } } });
const rounds = values.quick ? 1 : 5;
const seed = Number(values.seed);
if (!Number.isSafeInteger(seed)) throw new TypeError(`--seed must be an integer, got ${values.seed}`);
const root = fileURLToPath(new URL('..', import.meta.url));
const started = performance.now();
const browser = await launchHeadlessChromium();
const round2 = (n: number) => Math.round(n * 100) / 100;

try {
  const build = await pageBuildState(root, join(root, 'dist'));
  const coldStartPage = build.fresh ? 'built' : 'vite';
  console.log(build.fresh ? 'cold start: npm start serves the built page (dist/ is fresh)' : `cold start: npm start serves the page through Vite (${build.reason})`);
  // The first start highlights the lesson's code; the next ones read it back from the cache.
  await rm(HIGHLIGHT_CACHE_DIR, { recursive: true, force: true });
  const cold = [];
  for (let i = 0; i < rounds; i++) {
    const figures = await measureColdStart(browser, root, 5300 + i);
    cold.push(figures);
    console.log(`cold start ${i + 1}/${rounds}${i === 0 ? ' (code highlighted afresh)' : ''}: ready ${figures.readyMs.toFixed(0)} ms, first paint ${figures.firstPaintMs.toFixed(0)} ms, first poll drawn ${figures.firstPollDrawnMs.toFixed(0)} ms`);
  }

  // A fresh workspace: edits made in the page must not change what is measured.
  const workbench = await createWorkbench({ root, hmr: false, watch: false, workspaceDir: await mkdtemp(join(tmpdir(), 'bench-workspace-')) });
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

  const wire = await measureWireBytesPerUpdate({ quick: values.quick });
  const wireLine = (name: string, t: TechniqueFigures, note = '') =>
    `  ${name.padEnd(37)} ${String(Math.round(t.bytesPerUpdate)).padStart(5)} B/update (in ${Math.round(t.readPerUpdate)}, out ${Math.round(t.writtenPerUpdate)}), ` +
    `${t.requests} requests, ${t.connections} new connections, delivered ${t.delivered}/${wire.changes} (${Math.round(t.deliveredRatio * 100)} %${note}), ` +
    `${Math.round(t.bytesPerDelivered)} B per update delivered; setup ${t.setupBytes} B`;
  console.log(
    [
      `wire bytes per update, server socket counters both ways (${wire.changes} changes every ${wire.everyMs} ms + ${wire.settleMs} ms settle, median of ${wire.rounds} round${wire.rounds > 1 ? 's' : ''}):`,
      wireLine(`short polling (every ${wire.shortPoll.options.intervalMs} ms)`, wire.shortPoll, ': skips the changes between polls'),
      wireLine(`long polling (fixed, think ${wire.longPoll.options.thinkMs} ms)`, wire.longPoll, wire.longPoll.deliveredRatio < 1 ? ': skips the changes made while it thinks' : ''),
      wireLine('SSE (/data + /client-count)', wire.sse),
      `  SSE ÷ short polling ${round2(wire.sseVsShortPollBytes)}×, SSE ÷ long polling ${round2(wire.sseVsLongPollBytes)}× the bytes per update`,
    ].join('\n'),
  );

  const chat = await measureChat({ quick: values.quick });
  const chatLine = (name: string, t: ChatTransportFigures) =>
    `  ${name.padEnd(28)} ${String(Math.round(t.bytesPerMessage)).padStart(5)} B/message (in ${Math.round(t.readPerMessage)}, out ${Math.round(t.writtenPerMessage)}), ` +
    `${t.requests} requests, Ada → Bob p50 ${round1(t.roundTripP50Ms)} ms, p95 ${round1(t.roundTripP95Ms)} ms`;
  console.log(
    [
      `chat, ${chat.messages} messages from Ada to Bob ${chat.gapMs} ms apart, the lesson's server.ts and client.ts, server socket counters both ways:`,
      chatLine('WebSocket', chat.websocket),
      chatLine('long-poll fallback (cursor)', chat.longPoll),
      `  long polling ÷ WebSocket ${round2(chat.longPollVsWebSocketBytes)}× the bytes per message`,
    ].join('\n'),
  );

  const edit = await measureEditReload({ root, rounds: values.quick ? 3 : 7 });
  console.log(
    `edit → first answer from the new code (short-polling server.ts, ${edit.rounds} rounds): workbench PUT median ${round1(edit.workbenchMedianMs)} ms ` +
      `(${edit.workbenchMs.map((ms) => Math.round(ms)).join(', ')}), tsx watch restart median ${round1(edit.tsxWatchMedianMs)} ms ` +
      `(${edit.tsxWatchMs.map((ms) => Math.round(ms)).join(', ')}); workbench ÷ tsx watch ${round2(edit.ratio)}×`,
  );

  const overhead = await measureWorkbenchOverhead({ clients: 1_000, quick: values.quick });
  const overheadLine = (name: string, o: OverheadFigures) =>
    `  ${name.padEnd(14)} p99 ${round1(o.workbenchP99Ms)} ms through the workbench, ${round1(o.bareP99Ms)} ms bare: ${round2(o.ratio)}× (p50 ${round1(o.workbenchP50Ms)} / ${round1(o.bareP50Ms)} ms)`;
  console.log(
    [
      `delivery to ${overhead.clients} clients, the choosing lesson's server.ts through the workbench (connections handed to its runner, every event traced) and on a bare Express server (each event's p50 and p99 over its receipts, medians over ${overhead.events} events × ${overhead.rounds} rounds${overhead.pinned ? ', servers and clients on separate cores' : ''}):`,
      overheadLine('SSE', overhead.sse),
      overheadLine('WebSocket', overhead.websocket),
      overheadLine('long polling', overhead.longPolling),
    ].join('\n'),
  );

  const fanOut = await measureSseFanOut({ clients: 5_000, quick: values.quick });
  console.log(
    `SSE fan-out to ${fanOut.clients} clients (medians over ${fanOut.events} events × ${fanOut.rounds} rounds of each event's p99): the SSE lesson p99 ${round1(fanOut.lessonP99Ms)} ms, ` +
      `naive Express res.write loop ${round1(fanOut.naiveExpressP99Ms)} ms, better-sse ${round1(fanOut.betterSseP99Ms)} ms; lesson ÷ naive ${round2(fanOut.vsNaive)}×, lesson ÷ better-sse ${round2(fanOut.vsBetterSse)}× ` +
      `(p50 ${round1(fanOut.lessonP50Ms)} / ${round1(fanOut.naiveExpressP50Ms)} / ${round1(fanOut.betterSseP50Ms)} ms)`,
  );

  const frames = await measureTimelineFrames(browser, { quick: values.quick });
  console.log(
    `timeline in Chromium, 10 000 events shown and 200 a second arriving: frame p95 ${round1(frames.frameP95Ms)} ms (p50 ${round1(frames.frameP50Ms)}, ${frames.longFrames} of ${frames.frames} frames over 25 ms; ` +
      `the same page idle: p95 ${round1(frames.idleFrameP95Ms)} ms; ` +
      `update p95 ${round1(frames.updateP95Ms)} ms, ${round1(frames.cpuMsPerFrame)} ms CPU a frame); JS heap after 100 000 events ${round1(frames.heapMbAfter100k)} MB (empty ${round1(frames.heapMbEmpty)} MB)`,
  );

  // Forty pages take most of a minute to open on two cores: --quick leaves the class out to stay under two minutes.
  const audience = values.quick ? undefined : await measureAudience(browser, root, { pages: 40, mode: build.fresh ? 'prod' : 'dev' });
  const joins = audience ? audienceSummary(audience.joins) : undefined;
  const follows = audience ? audienceSummary(audience.follows) : undefined;
  if (!audience || !joins || !follows) console.log('audience: not measured with --quick');
  else
    console.log(
      `audience: ${audience.pages} pages (${audience.mode === 'prod' ? 'the built page' : 'served by Vite'}), in the room ${Math.round(audience.loadedMs / 1000)} s after opening; ` +
        `clients of each new demo ${Math.round(joins.p50)} ms (median) / ${Math.round(joins.last)} ms (last page) after the presenter switched lesson (${audience.joins.length} switches: ${audience.joins.map((j) => Math.round(Math.max(...j))).join(', ')} ms last); ` +
        `followed a step in ${Math.round(follows.p50)} ms (median) / ${Math.round(follows.last)} ms (slowest)`,
    );

  const initialJs = await measureInitialJs(root);
  console.log(`initial JS of the production build: ${initialJs.kbGzip} KB gzipped (${initialJs.kbRaw} KB raw): ${initialJs.files.join(', ')}`);
  console.log(`bench took ${Math.round((performance.now() - started) / 1000)} s`);

  console.log(
    JSON.stringify({
      coldStartPage,
      coldReadyMs: Math.round(median(cold.map((c) => c.readyMs))),
      coldFirstPaintMs: Math.round(median(cold.map((c) => c.firstPaintMs))),
      coldStartMs: Math.round(median(cold.map((c) => c.firstPollDrawnMs))),
      coldStartFirstMs: Math.round(cold[0]!.firstPollDrawnMs),
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
      sseBytesPerUpdate: Math.round(wire.sse.bytesPerUpdate),
      longPollBytesPerUpdate: Math.round(wire.longPoll.bytesPerUpdate),
      shortPollBytesPerUpdate: Math.round(wire.shortPoll.bytesPerUpdate),
      sseVsShortPollBytes: round2(wire.sseVsShortPollBytes),
      sseVsLongPollBytes: round2(wire.sseVsLongPollBytes),
      chatWebSocketBytesPerMessage: Math.round(chat.websocket.bytesPerMessage),
      chatLongPollBytesPerMessage: Math.round(chat.longPoll.bytesPerMessage),
      chatLongPollVsWebSocketBytes: round2(chat.longPollVsWebSocketBytes),
      chatWebSocketRoundTripP50Ms: round1(chat.websocket.roundTripP50Ms),
      chatLongPollRoundTripP50Ms: round1(chat.longPoll.roundTripP50Ms),
      editToResponseMs: round1(edit.workbenchMedianMs),
      tsxWatchRestartMs: round1(edit.tsxWatchMedianMs),
      editVsTsxWatch: round2(edit.ratio),
      sseP99Ratio: round2(overhead.sse.ratio),
      wsP99Ratio: round2(overhead.websocket.ratio),
      longPollP99Ratio: round2(overhead.longPolling.ratio),
      sseVsNaiveExpressP99: round2(fanOut.vsNaive),
      sseVsBetterSseP99: round2(fanOut.vsBetterSse),
      timelineFrameP95Ms: round1(frames.frameP95Ms),
      timelineIdleFrameP95Ms: round1(frames.idleFrameP95Ms),
      timelineHeapMbAfter100k: round1(frames.heapMbAfter100k),
      initialJsKbGzip: initialJs.kbGzip,
      ...(joins && follows
        ? { audienceJoinMsP50: Math.round(joins.p50), audienceJoinMsLast: Math.round(joins.last), audienceFollowMsP50: Math.round(follows.p50), audienceFollowMsLast: Math.round(follows.last) }
        : {}),
    }),
  );
} finally {
  await browser.close();
}
