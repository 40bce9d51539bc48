import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TraceEvent, TraceInput } from '../lessons/trace-event.ts';
import { buildStreamWire, escapeWireText, listStreams, type WireLine } from './stream-wire.ts';

/** A little trace builder: stamps seq and lesson, and remembers the stream each helper talks about. */
function trace() {
  const events: TraceEvent[] = [];
  let seq = 0;
  const add = (e: TraceInput) => {
    const event = { ...e, seq: ++seq, lesson: 'server-sent-events' } as TraceEvent;
    events.push(event);
    return event;
  };
  return {
    events,
    /** http-request + stream-open of `conn` (at `/time?client=<client>` unless told). */
    open(conn: string, t: number, { client, url = client === undefined ? '/time' : `/time?client=${client}`, headers = {} }: { client?: string; url?: string; headers?: Record<string, string> } = {}) {
      const who = client === undefined ? {} : { client };
      add({ kind: 'http-request', lane: 'server', conn, ...who, t, method: 'GET', url, headers: { accept: 'text/event-stream', ...headers }, bytes: 120 });
      return add({
        kind: 'stream-open',
        lane: 'server',
        conn,
        ...who,
        t,
        status: 200,
        headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
      });
    },
    chunk(conn: string, t: number, text: string, client?: string) {
      return add({ kind: 'stream-chunk', lane: 'server', conn, ...(client === undefined ? {} : { client }), t, bytes: new TextEncoder().encode(text).length, text });
    },
    close(conn: string, t: number, by: 'server' | 'client' = 'server', reason?: string) {
      return add({ kind: 'stream-close', lane: 'server', conn, t, by, durationMs: t, ...(reason === undefined ? {} : { reason }) });
    },
    received(client: string, t: number, data: string, { type = 'message', lastEventId = '', url = `/time?client=${client}` } = {}) {
      return add({ kind: 'client-message', lane: `client:${client}`, client, t, url, type, lastEventId, data });
    },
  };
}

/** The wire of a stream that was written as these chunks, from t = 1000 on, 100 ms apart. */
function wireOf(...chunks: string[]) {
  const { events, open, chunk } = trace();
  open('s1', 1000);
  chunks.forEach((text, i) => chunk('s1', 1000 + 100 * i, text));
  const wire = buildStreamWire(events, 's1');
  if (!wire) throw new Error('no wire');
  return wire;
}

const eventsOf = (wire: ReturnType<typeof wireOf>) => wire.blocks.map((b) => b.events.map(({ type, data, lastEventId }) => ({ type, data, lastEventId })));
const shape = (line: WireLine) => [line.kind, line.text, line.end, ...(line.continued ? ['continued'] : [])];

