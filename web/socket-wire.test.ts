import { describe, expect, it } from 'vitest';
import { TEXT_LIMIT, type TraceEvent, type TraceInput, type WsFrameEvent } from '../lessons/trace-event.ts';
import { buildSocketWire, closeCodeMeaning, expectedAccept, headerCase, listSockets, WEBSOCKET_GUID } from './socket-wire.ts';

const UPGRADE_REQUEST = {
  host: '127.0.0.1:5173',
  connection: 'Upgrade',
  upgrade: 'websocket',
  'sec-websocket-version': '13',
  'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
  'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits',
  origin: 'http://127.0.0.1:5173',
  'user-agent': 'Mozilla/5.0',
  'accept-language': 'en',
};
const UPGRADE_RESPONSE = { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-accept': 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=' };

type FrameOptions = Partial<Pick<WsFrameEvent, 'bytes' | 'length' | 'masked' | 'fragments' | 'text' | 'source'>>;

/** A little trace builder: stamps seq and lesson; every socket is on the server lane unless told. */
function trace() {
  const events: TraceEvent[] = [];
  let seq = 0;
  const add = (e: TraceInput) => {
    const event = { ...e, seq: ++seq, lesson: 'websocket' } as TraceEvent;
    events.push(event);
    return event;
  };
  const who = (client?: string) => (client === undefined ? {} : { client });
  return {
    events,
    /** The upgrade request of `conn` (at `/chat?client=<client>` unless told). */
    request(conn: string, t: number, { client, url = client === undefined ? '/chat' : `/chat?client=${client}`, headers = UPGRADE_REQUEST as Record<string, string> }: { client?: string; url?: string; headers?: Record<string, string> } = {}) {
      return add({ kind: 'http-request', lane: 'server', conn, ...who(client), t, method: 'GET', url, headers, bytes: 480 });
    },
    /** The 101 answer. */
    open(conn: string, t: number, { client, url = client === undefined ? '/chat' : `/chat?client=${client}`, headers = UPGRADE_RESPONSE as Record<string, string> }: { client?: string; url?: string; headers?: Record<string, string> } = {}) {
      return add({ kind: 'ws-open', lane: 'server', conn, ...who(client), t, url, headers, bytes: 129 });
    },
    refuse(conn: string, t: number, status = 403, body = 'Forbidden origin') {
      return add({ kind: 'http-response', lane: 'server', conn, t, status, headers: { connection: 'close', 'content-type': 'text/plain' }, bytes: 90, durationMs: 3, body });
    },
    frame(conn: string, t: number, direction: 'in' | 'out', opcode: WsFrameEvent['opcode'], options: FrameOptions = {}) {
      const length = options.length ?? new TextEncoder().encode(options.text ?? '').length;
      const masked = options.masked ?? direction === 'in';
      const bytes = options.bytes ?? length + 2 + (masked ? 4 : 0);
      const { text, source, fragments = 1 } = options;
      return add({ kind: 'ws-frame', lane: 'server', conn, t, direction, opcode, bytes, length, masked, fragments, ...(text === undefined ? {} : { text }), ...(source ? { source } : {}) });
    },
    close(conn: string, t: number, code: number, reason: string, by?: 'server' | 'client') {
      return add({ kind: 'ws-close', lane: 'server', conn, t, code, reason, ...(by ? { by } : {}), durationMs: t - 1000 });
    },
    browser(client: string, t: number, state: 'connecting' | 'open' | 'closed', { url = `/chat?client=${client}`, code, reason, wasClean }: { url?: string; code?: number; reason?: string; wasClean?: boolean } = {}) {
      return add({ kind: 'client-socket', lane: `client:${client}`, client, t, url, state, ...(code === undefined ? {} : { code, reason, wasClean }) });
    },
    abort(conn: string, t: number) {
      return add({ kind: 'http-abort', lane: 'server', conn, t, durationMs: 5 });
    },
  };
}

function wireOf(events: readonly TraceEvent[], conn: string) {
  const wire = buildSocketWire(events, conn);
  if (!wire) throw new Error(`no wire for ${conn}`);
  return wire;
}

