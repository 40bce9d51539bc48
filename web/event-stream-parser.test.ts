import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEventStreamParser, type EventStreamEvent } from './event-stream-parser.ts';

/** Feeds the chunks in order (then ends the stream unless told not to) and returns what came out. */
function parse(chunks: readonly string[], { end = true } = {}) {
  const events: EventStreamEvent[] = [];
  const retries: number[] = [];
  const parser = createEventStreamParser({ onEvent: (e) => events.push(e), onRetry: (ms) => retries.push(ms) });
  for (const chunk of chunks) parser.feed(chunk);
  if (end) parser.end();
  return { events, retries };
}

const dataOf = (chunks: readonly string[]) => parse(chunks).events.map((e) => e.data);
const message = (data: string, lastEventId = ''): EventStreamEvent => ({ type: 'message', data, lastEventId });

// The stream from seed 000, verbatim: it ends right after `data: sse`, with no blank line.
// (Its comments say: lines starting with ":" are comments; we can name events; without a name
// the type is "message"; data may span two lines.)
const SEED_STREAM = [
  ': บรรทัดที่ขึ้นต้นด้วย : คือ comment',
  '',
  ': เราสามารถกำหนดชื่อ event ได้',
  'event: add',
  'data: 1',
  '',
  'event: remove',
  'data: 1',
  '',
  ': ถ้าไม่กำหนดชื่อ event default คือ event: message',
  'data: hello, sse',
  '',
  ': ถ้า data มี 2 บรรทัด',
  'data: hello,',
  'data: sse',
].join('\n');

// Every rule at once, for the chunking tests: BOM, all three line ends, comments, ids, retries,
// typed events, an id-only block, an ignored NUL id, and an unfinished event at the end.
const MIXED_STREAM =
  '\uFEFF: hello\r\n' +
  'retry: 2500\n' +
  'event: add\r\ndata: 1\r\ndata:  two\r\r' +
  'id: 7\ndata:x\n\n' +
  'data: persists\r\n\r\n' +
  'id: x\0y\ndata: nul id ignored\n\n' +
  'id\rdata: reset\r\r' +
  'id: only\n\n' +
  'Data: no\ndata\ndata:a:b\nfoo: bar\nevent:\n\n' +
  'retry: 10a0\nretry:\nretry: 02000\n' +
  'data: \uFEFF not a BOM\r\n\n' +
  'event: lost\ndata: never dispatched';

const MIXED_EVENTS: EventStreamEvent[] = [
  { type: 'add', data: '1\n two', lastEventId: '' },
  message('x', '7'),
  message('persists', '7'),
  message('nul id ignored', '7'),
  message('reset', ''),
  message('\na:b', 'only'),
  message('\uFEFF not a BOM', 'only'),
];

