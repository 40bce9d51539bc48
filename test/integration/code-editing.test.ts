import { readFile, stat } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_EDIT_BYTES } from '../../server/code-router.ts';
import { TOKEN_HEADER } from '../../server/presenter-guard.ts';
import { ROOT, startWorkbench, traceOf, waitFor } from '../setup/workbench.ts';

const SLUG = 'short-polling';
const CODE = `/api/lessons/${SLUG}/code/server.ts`;
const ORIGINAL = await readFile(join(ROOT, 'lessons', '01-short-polling', 'server.ts'), 'utf8');
/** The lesson with one visible change: its answers carry an `edited` field. */
const EDITED = ORIGINAL.replace('res.json({ version, value, changedAt });', 'res.json({ version, value, changedAt, edited: true });');

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** A raw request, so that every header (Host, Origin, Content-Type) is exactly what the test says. */
function send(url: string, method: string, path: string, { headers = {}, body }: { headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, url), { method, headers: { ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }), ...headers } }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const json = { 'content-type': 'application/json' };
/** How fetch fails on a connection closed before any answer: the lesson server it was handed to stopped. */
const CLOSED_UNANSWERED = { name: 'TypeError', cause: { code: 'UND_ERR_SOCKET', message: 'other side closed' } };
const put = (url: string, code: string, headers: Record<string, string> = json) => send(url, 'PUT', CODE, { headers, body: JSON.stringify({ code }) });
const data = async (url: string) => (await (await fetch(`${url}/lessons/${SLUG}/api/data`)).json()) as Record<string, unknown>;