describe('buildStreamWire', () => {
  describe('events', () => {
    it('dispatches a named event with its type and a block without one as message', () => {
      const wire = wireOf('event: time\ndata: 12:00:01\n\n', 'data: hello\n\n');
      expect(eventsOf(wire)).toEqual([[{ type: 'time', data: '12:00:01', lastEventId: '' }], [{ type: 'message', data: 'hello', lastEventId: '' }]]);
      expect(wire.blocks.flatMap((b) => b.events.map((e) => e.index))).toEqual([0, 1]);
    });

    it('joins multi-line data with LF and puts two events of one chunk in that block', () => {
      const wire = wireOf('data: hello,\ndata: sse\n\ndata: {"count":2}\n\n');
      expect(eventsOf(wire)).toEqual([
        [
          { type: 'message', data: 'hello,\nsse', lastEventId: '' },
          { type: 'message', data: '{"count":2}', lastEventId: '' },
        ],
      ]);
    });

    it('dispatches nothing for a comment heartbeat and classifies it as a comment', () => {
      const wire = wireOf(': ping\n\n');
      expect(wire.blocks[0]!.events).toEqual([]);
      expect(wire.blocks[0]!.lines).toEqual([
        { kind: 'comment', text: ': ping', end: '\n', continued: false },
        { kind: 'blank', text: '', end: '\n', continued: false, dispatches: false },
      ]);
    });

    it('reports the reconnection time a retry field set, and ignores an invalid one', () => {
      const wire = wireOf('retry: 2500\n\n', 'retry: soon\ndata: x\n\n');
      expect(wire.blocks.map((b) => b.retry)).toEqual([2500, undefined]);
    });

    it('puts an event whose bytes span two chunks in the block where it was dispatched', () => {
      const wire = wireOf('id: 7\nevent: tick\ndata: hel', 'lo\n\n');
      expect(eventsOf(wire)).toEqual([[], [{ type: 'tick', data: 'hello', lastEventId: '7' }]]);
    });

    it('keeps the last event ID across events until another id replaces it', () => {
      const wire = wireOf('id: 1\ndata: a\n\n', 'data: b\n\n', 'id: 2\ndata: c\n\nid\ndata: d\n\n');
      expect(eventsOf(wire).flat().map((e) => [e.data, e.lastEventId])).toEqual([
        ['a', '1'],
        ['b', '1'],
        ['c', '2'],
        ['d', ''],
      ]);
    });
  });

  describe('lines', () => {
    it('splits fields into name and value, keeping what was written for display', () => {
      const [block] = wireOf('event: time\ndata:x: y\nretry\n\n').blocks;
      expect(block!.lines).toEqual([
        { kind: 'field', text: 'event: time', end: '\n', continued: false, name: 'event', value: 'time', nameText: 'event', colon: true, valueText: ' time' },
        { kind: 'field', text: 'data:x: y', end: '\n', continued: false, name: 'data', value: 'x: y', nameText: 'data', colon: true, valueText: 'x: y' },
        { kind: 'field', text: 'retry', end: '\n', continued: false, name: 'retry', value: '', nameText: 'retry', colon: false, valueText: '' },
        { kind: 'blank', text: '', end: '\n', continued: false, dispatches: true },
      ]);
    });

    it('keeps each line end: CRLF, lone CR and LF', () => {
      const [block] = wireOf('data: a\r\ndata: b\rdata: c\n\r\n').blocks;
      expect(block!.lines.map(shape)).toEqual([
        ['field', 'data: a', '\r\n'],
        ['field', 'data: b', '\r'],
        ['field', 'data: c', '\n'],
        ['blank', '', '\r\n'],
      ]);
      expect(eventsOf(wireOf('data: a\r\ndata: b\rdata: c\n\r\n'))).toEqual([[{ type: 'message', data: 'a\nb\nc', lastEventId: '' }]]);
    });

    it('shows a CRLF cut between chunks as a CR ending one block and an LF starting the next', () => {
      const wire = wireOf('data: a\r', '\n\r', '\n');
      expect(wire.blocks.map((b) => b.lines.map(shape))).toEqual([
        [['field', 'data: a', '\r']],
        [
          ['field', '', '\n', 'continued'],
          ['blank', '', '\r'],
        ],
        [['blank', '', '\n', 'continued']],
      ]);
      // The blank line dispatched in the second chunk (at its CR), not again at the LF.
      expect(wire.blocks.map((b) => b.lines.filter((l) => l.kind === 'blank' && l.dispatches).length)).toEqual([0, 1, 0]);
      expect(eventsOf(wire)).toEqual([[], [{ type: 'message', data: 'a', lastEventId: '' }], []]);
    });

    it('classifies a line cut between chunks by the whole line', () => {
      const wire = wireOf('da', 'ta: 1\n', ': he', 'artbeat\n\n');
      expect(wire.blocks.map((b) => b.lines)).toEqual([
        [{ kind: 'field', text: 'da', end: '', continued: false, name: 'data', value: '1', nameText: 'da', colon: false, valueText: '' }],
        [{ kind: 'field', text: 'ta: 1', end: '\n', continued: true, name: 'data', value: '1', nameText: 'ta', colon: true, valueText: ' 1' }],
        [{ kind: 'comment', text: ': he', end: '', continued: false }],
        [
          { kind: 'comment', text: 'artbeat', end: '\n', continued: true },
          { kind: 'blank', text: '', end: '\n', continued: false, dispatches: true },
        ],
      ]);
    });

    it('gives a line the stream left unfinished what is known of it', () => {
      const wire = wireOf('event: ti', 'me\ndata: par');
      expect(wire.blocks[0]!.lines[0]).toMatchObject({ kind: 'field', name: 'event', value: 'time', end: '' });
      expect(wire.blocks[1]!.lines.at(-1)).toEqual({
        kind: 'field',
        text: 'data: par',
        end: '',
        continued: false,
        name: 'data',
        value: '',
        nameText: 'data',
        colon: true,
        valueText: ' par',
      });
      expect(eventsOf(wire)).toEqual([[], []]);
    });

    it('marks a blank line that follows no data as not dispatching', () => {
      const [block] = wireOf('event: x\n\ndata: y\n\n').blocks;
      expect(block!.lines.filter((l) => l.kind === 'blank').map((l) => l.kind === 'blank' && l.dispatches)).toEqual([false, true]);
    });

    it('cuts any chunking into lines that rebuild each chunk, and dispatches what one parse of the whole stream does', () => {
      const piece = fc.constantFrom('data: a', 'data:b', 'event: t', 'id: 3', ': hi', 'retry: 10', '', 'x:y', '\r\n', '\n', '\r', '\ufeff');
      fc.assert(
        fc.property(fc.array(piece, { maxLength: 30 }), fc.array(fc.nat(), { maxLength: 6 }), (pieces, cuts) => {
          const stream = pieces.join('');
          const at = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
          const chunks = [0, ...at].map((from, i) => stream.slice(from, [...at, stream.length][i])).filter((c) => c !== '');
          if (chunks.length === 0) return;
          const wire = wireOf(...chunks);
          for (const block of wire.blocks) {
            expect(block.lines.map((l) => l.text + l.end).join('')).toBe(block.text);
            for (const line of block.lines) if (line.kind === 'field') expect(line.nameText + (line.colon ? ':' : '') + line.valueText).toBe(line.text);
          }
          expect(eventsOf(wire).flat()).toEqual(eventsOf(wireOf(stream)).flat());
          const dispatching = wire.blocks.map((b) => b.lines.filter((l) => l.kind === 'blank' && l.dispatches).length);
          expect(dispatching).toEqual(wire.blocks.map((b) => b.events.length));
        }),
      );
    });

    it('leaves the leading BOM out of the field name, as the parser does', () => {
      const [block] = wireOf('\ufeffdata: x\n\n').blocks;
      expect(block!.lines[0]).toMatchObject({ kind: 'field', name: 'data', nameText: '\ufeffdata', valueText: ' x' });
      expect(block!.events).toHaveLength(1);
    });
  });

  describe('delivery', () => {
    it('matches each event to the browser message of the same client, URL, type, data and id', () => {
      const { events, open, chunk, received } = trace();
      open('s1', 1000, { client: 'a', url: '/data?client=a' });
      chunk('s1', 1100, 'id: 1\ndata: same\n\n', 'a');
      chunk('s1', 1200, 'id: 2\ndata: same\n\n', 'a');
      const second = received('a', 1230, 'same', { lastEventId: '2', url: '/data?client=a' });
      const first = received('a', 1130, 'same', { lastEventId: '1', url: '/data?client=a' });
      const wire = buildStreamWire(events, 's1')!;
      expect(wire.blocks.map((b) => b.events.map((e) => [e.receivedAt, e.receivedSeq]))).toEqual([[[1130, first.seq]], [[1230, second.seq]]]);
      expect(wire.undelivered).toBe(0);
    });

    it('matches each browser message at most once, in order, allowing 50 ms of clock skew', () => {
      const { events, open, chunk, received } = trace();
      open('s1', 1000, { client: 'a' });
      chunk('s1', 1100, 'data: tick\n\n');
      chunk('s1', 1200, 'data: tick\n\n');
      chunk('s1', 1300, 'data: tick\n\n');
      received('a', 1040, 'tick'); // before the first write, even allowing for skew
      received('a', 1060, 'tick'); // 40 ms before it: clock skew
      received('a', 1160, 'tick');
      const wire = buildStreamWire(events, 's1')!;
      expect(wire.blocks.map((b) => b.events[0]!.receivedAt)).toEqual([1060, 1160, undefined]);
      expect(wire.undelivered).toBe(1);
    });

    it('matches a message whose data the report cut at 2 000 characters', () => {
      const { events, open, chunk, received } = trace();
      open('s1', 1000, { client: 'a' });
      const long = 'x'.repeat(2500);
      chunk('s1', 1100, `data: ${long.slice(0, 1500)}`);
      chunk('s1', 1101, `${long.slice(1500)}\n\n`);
      received('a', 1120, long.slice(0, 2000));
      expect(buildStreamWire(events, 's1')!.blocks[1]!.events[0]).toMatchObject({ data: long, receivedAt: 1120 });
    });

    it('does not match a message from another client or another URL', () => {
      const { events, open, chunk, received } = trace();
      open('s1', 1000, { client: 'a', url: '/time?client=a' });
      chunk('s1', 1100, 'data: x\n\n');
      received('b', 1110, 'x', { url: '/time?client=a' });
      received('a', 1120, 'x', { url: '/client-count?client=a' });
      received('a', 1130, 'x', { url: '/time?client=a&extra=1' });
      const wire = buildStreamWire(events, 's1')!;
      expect(wire.blocks[0]!.events[0]!.receivedAt).toBeUndefined();
      expect(wire.undelivered).toBe(1);
    });

    it('compares only path and query of the URLs', () => {
      const { events, open, chunk, received } = trace();
      open('s1', 1000, { client: 'a', url: '/time?client=a' });
      chunk('s1', 1100, 'data: x\n\n');
      received('a', 1120, 'x', { url: 'http://localhost:5173/time?client=a#top' });
      expect(buildStreamWire(events, 's1')!.blocks[0]!.events[0]!.receivedAt).toBe(1120);
    });

    it('accepts a message up to 5 s after the stream closed, not later', () => {
      const { events, open, chunk, close, received } = trace();
      open('s1', 1000, { client: 'a' });
      chunk('s1', 1100, 'data: late\n\n');
      chunk('s1', 1200, 'data: too late\n\n');
      close('s1', 1300);
      received('a', 6200, 'late');
      received('a', 6400, 'too late');
      const wire = buildStreamWire(events, 's1')!;
      expect(wire.blocks.map((b) => b.events[0]!.receivedAt)).toEqual([6200, undefined]);
    });

    it('leaves messages of a later stream of the same client and URL to that stream', () => {
      const { events, open, chunk, close, received } = trace();
      open('s1', 1000, { client: 'a' });
      chunk('s1', 1100, 'data: hello\n\n');
      close('s1', 1200, 'client');
      open('s2', 1500, { client: 'a', headers: { 'last-event-id': '4' } });
      chunk('s2', 1600, 'data: hello\n\n');
      received('a', 1620, 'hello');
      expect(buildStreamWire(events, 's1')!.blocks[0]!.events[0]!.receivedAt).toBeUndefined();
      expect(buildStreamWire(events, 's2')!.blocks[0]!.events[0]!.receivedAt).toBe(1620);
    });

    it('leaves receipt unknown and counts nothing undelivered on a stream without a client', () => {
      const { events, open, chunk, received } = trace();
      open('s1', 1000);
      chunk('s1', 1100, 'data: x\n\n');
      received('a', 1120, 'x');
      const wire = buildStreamWire(events, 's1')!;
      expect(wire.client).toBeUndefined();
      expect(wire.blocks[0]!.events[0]!.receivedAt).toBeUndefined();
      expect(wire.undelivered).toBe(0);
    });
  });

  it('reads the request, its Last-Event-ID, the response head and the close', () => {
    const { events, open, chunk, close } = trace();
    open('s1', 1000, { client: 'a', url: '/data?client=a', headers: { 'last-event-id': '41' } });
    chunk('s1', 1100, 'data: x\n\n');
    close('s1', 1500, 'server', 'slow consumer');
    const wire = buildStreamWire(events, 's1')!;
    expect(wire.request).toEqual({
      method: 'GET',
      url: '/data?client=a',
      lastEventId: '41',
      headers: { accept: 'text/event-stream', 'last-event-id': '41' },
    });
    expect(wire.response).toEqual({ status: 200, headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' } });
    expect(wire.close).toEqual({ t: 1500, by: 'server', reason: 'slow consumer' });
    expect(wire).toMatchObject({ conn: 's1', client: 'a', url: '/data?client=a', openedAt: 1000 });
    expect(wire.blocks[0]).toMatchObject({ seq: 3, t: 1100, bytes: 9, text: 'data: x\n\n', truncated: false });
  });

  it('leaves the close out of a stream still open, and answers undefined for a conn without a stream', () => {
    const { events, open } = trace();
    open('s1', 1000);
    expect(buildStreamWire(events, 's1')!.close).toBeUndefined();
    expect(buildStreamWire(events, 'nope')).toBeUndefined();
  });

  it('flags a chunk the server kept only the start of', () => {
    const { events, open } = trace();
    open('s1', 1000);
    const text = 'x'.repeat(2000);
    events.push({ seq: 99, lesson: 'l', kind: 'stream-chunk', lane: 'server', conn: 's1', t: 1100, bytes: 5000, text });
    expect(buildStreamWire(events, 's1')!.blocks[0]!.truncated).toBe(true);
  });

  it('builds a stream of thousands of chunks in linear time', () => {
    const { events, open, chunk, received } = trace();
    open('s1', 0, { client: 'a' });
    for (let i = 0; i < 5000; i++) {
      chunk('s1', i, `id: ${i}\nevent: tick\ndata: ${'y'.repeat(50)} `);
      chunk('s1', i, `${i}\n\n: ping\n\n`);
      received('a', i + 1, `${'y'.repeat(50)} ${i}`, { type: 'tick', lastEventId: String(i) });
    }
    const started = performance.now();
    const wire = buildStreamWire(events, 's1')!;
    expect(performance.now() - started).toBeLessThan(1000);
    expect(wire.blocks).toHaveLength(10_000);
    expect(wire.undelivered).toBe(0);
    expect(wire.blocks[9999]!.events[0]).toMatchObject({ index: 4999, lastEventId: '4999', receivedAt: 5000 });
  });
});

describe('listStreams', () => {
  it('lists streams in open order with their URL, client, chunk count, bytes and close time', () => {
    const { events, open, chunk, close } = trace();
    open('s2', 1000, { client: 'a', url: '/time?client=a' });
    events.push({ seq: 100, lesson: 'l', kind: 'http-request', lane: 'server', conn: 'plain', t: 1050, method: 'GET', url: '/data', headers: {}, bytes: 50 });
    open('s1', 1100, { url: '/client-count' });
    chunk('s2', 1200, 'data: 1\n\n');
    chunk('s1', 1300, 'data: {"count":2}\n\n');
    chunk('s2', 1400, 'data: 22\n\n');
    close('s2', 1500, 'client');
    expect(listStreams(events)).toEqual([
      { conn: 's2', client: 'a', url: '/time?client=a', openedAt: 1000, closedAt: 1500, chunks: 2, bytes: 19 },
      { conn: 's1', url: '/client-count', openedAt: 1100, chunks: 1, bytes: 19 },
    ]);
  });

  it('lists nothing for a trace without streams', () => {
    expect(listStreams([])).toEqual([]);
  });
});

describe('escapeWireText', () => {
  it('shows control characters and a BOM, and leaves other text alone', () => {
    expect(escapeWireText('\ufeffa\tb\u0000c\u001b\u007f é')).toBe('⟨BOM⟩a␉b␀c␛␡ é');
  });
});
