import { Agent, request, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { urlToHttpOptions } from 'node:url';
import type { RequestHandler } from 'express';
import { sendError } from './http-error.ts';

/** Options of {@link createBufferingProxy}; each names the nginx directive it stands for. */
export interface BufferingProxyOptions {
  /** The origin to forward to, e.g. `http://127.0.0.1:5173` (read per request: known only after listen). */
  target(): string;
  /** Bytes gathered before the proxy passes the body on, like nginx's `proxy_buffer_size` (one memory page). @default 4096 */
  bufferBytes?: number;
  /** Close a response when the upstream sent nothing for this long, like nginx's `proxy_read_timeout` (default 60 s there). Read per request. @default () => 60_000 */
  idleTimeoutMs?(): number;
  /** Told when the proxy cuts a stream for idleness (for the lesson's timeline). */
  onIdleTimeout?(info: { url: string; idleMs: number; client?: string }): void;
}

/** An nginx stand-in in front of the workbench's own origin, mounted at a path prefix. */
export interface BufferingProxy {
  /** Express middleware; mount it with `app.use('/nginx', proxy.middleware)` (it forwards `req.url`, which Express has already stripped of the mount path). */
  middleware: RequestHandler;
  /** Ends every relayed response and the keep-alive agent; idempotent. */
  close(): void;
}

/** Connection-level headers (RFC 9110 §7.6.1): they describe one hop, so a proxy never copies them. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * Creates a reverse proxy that relays answers the way nginx does with `proxy_buffering on`:
 * the status and headers go to the client at once, the body in bursts of at least `bufferBytes`.
 * An upstream answer carrying `X-Accel-Buffering: no` is passed through chunk by chunk instead, and a
 * stream the upstream leaves silent for `idleTimeoutMs()` is cut (`proxy_read_timeout`).
 *
 * Forwarding is over real HTTP through a keep-alive agent (nginx's `upstream { keepalive }` with
 * `proxy_http_version 1.1`). The request goes out with its method, path, query, headers and body,
 * the client's `Host` (`proxy_set_header Host $host`) and the usual `X-Forwarded-*` headers.
 * Mount it before any body parser, so request bodies stream through untouched.
 */
export function createBufferingProxy({ target, bufferBytes = 4096, idleTimeoutMs = () => 60_000, onIdleTimeout }: BufferingProxyOptions): BufferingProxy {
  if (!Number.isInteger(bufferBytes) || bufferBytes < 1) throw new RangeError(`bufferBytes must be a positive integer (got ${bufferBytes})`);
  const agent = new Agent({ keepAlive: true });
  const relays = new Set<() => void>();
  let closed = false;

  return {
    middleware: function bufferingProxy(req, res) {
      if (closed) return void sendError(res, 503, 'The proxy is closed');
      let origin: URL;
      try {
        origin = new URL(target());
      } catch (error) {
        return void sendError(res, 502, `No upstream to forward to (${messageOf(error)})`);
      }
      const url = req.url;
      const idleMs = idleTimeoutMs();
      relay(req, res, {
        origin,
        agent,
        bufferBytes,
        idleMs,
        relays,
        onIdle: () => onIdleTimeout?.({ url, idleMs, client: clientOf(url) }),
      });
    },
    close() {
      if (closed) return;
      closed = true;
      for (const abort of [...relays]) abort();
      agent.destroy();
    },
  };
}

interface RelayContext {
  origin: URL;
  agent: Agent;
  bufferBytes: number;
  idleMs: number;
  /** Holds the abort function of every relay in flight, for close(). */
  relays: Set<() => void>;
  onIdle(): void;
}

/** Forwards one request and relays its answer; every way it can end clears the idle timer once. */
function relay(req: IncomingMessage, res: ServerResponse, { origin, agent, bufferBytes, idleMs, relays, onIdle }: RelayContext): void {
  let settled = false;
  let idleTimer: NodeJS.Timeout | undefined;
  let upstream: ClientRequest | undefined;

  const settle = () => {
    settled = true;
    clearTimeout(idleTimer);
    relays.delete(abort);
  };
  const abort = () => {
    if (settled) return;
    settle();
    upstream?.destroy();
    res.destroy();
  };
  relays.add(abort);

  // nginx `proxy_read_timeout`: the time between two reads from the upstream, header included.
  // Before the header it answers 504; after it, it can only close the connection (the stream is cut,
  // and bytes still gathered are dropped with it).
  const armIdleTimer = () => {
    clearTimeout(idleTimer);
    if (settled) return;
    idleTimer = setTimeout(() => {
      if (settled) return;
      settle();
      upstream?.destroy();
      if (res.headersSent) res.destroy();
      else sendError(res, 504, `The upstream sent nothing for ${idleMs} ms (proxy_read_timeout)`);
      onIdle();
    }, idleMs);
  };
  const pauseIdleTimer = () => clearTimeout(idleTimer);

  // The client went away: nothing is waiting for the answer any more.
  res.on('close', () => {
    if (settled || res.writableFinished) return;
    settle();
    upstream?.destroy();
  });

  try {
    upstream = request({ ...urlToHttpOptions(origin), method: req.method, path: req.url, headers: forwardedHeaders(req), agent });
  } catch (error) {
    settle();
    return void sendError(res, 502, `The upstream did not answer (${messageOf(error)})`);
  }

  upstream.on('error', (error) => {
    if (settled) return;
    settle();
    if (res.headersSent) res.destroy();
    else sendError(res, 502, `The upstream did not answer (${messageOf(error)})`);
  });
  upstream.on('finish', armIdleTimer); // the request is sent: from now on the proxy waits to read
  upstream.on('response', (upstreamRes) => {
    if (settled) return void upstreamRes.destroy();
    const passThrough = String(upstreamRes.headers['x-accel-buffering'] ?? '').trim().toLowerCase() === 'no';
    const headers = responseHeaders(upstreamRes.headers);
    if (upstreamRes.statusMessage) res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, headers);
    else res.writeHead(upstreamRes.statusCode ?? 502, headers);
    res.flushHeaders(); // nginx sends the header before it has any of the body
    armIdleTimer();

    let gathered: Buffer[] = [];
    let gatheredBytes = 0;
    const takeGathered = () => {
      const data = Buffer.concat(gathered, gatheredBytes);
      gathered = [];
      gatheredBytes = 0;
      return data;
    };
    // Stops reading while the client's socket is full (nginx would spill to a temp file instead);
    // not reading is not the upstream's silence, so the idle timer waits too.
    const send = (data: Buffer) => {
      if (res.write(data)) return;
      upstreamRes.pause();
      pauseIdleTimer();
      res.once('drain', () => {
        if (settled) return;
        upstreamRes.resume();
        armIdleTimer();
      });
    };

    upstreamRes.on('data', (chunk: Buffer) => {
      if (settled) return;
      armIdleTimer(); // any byte counts, an SSE `: ping` comment included
      if (passThrough) return send(chunk); // `X-Accel-Buffering: no`
      gathered.push(chunk); // `proxy_buffering on`: wait for a full buffer
      gatheredBytes += chunk.length;
      if (gatheredBytes >= bufferBytes) send(takeGathered());
    });
    upstreamRes.on('end', () => {
      if (settled) return;
      settle();
      res.end(takeGathered());
    });
    upstreamRes.on('error', () => {}); // an aborted answer; 'close' below handles it
    upstreamRes.on('close', () => {
      if (settled) return;
      settle();
      res.destroy(); // the upstream broke off after the header: so does the stream to the client
    });
  });

  req.pipe(upstream);
}