describe('editing a lesson\'s server code through the API', () => {
  it('runs an edit, keeps it beside the original, shows it, and resets it', async () => {
    const { url, workspaceDir } = await startWorkbench();
    expect(await send(url, 'GET', CODE)).toEqual({ status: 200, body: { file: 'server.ts', code: ORIGINAL, edited: false, original: ORIGINAL } });
    expect(await data(url)).not.toHaveProperty('edited');

    expect(await put(url, EDITED)).toEqual({ status: 200, body: { ok: true } });
    expect(await data(url)).toMatchObject({ edited: true });
    expect(await send(url, 'GET', CODE)).toEqual({ status: 200, body: { file: 'server.ts', code: EDITED, edited: true, original: ORIGINAL } });
    // Kept in the workspace, never over lessons/; the page shows the code that runs.
    expect(await readFile(join(workspaceDir, SLUG, 'server.ts'), 'utf8')).toBe(EDITED);
    expect(await readFile(join(ROOT, 'lessons', '01-short-polling', 'server.ts'), 'utf8')).toBe(ORIGINAL);
    const detail = (await (await fetch(`${url}/api/lessons/${SLUG}`)).json()) as { code: { tab: string; text: string; edited?: boolean }[] };
    expect(detail.code.find((c) => c.tab === 'server.ts')).toMatchObject({ edited: true, text: expect.stringContaining('edited: true') });
    const reloads = await waitFor(async () => (await traceOf(url, SLUG)).filter((e) => e.kind === 'reload'));
    expect(reloads.map((e) => 'reason' in e && e.reason)).toEqual(['start', 'edited']);

    expect(await send(url, 'DELETE', CODE)).toEqual({ status: 200, body: { ok: true } });
    expect(await data(url)).not.toHaveProperty('edited');
    expect(await send(url, 'GET', CODE)).toMatchObject({ body: { code: ORIGINAL, edited: false } });
    await expect(stat(join(workspaceDir, SLUG, 'server.ts'))).rejects.toMatchObject({ code: 'ENOENT' });
    // Requests that named no connection (these fetches, like curl) kept distinct ids across the swaps.
    const conns = await waitFor(async () => {
      const requests = (await traceOf(url, SLUG)).filter((e) => e.kind === 'http-request' && e.url.endsWith('/data'));
      return requests.length >= 3 && requests.map((e) => e.conn);
    });
    expect(new Set(conns).size).toBe(conns.length);
  });

  it('edits client.ts: compiled for the page (types stripped, a source map back to client.ts), a value import refused at its line, reset', async () => {
    const { url, workspaceDir } = await startWorkbench();
    const path = `/api/lessons/${SLUG}/code/client.ts`;
    const original = await readFile(join(ROOT, 'lessons', '01-short-polling', 'client.ts'), 'utf8');
    const edited = `${original}\n// edited in the page\nexport const edited: boolean = true;\n`;
    const detailOf = async () => (await (await fetch(`${url}/api/lessons/${SLUG}`)).json()) as { clientModule?: string; code: { tab: string; edited?: boolean }[] };
    expect((await detailOf()).clientModule).toBeUndefined();
    expect((await fetch(`${url}/api/lessons/${SLUG}/code/client.js`)).status).toBe(404);

    expect(await send(url, 'PUT', path, { headers: json, body: JSON.stringify({ code: edited }) })).toEqual({ status: 200, body: { ok: true } });
    expect(await readFile(join(workspaceDir, SLUG, 'client.ts'), 'utf8')).toBe(edited);
    const detail = await detailOf();
    expect(detail.code.find((c) => c.tab === 'client.ts')).toMatchObject({ edited: true });
    expect(detail.clientModule).toMatch(new RegExp(`^/api/lessons/${SLUG}/code/client\\.js\\?v=[0-9a-f]{12}$`));
    const module = await fetch(`${url}${detail.clientModule}`);
    expect(module.headers.get('content-type')).toMatch(/^text\/javascript/);
    const js = await module.text();
    expect(js).toContain('export const edited = true');
    expect(js).not.toContain('import type');
    const map = JSON.parse(Buffer.from(/sourceMappingURL=data:application\/json;base64,(\S+)/.exec(js)![1]!, 'base64').toString('utf8')) as { sources: string[] };
    expect(map.sources).toEqual(['client.ts']);
    const reloads = await waitFor(async () => {
      const list = (await traceOf(url, SLUG)).filter((e) => e.kind === 'reload' && e.file === 'client.ts');
      return list.length > 0 && list;
    });
    expect(reloads.map((e) => 'reason' in e && e.reason)).toEqual(['edited']);

    const importing = `import { pause } from '../../web/pause.ts';\n${edited}export const wait = pause;\n`;
    expect(await send(url, 'PUT', path, { headers: json, body: JSON.stringify({ code: importing }) })).toEqual({
      status: 422,
      body: { errors: [{ line: 1, column: 1, message: 'client.ts runs in the page on its own: it may import types only (import type { … } from …)' }] },
    });
    expect(await send(url, 'PUT', path, { headers: json, body: JSON.stringify({ code: 'export default (: number) => 1;' }) })).toMatchObject({ status: 422 });
    // The last good edit stays.
    expect(await readFile(join(workspaceDir, SLUG, 'client.ts'), 'utf8')).toBe(edited);

    expect(await send(url, 'DELETE', path)).toEqual({ status: 200, body: { ok: true } });
    expect((await detailOf()).clientModule).toBeUndefined();
    expect(await send(url, 'GET', path)).toMatchObject({ body: { code: original, edited: false } });
  });

  it('a request the old version was holding is answered as it retires, and that answer is on the trace', async () => {
    const { url } = await startWorkbench();
    const path = '/api/lessons/long-polling/code/server.ts';
    const original = await readFile(join(ROOT, 'lessons', '02-long-polling', 'server.ts'), 'utf8');
    const held = fetch(`${url}/lessons/long-polling/api/data?wait=1`);
    const request = await waitFor(async () => (await traceOf(url, 'long-polling')).find((e) => e.kind === 'http-held'));
    expect(await send(url, 'PUT', path, { headers: json, body: JSON.stringify({ code: `${original}\n// edited\n` }) })).toMatchObject({ status: 200 });
    expect((await held).status).toBe(204);
    const answer = await waitFor(async () => (await traceOf(url, 'long-polling')).find((e) => e.kind === 'http-response' && e.conn === request.conn));
    expect(answer).toMatchObject({ status: 204 });
  });

  it('answers 422 with the line and column of a compile error, and the last good code keeps serving', async () => {
    const { url } = await startWorkbench();
    expect(await put(url, EDITED)).toMatchObject({ status: 200 });
    const broken = EDITED.replace('const etag = `"v${version}"`;', 'const etag = `"v${version}"` +;');
    const line = broken.split('\n').findIndex((l) => l.includes('+;')) + 1;
    const answer = await put(url, broken);
    expect(answer.status).toBe(422);
    expect(answer.body.errors).toEqual([{ line, column: expect.any(Number), message: expect.any(String) }]);
    expect(await data(url)).toMatchObject({ edited: true });
    expect(await send(url, 'GET', CODE)).toMatchObject({ body: { code: EDITED } });
  });

  it('answers 422 at its line for code that throws at import, and keeps serving', async () => {
    const { url } = await startWorkbench();
    const throwing = ORIGINAL.replace('const shortPolling: LessonServer', "throw new Error('not today');\nconst shortPolling: LessonServer");
    const line = throwing.split('\n').findIndex((l) => l.includes('not today')) + 1;
    const answer = await put(url, throwing);
    expect(answer.status).toBe(422);
    expect(answer.body.errors).toEqual([{ line, column: 1, message: expect.stringContaining('not today') }]);
    expect((await fetch(`${url}/lessons/${SLUG}/api/data`)).status).toBe(200);
  });
});

