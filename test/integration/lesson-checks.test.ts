/**
 * Each lesson's check ("Check my code") against the lesson's original code, through the real
 * workbench: the lesson's real client.ts runs in Node and reports to the workbench the way the
 * page does (over the live socket), and `POST /api/lessons/<slug>/check` judges what it shows.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { WebSocket } from 'ws';
import type { CheckResult, LessonClient, LessonDetail } from '../../lessons/lesson.ts';
import type { TraceEvent, TraceInput } from '../../lessons/trace-event.ts';
import shortPollingClient from '../../lessons/01-short-polling/client.ts';
import longPollingClient from '../../lessons/02-long-polling/client.ts';
import serverSentEventsClient from '../../lessons/03-server-sent-events/client.ts';
import websocketClient from '../../lessons/04-websocket/client.ts';
import { runNodeClient } from '../setup/node-client.ts';
import { ROOT, startWorkbench, traceOf, waitFor } from '../setup/workbench.ts';

const CLIENTS: Record<string, LessonClient> = {
  'short-polling': shortPollingClient,
  'long-polling': longPollingClient,
  'server-sent-events': serverSentEventsClient,
  websocket: websocketClient,
};

/** The lesson's clients running in Node (the page's options, plus `options`), reporting through the live socket as the page does. */
async function runLessonClients(url: string, slug: string, options: Record<string, string | number | boolean> = {}) {
  const detail = (await (await fetch(`${url}/api/lessons/${slug}`)).json()) as LessonDetail;
  const live = new WebSocket(`${url.replace('http', 'ws')}/api/live?lesson=${slug}`, { headers: { origin: url } });
  await new Promise((resolve, reject) => live.once('open', resolve).once('error', reject));
  const emit = (event: TraceInput) => live.send(JSON.stringify({ type: 'client-events', events: [event] }));
  const stops = detail.clients.map((spec) =>
    runNodeClient(CLIENTS[slug]!, {
      apiBase: `${url}/lessons/${slug}/api`,
      clientId: spec.id,
      label: spec.label,
      options: { ...detail.options, ...spec.options, ...options },
      emit,
    }),
  );
  onTestFinished(() => {
    for (const stop of stops) stop();
    live.close();
  });
  return detail;
}

async function runCheck(url: string, slug: string, body: unknown = {}): Promise<{ status: number; answer: CheckResult & { error?: string } }> {
  const res = await fetch(`${url}/api/lessons/${slug}/check`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, answer: (await res.json()) as CheckResult & { error?: string } };
}

async function setParams(url: string, slug: string, params: Record<string, number>): Promise<void> {
  const res = await fetch(`${url}/api/lessons/${slug}/settings`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ params }) });
  expect(res.status, await res.text()).toBe(200);
}

const checkEvents = (events: readonly TraceEvent[]) => events.filter((e) => e.kind === 'check');

