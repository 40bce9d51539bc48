import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LessonDetail } from '../../lessons/lesson.ts';
import { WebSocket } from 'ws';
import type { TraceEvent } from '../../lessons/trace-event.ts';
import type { LiveServerMessage } from '../../server/live-protocol.ts';
import { startWorkbench, traceOf, waitFor } from '../setup/workbench.ts';

/** Opens the page's live socket and collects what it receives. */
async function openLive(url: string, lesson: string, headers: Record<string, string> = {}) {
  const socket = new WebSocket(`${url.replace('http', 'ws')}/api/live?lesson=${lesson}`, { headers });
  const messages: LiveServerMessage[] = [];
  socket.on('message', (data) => messages.push(JSON.parse(String(data)) as LiveServerMessage));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  return { socket, messages, events: () => messages.flatMap((m) => (m.type === 'trace' || m.type === 'hello' ? m.events : [])) as TraceEvent[] };
}

describe('the live socket', () => {
  it('sends the recorded trace first, then each new event as it happens', async () => {
    const { url } = await startWorkbench();
    await fetch(`${url}/lessons/short-polling/api/data`);
    await waitFor(async () => (await traceOf(url, 'short-polling')).some((e) => e.kind === 'http-response'));
    const live = await openLive(url, 'short-polling');
    await waitFor(() => live.messages.length > 0);
    expect(live.messages[0]).toMatchObject({ type: 'hello', lesson: 'short-polling' });
    expect((live.messages[0] as { events: TraceEvent[] }).events.some((e) => e.kind === 'http-response')).toBe(true);

    await fetch(`${url}/api/lessons/short-polling/feed/next`, { method: 'POST' });
    const change = await waitFor(() => live.events().find((e) => e.kind === 'feed-change' && e.cause === 'manual'));
    expect(change).toMatchObject({ lane: 'feed', lesson: 'short-polling' });
    live.socket.close();
  });

  it('answers clock pings with the server time', async () => {
    const { url } = await startWorkbench();
    const live = await openLive(url, 'short-polling');
    const before = Date.now();
    live.socket.send(JSON.stringify({ type: 'ping', id: 7 }));
    const pong = await waitFor(() => live.messages.find((m) => m.type === 'pong'));
    expect(pong).toMatchObject({ type: 'pong', id: 7 });
    expect((pong as { serverNow: number }).serverNow).toBeGreaterThanOrEqual(before);
    live.socket.close();
  });

  it('records the events a page reports about its clients, and drops ones it may not report', async () => {
    const { url } = await startWorkbench();
    const live = await openLive(url, 'short-polling');
    const t = Date.now();
    live.socket.send(
      JSON.stringify({
        type: 'client-events',
        events: [
          { kind: 'client-show', lane: 'client:a', client: 'a', t, version: 4, changedAt: t - 700, staleMs: 700 },
          { kind: 'http-response', lane: 'server', t, conn: 'x', status: 200, headers: {}, bytes: 1, durationMs: 1 },
          { kind: 'client-show', lane: 'client:b', client: 'a', t, version: 5, changedAt: t, staleMs: 0 },
        ],
      }),
    );
    const shown = await waitFor(async () => (await traceOf(url, 'short-polling')).filter((e) => e.kind === 'client-show'));
    expect(shown).toHaveLength(1);
    expect(shown[0]).toMatchObject({ client: 'a', version: 4, staleMs: 700, lane: 'client:a' });
    expect((await traceOf(url, 'short-polling')).some((e) => e.kind === 'http-response' && e.conn === 'x')).toBe(false);
    live.socket.close();
  });

  it('closes with 1003 on a message that is not JSON', async () => {
    const { url } = await startWorkbench();
    const live = await openLive(url, 'short-polling');
    const closed = new Promise<number>((resolve) => live.socket.once('close', resolve));
    live.socket.send('not json');
    expect(await closed).toBe(1003);
  });

  it('closes with 1008 for an unknown lesson', async () => {
    const { url } = await startWorkbench();
    const live = await openLive(url, 'no-such-lesson');
    expect(await new Promise<number>((resolve) => live.socket.once('close', resolve))).toBe(1008);
  });

  it('refuses a foreign Origin with 403 (cross-site WebSocket hijacking)', async () => {
    const { url } = await startWorkbench();
    const socket = new WebSocket(`${url.replace('http', 'ws')}/api/live?lesson=short-polling`, { headers: { origin: 'https://evil.example' } });
    const status = await new Promise<number>((resolve) => socket.once('unexpected-response', (_req, res) => resolve(res.statusCode!)));
    expect(status).toBe(403);
  });

  it('tells every page when the trace is cleared', async () => {
    const { url } = await startWorkbench();
    const live = await openLive(url, 'short-polling');
    const res = await fetch(`${url}/api/trace?lesson=short-polling`, { method: 'DELETE' });
    expect(res.status).toBe(204);
    await waitFor(() => live.messages.some((m) => m.type === 'cleared'));
    live.socket.close();
  });

  it('pushes the re-highlighted code and re-rendered prose when lesson files are saved', async () => {
    const { url, lessonsDir } = await startWorkbench({ copyLessons: true });
    const live = await openLive(url, 'short-polling');
    await waitFor(async () => (await traceOf(url, 'short-polling')).some((e) => e.kind === 'reload'));
    const folder = join(lessonsDir, '01-short-polling');
    const lessons = () => live.messages.filter((m): m is { type: 'lesson'; detail: LessonDetail } => m.type === 'lesson').map((m) => m.detail);

    const server = await readFile(join(folder, 'server.ts'), 'utf8');
    await writeFile(join(folder, 'server.ts'), server.replace('res.json({ version, value, changedAt });', 'res.json({ version, value, changedAt, edited: true });'));
    const withCode = await waitFor(() => lessons().find((d) => d.code[0]!.text.includes('edited: true')));
    expect(withCode.code[0]!.html).toContain('edited');

    const markdown = await readFile(join(folder, 'lesson.md'), 'utf8');
    await writeFile(join(folder, 'lesson.md'), markdown.replace('## Ask, answer, repeat', '## Ask, answer, and repeat'));
    const withProse = await waitFor(() => lessons().find((d) => d.steps.some((step) => step.title === 'Ask, answer, and repeat')));
    expect(withProse.steps.map((step) => step.title)).toContain('Ask, answer, and repeat');
    live.socket.close();
  });
});
