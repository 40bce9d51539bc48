import { EventEmitter, once } from 'node:events';
import { createServer, request, type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response } from 'express';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createBufferingProxy, type BufferingProxyOptions } from './buffering-proxy.ts';

const API = '/lessons/demo/api';
const EVENT_BYTES = 60;

/** SSE event number `n`, padded to exactly 60 bytes. */
function sseEvent(n: number): string {
  const head = `id: ${n}\nevent: tick\ndata: `;
  return `${head}${'x'.repeat(EVENT_BYTES - head.length - 2)}\n\n`;
}

async function listen(handler: RequestListener) {
  const server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const close = async () => {
    server.closeAllConnections();
    if (server.listening) await new Promise((resolve) => server.close(resolve));
  };
  onTestFinished(close);
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close };
}

/**
 * The server behind the proxy. It records what each stream wrote (keyed by path+query) and emits
 * `close` with `(key, finished)` when a response closes.
 */
async function startUpstream() {
  const app = express();
  const events = new EventEmitter();
  const writes = new Map<string, { at: number; text: string }[]>();
  const drivers = new Map<string, { write(text: string): void; end(): void }>();

  const track = (req: Request, res: Response) => {
    const key = req.originalUrl;
    const log: { at: number; text: string }[] = [];
    writes.set(key, log);
    res.on('close', () => events.emit('close', key, res.writableFinished));
    return (text: string) => {
      log.push({ at: performance.now(), text });
      res.write(text);
      events.emit('write', key);
    };
  };
  const openStream = (req: Request, res: Response, headers: OutgoingHttpHeaders = {}) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...headers });
    res.flushHeaders();
    return track(req, res);
  };
  /** `n` events (default 10), one every `every` ms (default 20), then the end. */
  const streamEvents = (req: Request, res: Response, headers?: OutgoingHttpHeaders) => {
    const write = openStream(req, res, headers);
    const n = Number(req.query.n ?? 10);
    let sent = 0;
    const timer = setInterval(() => {
      write(sseEvent(++sent));
      if (sent < n) return;
      clearInterval(timer);
      res.end();
    }, Number(req.query.every ?? 20));
    res.on('close', () => clearInterval(timer));
  };
  const streamPings = (req: Request, res: Response, headers?: OutgoingHttpHeaders) => {
    const write = openStream(req, res, headers);
    const timer = setInterval(() => write(': ping\n\n'), 100);
    res.on('close', () => clearInterval(timer));
  };

  app.get(`${API}/events`, (req, res) => streamEvents(req, res));
  app.get(`${API}/events-unbuffered`, (req, res) => streamEvents(req, res, { 'X-Accel-Buffering': 'no' }));
  app.get(`${API}/events-driven`, (req, res) => {
    // Writes only when the test says so: no clock decides what arrives first.
    drivers.set(req.originalUrl, { write: openStream(req, res, { 'X-Accel-Buffering': 'no' }), end: () => res.end() });
    events.emit('driven', req.originalUrl);
  });
  app.get(`${API}/silent`, (req, res) => void openStream(req, res));
  app.get(`${API}/hang`, (req, res) => void track(req, res)); // not even a header
  app.get(`${API}/ping`, (req, res) => streamPings(req, res));
  app.get(`${API}/ping-unbuffered`, (req, res) => streamPings(req, res, { 'X-Accel-Buffering': 'No' }));
  app.get(`${API}/state`, (_req, res) => void res.status(201).set('x-lesson', 'demo').json({ version: 3 }));
  app.all(`${API}/echo`, async (req, res) => {
    const body: Buffer[] = [];
    for await (const chunk of req) body.push(chunk as Buffer);
    res.json({ method: req.method, url: req.originalUrl, body: Buffer.concat(body).toString(), headers: req.headers });
  });

  const { origin } = await listen(app);
  /** Resolves with `finished` once the upstream response for `key` closes. */
  const closed = (key: string) =>
    new Promise<boolean>((resolve) => {
      const onClose = (closedKey: string, finished: boolean) => {
        if (closedKey !== key) return;
        events.off('close', onClose);
        resolve(finished);
      };
      events.on('close', onClose);
    });
  /** Resolves once the upstream has written `count` times to `key`. */
  const wrote = (key: string, count: number) =>
    new Promise<void>((resolve) => {
      const onWrite = () => {
        if ((writes.get(key)?.length ?? 0) < count) return;
        events.off('write', onWrite);
        resolve();
      };
      events.on('write', onWrite);
      onWrite();
    });
  /** The writer of the driven stream at `key`, once its request has arrived. */
  const driver = async (key: string) => {
    while (!drivers.has(key)) await once(events, 'driven');
    return drivers.get(key)!;
  };
  return { origin, writes, closed, wrote, driver };
}