describe('buildSocketWire', () => {
  describe('handshake', () => {
    it('reads the request line, the handshake headers in order, the 101 and its accept', () => {
      const t = trace();
      t.request('w1', 1000, { client: 'a' });
      t.open('w1', 1002, { client: 'a' });
      const wire = wireOf(t.events, 'w1');
      expect(wire).toMatchObject({ conn: 'w1', client: 'a', url: '/chat?client=a', path: '/chat', status: 'open' });
      expect(wire.request).toEqual({
        seq: 1,
        t: 1000,
        method: 'GET',
        url: '/chat?client=a',
        handshake: [
          { name: 'Host', value: '127.0.0.1:5173' },
          { name: 'Upgrade', value: 'websocket' },
          { name: 'Connection', value: 'Upgrade' },
          { name: 'Sec-WebSocket-Key', value: 'dGhlIHNhbXBsZSBub25jZQ==' },
          { name: 'Sec-WebSocket-Version', value: '13' },
          { name: 'Origin', value: 'http://127.0.0.1:5173' },
          { name: 'Sec-WebSocket-Extensions', value: 'permessage-deflate; client_max_window_bits' },
        ],
        otherHeaders: ['User-Agent', 'Accept-Language'],
        key: 'dGhlIHNhbXBsZSBub25jZQ==',
        bytes: 480,
      });
      expect(wire.upgrade).toEqual({
        seq: 2,
        t: 1002,
        handshake: [
          { name: 'Upgrade', value: 'websocket' },
          { name: 'Connection', value: 'Upgrade' },
          { name: 'Sec-WebSocket-Accept', value: 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=' },
        ],
        otherHeaders: [],
        accept: 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=',
        bytes: 129,
      });
      expect(wire.refusal).toBeUndefined();
      expect(wire.close).toBeUndefined();
    });

    it('lists a required header the request lacks without a value, and leaves out missing optional ones', () => {
      const t = trace();
      t.request('w1', 1000, { headers: { host: 'h', upgrade: 'WebSocket', connection: 'keep-alive, Upgrade' } });
      const wire = wireOf(t.events, 'w1');
      expect(wire.request?.handshake).toEqual([
        { name: 'Host', value: 'h' },
        { name: 'Upgrade', value: 'WebSocket' },
        { name: 'Connection', value: 'keep-alive, Upgrade' },
        { name: 'Sec-WebSocket-Key' },
        { name: 'Sec-WebSocket-Version' },
      ]);
      expect(wire.request?.key).toBeUndefined();
      expect(wire.status).toBe('connecting');
    });

    it('shows a refused upgrade with its status, reason phrase, headers and body, and no frames', () => {
      const t = trace();
      t.request('w1', 1000, { client: 'a' });
      t.refuse('w1', 1003, 403, 'Forbidden origin');
      t.browser('a', 1004, 'closed', { code: 1006, reason: '', wasClean: false });
      const wire = wireOf(t.events, 'w1');
      expect(wire.status).toBe('refused');
      expect(wire.upgrade).toBeUndefined();
      expect(wire.refusal).toEqual({
        seq: 2,
        t: 1003,
        status: 403,
        statusText: 'Forbidden',
        headers: [
          { name: 'Connection', value: 'close' },
          { name: 'Content-Type', value: 'text/plain' },
        ],
        body: 'Forbidden origin',
        bytes: 90,
        durationMs: 3,
      });
      expect(wire.frames).toEqual([]);
      expect(wire.browserClose).toEqual({ seq: 3, t: 1004, code: 1006, reason: '', wasClean: false });
    });

    it('reports an upgrade the client gave up on before any answer as aborted', () => {
      const t = trace();
      t.request('w1', 1000);
      t.abort('w1', 1005);
      const wire = wireOf(t.events, 'w1');
      expect(wire.status).toBe('aborted');
      expect(wire.abort).toEqual({ seq: 2, t: 1005, durationMs: 5 });
    });
  });

  describe('frames', () => {
    it('keeps every frame in order with direction, opcode, sizes, overhead and mask', () => {
      const t = trace();
      t.request('w1', 1000);
      t.open('w1', 1001);
      t.frame('w1', 1100, 'in', 'text', { text: '{"text":"hi"}' });
      t.frame('w1', 1200, 'out', 'text', { text: '{"text":"hi","from":"a"}', source: { file: 'server.ts', line: 12 } });
      t.frame('w1', 1300, 'out', 'ping', { length: 0 });
      t.frame('w1', 1301, 'in', 'pong', { length: 0 });
      t.frame('w1', 1400, 'in', 'binary', { length: 300, bytes: 308 });
      const wire = wireOf(t.events, 'w1');
      expect(wire.frames.map(({ seq, direction, opcode, control, bytes, length, overhead, masked, fragments }) => ({ seq, direction, opcode, control, bytes, length, overhead, masked, fragments }))).toEqual([
        { seq: 3, direction: 'in', opcode: 'text', control: false, bytes: 19, length: 13, overhead: 6, masked: true, fragments: 1 },
        { seq: 4, direction: 'out', opcode: 'text', control: false, bytes: 26, length: 24, overhead: 2, masked: false, fragments: 1 },
        { seq: 5, direction: 'out', opcode: 'ping', control: true, bytes: 2, length: 0, overhead: 2, masked: false, fragments: 1 },
        { seq: 6, direction: 'in', opcode: 'pong', control: true, bytes: 6, length: 0, overhead: 6, masked: true, fragments: 1 },
        { seq: 7, direction: 'in', opcode: 'binary', control: false, bytes: 308, length: 300, overhead: 8, masked: true, fragments: 1 },
      ]);
      expect(wire.frames[0]!.text).toBe('{"text":"hi"}');
      expect(wire.frames[2]!.text).toBeUndefined();
      expect(wire.totals).toEqual({ in: { frames: 3, bytes: 333, payload: 313 }, out: { frames: 2, bytes: 28, payload: 24 } });
    });

    it('counts a fragmented message once, with the headers of all its frames as overhead', () => {
      const t = trace();
      t.request('w1', 1000);
      t.open('w1', 1001);
      t.frame('w1', 1100, 'out', 'text', { text: 'a'.repeat(30), fragments: 3, bytes: 36 });
      const [frame] = wireOf(t.events, 'w1').frames;
      expect(frame).toMatchObject({ opcode: 'text', fragments: 3, length: 30, bytes: 36, overhead: 6, truncated: false });
    });

    it('splits a close frame into its code and reason, and reads an empty one as 1005', () => {
      const t = trace();
      t.request('w1', 1000);
      t.open('w1', 1001);
      t.frame('w1', 1100, 'in', 'close', { text: '1000 bye now', length: 9 });
      t.frame('w1', 1101, 'out', 'close', { text: '1005', length: 0 });
      const wire = wireOf(t.events, 'w1');
      expect(wire.frames.map(({ opcode, code, text, control }) => ({ opcode, code, text, control }))).toEqual([
        { opcode: 'close', code: 1000, text: 'bye now', control: true },
        { opcode: 'close', code: 1005, text: '', control: true },
      ]);
    });

    it('flags a text frame the trace kept only the start of', () => {
      const t = trace();
      t.request('w1', 1000);
      t.open('w1', 1001);
      t.frame('w1', 1100, 'out', 'text', { text: 'x'.repeat(TEXT_LIMIT), length: 70_000, bytes: 70_010 });
      t.frame('w1', 1200, 'out', 'text', { text: 'y'.repeat(TEXT_LIMIT) });
      expect(wireOf(t.events, 'w1').frames.map((f) => f.truncated)).toEqual([true, false]);
    });

    it('keeps frames of other conns out', () => {
      const t = trace();
      t.request('w1', 1000);
      t.open('w1', 1001);
      t.request('w2', 1002);
      t.open('w2', 1003);
      t.frame('w2', 1100, 'in', 'text', { text: 'other' });
      t.frame('w1', 1101, 'in', 'text', { text: 'mine' });
      expect(wireOf(t.events, 'w1').frames.map((f) => f.text)).toEqual(['mine']);
    });
  });

  describe('close', () => {
    it('reads the close code, reason, who closed and for how long it was open', () => {
      const t = trace();
      t.request('w1', 1000);
      t.open('w1', 1001);
      t.frame('w1', 1500, 'out', 'close', { text: '1008 Forbidden message' });
      t.frame('w1', 1501, 'in', 'close', { text: '1008 Forbidden message' });
      t.close('w1', 1502, 1008, 'Forbidden message', 'server');
      const wire = wireOf(t.events, 'w1');
      expect(wire.status).toBe('closed');
      expect(wire.close).toEqual({ seq: 5, t: 1502, code: 1008, reason: 'Forbidden message', by: 'server', durationMs: 502 });
    });

    it('has no closer for a connection that ended without a close frame (1006)', () => {
      const t = trace();
      t.request('w1', 1000);
      t.open('w1', 1001);
      t.close('w1', 2000, 1006, 'ended without a close frame');
      const { close } = wireOf(t.events, 'w1');
      expect(close).toEqual({ seq: 3, t: 2000, code: 1006, reason: 'ended without a close frame', durationMs: 1000 });
    });

    it('leaves the close out of a socket still open', () => {
      const t = trace();
      t.request('w1', 1000, { client: 'a' });
      t.open('w1', 1001, { client: 'a' });
      t.browser('a', 1002, 'open');
      t.frame('w1', 1100, 'in', 'text', { text: 'hi' });
      const wire = wireOf(t.events, 'w1');
      expect(wire.status).toBe('open');
      expect(wire.close).toBeUndefined();
      expect(wire.browserClose).toBeUndefined();
    });

    it("takes the browser's close report of the same client and path, not of the next socket", () => {
      const t = trace();
      t.request('w1', 1000, { client: 'a' });
      t.open('w1', 1001, { client: 'a' });
      t.browser('b', 1900, 'closed', { url: '/chat?client=b', code: 1000, reason: 'not mine', wasClean: true });
      t.browser('a', 1901, 'closed', { url: '/other?client=a', code: 1000, reason: 'not mine', wasClean: true });
      t.close('w1', 2000, 1001, 'going away', 'client');
      t.browser('a', 2001, 'closed', { code: 1001, reason: 'going away', wasClean: true });
      t.request('w2', 3000, { client: 'a' });
      t.open('w2', 3001, { client: 'a' });
      t.browser('a', 4000, 'closed', { code: 1006, reason: '', wasClean: false });
      expect(wireOf(t.events, 'w1').browserClose).toEqual({ seq: 6, t: 2001, code: 1001, reason: 'going away', wasClean: true });
      expect(wireOf(t.events, 'w2').browserClose).toEqual({ seq: 9, t: 4000, code: 1006, reason: '', wasClean: false });
    });
  });

  it('answers undefined for an unknown conn and for a plain HTTP request', () => {
    const t = trace();
    t.request('h1', 1000, { headers: { host: 'h', accept: 'application/json' } });
    expect(buildSocketWire(t.events, 'nope')).toBeUndefined();
    expect(buildSocketWire(t.events, 'h1')).toBeUndefined();
  });

  it('builds a socket whose upgrade request the trace no longer holds from its open', () => {
    const t = trace();
    t.open('w1', 1001, { client: 'a' });
    t.frame('w1', 1100, 'out', 'text', { text: 'hi' });
    const wire = wireOf(t.events, 'w1');
    expect(wire).toMatchObject({ conn: 'w1', client: 'a', url: '/chat?client=a', status: 'open' });
    expect(wire.request).toBeUndefined();
    expect(wire.frames).toHaveLength(1);
  });
});

describe('listSockets', () => {
  it('lists WebSocket conns in request order with URL, client, frames, end and status', () => {
    const t = trace();
    t.request('w1', 1000, { client: 'a' });
    t.open('w1', 1001, { client: 'a' });
    t.request('h1', 1050, { headers: { host: 'h' } });
    t.frame('w1', 1100, 'in', 'text', { text: 'hi' });
    t.frame('w1', 1101, 'out', 'ping');
    t.request('w2', 1200, { client: 'b', url: '/chat?client=b' });
    t.refuse('w2', 1201);
    t.request('w3', 1300);
    t.close('w1', 1400, 1000, '', 'client');
    t.request('w4', 1500);
    t.abort('w4', 1505);
    expect(listSockets(t.events)).toEqual([
      { conn: 'w1', client: 'a', url: '/chat?client=a', path: '/chat', openedAt: 1000, closedAt: 1400, frames: 2, status: 'closed' },
      { conn: 'w2', client: 'b', url: '/chat?client=b', path: '/chat', openedAt: 1200, closedAt: 1201, frames: 0, status: 'refused' },
      { conn: 'w3', url: '/chat', path: '/chat', openedAt: 1300, frames: 0, status: 'connecting' },
      { conn: 'w4', url: '/chat', path: '/chat', openedAt: 1500, closedAt: 1505, frames: 0, status: 'aborted' },
    ]);
  });

  it('lists nothing for a trace without WebSocket upgrades', () => {
    const t = trace();
    t.request('h1', 1000, { headers: { host: 'h', upgrade: 'h2c' } });
    expect(listSockets(t.events)).toEqual([]);
  });
});

describe('expectedAccept', () => {
  it('computes the RFC 6455 §1.3 example', async () => {
    expect(WEBSOCKET_GUID).toBe('258EAFA5-E914-47DA-95CA-C5AB0DC85B11');
    await expect(expectedAccept('dGhlIHNhbXBsZSBub25jZQ==')).resolves.toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('gives another answer for another key', async () => {
    await expect(expectedAccept('x3JJHMbDL1EzLkh9GBhXDw==')).resolves.toBe('HSmrc0sMlYUkAGmm5OPpG2HaGWk=');
  });
});

describe('closeCodeMeaning', () => {
  it('names the codes of RFC 6455 and the registered and application ranges', () => {
    expect([1000, 1001, 1003, 1005, 1006, 1008, 1009, 1011, 1012, 1013].map(closeCodeMeaning)).toEqual([
      'normal closure',
      'going away',
      'unsupported data',
      'no status code',
      'abnormal closure (no close frame)',
      'policy violation',
      'message too big',
      'internal error',
      'service restart',
      'try again later',
    ]);
    expect([3000, 3999, 4000, 4999, 1004, 999, 5000].map(closeCodeMeaning)).toEqual([
      'registered (libraries, frameworks)',
      'registered (libraries, frameworks)',
      'application-defined',
      'application-defined',
      'reserved by the protocol',
      'not a valid close code',
      'not a valid close code',
    ]);
  });
});

describe('headerCase', () => {
  it('capitalises each part and spells WebSocket as the RFC does', () => {
    expect(['sec-websocket-accept', 'content-type', 'HOST'].map(headerCase)).toEqual(['Sec-WebSocket-Accept', 'Content-Type', 'Host']);
  });
});