describe('createEventStreamParser', () => {
  it('parses the seed example: comments, named events, the default type, two data lines', () => {
    expect(parse([SEED_STREAM]).events).toEqual([
      { type: 'add', data: '1', lastEventId: '' },
      { type: 'remove', data: '1', lastEventId: '' },
      message('hello, sse'),
      // `data: hello,` / `data: sse` is never dispatched: no blank line ends it before the stream does.
    ]);
    expect(parse([SEED_STREAM + '\n\n']).events.at(-1)).toEqual(message('hello,\nsse'));
  });

  it('parses the mixed stream', () => {
    expect(parse([MIXED_STREAM])).toEqual({ events: MIXED_EVENTS, retries: [2500, 2000] });
  });

  describe('line ends', () => {
    it('accepts LF, CRLF and CR, mixed, for field lines and blank lines', () => {
      // WPT eventsource/format-newlines.any.js (message.py appends one more "\n").
      expect(dataOf(['data:test\r\ndata\ndata:test\r\n\r\n'])).toEqual(['test\n\ntest']);
      for (const eol of ['\n', '\r\n', '\r']) {
        expect(dataOf([`data:a${eol}data:b${eol}${eol}data:c${eol}${eol}`])).toEqual(['a\nb', 'c']);
      }
    });

    it('counts a CRLF split across two chunks as one line end', () => {
      // Were the LF a second line end, it would be a blank line and dispatch "a" alone.
      expect(dataOf(['data:a\r', '\ndata:b\r', '\n\r', '\n'])).toEqual(['a\nb']);
      expect(dataOf(['data:a\r', '', '\ndata:b\n\n'])).toEqual(['a\nb']);
    });

    it('skips only the one LF that completes a CRLF', () => {
      expect(dataOf(['data:a\r\n\ndata:b\n\n'])).toEqual(['a', 'b']);
      expect(dataOf(['data:a\r', '\n', '\n'])).toEqual(['a']);
    });

    it('treats CR then CR across chunks as two line ends', () => {
      expect(dataOf(['data:a\r', '\r'])).toEqual(['a']);
    });

    it('dispatches on a CR-terminated blank line without waiting for the next chunk or end()', () => {
      expect(parse(['data:a\r\r'], { end: false }).events).toEqual([message('a')]);
      expect(parse(['data:a\n\r'], { end: false }).events).toEqual([message('a')]);
      expect(parse(['data:a\r', '\r'], { end: false }).events).toEqual([message('a')]);
    });
  });

  describe('byte order mark', () => {
    it('strips one leading BOM', () => {
      expect(dataOf(['\uFEFFdata:1\n\n'])).toEqual(['1']);
    });

    it('strips it when it arrives alone or after empty chunks', () => {
      expect(dataOf(['\uFEFF', 'data:1\n\n'])).toEqual(['1']);
      expect(dataOf(['', '\uFEFFdata:1\n\n'])).toEqual(['1']);
    });

    it('keeps a second BOM, which spoils the first field name', () => {
      // WPT eventsource/format-bom-2.any.js
      expect(dataOf(['\uFEFF\uFEFFdata:1\n\ndata:2\n\ndata:3\n\n'])).toEqual(['2', '3']);
      expect(dataOf(['\uFEFF', '\uFEFFdata:1\n\ndata:2\n\n'])).toEqual(['2']);
    });

    it('sees the BOM when bytes are decoded with ignoreBOM, even one byte at a time', () => {
      const bytes = new TextEncoder().encode('\uFEFF\uFEFFdata:1\n\ndata: ก…\n\n');
      const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
      const chunks = [...bytes].map((byte) => decoder.decode(new Uint8Array([byte]), { stream: true }));
      expect(dataOf(chunks)).toEqual(['ก…']);
    });

    it('keeps a BOM anywhere after the start of the stream', () => {
      // WPT eventsource/format-bom.any.js
      expect(dataOf(['\uFEFFdata:1\n\n\uFEFFdata:2\n\ndata:3\n\n'])).toEqual(['1', '3']);
      expect(dataOf(['data:1\n\n', '\uFEFFdata:2\n\n'])).toEqual(['1']);
      expect(dataOf(['data:\uFEFFx\n\n'])).toEqual(['\uFEFFx']);
    });
  });

  describe('dispatch', () => {
    it('dispatches nothing for a block without data, and forgets its event type', () => {
      expect(parse(['event: add\n\n: just a comment\n\ndata: x\n\n']).events).toEqual([message('x')]);
    });

    it('dispatches an empty data field, removing only one trailing LF', () => {
      // WPT eventsource/format-field-data.any.js
      expect(dataOf(['data:\n\ndata\ndata\n\ndata:test\n\n'])).toEqual(['', '\n', 'test']);
      expect(dataOf(['data:a\ndata:\n\n'])).toEqual(['a\n']);
    });

    it('uses "message" when the event type is missing or empty, and resets it after each event', () => {
      // WPT eventsource/format-field-event-empty.any.js
      const { events } = parse(['event: \ndata:data\n\nevent: add\ndata: 1\n\ndata: 2\n\nevent\ndata: 3\n\n']);
      expect(events.map((e) => e.type)).toEqual(['message', 'add', 'message', 'message']);
    });

    it('lets the last event type field win', () => {
      expect(parse(['event: a\nevent: b\ndata: x\n\n']).events).toEqual([{ type: 'b', data: 'x', lastEventId: '' }]);
    });
  });

  describe('fields', () => {
    it('ignores comment lines wherever they are', () => {
      // WPT eventsource/format-comments.any.js
      const long = 'x'.repeat(2048);
      expect(dataOf([`data:1\r:\0\n:\r\ndata:2\n:${long}\rdata:3\n:data:fail\r:${long}\ndata:4\n\n`])).toEqual(['1\n2\n3\n4']);
    });

    it('splits at the first colon and removes one leading space of the value', () => {
      expect(dataOf(['data:x\n\n'])).toEqual(['x']);
      expect(dataOf(['data: x\n\n'])).toEqual(['x']);
      expect(dataOf(['data:  x\n\n'])).toEqual([' x']);
      expect(dataOf(['data: a: b:c\n\n'])).toEqual(['a: b:c']);
      // WPT eventsource/format-leading-space.any.js: a tab is not a space.
      expect(dataOf(['data:\ttest\rdata: \ndata:test\n\n'])).toEqual(['\ttest\n\ntest']);
    });

    it('reads a line without a colon as a field name with an empty value', () => {
      expect(dataOf(['data\n\n'])).toEqual(['']);
      expect(parse(['id: 1\nid\ndata: x\n\n']).events).toEqual([message('x', '')]);
    });

    it('matches field names exactly and ignores unknown fields', () => {
      // WPT eventsource/format-field-parsing.any.js
      const stream = 'data:\0\ndata:  2\rData:1\ndata\0:2\ndata:1\r\0data:4\nda-ta:3\rdata_5\ndata:3\rdata:\r\n data:32\ndata:4\n\n';
      expect(dataOf([stream])).toEqual(['\0\n 2\n1\n3\n\n4']);
      expect(dataOf(['foo: bar\nİd: 1\ndata: x\n\n'])).toEqual(['x']);
    });

    it('keeps a NUL in data', () => {
      // WPT eventsource/format-null-character.any.js
      expect(dataOf(['data:\0\n\n'])).toEqual(['\0']);
    });
  });

  describe('id', () => {
    // Bodies of WPT eventsource/resources/last-event-id2.py (format-field-id-3.window.js).
    it('persists across events without an id field', () => {
      expect(parse(['id: 1\ndata: 1\n\ndata:2\n\n']).events).toEqual([message('1', '1'), message('2', '1')]);
    });

    it('changes with each id field and then persists', () => {
      const { events } = parse(['id: 1\ndata: 1\n\nid: 2\ndata:2\n\ndata:3\n\n']);
      expect(events.map((e) => e.lastEventId)).toEqual(['1', '2', '2']);
    });

    it('is reset to empty by `id:` and by a bare `id`', () => {
      for (const reset of ['id:', 'id: ', 'id']) {
        const { events } = parse([`id: 1\ndata: 1\n\n${reset}\ndata:2\n\ndata:3\n\n`]);
        expect(events.map((e) => e.lastEventId)).toEqual(['1', '', '']);
      }
    });

    it('is updated by a block that has an id but no data', () => {
      expect(parse(['id: 5\n\ndata: x\n\n']).events).toEqual([message('x', '5')]);
    });

    it('ignores an id field that contains NUL and keeps the previous id', () => {
      // Values from WPT eventsource/format-field-id-null.window.js
      for (const id of ['\0\0', 'x\0', '\0x', 'x\0x', ' \0']) {
        expect(parse([`id: ${id}\ndata: hello\n\n`]).events).toEqual([message('hello', '')]);
        expect(parse([`id: 1\ndata: a\n\nid: ${id}\ndata: b\n\n`]).events.at(-1)).toEqual(message('b', '1'));
      }
    });
  });

  describe('retry', () => {
    it('reports a value of ASCII digits, in base ten, after removing one leading space', () => {
      expect(parse(['retry: 1000\nretry:02000\nretry:0\n']).retries).toEqual([1000, 2000, 0]);
    });

    it('ignores anything else', () => {
      const bogus = ['retry: 10a0', 'retry:', 'retry', 'retry:  1000', 'retry:1000x', 'retry:-1', 'retry:1.5', 'retry:1e3', 'retry: +5', 'retry:١٠'];
      expect(parse([bogus.join('\n') + '\ndata: x\n\n'])).toEqual({ events: [message('x')], retries: [] });
    });

    it('applies as soon as its line ends, without dispatching an event', () => {
      expect(parse(['retry: 5\n\nretry: 6\ndata: lost'])).toEqual({ events: [], retries: [5, 6] });
    });

    it('is optional to listen to', () => {
      const events: EventStreamEvent[] = [];
      const parser = createEventStreamParser({ onEvent: (e) => events.push(e) });
      parser.feed('retry: 1000\ndata: x\n\n');
      expect(events).toEqual([message('x')]);
    });
  });

  describe('#end', () => {
    it('discards an event that no blank line finished, and its id', () => {
      // WPT eventsource/format-data-before-final-empty-line.any.js
      expect(parse(['retry:1000\ndata:test1\n\nid:test\ndata:test2'])).toEqual({ events: [message('test1')], retries: [1000] });
      expect(parse(['data: x\n'])).toEqual({ events: [], retries: [] });
      expect(parse(['data: x\r'])).toEqual({ events: [], retries: [] });
    });

    it('may be called twice, and feeding afterwards throws', () => {
      const parser = createEventStreamParser({ onEvent: () => expect.unreachable('no event expected') });
      parser.feed('data: x\n');
      parser.end();
      parser.end();
      expect(() => parser.feed('\n')).toThrow('createEventStreamParser: feed() called after end()');
    });
  });

  describe('chunk boundaries', () => {
    it('joins a field name and value split across chunks', () => {
      expect(parse(['ev', 'ent: a', 'dd\nda', 'ta', ':', ' 1\n', '\n']).events).toEqual([{ type: 'add', data: '1', lastEventId: '' }]);
      expect(parse(['i', 'd: 4', '2\nretry: 1', '000\ndata: x\n\n'])).toEqual({ events: [message('x', '42')], retries: [1000] });
    });

    it('gives the same result one character at a time as whole', () => {
      expect(parse([...MIXED_STREAM])).toEqual({ events: MIXED_EVENTS, retries: [2500, 2000] });
      expect(parse([...SEED_STREAM]).events).toEqual(parse([SEED_STREAM]).events);
    });

    it('gives the same result for a cut at every position', () => {
      for (let i = 0; i <= MIXED_STREAM.length; i++) {
        expect(parse([MIXED_STREAM.slice(0, i), MIXED_STREAM.slice(i)]).events, `cut at ${i}`).toEqual(MIXED_EVENTS);
      }
    });

    it('gives the same result for any set of cuts', () => {
      fc.assert(
        fc.property(fc.uniqueArray(fc.nat(MIXED_STREAM.length)), (cuts) => {
          const at = [0, ...[...cuts].sort((a, b) => a - b), MIXED_STREAM.length];
          const chunks = at.slice(1).map((end, i) => MIXED_STREAM.slice(at[i], end));
          expect(parse(chunks)).toEqual({ events: MIXED_EVENTS, retries: [2500, 2000] });
        }),
      );
    });
  });

  describe('large input', () => {
    // A parser that re-scans or re-joins everything buffered on each feed() is quadratic here:
    // about 2·10^10 character steps, ~20 s when measured. Keeping only the pending line's pieces and
    // joining them once took ~10 ms, so the bound below is generous, not tight.
    it('feeds a 200k-character line one character at a time in linear time', () => {
      const length = 200_000;
      const events: EventStreamEvent[] = [];
      const parser = createEventStreamParser({ onEvent: (e) => events.push(e) });
      const startedAt = performance.now();
      parser.feed('data: ');
      for (let i = 0; i < length; i++) parser.feed('x');
      parser.feed('\r');
      parser.feed('\n\n');
      expect(performance.now() - startedAt).toBeLessThan(1_000);
      expect(events).toHaveLength(1);
      expect(events[0]!.data).toBe('x'.repeat(length));
    });

    it('feeds 50k events in 3-character chunks', () => {
      const stream = Array.from({ length: 50_000 }, (_, i) => `id: ${i}\ndata: ${i}\n\n`).join('');
      const events: EventStreamEvent[] = [];
      const parser = createEventStreamParser({ onEvent: (e) => events.push(e) });
      for (let i = 0; i < stream.length; i += 3) parser.feed(stream.slice(i, i + 3));
      parser.end();
      expect(events).toHaveLength(50_000);
      expect(events.at(-1)).toEqual(message('49999', '49999'));
    });
  });
});
