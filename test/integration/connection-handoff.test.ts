import { Agent, get, type IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
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

describe('event streams and WebSockets are answered by the lesson runner on the client connection itself', () => {
  it('ends a stream with its connection, so that the page’s next request on a kept-alive pool is the workbench’s again', async () => {
    const { url } = await startWorkbench();
    // One connection at a time, kept alive: as a browser reuses an idle connection to the same origin.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const page = await request(`${url}/api/lessons`, agent);
      expect(page.res.statusCode).toBe(200);
      await text(page.res);

      const stream = await request(`${url}/lessons/choosing/api/events?client=sse`, agent, { accept: 'text/event-stream' });
      expect(stream.port).toBe(page.port); // the connection that served the page's request, handed to the runner
      expect(stream.res.statusCode).toBe(200);
      expect(stream.res.headers['content-type']).toMatch(/^text\/event-stream/);
      expect(stream.res.headers['transfer-encoding']).toBe('chunked'); // a stream that could be kept alive after its end
      expect(stream.res.headers.connection).toBe('close');
      let received = '';
      stream.res.on('data', (chunk) => (received += String(chunk)));
      const ended = new Promise((resolve) => stream.res.once('close', resolve));
      await waitFor(() => received.includes('data: {"version"'), { what: 'the first event' });

      // Ended from the server side, as the page's "drop the connection" does.
      const drop = await fetch(`${url}/api/lessons/choosing/drop`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"client":"sse"}' });
      expect(await drop.json()).toEqual({ dropped: 1 });
      await ended;

      const next = await request(`${url}/api/lessons`, agent);
      expect(next.port).not.toBe(page.port);
      expect(next.res.statusCode).toBe(200);
      expect((JSON.parse(await text(next.res)) as { slug: string }[]).map((lesson) => lesson.slug)).toContain('choosing');

      const trace = await traceOf(url, 'choosing');
      const kinds = trace.filter((event) => event.lane === 'server' && 'client' in event && event.client === 'sse').map((event) => event.kind);
      expect(kinds).toEqual(expect.arrayContaining(['http-request', 'stream-open', 'stream-chunk', 'stream-close']));
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
});
