import type { RequestHandler, Response } from 'express';
import { CLIENT_HEADER, CLIENT_PARAM, CONN_HEADER, TEXT_LIMIT, type SourceLocation, type TraceInput, versionIn } from '../lessons/trace-event.ts';
import type { LessonLocator } from './lesson-locator.ts';
import type { WriteLocator } from './write-locator.ts';
import { headersOf, queryParam, requestBytes, traceIdOf } from './trace-fields.ts';

export interface TraceHttpOptions {
  emit(event: TraceInput): void;
  /** Finds the lesson line that wrote a response. */
  locate: LessonLocator;
  /** Finds the line writing a chunk; shared by every response, so that a broadcast is located once. @default locate */
  locateWrite?: WriteLocator;
  /** Delay before the lesson's handler runs, ms (the page's "server delay", in slow motion too). @default none */
  delayMs?(): number;
  /** Where open event streams are kept while they last, so the workbench can end them (the page's "drop the connection"). */
  streams?: Set<OpenStream>;
  /** Names a request that named no connection (curl, a script): `s3`, or with a generation tag `s2.3`. @default `s1`, `s2`, … */
  connId?(kind: 's'): string;
}

/** An event stream the lesson server is writing to, or a WebSocket it serves. */
export interface OpenStream {
  conn: string;
  client?: string;
  /** Ends it from the server side (a stream cleanly; a WebSocket's TCP connection is cut); the trace says why. */
  end(reason: string): void;
}

/**
 * Records every request the lesson server handles, without the lesson code calling anything:
 * the request, whether it is held, the response or the stream and its chunks, the bytes on the
 * socket both ways, and the line of lesson code that answered. Then runs the lesson's handlers
 * (after the server delay, if one is set).
 *
 * "Held" means the handlers ran and returned without answering: the moment the server starts
 * sitting on the request (long polling, or a handler waiting on I/O). Its time is what tells a
 * missed update apart from one that was superseded before the server could answer.
 *
 * Events are written out whole, not spread from a shared `{ lane, conn, client }`: V8 builds such
 * a spread about ten times slower, and a broadcast records a thousand at once.
 */
export function traceHttpMiddleware({ emit, locate, locateWrite = () => locate(), delayMs = () => 0, streams, connId = countConns() }: TraceHttpOptions): RequestHandler {
  return function traceHttp(req, res, next) {
    const started = Date.now();
    const conn = traceIdOf(req.headers[CONN_HEADER]) ?? connId('s');
    const client = traceIdOf(req.headers[CLIENT_HEADER]) ?? traceIdOf(queryParam(req.originalUrl, CLIENT_PARAM));
    const writtenBefore = req.socket.bytesWritten;
    let source: SourceLocation | undefined;
    let streaming = false;
    let endedBecause: string | undefined;
    const open: OpenStream = {
      conn,
      client,
      end(reason) {
        endedBecause ??= reason;
        res.end();
      },
    };
    let body = '';

    emit({ lane: 'server', conn, client, kind: 'http-request', t: started, method: req.method, url: req.originalUrl, headers: headersOf(req.headers), bytes: requestBytes(req) });
    let delay: NodeJS.Timeout | undefined;
    let held: NodeJS.Immediate | undefined;
    const handle = () => {
      const handledAt = Date.now();
      next();
      // After the handler's own microtasks: an answer written in the same turn is not a hold.
      held = setImmediate(() => {
        if (!res.headersSent && !res.writableEnded && !res.destroyed) emit({ lane: 'server', conn, client, kind: 'http-held', t: handledAt });
      });
    };

    const openStream = () => {
      if (streaming || !isEventStream(res)) return;
      streaming = true;
      streams?.add(open);
      emit({ lane: 'server', conn, client, kind: 'stream-open', t: Date.now(), status: res.statusCode, headers: headersOf(res.getHeaders()), source: locate() });
    };
    const { write, end, flushHeaders } = res;
    res.flushHeaders = function tracedFlushHeaders() {
      flushHeaders.call(this);
      openStream();
    };
    /** Records a chunk of an open stream, or keeps the start of a plain body for its preview. */
    const record = (chunk: unknown, location: SourceLocation | undefined) => {
      if (chunk == null || typeof chunk === 'function') return;
      if (streaming) {
        const text = textOf(chunk);
        emit({ lane: 'server', conn, client, kind: 'stream-chunk', t: Date.now(), bytes: Buffer.byteLength(text), text: text.slice(0, TEXT_LIMIT), version: versionIn(text), source: location });
      } else if (body.length < TEXT_LIMIT) {
        body += textOf(chunk);
      }
    };
    const locateChunk = (chunk: unknown) => (typeof chunk === 'string' || Buffer.isBuffer(chunk) ? locateWrite(chunk) : locate());
    res.write = function tracedWrite(this: Response, chunk: unknown, ...rest: unknown[]) {
      const location = locateChunk(chunk);
      source = location ?? source;
      openStream();
      record(chunk, location);
      return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as Response['write'];
    res.end = function tracedEnd(this: Response, chunk?: unknown, ...rest: unknown[]) {
      const location = locateChunk(chunk);
      source = location ?? source;
      record(chunk, location);
      return (end as (...args: unknown[]) => Response).call(this, chunk, ...rest);
    } as Response['end'];

    res.once('finish', () => {
      clearImmediate(held);
      const t = Date.now();
      streams?.delete(open);
      if (streaming) return emit({ lane: 'server', conn, client, kind: 'stream-close', t, by: 'server', durationMs: t - started, source, ...(endedBecause ? { reason: endedBecause } : {}) });
      emit({
        lane: 'server',
        conn,
        client,
        kind: 'http-response',
        t,
        status: res.statusCode,
        headers: headersOf(res.getHeaders()),
        bytes: req.socket.bytesWritten - writtenBefore,
        durationMs: t - started,
        version: isJson(res) ? versionIn(body) : undefined,
        body: body.slice(0, TEXT_LIMIT),
        source,
      });
    });
    res.once('close', () => {
      clearTimeout(delay);
      clearImmediate(held);
      streams?.delete(open);
      if (res.writableFinished) return;
      const t = Date.now();
      // Destroyed with an error by the server (a slow consumer dropped), or gone on the client's side.
      const dropped = res.errored?.message;
      if (streaming) emit({ lane: 'server', conn, client, kind: 'stream-close', t, by: dropped ? 'server' : 'client', durationMs: t - started, ...(dropped ? { reason: dropped } : {}) });
      else emit({ lane: 'server', conn, client, kind: 'http-abort', t, durationMs: t - started });
    });
    const ms = delayMs();
    if (ms > 0) delay = setTimeout(handle, ms);
    else handle();
  };
}

function isEventStream(res: Response): boolean {
  return String(res.getHeader('content-type') ?? '').startsWith('text/event-stream');
}

function isJson(res: Response): boolean {
  return String(res.getHeader('content-type') ?? '').includes('json');
}

function textOf(chunk: unknown): string {
  if (typeof chunk === 'string') return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('utf8');
  return '';
}

/** Numbers connections that named none: `s1`, `s2`, … (`ws1` for sockets), with `tag` after the kind when given (`s2.1`). */
export function countConns(tag = ''): (kind: 's' | 'ws') => string {
  let count = 0;
  return (kind) => `${kind}${tag}${++count}`;
}
