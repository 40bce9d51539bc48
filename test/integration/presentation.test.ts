import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { LessonDetail } from '../../lessons/lesson.ts';
import type { PresentationState } from '../../server/presentation.ts';
import { TOKEN_HEADER } from '../../server/presenter-guard.ts';
import { startWorkbench, traceOf, waitFor } from '../setup/workbench.ts';

const json = { 'content-type': 'application/json' };

async function send(url: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}${path}`, { method, headers: { ...(body === undefined ? {} : json), ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: (text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : text) as Record<string, unknown> & string };
}

/** Follows the presentation on the live socket as a page would, keeping every state it receives. */
function follow(url: string, member?: string) {
  const states: PresentationState[] = [];
  const socket = new WebSocket(`${url.replace('http', 'ws')}/api/live?presentation${member ? `&member=${member}` : ''}`);
  socket.on('message', (data) => states.push((JSON.parse(String(data)) as { state: PresentationState }).state));
  return { states, close: () => socket.close(), latest: () => states.at(-1) };
}

describe('the presentation API', () => {
  it('tells this machine it presents, pushes every change, and applies a step\'s scenario on arrival', async () => {
    const { url } = await startWorkbench();
    const read = await send(url, 'GET', '/api/presentation');
    expect(read.body).toMatchObject({ role: 'presenter', step: 1, paused: false, audience: 0, urls: { audience: expect.stringMatching(/\/audience$/), reachable: false } });
    expect(read.body.urls).toHaveProperty('presenter', expect.stringContaining('token='));

    const stream = follow(url);
    await waitFor(() => stream.states.length === 1, { what: 'the first state on the live socket' });
    await send(url, 'PUT', '/api/lessons/long-polling/scenario', { kind: 'manual' });
    // Step 2 of the long-poll lesson ("hold until it changes") makes the data change every 4 s.
    const moved = await send(url, 'PUT', '/api/presentation', { lesson: 'long-polling', step: 2 });
    expect(moved).toMatchObject({ status: 200, body: { lesson: 'long-polling', step: 2 } });
    const pushed = await waitFor(() => stream.states.find((s) => s.step === 2), { what: 'step 2 on the live socket' });
    expect(pushed).toMatchObject({ lesson: 'long-polling', revision: moved.body.revision });
    expect(((await send(url, 'GET', '/api/lessons/long-polling')).body as unknown as LessonDetail).scenario).toEqual({ kind: 'interval', everyMs: 4000 });

    // Another lesson starts at its first step, its server started for the class before any of it calls; the timer restarts on request.
    expect((await traceOf(url, 'websocket')).filter((e) => e.kind === 'reload')).toEqual([]);
    const other = await send(url, 'PUT', '/api/presentation', { lesson: 'websocket' });
    expect(other.body).toMatchObject({ lesson: 'websocket', step: 1 });
    await waitFor(async () => (await traceOf(url, 'websocket')).some((e) => e.kind === 'reload' && e.reason === 'start'), { what: 'the websocket lesson server started' });
    const restarted = await send(url, 'PUT', '/api/presentation', { restartTimer: true });
    const at = (answer: { body: unknown }) => answer.body as PresentationState;
    expect(at(restarted).startedAt).toBeGreaterThanOrEqual(at(other).at);
    stream.close();
  });

  it('serves the audience page and the presenter window as pages, to curl as to a browser', async () => {
    const { url } = await startWorkbench();
    for (const [path, tag] of [['/audience', '<audience-view>'], ['/presenter', '<workbench-app>']]) {
      const res = await fetch(`${url}${path}`);
      expect([path, res.status, res.headers.get('content-type')]).toEqual([path, 200, 'text/html; charset=utf-8']);
      expect(await res.text()).toContain(tag);
    }
  });

  it('refuses a bad change with 400 and says what it expects, changing nothing', async () => {
    const { url } = await startWorkbench();
    const before = (await send(url, 'GET', '/api/presentation')).body;
    for (const body of [{ lesson: 'nope' }, { step: 2 }, { lesson: 'short-polling', step: 99 }, { lesson: 'short-polling', step: 0 }, { paused: 'yes' }, { stage: 'slides' }, { colour: 'red' }, [], 'x']) {
      const answer = await send(url, 'PUT', '/api/presentation', body);
      expect([JSON.stringify(body), answer.status]).toEqual([JSON.stringify(body), 400]);
      expect(answer.body.error).toEqual(expect.any(String));
    }
    expect((await send(url, 'GET', '/api/presentation')).body.revision).toBe(before.revision);
    expect((await send(url, 'PUT', '/api/presentation', { stage: 'slides' })).body.error).toContain('"stage"?: "both"|"timeline"|"code"');
    expect((await send(url, 'PUT', '/api/presentation', { step: 1 }, { origin: 'https://evil.example' })).status).toBe(403);
  });

  it('counts audience members while their live socket is open', async () => {
    const { url } = await startWorkbench();
    const presenter = follow(url);
    const joined = await send(url, 'POST', '/api/presentation/join', {});
    expect(joined).toMatchObject({ status: 201, body: { id: expect.stringMatching(/^guest-\d+$/), label: expect.stringMatching(/^Guest \d+$/) } });
    const member = follow(url, joined.body.id as string);
    await waitFor(() => presenter.latest()?.audience === 1, { what: 'one in the audience' });
    member.close();
    await waitFor(() => presenter.latest()?.audience === 0, { what: 'the audience empty again' });
    expect(await closeCodeOf(new WebSocket(`${url.replace('http', 'ws')}/api/live?presentation&member=guest-999`))).toBe(1008);
    presenter.close();
  });

  it('draws the audience URL as a QR code, and keeps the presenter window\'s (it holds the token) for the presenter', async () => {
    const { url } = await startWorkbench({ presenterToken: 'secret-token', trustLoopback: false });
    const audience = await send(url, 'GET', '/api/presentation/qr.svg?for=audience');
    expect(audience.status).toBe(200);
    expect(audience.type).toMatch(/^image\/svg\+xml/);
    expect(audience.body).toMatch(/^<svg[^>]*viewBox/);
    expect((await send(url, 'GET', '/api/presentation/qr.svg?for=presenter')).status).toBe(403);
    expect((await send(url, 'GET', '/api/presentation/qr.svg?for=presenter', undefined, { [TOKEN_HEADER]: 'secret-token' })).status).toBe(200);
    expect((await send(url, 'GET', '/api/presentation/qr.svg?for=everyone')).status).toBe(400);
    // The audience is not shown the presenter window's URL.
    expect((await send(url, 'GET', '/api/presentation')).body).toMatchObject({ role: 'audience', urls: { audience: expect.any(String) } });
    expect((await send(url, 'GET', '/api/presentation')).body.urls).not.toHaveProperty('presenter');
  });
});

describe('the audience watches and joins in, the presenter steers', () => {
  it('refuses every change from the audience with 403 and lets it read, join and run its client; the token steers', async () => {
    const { url } = await startWorkbench({ presenterToken: 'secret-token', trustLoopback: false });
    const slug = 'long-polling';
    const changes: [string, string, unknown][] = [
      ['PUT', '/api/presentation', { step: 1, lesson: slug }],
      ['POST', `/api/lessons/${slug}/feed/next`, undefined],
      ['POST', `/api/lessons/${slug}/feed`, { value: { price: 1 } }],
      ['PUT', `/api/lessons/${slug}/scenario`, { kind: 'manual' }],
      ['PUT', `/api/lessons/${slug}/settings`, { latencyMs: 100 }],
      ['POST', `/api/lessons/${slug}/race`, { client: 'naive' }],
      ['POST', `/api/lessons/${slug}/drop`, { client: 'naive' }],
      ['POST', `/api/lessons/${slug}/check`, {}],
      ['DELETE', `/api/trace?lesson=${slug}`, undefined],
      ['PUT', `/api/lessons/${slug}/code/server.ts`, { code: 'export default 1' }],
      ['DELETE', `/api/lessons/${slug}/code/client.ts`, undefined],
    ];
    for (const [method, path, body] of changes) {
      const answer = await send(url, method, path, body);
      expect([method, path, answer.status]).toEqual([method, path, 403]);
      expect(answer.body.error).toMatch(/presenter token/);
    }
    const version = (await send(url, 'GET', `/lessons/${slug}/api/data`)).body.version;
    expect(version).toBe(1); // no change got through

    // Reading is open: the lesson, its code, the trace, the lesson's own API; and joining.
    for (const path of [`/api/lessons/${slug}`, `/api/lessons/${slug}/code/server.ts`, `/api/trace?lesson=${slug}`, `/lessons/${slug}/api/data`, '/api/presentation']) {
      expect([path, (await send(url, 'GET', path)).status]).toEqual([path, 200]);
    }
    expect((await send(url, 'POST', '/api/presentation/join', {})).status).toBe(201);

    // The presenter, with the token.
    const token = { [TOKEN_HEADER]: 'secret-token' };
    expect((await send(url, 'PUT', '/api/presentation', { lesson: slug, step: 1 }, token)).status).toBe(200);
    expect((await send(url, 'POST', `/api/lessons/${slug}/feed/next`, undefined, token)).status).toBe(201);
    expect((await send(url, 'GET', '/api/presentation', undefined, token)).body.role).toBe('presenter');
  });

  it('records what an audience page reports about its own client, and nothing it reports as another', async () => {
    const { url } = await startWorkbench();
    const { id } = (await send(url, 'POST', '/api/presentation/join', {})).body as unknown as { id: string };
    expect(await closeCodeOf(new WebSocket(`${url.replace('http', 'ws')}/api/live?lesson=short-polling&member=guest-999`))).toBe(1008);

    const socket = new WebSocket(`${url.replace('http', 'ws')}/api/live?lesson=short-polling&member=${id}`);
    const messages: { type: string; events?: unknown[] }[] = [];
    socket.on('message', (data) => messages.push(JSON.parse(String(data))));
    await new Promise((resolve) => socket.once('open', resolve));
    const t = Date.now();
    const show = (client: string, version: number) => ({ kind: 'client-show', lane: `client:${client}`, client, t, version, changedAt: t, staleMs: 0 });
    socket.send(JSON.stringify({ type: 'client-events', events: [show('naive', 7), show(id, 8)] }));
    const shown = await waitFor(async () => {
      const events = (await traceOf(url, 'short-polling')).filter((e) => e.kind === 'client-show');
      return events.length > 0 && events;
    });
    expect(shown.map((e) => [e.client, e.kind === 'client-show' && e.version])).toEqual([[id, 8]]);
    // An audience page is sent no trace: a class of forty would each get all of it.
    await send(url, 'POST', '/api/lessons/short-polling/feed/next');
    await waitFor(async () => (await traceOf(url, 'short-polling')).some((e) => e.kind === 'feed-change'));
    socket.send(JSON.stringify({ type: 'ping', id: 1 }));
    await waitFor(() => messages.some((m) => m.type === 'pong'));
    expect(messages.filter((m) => m.type === 'trace')).toEqual([]);
    expect(messages[0]).toEqual({ type: 'hello', lesson: 'short-polling', events: [] });
    socket.close();
  });
});

function closeCodeOf(socket: WebSocket): Promise<number> {
  return new Promise((resolve) => socket.once('close', (code) => resolve(code)));
}
