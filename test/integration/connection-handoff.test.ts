import { Agent, get, request as httpRequest, type IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { MAX_HANDED_BODY_BYTES } from '../../server/connection-handoff.ts';
import { startWorkbench, traceOf, waitFor } from '../setup/workbench.ts';

/** A GET on `agent`'s connections: the status, headers, the local port of the connection it used, and the response to read on. */
function request(url: string, agent: Agent, headers: Record<string, string> = {}) {
  return new Promise<{ res: IncomingMessage; port: number }>((resolve, reject) => {
    get(url, { agent, headers }, (res) => resolve({ res, port: res.socket.localPort! })).on('error', reject);
  });
}

async function text(res: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of res) body += String(chunk);
  return body;
}

describe('lesson requests are answered by the lesson runner on the client connection itself', () => {
  it('answers a stream on the connection that served the page, and hands it back with the page’s next request', async () => {
    const { url } = await startWorkbench();
    // One connection, kept alive: as a browser reuses an idle connection to the same origin.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const page = await request(`${url}/api/lessons`, agent);
      expect(page.res.statusCode).toBe(200);
      await text(page.res);

      const stream = await request(`${url}/lessons/choosing/api/events?client=sse`, agent, { accept: 'text/event-stream' });
      expect(stream.port).toBe(page.port); // the same connection, now the runner's
      expect(stream.res.statusCode).toBe(200);
      expect(stream.res.headers['content-type']).toMatch(/^text\/event-stream/);
      let received = '';
      stream.res.on('data', (chunk) => (received += String(chunk)));
      const ended = new Promise((resolve) => stream.res.once('end', resolve));
      await waitFor(() => received.includes('data: {"version"'), { what: 'the first event' });

      // Ended from the server side, as the page's "drop the connection" does: the connection stays open.
      const drop = await fetch(`${url}/api/lessons/choosing/drop`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"client":"sse"}' });
      expect(await drop.json()).toEqual({ dropped: 1 });
      await ended;

      // The page's next request on it: not a lesson route, so the runner hands the connection back.
      const next = await request(`${url}/api/lessons`, agent);
      expect(next.port).toBe(page.port);
      expect(next.res.statusCode).toBe(200);
      expect((JSON.parse(await text(next.res)) as { slug: string }[]).map((lesson) => lesson.slug)).toContain('choosing');

      const trace = await traceOf(url, 'choosing');
      const kinds = trace.filter((event) => event.lane === 'server' && 'client' in event && event.client === 'sse').map((event) => event.kind);
      expect(kinds).toEqual(expect.arrayContaining(['http-request', 'stream-open', 'stream-chunk', 'stream-close']));
    } finally {
      agent.destroy();
    }
  });

  it('gives its idle connections back when a new version of the code takes over, and they carry on', async () => {
    const { url } = await startWorkbench();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await request(`${url}/lessons/short-polling/api/data`, agent);
      expect(first.res.statusCode).toBe(200);
      await text(first.res);

      const code = await (await fetch(`${url}/api/lessons/short-polling/code/server.ts`)).json() as { code: string };
      const edited = code.code.replace('res.json({ version, value, changedAt });', 'res.json({ version, value, changedAt, edited: true });');
      const put = await fetch(`${url}/api/lessons/short-polling/code/server.ts`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: edited }) });
      expect(put.status).toBe(200);

      // Still the same connection: back from the old runner, on to the new one.
      const second = await request(`${url}/lessons/short-polling/api/data`, agent);
      expect(second.port).toBe(first.port);
      expect(JSON.parse(await text(second.res))).toMatchObject({ edited: true });
      const page = await request(`${url}/api/lessons`, agent);
      expect(page.port).toBe(first.port);
      expect(page.res.statusCode).toBe(200);
      await text(page.res);
    } finally {
      agent.destroy();
    }
  });

  it('hands a WebSocket upgrade over with the bytes the client sent, and records its frames', async () => {
    const { url } = await startWorkbench();
    const { WebSocket } = await import('ws');
    const socket = new WebSocket(`${url.replace('http', 'ws')}/lessons/choosing/api/socket?client=handoff-ws`);
    const messages: string[] = [];
    socket.on('message', (data) => messages.push(String(data)));
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    await waitFor(() => messages.length > 0, { what: 'the first message' });
    expect(JSON.parse(messages[0]!)).toMatchObject({ version: expect.any(Number) });

    await fetch(`${url}/api/lessons/choosing/feed/next`, { method: 'POST' });
    await waitFor(() => messages.length > 1, { what: 'the change' });
    const closed = new Promise<number>((resolve) => socket.once('close', resolve));
    socket.close(1000, 'bye');
    expect(await closed).toBe(1000);

    const frames = await waitFor(async () => {
      const events = (await traceOf(url, 'choosing')).filter((event) => 'client' in event && event.client === 'handoff-ws');
      return events.some((event) => event.kind === 'ws-close') && events;
    }, { what: 'the close on the trace' });
    const sent = frames.filter((event) => event.kind === 'ws-frame' && event.direction === 'out' && event.opcode === 'text');
    expect(sent.map((event) => event.kind === 'ws-frame' && event.version)).toEqual(messages.map((m) => (JSON.parse(m) as { version: number }).version));
    expect(frames.find((event) => event.kind === 'ws-frame' && event.direction === 'out')).toMatchObject({ source: { file: 'server.ts', line: expect.any(Number) } });
    expect(frames.find((event) => event.kind === 'ws-close')).toMatchObject({ code: 1000, reason: 'bye', by: 'client' });
  });

  it('carries a request body across, chunked or not, and refuses one too big to carry with a 413', async () => {
    const { url } = await startWorkbench();
    // Each on a connection of its own (no agent): a kept-alive one would still be the runner's, and its lesson's own limit would answer.
    const post = (body: string | string[], headers: Record<string, string> = {}) =>
      new Promise<{ status: number; body: unknown }>((resolve, reject) => {
        const req = httpRequest(`${url}/lessons/websocket/api/chat/send?name=Ada`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', ...headers } }, async (res) => {
          resolve({ status: res.statusCode!, body: JSON.parse(await text(res)) });
        });
        req.on('error', reject);
        for (const part of [body].flat()) req.write(part); // several writes and no length: chunked
        req.end();
      });
    expect(await post(['{"type":"chat",', '"text":"in two chunks"}'])).toEqual({ status: 200, body: { ok: true } });
    const said = await waitFor(async () => (await traceOf(url, 'websocket')).find((event) => event.kind === 'http-request' && event.method === 'POST'));
    expect(said).toMatchObject({ url: '/lessons/websocket/api/chat/send?name=Ada', headers: { 'content-length': String('{"type":"chat","text":"in two chunks"}'.length) } });

    const big = await post('x'.repeat(MAX_HANDED_BODY_BYTES + 1), { 'content-length': String(MAX_HANDED_BODY_BYTES + 1) });
    expect(big).toEqual({ status: 413, body: { error: expect.stringContaining('over 1024 KiB') } });
  });

  it('gives its idle connections back before a runner that crashed goes, so that their next requests are answered', async () => {
    const { url } = await startWorkbench({ extraLessons: ['90-echo'] });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      // Answers, then throws from a timer: the runner goes, and the workbench starts another.
      const crash = await request(`${url}/lessons/echo/api/crash`, agent);
      expect(JSON.parse(await text(crash.res))).toEqual({ crashing: true });
      await waitFor(async () => (await traceOf(url, 'echo')).some((event) => event.kind === 'reload' && event.reason === 'restart'), { what: 'the restart' });

      const page = await request(`${url}/api/lessons`, agent);
      expect(page.port).toBe(crash.port); // not reset with the runner: back in the workbench
      expect(page.res.statusCode).toBe(200);
      await text(page.res);
      const lesson = await request(`${url}/lessons/echo/api/version`, agent);
      expect(lesson.port).toBe(crash.port);
      expect(lesson.res.statusCode).toBe(200);
      await text(lesson.res);
    } finally {
      agent.destroy();
    }
  });
});
