import { afterEach, describe, expect, it, vi } from 'vitest';
import { getCode, resetCode, saveCode } from './code-api.ts';

/** Answers every fetch with `status` and `body`, and records the requests. */
function answerWith(status: number, body: unknown) {
  const requests: { url: string; init?: RequestInit }[] = [];
  vi.stubGlobal('fetch', async (url: string, init?: RequestInit) => {
    requests.push({ url, init });
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  });
  return requests;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('saveCode', () => {
  it('sends the code as JSON with PUT and answers ok on 200', async () => {
    const requests = answerWith(200, { ok: true });
    expect(await saveCode('short-polling', 'server.ts', 'export default 1;\n')).toEqual({ ok: true });
    expect(requests).toEqual([
      {
        url: '/api/lessons/short-polling/code/server.ts',
        init: { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"code":"export default 1;\\n"}' },
      },
    ]);
  });

  it('answers the errors of a 422', async () => {
    const errors = [{ line: 3, column: 7, message: 'Unexpected token' }];
    answerWith(422, { errors });
    expect(await saveCode('short-polling', 'server.ts', 'x')).toEqual({ ok: false, errors });
  });

  it('throws the message of a refused request (403, 413)', async () => {
    answerWith(403, { error: 'Editing is refused from another site (Origin http://evil.example)' });
    await expect(saveCode('short-polling', 'server.ts', 'x')).rejects.toThrow(/^Editing is refused from another site/);
    answerWith(413, { error: 'request entity too large' });
    await expect(saveCode('short-polling', 'server.ts', 'x')).rejects.toThrow(/^request entity too large$/);
  });

  it('throws the method, path and status when the answer has no message', async () => {
    vi.stubGlobal('fetch', async () => new Response('<html>Bad gateway</html>', { status: 502 }));
    await expect(saveCode('short-polling', 'server.ts', 'x')).rejects.toThrow('PUT /api/lessons/short-polling/code/server.ts answered 502');
  });
});

describe('getCode', () => {
  it('answers the file as it runs and its original', async () => {
    const file = { file: 'server.ts', code: 'edited', edited: true, original: 'original' };
    answerWith(200, file);
    expect(await getCode('short-polling', 'server.ts')).toEqual(file);
  });
});

describe('resetCode', () => {
  it('sends DELETE and answers ok on 200', async () => {
    const requests = answerWith(200, { ok: true });
    expect(await resetCode('short-polling', 'server.ts')).toEqual({ ok: true });
    expect(requests[0]?.init?.method).toBe('DELETE');
  });
});
