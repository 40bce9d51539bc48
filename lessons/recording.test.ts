import { describe, expect, it } from 'vitest';
import { parseRecording, RECORDING_FORMAT, RECORDING_VERSION } from './recording.ts';

const detail = { slug: 'short-polling', steps: [], code: [], clients: [] };
const event = { seq: 1, t: 1_000, kind: 'feed-change', lane: 'feed', version: 1, changedAt: 1_000 };
const good = { format: RECORDING_FORMAT, version: RECORDING_VERSION, recordedAt: 2_000, detail, events: [event] };

describe('parseRecording', () => {
  it('reads a recording', () => {
    const recording = parseRecording(JSON.stringify(good));
    expect(recording.detail.slug).toBe('short-polling');
    expect(recording.events).toEqual([event]);
  });

  it.each([
    ['not json', 'not JSON'],
    [JSON.stringify({ events: [] }), 'not a workbench recording'],
    [JSON.stringify({ ...good, version: 7 }), 'version 7'],
    [JSON.stringify({ ...good, detail: { slug: 'x' } }), 'no lesson in it'],
    [JSON.stringify({ ...good, events: {} }), 'no "events" list'],
    [JSON.stringify({ ...good, events: [event, { seq: 2 }] }), 'Event 2 of the recording'],
    [JSON.stringify({ ...good, recordedAt: 'today' }), 'no "recordedAt"'],
    [JSON.stringify({ ...good, steps: [{ step: 'one', at: 1 }] }), '"steps" must be a list'],
  ])('says what is wrong with %s', (text, message) => {
    expect(() => parseRecording(text)).toThrow(message);
  });
});
