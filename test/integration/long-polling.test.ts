import { describe, expect, it } from 'vitest';
import type { FeedSnapshot, LessonClient, LessonServer } from '../../lessons/lesson.ts';
import { findMissedUpdates } from '../../lessons/missed-updates.ts';
import type { TraceEvent } from '../../lessons/trace-event.ts';
import longPollingClient from '../../lessons/02-long-polling/client.ts';
import longPollingServer from '../../lessons/02-long-polling/server.ts';
import { startLessonHarness } from '../setup/lesson-harness.ts';
import { runNodeClient } from '../setup/node-client.ts';
import { startWorkbench, traceOf, waitFor } from '../setup/workbench.ts';

const API = '/lessons/long-polling/api';

/** A workbench whose long-poll feed changes only when the test says so. */
async function startManual(params?: Record<string, number>) {
  const { url } = await startWorkbench();
  await put(url, '/api/lessons/long-polling/scenario', { kind: 'manual' });
  if (params) await put(url, '/api/lessons/long-polling/settings', { params });
  return url;
}

async function put(url: string, path: string, body: unknown) {
  const res = await fetch(`${url}${path}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  return res.json();
}

const change = async (url: string) => (await (await fetch(`${url}/api/lessons/long-polling/feed/next`, { method: 'POST' })).json()) as FeedSnapshot;
const waiting = async (url: string) => ((await (await fetch(`${url}${API}/stats`)).json()) as { waiting: number }).waiting;
const tagged = (conn: string) => ({ headers: { 'x-workbench-client': 'curl', 'x-workbench-conn': conn } });

describe('the long-polling lesson API, through the workbench', () => {
  it('shows the race as curl does: ?wait=1 keeps waiting past a change it missed, ?since= answers at once', async () => {
    const url = await startManual();
    const first = (await (await fetch(`${url}${API}/data`)).json()) as FeedSnapshot;
    const changed = await change(url);
    expect(changed.changedAt).toBeGreaterThanOrEqual(first.changedAt);

    const naive = fetch(`${url}${API}/data?wait=1`, tagged('naive-1'));
    const fixed = await fetch(`${url}${API}/data?wait=1&since=${first.changedAt}&version=${first.version}`);
    expect(fixed.status).toBe(200);
    expect(((await fixed.json()) as FeedSnapshot).version).toBe(changed.version);

    // The naive poll is held although the server has had something newer all along…
    await waitFor(async () => (await traceOf(url, 'long-polling')).some((e) => e.kind === 'http-held' && e.conn === 'naive-1'), { what: 'the naive poll held' });
    // …and only the following change answers it.
    const following = await change(url);
    const answer = await naive;
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as FeedSnapshot).version).toBe(following.version);
  });

  it('answers a held request with 204 and no body when the hold time runs out', async () => {
    const url = await startManual({ holdMs: 300 });
    const started = Date.now();
    const res = await fetch(`${url}${API}/data?wait=1`);
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(await waiting(url)).toBe(0);
  });

  it('sets the lesson parameters it declares, and refuses unknown ones or wrong types with 400', async () => {
    const url = await startManual();
    const settings = (body: unknown) => fetch(`${url}/api/lessons/long-polling/settings`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    for (const params of [{ nope: 1 }, { toString: 1 }, { holdMs: '5000' }, { holdMs: -1 }, { holdMs: 1e12 }]) {
      const res = await settings({ params });
      expect(res.status, JSON.stringify(params)).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(/parameter/i);
    }
    const ok = await settings({ params: { batchMs: 100 } });
    expect(((await ok.json()) as { params: unknown }).params).toEqual({ holdMs: 30_000, batchMs: 100 });
  });

  it('refuses a since, version or after that is not a finite non-negative number with 400 and a JSON message', async () => {
    const url = await startManual();
    const bad = ['since=-1', 'since=abc', 'since=', 'since=1e3', 'since=Infinity', 'since=1&since=2', `since=${'9'.repeat(400)}`, 'since=1&version=x'];
    for (const query of bad) {
      const res = await fetch(`${url}${API}/data?wait=1&${query}`);
      expect(res.status, query).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/json/);
      expect(((await res.json()) as { error: string }).error).toMatch(/since|version/);
    }
    const cursor = await fetch(`${url}${API}/changes?wait=1&after=-3`);
    expect(cursor.status).toBe(400);
    expect(((await cursor.json()) as { error: string }).error).toMatch(/after/);
    expect(await waiting(url)).toBe(0);
  });

  it('drops every held request whose client went away: 1 000 aborted polls leave 0 waiters', async () => {
    const url = await startManual();
    for (let round = 0; round < 5; round++) {
      const aborts = Array.from({ length: 200 }, () => new AbortController());
      const polls = aborts.map((a) => fetch(`${url}${API}/data?wait=1`, { signal: a.signal }).catch((error: Error) => error));
      await waitFor(async () => (await waiting(url)) === 200, { what: `200 held polls in round ${round + 1}` });
      for (const a of aborts) a.abort();
      await Promise.all(polls);
      await waitFor(async () => (await waiting(url)) === 0, { what: `no waiters left after round ${round + 1}` });
    }
    // Nothing was written to a closed socket: a change now answers nobody and breaks nothing.
    await change(url);
    const res = await fetch(`${url}${API}/data`);
    expect(res.status).toBe(200);
  });

  it('lands a change between two polls of a client on cue (POST /race), which the naive server then never delivers', async () => {
    const url = await startManual();
    const bad = await fetch(`${url}/api/lessons/long-polling/race`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"client":"nobody"}' });
    expect(bad.status).toBe(400);

    const events: TraceEvent[] = [];
    const stop = runNodeClient(longPollingClient as LessonClient, {
      apiBase: `${url}${API}`,
      clientId: 'naive',
      options: { strategy: 'naive', thinkMs: 200 },
      emit: (e) => events.push({ ...e, seq: 0, lesson: 'long-polling' } as TraceEvent),
    });
    try {
      await waitFor(async () => (await traceOf(url, 'long-polling')).some((e) => e.kind === 'http-held' && e.client === 'naive'), { what: 'the naive client holding' });
      const res = await fetch(`${url}/api/lessons/long-polling/race`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"client":"naive"}' });
      expect(res.status).toBe(201);
      const race = (await res.json()) as { change: FeedSnapshot; opener: FeedSnapshot; gapMs: number; afterMs: number };
      expect(race.opener.version).toBe(race.change.version - 1);
      expect(race.gapMs).toBeGreaterThanOrEqual(150);
      // The naive client got the opener, then held its next poll while the race change was the newest.
      await waitFor(async () => (await traceOf(url, 'long-polling')).filter((e) => e.kind === 'http-held' && e.client === 'naive' && e.t > race.change.changedAt).length > 0, {
        what: 'the next naive poll held after the race change',
      });
      const trace = [...(await traceOf(url, 'long-polling')), ...events].sort((a, b) => a.t - b.t);
      const missed = findMissedUpdates(trace, Date.now()).get('naive')?.missed ?? [];
      expect(missed.map((m) => m.version)).toEqual([race.change.version]);
      expect(events.some((e) => e.kind === 'client-show' && e.version === race.opener.version)).toBe(true);
    } finally {
      stop();
    }
  });
});

describe('the long-polling lesson code, in-process', () => {
  it('delivers every change exactly once, in order, to a cursor client (/changes?after=)', async () => {
    const harness = await startLessonHarness(longPollingServer as LessonServer, { slug: 'long-polling', params: { holdMs: 30_000, batchMs: 0 } });
    const stop = runNodeClient(longPollingClient as LessonClient, {
      apiBase: harness.apiBase,
      clientId: 'fixed',
      options: { strategy: 'fixed', deliver: 'every', thinkMs: 15 },
      emit: harness.emit,
    });
    try {
      await waitFor(() => harness.events.some((e) => e.kind === 'http-held'), { what: 'the cursor client holding' });
      const made: number[] = [];
      // Bursts of changes in one turn (several per answer) and spread out (one per answer).
      for (let round = 0; round < 10; round++) {
        for (let i = 0; i < (round % 3) + 1; i++) made.push(harness.feed.change(harness.feed.nextValue(), 'scenario').version);
        await new Promise((resolve) => setTimeout(resolve, (round * 7) % 25));
      }
      const shown = () => harness.events.flatMap((e) => (e.kind === 'client-show' ? [e.version] : []));
      await waitFor(() => shown().at(-1) === made.at(-1), { what: 'the last change shown' });
      const first = shown()[0]!;
      expect(shown()).toEqual([first, ...made]);
      const answers = harness.events.filter((e) => e.kind === 'http-response' && e.status === 200);
      expect(answers.length).toBeLessThan(made.length + 1); // some answers carried several changes
    } finally {
      stop();
      await harness.close();
    }
  });

  it('misses the second of two changes in one millisecond with a bare changedAt token, and not with changedAt + version', async () => {
    const harness = await startLessonHarness(longPollingServer as LessonServer, { slug: 'long-polling', params: { holdMs: 30_000, batchMs: 0 } });
    try {
      let first: FeedSnapshot;
      let second: FeedSnapshot;
      do {
        const since = harness.feed.current().changedAt;
        const held = fetch(`${harness.apiBase}/data?wait=1&since=${since}`);
        await waitFor(async () => ((await (await fetch(`${harness.apiBase}/stats`)).json()) as { waiting: number }).waiting === 1, { what: 'the poll held' });
        // Two changes in one turn: the held poll is answered by the first.
        first = harness.feed.change(1, 'scenario');
        second = harness.feed.change(2, 'scenario');
        expect(((await (await held).json()) as FeedSnapshot).version).toBe(first.version);
      } while (first.changedAt !== second.changedAt); // rarely, a millisecond ends between them: again

      // The next poll with since=<that millisecond> finds nothing "newer" and waits: the second change is missed…
      const bare = new AbortController();
      void fetch(`${harness.apiBase}/data?wait=1&since=${first.changedAt}`, { signal: bare.signal }).catch(() => undefined);
      await waitFor(async () => ((await (await fetch(`${harness.apiBase}/stats`)).json()) as { waiting: number }).waiting === 1, { what: 'the bare-token poll held' });
      bare.abort();
      // …while (changedAt, version) breaks the tie and answers at once.
      const paired = await fetch(`${harness.apiBase}/data?wait=1&since=${first.changedAt}&version=${first.version}`);
      expect(((await paired.json()) as FeedSnapshot).version).toBe(second.version);
    } finally {
      await harness.close();
    }
  });

  it('coalesces the changes of batchMs into one answer', async () => {
    const harness = await startLessonHarness(longPollingServer as LessonServer, { slug: 'long-polling', params: { holdMs: 30_000, batchMs: 100 } });
    const held = fetch(`${harness.apiBase}/data?wait=1`);
    await waitFor(() => harness.events.some((e) => e.kind === 'http-held'), { what: 'the poll held' });
    for (let i = 0; i < 5; i++) harness.feed.change(harness.feed.nextValue(), 'scenario');
    const answer = (await (await held).json()) as FeedSnapshot;
    expect(answer.version).toBe(harness.feed.current().version);
    expect(harness.events.filter((e) => e.kind === 'http-response')).toHaveLength(1);
    await harness.close();
  });
});
