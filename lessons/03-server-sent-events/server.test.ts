import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEventStreamParser, type EventStreamEvent } from '../../web/event-stream-parser.ts';
import { encodeEvent, type ServerSentEvent } from './server.ts';

/** What a browser makes of `text`: the events it dispatches and the retry times it takes. */
function parse(text: string): { events: EventStreamEvent[]; retries: number[] } {
  const events: EventStreamEvent[] = [];
  const retries: number[] = [];
  const parser = createEventStreamParser({ onEvent: (e) => events.push(e), onRetry: (ms) => retries.push(ms) });
  parser.feed(text);
  parser.end();
  return { events, retries };
}

describe('encodeEvent', () => {
  it('writes the fields in the seed article’s format, ended by a blank line', () => {
    expect(encodeEvent({ event: 'add', data: '1' })).toBe('event: add\ndata: 1\n\n');
    expect(encodeEvent({ id: 7, data: '{"version":7}' })).toBe('id: 7\ndata: {"version":7}\n\n');
    expect(encodeEvent({ comment: 'ping' })).toBe(': ping\n\n');
    expect(encodeEvent({ retry: 2000, comment: 'stream open' })).toBe(': stream open\nretry: 2000\n\n');
  });

  it('splits data on CR, LF and CRLF into several data: lines', () => {
    expect(encodeEvent({ data: 'hello,\nsse' })).toBe('data: hello,\ndata: sse\n\n');
    expect(encodeEvent({ data: 'a\r\nb\rc' })).toBe('data: a\ndata: b\ndata: c\n\n');
    expect(parse(encodeEvent({ data: 'hello,\nsse' })).events).toEqual([{ type: 'message', data: 'hello,\nsse', lastEventId: '' }]);
  });

  it('refuses a CR or LF in event or id (stream injection), NUL in an id, and a retry that is not a whole number', () => {
    expect(() => encodeEvent({ event: 'add\ndata: evil', data: '1' })).toThrow(/cannot contain CR or LF/);
    expect(() => encodeEvent({ id: '1\rdata: evil', data: '1' })).toThrow(/cannot contain CR or LF/);
    expect(() => encodeEvent({ id: 'a\0b', data: '1' })).toThrow(/NUL/);
    expect(() => encodeEvent({ retry: 1.5 })).toThrow(RangeError);
    expect(() => encodeEvent({ retry: -1 })).toThrow(RangeError);
  });

  it('round-trips through the spec parser: type, data and id come back as they went in', () => {
    const line = fc.string({ unit: 'grapheme' }).filter((s) => !/[\r\n]/.test(s));
    const event = fc.record(
      {
        event: line.filter((s) => s !== ''), // `event:` with no value means `message`
        id: line.filter((s) => !s.includes('\0')),
        data: fc.string({ unit: 'grapheme' }),
        retry: fc.nat(),
      },
      { requiredKeys: ['data'] },
    );
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 5 }), (sent: ServerSentEvent[]) => {
        const { events, retries } = parse(sent.map(encodeEvent).join(''));
        let lastEventId = '';
        const expected = sent.map((e) => {
          if (e.id !== undefined) lastEventId = String(e.id);
          return { type: e.event ?? 'message', data: e.data!.replace(/\r\n|\r/g, '\n'), lastEventId };
        });
        expect(events).toEqual(expected);
        expect(retries).toEqual(sent.filter((e) => e.retry !== undefined).map((e) => e.retry));
      }),
    );
  });
});
