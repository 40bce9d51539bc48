import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express } from 'express';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { errorHandler, HttpError, notFound } from './http-error.ts';

/** Serves `app` on a free port of 127.0.0.1 until the test ends; resolves to its base URL. */
async function listen(app: Express): Promise<string> {
  const server = createServer(app).listen(0, '127.0.0.1');
  onTestFinished(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** An app with the given routes, then notFound and errorHandler, as the workbench mounts them. */
function createTestApp(routes: (app: Express) => void): Express {
  const app = express();
  routes(app);
  app.use(notFound());
  app.use(errorHandler());
  return app;
}

/** Silences the error log of a 500 and returns what was logged. */
function captureErrorLog() {
  const log = vi.spyOn(console, 'error').mockImplementation(() => {});
  onTestFinished(() => log.mockRestore());
  return log;
}

/** What JSON.parse says about `text` in this Node version. */
function jsonParseMessage(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    return (error as SyntaxError).message;
  }
  throw new Error(`${text} is valid JSON`);
}

async function get(url: string, init?: RequestInit) {
  const res = await fetch(url, init);
  return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as unknown };
}

describe('HttpError', () => {
  it('carries a status and a message', () => {
    const error = new HttpError(409, 'Lesson is busy');
    expect(error).toBeInstanceOf(Error);
    expect({ name: error.name, status: error.status, message: error.message }).toEqual({ name: 'HttpError', status: 409, message: 'Lesson is busy' });
  });
});

describe('errorHandler', () => {
  it('answers an HttpError with its status and { error: message }', async () => {
    const base = await listen(
      createTestApp((app) =>
        app.get('/cursor', () => {
          throw new HttpError(400, 'Invalid cursor');
        }),
      ),
    );
    expect(await get(`${base}/cursor`)).toEqual({ status: 400, type: 'application/json; charset=utf-8', body: { error: 'Invalid cursor' } });
  });

  it('answers a plain Error with 500 and hides its message', async () => {
    const log = captureErrorLog();
    const boom = new Error('secret database password in here');
    const base = await listen(
      createTestApp((app) =>
        app.get('/boom', () => {
          throw boom;
        }),
      ),
    );
    expect(await get(`${base}/boom`)).toEqual({ status: 500, type: 'application/json; charset=utf-8', body: { error: 'Internal server error' } });
    expect(log.mock.calls).toEqual([[boom]]);
  });

  it('catches a rejected async handler', async () => {
    const base = await listen(
      createTestApp((app) =>
        app.get('/later', async () => {
          await Promise.resolve();
          throw new HttpError(404, 'No such lesson');
        }),
      ),
    );
    expect(await get(`${base}/later`)).toEqual({ status: 404, type: 'application/json; charset=utf-8', body: { error: 'No such lesson' } });
  });

  it('catches an async handler that rejects with a plain Error as a 500', async () => {
    const log = captureErrorLog();
    const base = await listen(
      createTestApp((app) =>
        app.get('/later', async () => {
          await Promise.resolve();
          throw new Error('lost the runner');
        }),
      ),
    );
    expect(await get(`${base}/later`)).toEqual({ status: 500, type: 'application/json; charset=utf-8', body: { error: 'Internal server error' } });
    expect(log).toHaveBeenCalledTimes(1);
  });

  it('reads the status from statusCode too', async () => {
    const base = await listen(
      createTestApp((app) =>
        app.get('/teapot', () => {
          throw Object.assign(new Error('I am a teapot'), { statusCode: 418 });
        }),
      ),
    );
    expect(await get(`${base}/teapot`)).toEqual({ status: 418, type: 'application/json; charset=utf-8', body: { error: 'I am a teapot' } });
  });

  it('hides the message of an error with a 5xx status', async () => {
    captureErrorLog();
    const base = await listen(
      createTestApp((app) =>
        app.get('/down', () => {
          throw new HttpError(503, 'runner crashed at /home/me/secret');
        }),
      ),
    );
    expect(await get(`${base}/down`)).toEqual({ status: 503, type: 'application/json; charset=utf-8', body: { error: 'Internal server error' } });
  });

  it.each([
    ['a status below 400', 302],
    ['a status above 599', 600],
    ['a status given as text', '400'],
  ])('answers 500 for an error with %s', async (_name, status) => {
    captureErrorLog();
    const base = await listen(
      createTestApp((app) =>
        app.get('/odd', () => {
          throw Object.assign(new Error('odd'), { status });
        }),
      ),
    );
    expect(await get(`${base}/odd`)).toEqual({ status: 500, type: 'application/json; charset=utf-8', body: { error: 'Internal server error' } });
  });

  it('answers a thrown non-Error value with 500', async () => {
    captureErrorLog();
    const base = await listen(
      createTestApp((app) =>
        app.get('/string', () => {
          throw 'just a string';
        }),
      ),
    );
    expect(await get(`${base}/string`)).toEqual({ status: 500, type: 'application/json; charset=utf-8', body: { error: 'Internal server error' } });
  });

  it('hands an error to Express when the headers are already sent, which cuts the response short', async () => {
    const base = await listen(
      createTestApp((app) =>
        app.get('/partial', (_req, res) => {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.write('partial');
          throw new Error('failed halfway');
        }),
      ),
    );
    const res = await fetch(`${base}/partial`);
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow(new TypeError('terminated'));
  });

  it('answers a bad JSON body from express.json() with 400 and the parser message', async () => {
    const base = await listen(createTestApp((app) => app.post('/echo', express.json(), (req, res) => res.json(req.body))));
    const answer = await get(`${base}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
    expect(answer).toEqual({ status: 400, type: 'application/json; charset=utf-8', body: { error: jsonParseMessage('{') } });
  });
});

describe('notFound', () => {
  it('answers a path no route takes with 404 and the method and URL', async () => {
    const base = await listen(createTestApp((app) => app.get('/known', (_req, res) => res.json({ ok: true }))));
    expect(await get(`${base}/nope?x=1`)).toEqual({
      status: 404,
      type: 'application/json; charset=utf-8',
      body: { error: 'Not found: GET /nope?x=1' },
    });
    expect(await get(`${base}/known`, { method: 'POST' })).toEqual({
      status: 404,
      type: 'application/json; charset=utf-8',
      body: { error: 'Not found: POST /known' },
    });
  });

  it('names the full URL when mounted under a path', async () => {
    const base = await listen(
      createTestApp((app) => {
        const api = express.Router();
        api.use(notFound());
        app.use('/api', api);
      }),
    );
    expect(await get(`${base}/api/lessons/x`)).toEqual({
      status: 404,
      type: 'application/json; charset=utf-8',
      body: { error: 'Not found: GET /api/lessons/x' },
    });
  });

  it('leaves routes that match alone', async () => {
    const base = await listen(createTestApp((app) => app.get('/known', (_req, res) => res.json({ ok: true }))));
    expect(await get(`${base}/known`)).toEqual({ status: 200, type: 'application/json; charset=utf-8', body: { ok: true } });
  });
});
