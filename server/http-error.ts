import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { ErrorRequestHandler, RequestHandler } from 'express';

/** An error that carries the HTTP status it should be answered with. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Answers every error as `{ error: message }` with its status (500 hides the message). */
export function errorHandler(): ErrorRequestHandler {
  return function errorHandler(err, _req, res, next) {
    if (res.headersSent) return next(err);
    const status = statusOf(err);
    if (status >= 500) console.error(err);
    res.status(status).json({ error: status >= 500 ? 'Internal server error' : messageOf(err) });
  };
}

/** Answers `{ error: message }` with `status` on a plain Node response (where there is no Express). */
export function sendError(res: ServerResponse, status: number, message: string, headers: OutgoingHttpHeaders = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify({ error: message }));
}

/** The last handler: a JSON 404 for anything no route took. */
export function notFound(): RequestHandler {
  return function notFound(req, res) {
    res.status(404).json({ error: `Not found: ${req.method} ${req.originalUrl}` });
  };
}

function statusOf(err: unknown): number {
  const status = (err as { status?: unknown; statusCode?: unknown })?.status ?? (err as { statusCode?: unknown })?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
