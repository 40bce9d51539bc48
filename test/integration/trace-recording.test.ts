import { describe, expect, it } from 'vitest';
import { parseRecording } from '../../lessons/recording.ts';
import { startWorkbench, traceOf, waitFor } from '../setup/workbench.ts';

describe('GET /api/trace?format=recording', () => {
  it('downloads the trace with the lesson as shown, as a recording that replays without a server', async () => {
    const { url } = await startWorkbench();
    expect((await fetch(`${url}/lessons/short-polling/api/data`)).status).toBe(200);
    await waitFor(async () => (await traceOf(url, 'short-polling')).some((e) => e.kind === 'http-response'), { what: 'the answer traced' });

    const res = await fetch(`${url}/api/trace?lesson=short-polling&format=recording`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="short-polling.recording.json"');
    const recording = parseRecording(await res.text());
    const detail = await (await fetch(`${url}/api/lessons/short-polling`)).json();
    expect(recording.detail).toEqual(detail);
    const trace = await traceOf(url, 'short-polling');
    expect(recording.events.map((e) => e.seq)).toEqual(trace.slice(0, recording.events.length).map((e) => e.seq));
    expect(recording.events.some((e) => e.kind === 'http-request' && e.url.endsWith('/data'))).toBe(true);
    expect(recording.recordedAt).toBeGreaterThanOrEqual(recording.events.at(-1)!.t);

    expect((await fetch(`${url}/api/trace?lesson=nope&format=recording`)).status).toBe(404);
  });
});