/** The client's headers minus hop-by-hop ones, plus `X-Forwarded-*` (nginx's `$proxy_add_x_forwarded_for`, `$scheme`, `$host`). */
function forwardedHeaders(req: IncomingMessage): OutgoingHttpHeaders {
  const headers = withoutHopByHop(req.headers);
  const remote = req.socket.remoteAddress;
  const forwardedFor = [req.headers['x-forwarded-for'], remote].filter(Boolean).join(', ');
  if (forwardedFor) headers['x-forwarded-for'] = forwardedFor;
  headers['x-forwarded-proto'] = 'encrypted' in req.socket && req.socket.encrypted ? 'https' : 'http';
  if (req.headers.host) headers['x-forwarded-host'] = req.headers.host;
  return headers;
}

/** The upstream's headers minus hop-by-hop ones and `X-Accel-*` (nginx's `proxy_hide_header` defaults). */
function responseHeaders(upstream: IncomingHttpHeaders): OutgoingHttpHeaders {
  const headers = withoutHopByHop(upstream);
  for (const name of Object.keys(headers)) if (name.startsWith('x-accel-')) delete headers[name];
  return headers;
}

function withoutHopByHop(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  // A `Connection: close, x-foo` header makes `x-foo` hop-by-hop as well.
  const named = String(headers.connection ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase());
  const kept: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name) && !named.includes(name)) kept[name] = value;
  }
  return kept;
}

/** The `client` query parameter of a path+query, if it has one. */
function clientOf(url: string): string | undefined {
  try {
    return new URL(url, 'http://proxy.invalid').searchParams.get('client') ?? undefined;
  } catch {
    return undefined;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