type IdleInfo = Parameters<NonNullable<BufferingProxyOptions['onIdleTimeout']>>[0];

/** An upstream, and the proxy in front of it at `/nginx`; `url(path)` addresses a lesson API path through the proxy. */
async function setUp(options: Partial<BufferingProxyOptions> = {}) {
  const upstream = await startUpstream();
  const idleTimeouts: IdleInfo[] = [];
  const proxy = createBufferingProxy({ target: () => upstream.origin, onIdleTimeout: (info) => idleTimeouts.push(info), ...options });
  onTestFinished(() => proxy.close());
  const app = express();
  app.use('/nginx', proxy.middleware);
  const { origin } = await listen(app);
  return { upstream, proxy, idleTimeouts, origin, url: (path: string) => `${origin}/nginx${API}${path}` };
}

interface Chunk {
  at: number;
  text: string;
}

/** What the client received: the head at once, then chunks with their arrival times. */
interface Reception {
  res: IncomingMessage;
  at: number;
  chunks: Chunk[];
  text(): string;
  /** `'end'` when the body completed, `'cut'` when the connection broke first. */
  outcome: Promise<'end' | 'cut'>;
  /** Resolves once `test()` holds, checking after each chunk; rejects if the response closes first. */
  until(test: () => boolean): Promise<void>;
}

/** Sends a request with `node:http` and starts recording the answer's chunks as they arrive. */
function send(url: string, init: { method?: string; headers?: OutgoingHttpHeaders; body?: string } = {}): { req: ClientRequest; response: Promise<Reception> } {
  const req = request(url, { method: init.method ?? 'GET', headers: init.headers });
  const response = new Promise<Reception>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (res) => {
      const at = performance.now();
      const chunks: Chunk[] = [];
      const progress = new EventEmitter();
      let closed = false;
      res.on('data', (data: Buffer) => {
        chunks.push({ at: performance.now(), text: data.toString() });
        progress.emit('chunk');
      });
      res.on('error', () => {}); // a cut stream; 'close' reports it
      const outcome = new Promise<'end' | 'cut'>((done) =>
        res.on('close', () => {
          closed = true;
          progress.emit('close');
          done(res.complete ? 'end' : 'cut');
        }),
      );
      const until = (test: () => boolean) =>
        new Promise<void>((pass, fail) => {
          const check = () => {
            if (test()) finish(pass);
            else if (closed) finish(() => fail(new Error('The response closed before the condition held')));
          };
          const finish = (settle: () => void) => {
            progress.off('chunk', check).off('close', check);
            settle();
          };
          progress.on('chunk', check).on('close', check);
          check();
        });
      resolve({ res, at, chunks, text: () => chunks.map((c) => c.text).join(''), outcome, until });
    });
  });
  req.end(init.body);
  return { req, response };
}

