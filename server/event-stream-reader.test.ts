import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createChunkedDecoder, readEventStream, type StreamEvent } from './event-stream-reader.ts';

describe('createChunkedDecoder', () => {
  it('gives the chunks’ contents whatever the reads cut, and says where the body ends', () => {
    const framed = Buffer.from('5;ext=1\r\nhello\r\n0C\r\n, wide world\r\n3\r\n\u00e9!\r\n0\r\n\r\nignored');
    for (const step of [framed.length, 1, 2, 7]) {
      const out: Buffer[] = [];
      let ended = 0;
      const decode = createChunkedDecoder((bytes) => out.push(Buffer.from(bytes)), () => ended++, (error) => { throw error; });
      for (let at = 0; at < framed.length; at += step) decode(framed.subarray(at, at + step));
      expect(Buffer.concat(out).toString('utf8')).toBe('hello, wide world\u00e9!');
      expect(ended).toBe(1);
    }
  });

  it('reports a malformed size line', () => {
    const errors: Error[] = [];
    createChunkedDecoder(() => {}, () => {}, (error) => errors.push(error))(Buffer.from('zz\r\nhello\r\n'));
    expect(errors.map((e) => e.message)).toEqual(['event stream: a malformed chunk size']);
  });
});

describe('readEventStream', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? (server.closeAllConnections(), server.close(() => resolve())) : resolve())));

  /** A server on port 0 whose handler gets each request; resolves to its URL. */
  async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<URL> {
    server = createServer(handler);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/events?client=a`);
  }

  for (const chunked of [true, false]) {
    it(`reads the events of a ${chunked ? 'chunked' : 'raw (Connection: close)'} stream, with the request's headers, until the server ends it`, async () => {
      const seen: { accept?: string; lastEventId?: string; url?: string } = {};
      const url = await serve((req, res) => {
        Object.assign(seen, { accept: req.headers.accept, lastEventId: req.headers["last-event-id"], url: req.url });
        res.useChunkedEncodingByDefault = chunked;
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        res.write(': open\n\nid: 8\ndata: {"a":');
        res.write('"caf\u00e9"}\n\n');
        res.end('data: last\n\n');
      });
      const events: StreamEvent[] = [];
      await readEventStream(url, { headers: { 'Last-Event-ID': '7' }, onEvent: (event) => events.push(event), signal: new AbortController().signal });
      expect(seen).toEqual({ accept: 'text/event-stream', lastEventId: '7', url: '/events?client=a' });
      expect(events).toEqual([
        { data: '{"a":"caf\u00e9"}', lastEventId: '8' },
        { data: 'last', lastEventId: '8' },
      ]);
    });
  }

  it('rejects a status other than 200, naming it', async () => {
    const url = await serve((_req, res) => void res.writeHead(503).end('busy'));
    await expect(readEventStream(url, { onEvent: () => {}, signal: new AbortController().signal })).rejects.toThrow('event stream answered 503');
  });

  it('closes the connection when its signal aborts, and resolves', async () => {
    let closed!: () => void;
    const serverSawClose = new Promise<void>((resolve) => (closed = resolve));
    const controller = new AbortController();
    const url = await serve((req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.write('data: hello\n\n');
      req.socket.on('close', closed);
    });
    const events: string[] = [];
    const reading = readEventStream(url, { onEvent: ({ data }) => (events.push(data), controller.abort()), signal: controller.signal });
    await expect(reading).resolves.toBeUndefined();
    await serverSawClose;
    expect(events).toEqual(['hello']);
  });
});