/** The long-poll lesson's naive handler edited into the fixed one: answer at once when the client's token shows it is behind. */
async function fixedNaiveHandler(): Promise<string> {
  const original = await readFile(join(ROOT, 'lessons/02-long-polling/server.ts'), 'utf8');
  const naive = /function waitNaive\(res: Response, _token\?: Token\) \{\n/;
  expect(original).toMatch(naive);
  return original.replace(naive, (head) => `${head}    if (_token && isNewer(latest, _token)) return void res.json(latest);\n`);
}

describe('lesson checks', () => {
  it('long polling: the original naive handler fails the check at the version it held back, an edit into the fixed one passes, a reset fails again', async () => {
    const { url } = await startWorkbench();
    const detail = await runLessonClients(url, 'long-polling', { thinkMs: 300 });
    expect(detail.check).toMatchObject({ client: 'naive', change: 'race' });
    await waitFor(async () => (await traceOf(url, 'long-polling')).some((e) => e.kind === 'http-held' && e.client === 'naive'), { what: 'the naive client holding a poll' });

    const failed = await runCheck(url, 'long-polling');
    expect(failed.status).toBe(200);
    expect(failed.answer.passed).toBe(false);
    const missed = failed.answer.changes.at(-1)!;
    expect(missed.shownAfterMs).toBeUndefined();
    expect(failed.answer.message).toMatch(new RegExp(`^v${missed.version} did not reach naive within 2\\.5 s: the server held its next request \\(naive-\\d+\\) instead of answering with it$`));
    expect(checkEvents(await traceOf(url, 'long-polling')).map((e) => [e.phase, e.client, e.version])).toEqual([
      ['start', 'naive', undefined],
      ['fail', 'naive', missed.version],
    ]);

    const edit = await fetch(`${url}/api/lessons/long-polling/code/server.ts`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: await fixedNaiveHandler() }),
    });
    expect(edit.status, await edit.text()).toBe(200);
    const passed = await runCheck(url, 'long-polling');
    expect(passed.answer).toMatchObject({ passed: true, client: 'naive', message: 'Every version reaches the naive client' });
    expect(passed.answer.changes).toHaveLength(3);
    for (const change of passed.answer.changes) expect(change.shownAfterMs).toBeLessThan(2_500);

    expect((await fetch(`${url}/api/lessons/long-polling/code/server.ts`, { method: 'DELETE' })).status).toBe(200);
    const again = await runCheck(url, 'long-polling');
    expect(again.answer, JSON.stringify(again)).toMatchObject({ passed: false });
    // Three runs, each a start and a verdict.
    expect(checkEvents(await traceOf(url, 'long-polling')).map((e) => e.phase)).toEqual(['start', 'fail', 'start', 'pass', 'start', 'fail']);
  });

  it('short polling: the original shows every change within a poll interval', async () => {
    const { url } = await startWorkbench();
    await runLessonClients(url, 'short-polling');
    const { status, answer } = await runCheck(url, 'short-polling');
    expect(status).toBe(200);
    expect(answer).toMatchObject({ passed: true, client: 'chained' });
    expect(answer.changes).toHaveLength(2);
  });

  it('server-sent events: changes made while a tab is cut off all arrive on resume, and not when the replay buffer is off', async () => {
    const { url } = await startWorkbench();
    await setParams(url, 'server-sent-events', { retryMs: 300 });
    await runLessonClients(url, 'server-sent-events');
    await waitFor(async () => (await traceOf(url, 'server-sent-events')).some((e) => e.kind === 'stream-open' && e.client === 'a' && e.conn !== undefined), {
      what: "tab A's streams open",
    });
    const { answer } = await runCheck(url, 'server-sent-events');
    expect(answer).toMatchObject({ passed: true, client: 'a' });
    // Two rounds, two changes made while the tab was away in each.
    expect(answer.changes).toHaveLength(4);

    // Without a replay buffer a resume gets only the newest state: the first change of the gap never shows.
    await setParams(url, 'server-sent-events', { replayBuffer: 0 });
    const broken = await runCheck(url, 'server-sent-events');
    expect(broken.answer.passed).toBe(false);
    expect(broken.answer.message).toMatch(/^v\d+ did not reach a within 5 s$/);
  });

  it('websocket: a chat message from the check reaches Bob, over his socket and over the long-poll fallback', async () => {
    const { url } = await startWorkbench();
    await runLessonClients(url, 'websocket');
    await waitFor(async () => (await traceOf(url, 'websocket')).some((e) => e.kind === 'ws-open' && e.client === 'bob'), { what: "Bob's socket open" });
    const { status, answer } = await runCheck(url, 'websocket');
    expect(status).toBe(200);
    expect(answer).toMatchObject({ passed: true, client: 'bob', message: 'A message from someone else reaches Bob' });
    expect(answer.changes.map((c) => c.what)).toEqual([expect.stringMatching(/^"check 1 [0-9a-f]{6}"$/), expect.stringMatching(/^"check 2 /), expect.stringMatching(/^"check 3 /)]);
    // The check's own socket is on the trace as the "check" client, and it said goodbye.
    const closes = await waitFor(async () => {
      const list = (await traceOf(url, 'websocket')).filter((e) => e.kind === 'ws-close' && e.client === 'check');
      return list.length > 0 && list;
    });
    expect(closes.map((e) => e.kind === 'ws-close' && e.code)).toEqual([1000]);

    // The same room, with the clients on the long-poll fallback: the message comes in the answer to Bob's poll.
    const fallback = await startWorkbench();
    await runLessonClients(fallback.url, 'websocket', { transport: 'long-poll' });
    await waitFor(async () => (await traceOf(fallback.url, 'websocket')).some((e) => e.kind === 'http-held' && e.client === 'bob'), { what: "Bob's poll held" });
    expect((await runCheck(fallback.url, 'websocket')).answer).toMatchObject({ passed: true, client: 'bob' });
  });

  it('refuses a check that cannot run (409), one of a lesson without a check (404), and a client the lesson does not have (400)', async () => {
    const { url } = await startWorkbench();
    // No page is open: tab A has no stream to cut.
    const alone = await runCheck(url, 'server-sent-events');
    expect(alone).toEqual({ status: 409, answer: { error: 'a has no open stream to cut: is the lesson page open?' } });
    expect(checkEvents(await traceOf(url, 'server-sent-events')).map((e) => [e.phase, e.message])).toEqual([
      ['start', 'Changes made while tab A is cut off all arrive when it resumes'],
      ['fail', 'The check could not run: a has no open stream to cut: is the lesson page open?'],
    ]);
    expect(await runCheck(url, 'websocket', { client: 'ghost' })).toMatchObject({ status: 400 });
    expect((await runCheck(url, 'long-polling', { client: 'ghost' })).status).toBe(400);
  });
});