describe('createBufferingProxy', () => {
  describe('with buffering on (the default)', () => {
    it('sends the head at once and the body in bursts of at least 4096 bytes, intact and in order', async () => {
      const { upstream, url } = await setUp();
      const path = `${API}/events?n=150&every=4`;
      const received = await send(url('/events?n=150&every=4')).response;
      expect(received.res.statusCode).toBe(200);
      expect(received.res.headers['content-type']).toBe('text/event-stream');

      expect(await received.outcome).toBe('end');
      const writes = upstream.writes.get(path)!;
      expect(writes).toHaveLength(150);
      // The head came long before the 69th event made the first full buffer.
      expect(received.at).toBeLessThan(writes[Math.ceil(4096 / EVENT_BYTES) - 1].at);
      const [first] = received.chunks;
      expect(first.text.length).toBeGreaterThanOrEqual(4096);
      expect(writes.filter((w) => w.at < first.at).length * EVENT_BYTES).toBeGreaterThanOrEqual(4096);
      expect(received.chunks.slice(0, -1).every((c) => c.text.length >= 4096)).toBe(true);
      expect(received.chunks.length).toBeLessThanOrEqual(3); // 9000 bytes: two full buffers and the rest
      expect(received.text()).toBe(writes.map((w) => w.text).join(''));
    });
  });

  describe('with X-Accel-Buffering: no', () => {
    it('passes each event on as its own chunk as soon as it is written, and hides the header', async () => {
      const { upstream, url } = await setUp();
      const received = await send(url('/events-driven')).response;
      expect(received.res.headers['content-type']).toBe('text/event-stream');
      expect(received.res.headers['cache-control']).toBe('no-cache');
      expect(received.res.headers).not.toHaveProperty('x-accel-buffering');

      const stream = await upstream.driver(`${API}/events-driven`);
      for (const n of [1, 2, 3]) {
        stream.write(sseEvent(n));
        await received.until(() => received.chunks.length === n); // with buffering on, this would wait forever
      }
      stream.end();
      expect(await received.outcome).toBe('end');
      expect(received.chunks.map((c) => c.text)).toEqual([1, 2, 3].map(sseEvent));
    });
  });

  describe('idle timeout', () => {
    it('keeps heartbeat streams open past three idle timeouts, even while the pings sit in the buffer', async () => {
      const { upstream, idleTimeouts, url } = await setUp({ idleTimeoutMs: () => 300 });
      const unbuffered = send(url('/ping-unbuffered'));
      const buffered = send(url('/ping'));
      const [passed, held] = await Promise.all([unbuffered.response, buffered.response]);
      await Promise.all([passed.until(() => passed.text().split(': ping\n\n').length > 10), upstream.wrote(`${API}/ping`, 10)]);
      expect(performance.now() - passed.at).toBeGreaterThan(3 * 300);
      expect(performance.now() - held.at).toBeGreaterThan(3 * 300);
      expect(held.chunks).toEqual([]); // 80 bytes of pings: not a full buffer yet, but upstream activity all the same
      expect([passed.res.complete, held.res.complete]).toEqual([false, false]);
      expect(idleTimeouts).toEqual([]);
      unbuffered.req.destroy();
      buffered.req.destroy();
    });

    it('cuts a silent stream after idleTimeoutMs, tells onIdleTimeout and closes the upstream request', async () => {
      const { upstream, idleTimeouts, url } = await setUp({ idleTimeoutMs: () => 300 });
      const upstreamClosed = upstream.closed(`${API}/silent?client=c1`);
      const start = performance.now();
      const received = await send(url('/silent?client=c1')).response;
      expect(received.res.statusCode).toBe(200);

      expect(await received.outcome).toBe('cut');
      expect(performance.now() - start).toBeGreaterThanOrEqual(290);
      expect(performance.now() - start).toBeLessThan(1_000);
      expect(idleTimeouts).toEqual([{ url: `${API}/silent?client=c1`, idleMs: 300, client: 'c1' }]);
      expect(await upstreamClosed).toBe(false);
    });

    it('answers 504 when the upstream sends not even a head in time', async () => {
      const { upstream, idleTimeouts, url } = await setUp({ idleTimeoutMs: () => 150 });
      const upstreamClosed = upstream.closed(`${API}/hang`);
      const received = await send(url('/hang')).response;
      expect(await received.outcome).toBe('end');
      expect(received.res.statusCode).toBe(504);
      expect(received.res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(JSON.parse(received.text())).toEqual({ error: 'The upstream sent nothing for 150 ms (proxy_read_timeout)' });
      expect(idleTimeouts).toEqual([{ url: `${API}/hang`, idleMs: 150, client: undefined }]);
      expect(await upstreamClosed).toBe(false);
    });
  });

  describe('forwarding', () => {
    it('passes the status, headers and body of a JSON answer through', async () => {
      const { url } = await setUp();
      const received = await send(url('/state')).response;
      expect(await received.outcome).toBe('end');
      expect(received.res.statusCode).toBe(201);
      expect(received.res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(received.res.headers['x-lesson']).toBe('demo');
      expect(JSON.parse(received.text())).toEqual({ version: 3 });
    });

    it('forwards method, path, query, body and headers, adds X-Forwarded-*, and drops hop-by-hop headers', async () => {
      const { origin, url } = await setUp();
      const received = await send(url('/echo?x=1'), {
        method: 'POST',
        headers: {
          'content-type': 'text/plain',
          accept: 'text/event-stream',
          'last-event-id': '7',
          'x-workbench-client': 'c1',
          connection: 'keep-alive, x-drop-me',
          'x-drop-me': '1',
        },
        body: 'hello',
      }).response;
      expect(await received.outcome).toBe('end');
      const echo = JSON.parse(received.text()) as { method: string; url: string; body: string; headers: Record<string, string> };
      expect(echo).toMatchObject({ method: 'POST', url: `${API}/echo?x=1`, body: 'hello' });
      expect(echo.headers).toMatchObject({
        accept: 'text/event-stream',
        'last-event-id': '7',
        'x-workbench-client': 'c1',
        host: new URL(origin).host,
        'x-forwarded-host': new URL(origin).host,
        'x-forwarded-proto': 'http',
      });
      expect(echo.headers['x-forwarded-for']).toMatch(/127\.0\.0\.1$/);
      expect(echo.headers).not.toHaveProperty('x-drop-me');
    });

    it('answers 502 with a JSON error when the upstream cannot be reached', async () => {
      // Listening and closing again leaves a port nobody answers on.
      const gone = await listen(() => {});
      await gone.close();
      const { url } = await setUp({ target: () => gone.origin });
      const received = await send(url('/state')).response;
      expect(await received.outcome).toBe('end');
      expect(received.res.statusCode).toBe(502);
      expect(received.res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(JSON.parse(received.text())).toEqual({ error: expect.stringMatching(/^The upstream did not answer \(.*ECONNREFUSED/) });
    });
  });

  describe('ending', () => {
    it('closes the upstream request when the client goes away mid-stream', async () => {
      const { upstream, url } = await setUp();
      const upstreamClosed = upstream.closed(`${API}/events-unbuffered?n=1000`);
      const { req, response } = send(url('/events-unbuffered?n=1000'));
      const received = await response;
      await received.until(() => received.chunks.length > 0);
      req.destroy();
      expect(await upstreamClosed).toBe(false);
    });

    it('close() ends every relayed response, is idempotent, and refuses later requests', async () => {
      const { upstream, proxy, url } = await setUp();
      const upstreamClosed = [upstream.closed(`${API}/events?n=1000`), upstream.closed(`${API}/silent`)];
      const streams = await Promise.all([send(url('/events?n=1000')).response, send(url('/silent')).response]);
      proxy.close();
      proxy.close();
      expect(await Promise.all(streams.map((s) => s.outcome))).toEqual(['cut', 'cut']);
      expect(await Promise.all(upstreamClosed)).toEqual([false, false]);

      const later = await send(url('/state')).response;
      expect(await later.outcome).toBe('end');
      expect(later.res.statusCode).toBe(503);
    });
  });
});

