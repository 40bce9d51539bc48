import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import type { Page } from 'playwright-core';
import { describe, expect, it, onTestFinished } from 'vitest';
import { parseRecording } from '../../lessons/recording.ts';
import { buildStaticSite } from '../../server/static-site.ts';
import { launchChromium } from '../setup/chromium.ts';
import { ROOT, startWorkbench, waitFor } from '../setup/workbench.ts';

/** The seqs of the trace events the timeline draws shapes for, each once (a shape across two slices of the track is drawn in both). */
async function drawnSeqs(page: Page): Promise<number[]> {
  const seqs = await page.locator('event-timeline [data-seq]').evaluateAll((shapes) => shapes.map((s) => Number(s.getAttribute('data-seq'))));
  return [...new Set(seqs)];
}

/** Moves the replay's position slider to `fraction` of the recording, as a drag would. */
async function seek(page: Page, fraction: number): Promise<void> {
  await page.locator('replay-bar input[type="range"]').evaluate((input: HTMLInputElement, f) => {
    input.value = String(Number(input.max) * f);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }, fraction);
}

const replayTime = (page: Page) => page.locator('replay-bar .time').textContent();

describe('replaying a recording in the page', () => {
  it('saves a recording from the live lesson, then replays it from the file with the workbench gone: play, pause, seek', async () => {
    const [{ url, workbench }, browser] = await Promise.all([startWorkbench(), launchChromium()]);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${url}/lessons/short-polling/`);
    await waitFor(async () => (await page.locator('event-timeline .response').count()) >= 3, { what: '3 polls answered', timeoutMs: 15_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('button.save-recording').click()]);
    expect(download.suggestedFilename()).toBe('short-polling.recording.json');
    const recording = parseRecording(await readFile((await download.path())!, 'utf8'));
    expect(recording.detail.slug).toBe('short-polling');

    await page.goto(`${url}/`);
    await page.locator('open-recording button').waitFor();
    await workbench.close();
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));

    // Any other JSON is refused with a reason, and nothing changes.
    await page.locator('open-recording input').setInputFiles({ name: 'notes.json', mimeType: 'application/json', buffer: Buffer.from('{"notes": []}') });
    expect(await page.locator('open-recording [role="alert"]').textContent()).toContain('notes.json: This JSON is not a workbench recording');
    expect(await page.locator('lesson-list').count()).toBe(1);

    await page.locator('open-recording input').setInputFiles((await download.path())!);
    await page.locator('replay-bar').waitFor();
    expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe('/lessons/short-polling/?replay');
    expect(await page.locator('lesson-view header .status').textContent()).toBe('replay');
    // No editing and no checks on a recording: the code panel is for reading.
    expect(await page.locator('code-panel button.edit').count()).toBe(0);

    // Playing from the start, the recorded polls appear as their time comes.
    const recorded = new Set(recording.events.map((e) => e.seq));
    await waitFor(async () => (await drawnSeqs(page)).length > 0, { what: 'recorded events drawn' });
    await page.locator('replay-bar button.play').click(); // pause
    await seek(page, 1);
    await waitFor(async () => (await page.locator('event-timeline .response').count()) >= 3, { what: 'every recorded poll drawn at the end' });
    const atEnd = await drawnSeqs(page);
    expect(atEnd.every((seq) => recorded.has(seq))).toBe(true);
    await seek(page, 0);
    await waitFor(async () => (await drawnSeqs(page)).length < atEnd.length, { what: 'fewer events at the start' });
    expect(await page.locator('replay-bar button.play').textContent()).toContain('Play');
    const paused = await replayTime(page);
    await page.locator('replay-bar select').selectOption('4');
    await page.locator('replay-bar button.play').click();
    await waitFor(async () => (await replayTime(page)) !== paused, { what: 'the replay to move on' });
    await waitFor(async () => (await drawnSeqs(page)).length >= atEnd.length, { what: 'the replay to reach the end at 4×', timeoutMs: 15_000 });
    expect(requests).toEqual([]);
    // Vite's dev client (not the page) says so when its server goes away.
    expect(errors.filter((message) => message !== 'WebSocket closed without opened.')).toEqual([]);
  });

  it('builds the static site, which replays each recorded lesson with no server behind it, and presents it', async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'rww-static-site-'));
    onTestFinished(() => rm(outDir, { recursive: true, force: true }));
    await buildStaticSite({ root: ROOT, outDir, lessons: ['long-polling'], stepMs: 400 });

    // Any static host: here, express.static over the folder, logging what the page asks for.
    const requests: string[] = [];
    const app = express()
      .use((req, _res, next) => (requests.push(req.path), next()))
      .use(express.static(outDir));
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const site = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${site}/`);
    const links = page.locator('lesson-list li a');
    await links.first().waitFor();
    expect(await links.count()).toBe(1);
    await links.first().click();
    await page.locator('replay-bar').waitFor();
    expect(new URL(page.url()).pathname).toBe('/lessons/long-polling/');
    await waitFor(async () => (await page.locator('event-timeline .request').count()) >= 2, { what: 'recorded polls drawn' });

    // The recording was made step by step: playing, the prose turns with it.
    await page.locator('lesson-view .step-nav .count', { hasText: /^Step ([2-9]|\d\d) of/ }).waitFor();

    // Presenting a replay steps through the lesson in the page alone: B pauses, PageDown seeks to the next step.
    await page.keyboard.press('p');
    await page.keyboard.press('b');
    await page.locator('lesson-view .present-bar .paused').waitFor();
    // A turn the replay made just before the pause reaches the page with its hash change: the count follows the hash.
    const stepCount = async () => Number(/^(\d+) \//.exec((await page.locator('lesson-view .present-bar .step-count').textContent())!)![1]);
    await waitFor(async () => (await stepCount()) === Number(/^#step-(\d+)$/.exec(await page.evaluate(() => location.hash))?.[1]), { what: 'the step shown to match the replay' });
    const at = await stepCount();
    await page.keyboard.press(at > 1 ? 'PageUp' : 'PageDown');
    await page.locator('lesson-view .present-bar .step-count', { hasText: `${at > 1 ? at - 1 : at + 1} /` }).waitFor();
    expect(await page.locator('lesson-view .present-bar .paused').count()).toBe(1);
    // A deep link straight into presenter mode, as a teacher would bookmark it, opens the replay at that
    // step (the page's clock stands still meanwhile, so that the replay cannot play on to it by itself).
    const linked = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    linked.on('pageerror', (error) => errors.push(error.message));
    await linked.clock.install();
    await linked.clock.pauseAt(Date.now() + 60_000);
    await linked.goto(`${site}/lessons/long-polling/?present#step-3`);
    await linked.locator('lesson-view .present-bar .replay').waitFor();
    expect(await linked.locator('lesson-view .present-bar .step-count').textContent()).toMatch(/^3 \//);
    expect(await linked.locator('lesson-view .present-bar .replay').textContent()).not.toBe('Replay 0 ms'); // it sought; time stands still
    expect(await linked.locator('lesson-view [role="alert"]').count()).toBe(0);
    await linked.clock.resume();
    expect(requests.filter((path) => path.startsWith('/api/'))).toEqual([]);
    expect(requests).toContain('/recordings/long-polling.json');
    expect(errors).toEqual([]);
  }, 120_000); // a recording and a production build: about 10 s alone, longer beside the other tests
});