describe('what editing refuses (it runs code on the server)', () => {
  it('refuses a foreign Origin, a foreign Host (DNS rebinding) and anything that is not JSON, with 403 and a message', async () => {
    const { url } = await startWorkbench();
    const host = new URL(url).host;
    const refusals = [
      await put(url, EDITED, { ...json, origin: 'https://evil.example' }),
      await put(url, EDITED, { ...json, origin: 'null' }),
      await put(url, EDITED, { ...json, host: `evil.example:${new URL(url).port}` }),
      await put(url, EDITED, { ...json, host: 'localhost:1' }),
      await send(url, 'GET', CODE, { headers: { host: 'rebound.example' } }),
      await put(url, EDITED, { 'content-type': 'text/plain' }),
      await send(url, 'PUT', CODE, { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `code=${encodeURIComponent(EDITED)}` }),
      await send(url, 'PUT', CODE, { headers: { 'content-type': 'multipart/form-data; boundary=x' }, body: '--x--' }),
      await put(url, EDITED, {}),
    ];
    for (const answer of refusals) {
      expect(answer.status).toBe(403);
      expect(answer.body.error).toEqual(expect.any(String));
    }
    // The same edit from this page's own origin goes through: nothing above was refused by accident.
    expect(await put(url, EDITED, { ...json, origin: url, host })).toEqual({ status: 200, body: { ok: true } });
    expect(await put(url, EDITED, { ...json, host: `localhost:${new URL(url).port}` })).toMatchObject({ status: 200 });
  });

  it('refuses a body over 256 KiB with 413, an unknown lesson or file with 404, and never leaves the lesson folder', async () => {
    const { url } = await startWorkbench();
    const big = await put(url, `// ${'x'.repeat(MAX_EDIT_BYTES)}`);
    expect(big.status).toBe(413);
    expect(big.body.error).toEqual(expect.any(String));
    for (const path of [
      `/api/lessons/nowhere/code/server.ts`,
      `/api/lessons/${SLUG}/code/lesson.md`,
      `/api/lessons/${SLUG}/code/..%2F..%2Fpackage.json`,
      `/api/lessons/${SLUG}/code/..%2F02-long-polling%2Fserver.ts`,
      `/api/lessons/..%2F..%2Fetc/code/server.ts`,
    ]) {
      const answer = await send(url, 'GET', path);
      expect([path, answer.status]).toEqual([path, 404]);
      expect(answer.body.error).toEqual(expect.any(String));
    }
    expect((await send(url, 'GET', `/api/lessons/${SLUG}/code/..%2F..%2F..%2Fpackage.json`)).body).not.toHaveProperty('code');
    expect(await data(url)).not.toHaveProperty('edited');
  });

  it('refuses an edit from another machine without the presenter token, and takes it with the token', async () => {
    const address = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    if (!address) throw new Error('This test needs a network interface other than loopback, to send a request from an address that is not 127.0.0.1');
    const { workbench } = await startWorkbench({ presenterToken: 'secret-token' });
    // Served on every interface, reached through the machine's own network address: not loopback.
    const port = await new Promise<number>((resolve) => {
      const server = workbench.server;
      server.close(() => server.listen(0, '0.0.0.0', () => resolve((server.address() as { port: number }).port)));
    });
    const url = `http://${address}:${port}`;
    const refused = await put(url, EDITED);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatch(/presenter token/);
    expect((await put(url, EDITED, { ...json, [TOKEN_HEADER]: 'wrong-token!' })).status).toBe(403);
    expect(await put(url, EDITED, { ...json, [TOKEN_HEADER]: 'secret-token' })).toEqual({ status: 200, body: { ok: true } });
    expect(await put(url, EDITED, { ...json, authorization: 'Bearer secret-token' })).toEqual({ status: 200, body: { ok: true } });
  });
});

