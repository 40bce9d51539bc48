import { describe, expect, it } from 'vitest';
import { parseClientEvent } from './parse-client-event.ts';

/** A valid client-request as a page sends it, with `overrides` on top. */
function clientRequest(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { kind: 'client-request', t: 1_000, lane: 'client:naive', client: 'naive', conn: 'c-1', method: 'GET', url: '/data', ...overrides };
}

/** A valid client-error as a page sends it, with `overrides` on top. */
function clientError(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { kind: 'client-error', t: 1_000, lane: 'client:naive', client: 'naive', message: 'Failed to fetch', ...overrides };
}

describe('parseClientEvent', () => {
  describe('accepts', () => {
    it('a client-request with conn, method and url', () => {
      expect(parseClientEvent(clientRequest())).toEqual({
        kind: 'client-request',
        t: 1_000,
        lane: 'client:naive',
        client: 'naive',
        conn: 'c-1',
        method: 'GET',
        url: '/data',
      });
    });

    it('a client-response with conn, status and version', () => {
      const input = { kind: 'client-response', t: 1_200, lane: 'client:naive', client: 'naive', conn: 'c-1', status: 200, version: 7 };
      expect(parseClientEvent(input)).toEqual(input);
    });

    it('a client-abort with its conn, and not without one', () => {
      const input = { kind: 'client-abort', t: 1_200, lane: 'client:naive', client: 'naive', conn: 'c-1' };
      expect(parseClientEvent(input)).toEqual(input);
      expect(parseClientEvent({ ...input, conn: undefined })).toBeUndefined();
    });

    it('a client-response without a version', () => {
      const input = { kind: 'client-response', t: 1_200, lane: 'client:naive', client: 'naive', conn: 'c-1', status: 304 };
      expect(parseClientEvent(input)).toEqual(input);
    });

    it("a client-show with version, changedAt and staleMs, and whether it is the client's first", () => {
      const input = { kind: 'client-show', t: 1_300, lane: 'client:naive', client: 'naive', version: 7, changedAt: 900, staleMs: 400 };
      expect(parseClientEvent(input)).toEqual(input);
      expect(parseClientEvent({ ...input, first: true })).toEqual({ ...input, first: true });
      expect(parseClientEvent({ ...input, first: 'yes' })).toEqual(input);
    });

    it('a client-message with its url, type, last event id, data and version', () => {
      const input = { kind: 'client-message', t: 1_300, lane: 'client:a', client: 'a', url: '/data?client=a', type: 'message', lastEventId: '7', data: '{"version":7}', version: 7 };
      expect(parseClientEvent(input)).toEqual(input);
      expect(parseClientEvent({ ...input, data: 'x'.repeat(5_000) })).toMatchObject({ data: 'x'.repeat(2_000) });
      expect(parseClientEvent({ ...input, lastEventId: 7 })).toBeUndefined();
    });

    it('a client-stream in one of its three states, and no other', () => {
      const input = { kind: 'client-stream', t: 1_300, lane: 'client:a', client: 'a', url: '/data?client=a', state: 'connecting' };
      expect(parseClientEvent(input)).toEqual(input);
      expect(parseClientEvent({ ...input, state: 'open' })).toEqual({ ...input, state: 'open' });
      expect(parseClientEvent({ ...input, state: 'half-open' })).toBeUndefined();
      expect(parseClientEvent({ ...input, url: undefined })).toBeUndefined();
    });

    it('a client-socket: its state, and a close code, reason and wasClean only when they are sane', () => {
      const input = { kind: 'client-socket', t: 1_300, lane: 'client:a', client: 'a', url: '/chat?client=a', state: 'closed', code: 1006, reason: '', wasClean: false };
      expect(parseClientEvent(input)).toEqual(input);
      expect(parseClientEvent({ ...input, state: 'closing' })).toBeUndefined();
      expect(parseClientEvent({ ...input, code: 70_000, wasClean: 'no' })).toEqual({ kind: 'client-socket', t: 1_300, lane: 'client:a', client: 'a', url: '/chat?client=a', state: 'closed', reason: '' });
      expect(parseClientEvent({ ...input, reason: 'r'.repeat(500) })).toMatchObject({ reason: 'r'.repeat(123) });
    });

    it('a client-error with a message', () => {
      expect(parseClientEvent(clientError())).toEqual({
        kind: 'client-error',
        t: 1_000,
        lane: 'client:naive',
        client: 'naive',
        message: 'Failed to fetch',
      });
    });

    it('a client id of 64 word, dot, colon and dash characters', () => {
      const client = `a.b:c-d_${'x'.repeat(56)}`;
      expect(parseClientEvent(clientError({ client, lane: `client:${client}` }))).toMatchObject({ client, lane: `client:${client}` });
    });
  });

  describe('strips', () => {
    it('fields it does not know, including a seq and lesson the page made up', () => {
      const parsed = parseClientEvent(clientRequest({ seq: 42, lesson: 'other', headers: { cookie: 'x' }, extra: true }));
      expect(parsed).toEqual({ kind: 'client-request', t: 1_000, lane: 'client:naive', client: 'naive', conn: 'c-1', method: 'GET', url: '/data' });
    });

    it('a version that is not a finite number from a client-response', () => {
      const input = { kind: 'client-response', t: 1_200, lane: 'client:naive', client: 'naive', conn: 'c-1', status: 200, version: '7' };
      expect(parseClientEvent(input)).toEqual({ kind: 'client-response', t: 1_200, lane: 'client:naive', client: 'naive', conn: 'c-1', status: 200 });
    });

    it('a bad conn from a kind that does not need one', () => {
      expect(parseClientEvent(clientError({ conn: 'has space' }))).toEqual({
        kind: 'client-error',
        t: 1_000,
        lane: 'client:naive',
        client: 'naive',
        message: 'Failed to fetch',
      });
    });
  });

  describe('truncates', () => {
    it('a client-error message to 2000 characters', () => {
      const parsed = parseClientEvent(clientError({ message: 'x'.repeat(5_000) }));
      expect(parsed).toMatchObject({ message: 'x'.repeat(2_000) });
    });

    it('a client-request url to 2000 characters and its method to 16', () => {
      const parsed = parseClientEvent(clientRequest({ url: `/${'u'.repeat(2_999)}`, method: 'M'.repeat(20) }));
      expect(parsed).toMatchObject({ url: `/${'u'.repeat(1_999)}`, method: 'M'.repeat(16) });
    });
  });

  describe('source', () => {
    it('keeps a source in a lesson file with a positive whole line', () => {
      expect(parseClientEvent(clientError({ source: { file: 'client.ts', line: 12, extra: 1 } }))).toEqual({
        kind: 'client-error',
        t: 1_000,
        lane: 'client:naive',
        client: 'naive',
        message: 'Failed to fetch',
        source: { file: 'client.ts', line: 12 },
      });
    });

    it.each<[string, unknown]>([
      ['a file that is not a lesson file', { file: '../../etc/passwd', line: 1 }],
      ['line 0', { file: 'client.ts', line: 0 }],
      ['a fractional line', { file: 'server.ts', line: 1.5 }],
      ['a line given as text', { file: 'client.ts', line: '3' }],
      ['no line', { file: 'client.ts' }],
      ['a string', 'client.ts:3'],
      ['null', null],
    ])('drops a source with %s and keeps the event', (_name, source) => {
      expect(parseClientEvent(clientError({ source }))).toEqual({
        kind: 'client-error',
        t: 1_000,
        lane: 'client:naive',
        client: 'naive',
        message: 'Failed to fetch',
      });
    });
  });

  describe('refuses', () => {
    it.each<[string, unknown]>([
      ['null', null],
      ['undefined', undefined],
      ['a string', 'client-error'],
      ['a number', 42],
      ['an array', [clientError()]],
    ])('%s', (_name, input) => {
      expect(parseClientEvent(input)).toBeUndefined();
    });

    it.each(['http-response', 'http-request', 'feed-change', 'reload', 'error', 'ws-frame', undefined])('the kind %s', (kind) => {
      expect(parseClientEvent(clientError({ kind }))).toBeUndefined();
    });

    it.each([
      ['another client', 'client:fixed'],
      ['the server', 'server'],
      ['the feed', 'feed'],
      ['no lane', undefined],
    ])('a lane of %s', (_name, lane) => {
      expect(parseClientEvent(clientError({ lane }))).toBeUndefined();
    });

    it.each([
      ['empty', ''],
      ['with a space', 'has space'],
      ['with a slash', 'a/b'],
      ['65 characters long', 'x'.repeat(65)],
      ['a number', 7],
    ])('a client id that is %s', (_name, client) => {
      expect(parseClientEvent(clientError({ client, lane: `client:${client}` }))).toBeUndefined();
    });

    it.each([
      ['missing', undefined],
      ['empty', ''],
      ['with a space', 'c 1'],
      ['65 characters long', 'c'.repeat(65)],
      ['a number', 1],
    ])('a client-request whose conn is %s', (_name, conn) => {
      expect(parseClientEvent(clientRequest({ conn }))).toBeUndefined();
    });

    it('a client-response without a conn', () => {
      expect(parseClientEvent({ kind: 'client-response', t: 1_200, lane: 'client:naive', client: 'naive', status: 200 })).toBeUndefined();
    });

    it.each([
      ['t is NaN', clientError({ t: Number.NaN })],
      ['t is Infinity', clientError({ t: Number.POSITIVE_INFINITY })],
      ['t is text', clientError({ t: '1000' })],
      ['t is missing', clientError({ t: undefined })],
      [
        'a client-response status is NaN',
        { kind: 'client-response', t: 1, lane: 'client:naive', client: 'naive', conn: 'c-1', status: Number.NaN },
      ],
      [
        'a client-show version is Infinity',
        { kind: 'client-show', t: 1, lane: 'client:naive', client: 'naive', version: Number.POSITIVE_INFINITY, changedAt: 0, staleMs: 1 },
      ],
      [
        'a client-show changedAt is missing',
        { kind: 'client-show', t: 1, lane: 'client:naive', client: 'naive', version: 1, staleMs: 1 },
      ],
      [
        'a client-show staleMs is NaN',
        { kind: 'client-show', t: 1, lane: 'client:naive', client: 'naive', version: 1, changedAt: 0, staleMs: Number.NaN },
      ],
    ])('an event where %s', (_name, input) => {
      expect(parseClientEvent(input)).toBeUndefined();
    });

    it('a client-request without a method or a url', () => {
      expect(parseClientEvent(clientRequest({ method: undefined }))).toBeUndefined();
      expect(parseClientEvent(clientRequest({ url: 42 }))).toBeUndefined();
    });

    it('a client-error without a text message', () => {
      expect(parseClientEvent(clientError({ message: { text: 'x' } }))).toBeUndefined();
    });
  });
});
