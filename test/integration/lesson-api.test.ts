import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HttpRequestEvent, HttpResponseEvent } from '../../lessons/trace-event.ts';
import { ROOT, startWorkbench, traceOf, waitFor } from '../setup/workbench.ts';

describe('the short-polling lesson API, through the workbench', () => {
  it('answers GET /data with the feed and records the request and response in the trace', async () => {
    const { url } = await startWorkbench();
    const res = await fetch(`${url}/lessons/short-polling/api/data`, { headers: { 'x-workbench-client': 'curl', 'x-workbench-conn': 'curl-1' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['changedAt', 'value', 'version']);
    expect(body.version).toBeTypeOf('number');
    expect(body.changedAt).toBeLessThanOrEqual(Date.now());

    const events = await waitFor(async () => {
      const trace = await traceOf(url, 'short-polling');
      return trace.some((e) => e.kind === 'http-response' && e.conn === 'curl-1') && trace;
    });
    const request = events.find((e): e is HttpRequestEvent => e.kind === 'http-request' && e.conn === 'curl-1')!;
    const response = events.find((e): e is HttpResponseEvent => e.kind === 'http-response' && e.conn === 'curl-1')!;
    expect(request).toMatchObject({ lane: 'server', client: 'curl', method: 'GET', url: '/lessons/short-polling/api/data' });
    expect(request.bytes).toBeGreaterThan(50);
    expect(response).toMatchObject({ status: 200, version: body.version, client: 'curl' });
    expect(response.bytes).toBeGreaterThan(Number(res.headers.get('content-length')));
    // The line that answered: `res.json(...)` in the lesson's server.ts.
    const lines = (await readFile(join(ROOT, 'lessons/01-short-polling/server.ts'), 'utf8')).split('\n');
    expect(response.source).toEqual({ file: 'server.ts', line: lines.findIndex((l) => l.includes('res.json(')) + 1 });
    expect(events.find((e) => e.kind === 'reload')).toMatchObject({ generation: 1, reason: 'start' });
  });

  it('answers 304 without a body when If-None-Match matches the current version', async () => {
    const { url } = await startWorkbench();
    const first = await fetch(`${url}/lessons/short-polling/api/data`);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"v\d+"$/);
    const second = await fetch(`${url}/lessons/short-polling/api/data`, { headers: { 'If-None-Match': etag } });
    expect(second.status).toBe(304);
    expect(await second.text()).toBe('');
  });

  it('serves a change posted to the feed on the next poll, and records it', async () => {
    const { url } = await startWorkbench();
    const post = await fetch(`${url}/api/lessons/short-polling/feed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ value: { headline: 'posted by a test' } }),
    });
    expect(post.status).toBe(201);
    const posted = (await post.json()) as { version: number; value: unknown; changedAt: number };
    expect(posted.value).toEqual({ headline: 'posted by a test' });

    const data = (await (await fetch(`${url}/lessons/short-polling/api/data`)).json()) as typeof posted;
    expect(data).toEqual(posted);
    const trace = await traceOf(url, 'short-polling');
    expect(trace.find((e) => e.kind === 'feed-change' && e.version === posted.version)).toMatchObject({ lane: 'feed', cause: 'manual', value: posted.value });
  });

  it('refuses a feed change without "value" (400), not JSON (415) or malformed (400), changing nothing', async () => {
    const { url, workbench } = await startWorkbench();
    const before = workbench.hosts.get('short-polling')!.feed.current().version;
    const post = (body: string, type = 'application/json') => fetch(`${url}/api/lessons/short-polling/feed`, { method: 'POST', headers: { 'content-type': type }, body });

    const missing = await post('{"price": 3}');
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({ error: 'Expected a JSON object with a "value", e.g. {"value": {"price": 101}}' });
    const form = await post('value=3', 'application/x-www-form-urlencoded');
    expect(form.status).toBe(415);
    expect(await form.json()).toEqual({ error: 'Send Content-Type: application/json' });
    const broken = await post('{"value": ');
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { error: string }).error).toMatch(/JSON/);
    expect(workbench.hosts.get('short-polling')!.feed.current().version).toBe(before);
  });

  it('refuses a change asked for by a page of another site with 403, changing nothing', async () => {
    const { url, workbench } = await startWorkbench();
    const before = workbench.hosts.get('short-polling')!.feed.current().version;
    const res = await fetch(`${url}/api/lessons/short-polling/feed/next`, { method: 'POST', headers: { origin: 'https://evil.example' } });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: 'Changing the demo is refused from another site (Origin https://evil.example)' });
    expect(workbench.hosts.get('short-polling')!.feed.current().version).toBe(before);
    const same = await fetch(`${url}/api/lessons/short-polling/feed/next`, { method: 'POST', headers: { origin: url } });
    expect(same.status).toBe(201);
  });

  it('answers unknown lessons and routes with JSON 404s', async () => {
    const { url } = await startWorkbench();
    const noLesson = await fetch(`${url}/lessons/nope/api/data`);
    expect(noLesson.status).toBe(404);
    expect(await noLesson.json()).toEqual({ error: 'No lesson at /lessons/nope' });
    const noRoute = await fetch(`${url}/lessons/short-polling/api/nothing-here`);
    expect(noRoute.status).toBe(404);
    expect(await noRoute.json()).toEqual({ error: 'The lesson has no route for GET /lessons/short-polling/api/nothing-here' });
    const noTrace = await fetch(`${url}/api/trace?lesson=nope`);
    expect(noTrace.status).toBe(404);
    expect(await noTrace.json()).toEqual({ error: 'Unknown lesson: nope' });
  });

  it('lists the lessons in course order', async () => {
    const { url } = await startWorkbench();
    const lessons = (await (await fetch(`${url}/api/lessons`)).json()) as { slug: string; order: number }[];
    expect(lessons[0]).toMatchObject({ slug: 'short-polling', order: 1, title: 'Short polling' });
    expect(lessons.map((l) => l.order)).toEqual([...lessons.map((l) => l.order)].sort((a, b) => a - b));
  });

  it('gives the lesson detail with highlighted code whose lines carry their file line numbers', async () => {
    const { url } = await startWorkbench();
    const detail = (await (await fetch(`${url}/api/lessons/short-polling`)).json()) as {
      code: { file: string; html: string }[];
      steps: { title: string; focus: string[] }[];
      clients: { id: string }[];
    };
    expect(detail.code.map((c) => c.file)).toEqual(['server.ts', 'client.ts']);
    expect(detail.code[0]!.html).toMatch(/data-line="\d+"/);
    expect(detail.code[0]!.html).toContain('data-step="respond"');
    expect(detail.steps.length).toBeGreaterThanOrEqual(3);
    expect(detail.clients.map((c) => c.id)).toEqual(['interval', 'chained']);
  });
});
