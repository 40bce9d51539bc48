import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { ErrorEvent, ReloadEvent } from '../../lessons/trace-event.ts';
import { startWorkbench, traceOf, waitFor } from '../setup/workbench.ts';

const getJson = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('lesson runners', () => {
  it('reloads server.ts saved on disk without a restart of the workbench, and marks the reload', async () => {
    const { url, lessonsDir } = await startWorkbench({ copyLessons: true });
    const file = join(lessonsDir, '01-short-polling', 'server.ts');
    expect(Object.keys((await getJson(`${url}/lessons/short-polling/api/data`)).body)).not.toContain('servedBy');

    const code = await readFile(file, 'utf8');
    await writeFile(file, code.replace('res.json({ version, value, changedAt });', "res.json({ version, value, changedAt, servedBy: 'edited' });"));
    const body = await waitFor(async () => {
      const { body } = await getJson(`${url}/lessons/short-polling/api/data`);
      return body.servedBy === 'edited' && body;
    });
    expect(Object.keys(body).sort()).toEqual(['changedAt', 'servedBy', 'value', 'version']);
    const reloads = (await traceOf(url, 'short-polling')).filter((e): e is ReloadEvent => e.kind === 'reload');
    expect(reloads.map((e) => [e.generation, e.reason])).toEqual([
      [1, 'start'],
      [2, 'file-changed'],
    ]);
  });

  it('keeps the last good code serving when a save does not compile, and reports the line', async () => {
    const { url, lessonsDir } = await startWorkbench({ copyLessons: true });
    const file = join(lessonsDir, '01-short-polling', 'server.ts');
    expect((await getJson(`${url}/lessons/short-polling/api/data`)).status).toBe(200);
    const lines = (await readFile(file, 'utf8')).split('\n');
    const broken = lines.findIndex((l) => l.includes('res.json('));
    lines[broken] = '    res.json({ version, value, changedAt ;';
    await writeFile(file, lines.join('\n'));

    const error = await waitFor(async () => (await traceOf(url, 'short-polling')).find((e): e is ErrorEvent => e.kind === 'error' && e.phase === 'compile'));
    expect(error.source).toEqual({ file: 'server.ts', line: broken + 1 });
    expect(error.message).toMatch(/line \d+, column \d+/);
    const { status, body } = await getJson(`${url}/lessons/short-polling/api/data`);
    expect(status).toBe(200);
    expect(Object.keys(body).sort()).toEqual(['changedAt', 'value', 'version']);
  });

  it('answers a throw in a handler with a JSON 500 and draws the error at its line', async () => {
    const { url, lessonsDir } = await startWorkbench({ extraLessons: ['90-echo'] });
    const { status, body } = await getJson(`${url}/lessons/echo/api/boom`);
    expect(status).toBe(500);
    expect(body).toEqual({ error: 'Error: boom from the lesson' });
    const lines = (await readFile(join(lessonsDir, '90-echo', 'server.ts'), 'utf8')).split('\n');
    const error = await waitFor(async () => (await traceOf(url, 'echo')).find((e): e is ErrorEvent => e.kind === 'error'));
    expect(error).toMatchObject({ phase: 'runtime', message: 'Error: boom from the lesson', source: { file: 'server.ts', line: lines.findIndex((l) => l.includes("throw new Error('boom")) + 1 } });
  });

  it('restarts a runner that crashed and serves again', async () => {
    const { url } = await startWorkbench({ extraLessons: ['90-echo'] });
    expect((await getJson(`${url}/lessons/echo/api/crash`)).body).toEqual({ crashing: true });
    const reloads = await waitFor(async () => {
      const trace = await traceOf(url, 'echo');
      return trace.some((e) => e.kind === 'reload' && e.reason === 'restart') && trace;
    });
    expect(reloads.filter((e) => e.kind === 'error').map((e) => (e as ErrorEvent).phase)).toEqual(['runtime', 'runner']);
    expect((await getJson(`${url}/lessons/echo/api/version`)).status).toBe(200);
  });

  it('hands WebSocket upgrades to the lesson and refuses paths it does not take', async () => {
    const { url } = await startWorkbench({ extraLessons: ['90-echo'] });
    const socket = new WebSocket(`${url.replace('http', 'ws')}/lessons/echo/api/echo`);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const reply = new Promise<string>((resolve) => socket.once('message', (data) => resolve(String(data))));
    socket.send('hello');
    expect(await reply).toBe('echo: hello');
    socket.close();

    const refused = new WebSocket(`${url.replace('http', 'ws')}/lessons/echo/api/nowhere`);
    const status = await new Promise<number>((resolve) => refused.once('unexpected-response', (_req, res) => resolve(res.statusCode!)));
    expect(status).toBe(404);
  });

  it('records a WebSocket connection frame by frame, both ways, and its close code', async () => {
    const { url } = await startWorkbench({ extraLessons: ['90-echo'] });
    const socket = new WebSocket(`${url.replace('http', 'ws')}/lessons/echo/api/echo?client=tester&conn=t-1`);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const reply = new Promise<string>((resolve) => socket.once('message', (data) => resolve(String(data))));
    socket.send('{"version":9}');
    expect(await reply).toBe('echo: {"version":9}');
    socket.close(1000, 'done');
    const trace = await waitFor(async () => {
      const events = await traceOf(url, 'echo');
      return events.some((e) => e.kind === 'ws-close') && events;
    });
    const upgrade = trace.find((e) => e.kind === 'http-request' && e.conn === 't-1');
    expect(upgrade).toMatchObject({ method: 'GET', headers: { upgrade: 'websocket', 'sec-websocket-version': '13' } });
    const ws = trace.filter((e) => e.kind.startsWith('ws-'));
    expect(ws.map((e) => [e.kind, e.conn, e.client, 'direction' in e ? `${e.direction} ${e.opcode} ${e.text}` : ''])).toEqual([
      ['ws-open', 't-1', 'tester', ''],
      ['ws-frame', 't-1', 'tester', 'in text {"version":9}'],
      ['ws-frame', 't-1', 'tester', 'out text echo: {"version":9}'],
      ['ws-frame', 't-1', 'tester', 'in close 1000 done'],
      ['ws-frame', 't-1', 'tester', 'out close 1000 done'],
      ['ws-close', 't-1', 'tester', ''],
    ]);
    expect(ws[0]).toMatchObject({ headers: { upgrade: 'websocket', 'sec-websocket-accept': expect.any(String) } });
    expect(ws[1]).toMatchObject({ version: 9, bytes: 2 + 4 + 13, length: 13, masked: true, fragments: 1 });
    expect(ws[2]).toMatchObject({ masked: false, length: 19 });
    expect(ws.at(-1)).toMatchObject({ code: 1000, reason: 'done', by: 'client' });
  });

  it('records a stream and its chunks', async () => {
    const { url } = await startWorkbench({ extraLessons: ['90-echo'] });
    expect(await (await fetch(`${url}/lessons/echo/api/stream`)).text()).toBe('data: one\n\ndata: two\n\n');
    const trace = await waitFor(async () => {
      const events = await traceOf(url, 'echo');
      return events.some((e) => e.kind === 'stream-close') && events;
    });
    expect(trace.filter((e) => e.kind.startsWith('stream-')).map((e) => [e.kind, 'text' in e ? e.text : ''])).toEqual([
      ['stream-open', ''],
      ['stream-chunk', 'data: one\n\n'],
      ['stream-chunk', 'data: two\n\n'],
      ['stream-close', ''],
    ]);
  });

  it('ends its runner processes when the workbench closes', async () => {
    const { url, workbench } = await startWorkbench();
    await fetch(`${url}/lessons/short-polling/api/data`);
    const pids = await waitFor(() => runnerPids(), { what: 'a runner process' });
    await workbench.close();
    await waitFor(() => pids.every((pid) => !alive(pid)), { what: 'runners to exit' });
  });
});

async function runnerPids(): Promise<number[] | undefined> {
  const { execFileSync } = await import('node:child_process');
  const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  const pids = out.split('\n').filter((l) => l.includes('runner-main.ts')).map((l) => Number(l.trim().split(/\s+/)[0]));
  return pids.length ? pids : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