describe('six bad edits: each reported at its line, the workbench answering throughout, serving again after the fix', () => {
  /** The original lesson with `statement` as the first line of the /data handler. */
  const inHandler = (statement: string) => ORIGINAL.replace("  router.get('/data', (req, res) => {", `  router.get('/data', (req, res) => {\n    ${statement}`);
  const lineOf = (code: string, needle: string) => code.split('\n').findIndex((l) => l.includes(needle)) + 1;
  const errorsAt = async (url: string, predicate: (message: string) => boolean) =>
    waitFor(
      async () => {
        const errors = (await traceOf(url, SLUG)).filter((e) => e.kind === 'error' && predicate(e.message));
        return errors.length > 0 && errors;
      },
      { what: 'the error in the trace' },
    );

  /** The workbench's own API answers while the lesson misbehaves. */
  const workbenchAnswers = async (url: string) => expect((await fetch(`${url}/api/lessons`)).status).toBe(200);

  /** Puts the original back and checks that it serves, timed from the fix to the first good answer. */
  async function fixAndServe(url: string) {
    const started = performance.now();
    expect(await put(url, ORIGINAL)).toEqual({ status: 200, body: { ok: true } });
    const res = await fetch(`${url}/lessons/${SLUG}/api/data`);
    expect(res.status).toBe(200);
    return performance.now() - started;
  }

  it('a syntax error and a throw at import: 422 at their lines, nothing else changes', async () => {
    const { url } = await startWorkbench();
    const syntax = inHandler('const = 1;');
    expect(await put(url, syntax)).toMatchObject({ status: 422, body: { errors: [{ line: lineOf(syntax, 'const = 1;') }] } });
    const atImport = ORIGINAL.replace('const shortPolling', "throw new TypeError('broken at import');\nconst shortPolling");
    expect(await put(url, atImport)).toMatchObject({ status: 422, body: { errors: [{ line: lineOf(atImport, 'broken at import') }] } });
    await workbenchAnswers(url);
    expect((await fetch(`${url}/lessons/${SLUG}/api/data`)).status).toBe(200);
  });

  it('a throw in a handler: a JSON 500, the error at its line', async () => {
    const { url } = await startWorkbench();
    const code = inHandler("throw new RangeError('handler broke');");
    expect(await put(url, code)).toMatchObject({ status: 200 });
    const res = await fetch(`${url}/lessons/${SLUG}/api/data`);
    expect([res.status, await res.json()]).toEqual([500, { error: 'RangeError: handler broke' }]);
    const [error] = await errorsAt(url, (m) => m.includes('handler broke'));
    expect(error).toMatchObject({ phase: 'runtime', source: { file: 'server.ts', line: lineOf(code, 'handler broke') } });
    await workbenchAnswers(url);
    await fixAndServe(url);
  });

  it('an unhandled rejection: drawn at its line, and the lesson keeps serving', async () => {
    const { url } = await startWorkbench();
    const code = inHandler("void Promise.reject(new Error('nobody waits for me'));");
    expect(await put(url, code)).toMatchObject({ status: 200 });
    expect((await fetch(`${url}/lessons/${SLUG}/api/data`)).status).toBe(200);
    const [error] = await errorsAt(url, (m) => m.includes('nobody waits for me'));
    expect(error).toMatchObject({ phase: 'runtime', source: { file: 'server.ts', line: lineOf(code, 'nobody waits for me') } });
    expect((await fetch(`${url}/lessons/${SLUG}/api/data`)).status).toBe(200);
  });

  it('process.exit() in a handler ends the runner, not the workbench: reported at its line, restarted', async () => {
    const { url } = await startWorkbench();
    const code = inHandler('process.exit(3);');
    expect(await put(url, code)).toMatchObject({ status: 200 });
    // The runner answers on the client's own connection: it goes with the process, as a real server's would.
    await expect(fetch(`${url}/lessons/${SLUG}/api/data`)).rejects.toMatchObject(CLOSED_UNANSWERED);
    const [exit] = await errorsAt(url, (m) => m.startsWith('process.exit(3)'));
    expect(exit).toMatchObject({ phase: 'runtime', source: { file: 'server.ts', line: lineOf(code, 'process.exit(3)') } });
    await errorsAt(url, (m) => m.includes('stopped (exit code 3); restarting'));
    await workbenchAnswers(url);
    expect(await fixAndServe(url)).toBeLessThan(3_000);
  });

  it('while (true) {} in a handler: the watchdog stops the runner within 3 s, the workbench answers meanwhile', async () => {
    const { url } = await startWorkbench();
    expect(await put(url, inHandler('while (true) {}'))).toMatchObject({ status: 200 });
    const started = performance.now();
    const stuck = fetch(`${url}/lessons/${SLUG}/api/data`);
    await workbenchAnswers(url);
    await expect(stuck).rejects.toMatchObject(CLOSED_UNANSWERED);
    expect(performance.now() - started).toBeLessThan(3_000);
    await errorsAt(url, (m) => m.includes('(a busy loop?) and was stopped; restarting it on the last good code'));
    await workbenchAnswers(url);
    expect(await fixAndServe(url)).toBeLessThan(3_000);
  });

  it('while (true) {} at import: 422 when the watchdog stops the load, and the last good code keeps serving', async () => {
    const { url } = await startWorkbench();
    const answer = await put(url, ORIGINAL.replace('const shortPolling', 'while (true) {}\nconst shortPolling'));
    expect(answer).toMatchObject({ status: 422, body: { errors: [{ message: expect.stringContaining('busy loop at import') }] } });
    await workbenchAnswers(url);
    expect((await fetch(`${url}/lessons/${SLUG}/api/data`)).status).toBe(200);
  });
});
