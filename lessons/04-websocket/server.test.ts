import { describe, expect, it } from 'vitest';
import { MAX_TEXT, parseClientMessage, ProtocolError } from './server.ts';

describe('parseClientMessage', () => {
  it('reads a chat (trimmed) and a typing signal', () => {
    expect(parseClientMessage('{"type":"chat","text":"  hello  "}')).toEqual({ type: 'chat', text: 'hello' });
    expect(parseClientMessage('{"type":"typing"}')).toEqual({ type: 'typing' });
  });

  it('refuses what is not our protocol with a ProtocolError (the socket closes with 1003)', () => {
    for (const text of ['not json', '', '"chat"', 'null', '[]', '{"type":"shout","text":"hi"}', '{"text":"no type"}']) {
      expect(() => parseClientMessage(text), text).toThrow(ProtocolError);
    }
  });

  it('answers a chat the room refuses with an error, and no exception (the socket stays open)', () => {
    expect(parseClientMessage('{"type":"chat","text":"   "}')).toEqual({ error: 'A chat message needs some text' });
    expect(parseClientMessage('{"type":"chat","text":42}')).toEqual({ error: 'A chat message needs some text' });
    expect(parseClientMessage(JSON.stringify({ type: 'chat', text: 'x'.repeat(MAX_TEXT) }))).toEqual({ type: 'chat', text: 'x'.repeat(MAX_TEXT) });
    expect(parseClientMessage(JSON.stringify({ type: 'chat', text: 'x'.repeat(MAX_TEXT + 1) }))).toEqual({ error: `A chat message is at most ${MAX_TEXT} characters (this one has ${MAX_TEXT + 1})` });
  });
});
