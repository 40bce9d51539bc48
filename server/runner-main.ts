/**
 * The runner process: hosts one version of one lesson's server code, away from the workbench.
 * It starts, listens on a loopback port and says `ready`; it then waits for one `load`,
 * imports the compiled lesson module, mounts the router it returns under the lesson's API path,
 * and reports every request, stream and error as trace events over IPC. A new version of the
 * code gets a new runner; this process never loads twice.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import express, { type ErrorRequestHandler, type Router } from 'express';
import { DEFAULT_SETTINGS, type FeedSnapshot, type LessonContext, type LessonServer, type LessonSettings } from '../lessons/lesson.ts';
import { VIRTUAL_CLIENT_PREFIX, type TraceInput } from '../lessons/trace-event.ts';
import { readRequestHead, sendConnection, takeConnection, type ConnectionChannel } from './connection-handoff.ts';
import { HttpError, sendError } from './http-error.ts';
import { createLessonLocator, locateError, type LessonLocator } from './lesson-locator.ts';
import { ALIVE_EVERY_MS, METERS_EVERY_MS, RETIRE_REPORT_MS, type FromRunnerMessage, type ToRunnerMessage } from './runner-protocol.ts';
import { createRouteMeter, type RouteMeter } from './route-meter.ts';
import { rejectUpgrade } from './reject-upgrade.ts';
import { createUpgradeRoutes } from './upgrade-routes.ts';
import { countConns, traceHttpMiddleware, type OpenStream } from './trace-http.ts';
import { traceWebSocket } from './trace-websocket.ts';
import { createWriteLocator } from './write-locator.ts';

process.setSourceMapsEnabled(true);
/** The real exit, for this runner's own use (lesson code's `process.exit` is reported first, below). */
const exit = process.exit.bind(process);
/** How long a crashing runner waits for its idle connections to reach the workbench, ms. */
const GIVE_BACK_MS = 250;

const send = (message: FromRunnerMessage) => process.send?.(message);
let pending: TraceInput[] = [];
// For a lesson that compares techniques every event is counted per route; a virtual client's are only counted, not traced one by one.
let meter: RouteMeter | undefined;
const emit = (event: TraceInput) => {
  meter?.add(event);
  if (event.client?.startsWith(VIRTUAL_CLIENT_PREFIX)) return;
  if (pending.length === 0) setImmediate(flushTrace);
  pending.push(event);
};
function flushTrace() {
  if (pending.length === 0) return;
  send({ type: 'trace', events: pending });
  pending = [];
}

let feedSnapshot: FeedSnapshot | undefined;
let settings: LessonSettings = DEFAULT_SETTINGS;
const feedListeners = new Set<(snapshot: FeedSnapshot) => void>();
const abort = new AbortController();
let sourcePath = '';
let apiBase = '';
let locate: LessonLocator = () => undefined;
/** One for every response and socket: a broadcast's writes are located once (see createWriteLocator). */
const locateWrite = createWriteLocator(() => locate());
/** Names connections that named none, tagged with the generation of server.ts that saw them: an edit runs in a new process, and `s1` must not come twice. */
let connId = countConns();
const upgrades = createUpgradeRoutes(() => apiBase);
const streams = new Set<OpenStream>();

/**
 * Client connections the workbench handed over (see connection-handoff.ts): this process answers
 * its lesson's requests on them, and hands each back with the first request that is not one.
 */
const handed = new Set<Socket>();
/** Handed connections with a request being answered: they go back only once it is. */
const answering = new Set<Socket>();
/** A newer version took over: connections go back to the workbench as soon as they are idle. */
let retiring = false;

const app = express();
app.disable('x-powered-by');
app.set('etag', false); // lessons decide about ETags themselves
const server = createServer((req, res) => {
  const socket = req.socket as Socket;
  if (handed.has(socket) && !isLessonPath(req.url)) {
    return void giveBack(req, socket).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, error instanceof HttpError ? error.status : 503, error instanceof Error ? error.message : String(error), { connection: 'close' });
    });
  }
  if (handed.has(socket)) {
    answering.add(socket);
    res.once('close', () => {
      answering.delete(socket);
      if (retiring) void giveBackIdle(socket);
    });
  }
  app(req, res);
});
server.on('upgrade', (req, socket: Socket, head) => {
  if (handed.has(socket) && !isLessonPath(req.url)) return void giveBack(req, socket, head).catch(() => socket.destroy());
  // No longer HTTP: it stays here until it closes.
  handed.delete(socket);
  socket.on('error', () => socket.destroy());
  const handler = upgrades.handlerFor(req);
  if (!handler) return rejectUpgrade(socket, 404);
  try {
    traceWebSocket({ emit, locate, locateWrite, streams, connId }, req, socket);
    handler(req, socket, head);
  } catch (error) {
    reportRuntimeError(error);
    socket.destroy();
  }
});

process.on('message', (message: ToRunnerMessage, handle?: unknown) => {
  if (message.type === 'connection') return takeHanded(handle as Socket | undefined, message.head);
  if (message.type === 'load') void load(message);
  if (message.type === 'settings') settings = message.settings;
  if (message.type === 'retire') {
    retiring = true;
    giveBackAll();
    abort.abort();
    // Let the answers and close frames the abort sent reach the trace, then go as on a disconnect.
    setTimeout(() => {
      flushTrace();
      process.disconnect?.();
    }, RETIRE_REPORT_MS).unref();
  }
  if (message.type === 'end-streams') {
    const ending = [...streams].filter((stream) => message.client === undefined || stream.client === message.client);
    for (const stream of ending) stream.end(message.reason);
    send({ type: 'streams-ended', count: ending.length });
  }
  if (message.type === 'feed') {
    feedSnapshot = message.snapshot;
    for (const listener of feedListeners) {
      try {
        listener(message.snapshot);
      } catch (error) {
        reportRuntimeError(error);
      }
    }
  }
});
// Retired (a newer version took over; see 'retire' above) or the workbench went away: stop taking
// requests, let the ones in flight finish briefly, then go.
process.on('disconnect', () => {
  abort.abort();
  server.close(() => exit(0));
  server.closeIdleConnections();
  setTimeout(() => exit(0), 1_000).unref();
});

/** Serves a connection the workbench read a request from: as if it had come here, with what was read as its first bytes. */
function takeHanded(socket: Socket | undefined, head: string) {
  if (!socket) return;
  // Handed over just as this runner retires: straight back, to the version now serving.
  if (retiring) return void sendConnection(process as ConnectionChannel, socket, Buffer.from(head, 'latin1')).catch(() => socket.destroy());
  handed.add(socket);
  socket.once('close', () => {
    handed.delete(socket);
    answering.delete(socket);
  });
  takeConnection(server, socket, head);
}

function isLessonPath(url = '/'): boolean {
  return apiBase !== '' && (url === apiBase || url.startsWith(`${apiBase}/`) || url.startsWith(`${apiBase}?`));
}

/** Hands a connection back to the workbench with the request just read from it, which is not this lesson's. */
async function giveBack(req: IncomingMessage, socket: Socket, rest?: Buffer) {
  handed.delete(socket);
  await sendConnection(process as ConnectionChannel, socket, await readRequestHead(req, req.url, rest));
}

/** The connections being handed back, until the workbench has them. */
const givingBack = new Set<Promise<void>>();

/** Hands back every connection not in the middle of a request (the rest follow once answered, while retiring). */
function giveBackAll() {
  for (const socket of handed) if (!answering.has(socket)) void giveBackIdle(socket);
}

/**
 * Hands back a connection between requests, once what was written on it has gone out. (While it
 * has not, the client is still reading the answer and sends no new request meanwhile.) This
 * process reads nothing more from it: a request the client sends meanwhile waits in the socket
 * for the workbench.
 */
function giveBackIdle(socket: Socket): Promise<void> {
  // Not one that is closing (its answer said `Connection: close`).
  if (!handed.delete(socket) || socket.destroyed || socket.writableEnded || !process.connected) return Promise.resolve();
  const handle = (socket as Socket & { _handle?: { readStop?(): void; writeQueueSize?: number } })._handle;
  handle?.readStop?.();
  const written = socket.writableLength > 0 || (handle?.writeQueueSize ?? 0) > 0 ? new Promise((resolve) => socket.write(Buffer.alloc(0), resolve)) : Promise.resolve();
  const sent = written
    .then(() => sendConnection(process as ConnectionChannel, socket, Buffer.alloc(0)))
    .catch(() => void socket.destroy())
    .finally(() => givingBack.delete(sent));
  givingBack.add(sent);
  return sent;
}

// Ctrl-C in a terminal reaches the whole process group; the workbench ends this runner itself (a
// disconnect, above), so that the lesson can still close its sockets with 1001.
process.on('SIGINT', () => {});
process.on('uncaughtException', (error) => {
  reportRuntimeError(error);
  flushTrace();
  // The lesson's state may be broken now: end this runner; the workbench starts a fresh one. Idle
  // connections go back first (briefly), so that their clients' next requests find that one.
  giveBackAll();
  void Promise.race([Promise.all(givingBack), new Promise((resolve) => setTimeout(resolve, GIVE_BACK_MS))]).finally(() => exit(70));
});
process.on('unhandledRejection', (reason) => reportRuntimeError(reason));

// The workbench's watchdog: as long as these arrive, the event loop turns. A busy loop in lesson code stops them.
setInterval(() => send({ type: 'alive' }), ALIVE_EVERY_MS).unref();
setInterval(() => {
  const routes = meter?.take();
  if (!routes) return;
  const cpu = process.cpuUsage();
  send({ type: 'meters', routes, cpuMicros: cpu.user + cpu.system });
}, METERS_EVERY_MS).unref();

// process.exit() in lesson code ends this runner, never the workbench: say where it was called, then go.
process.exit = ((code?: number | string | null) => {
  const error = new Error(`process.exit(${code ?? ''}) was called: the lesson server stopped`);
  emit({ kind: 'error', t: Date.now(), lane: 'server', phase: 'runtime', message: error.message, source: locateError(error, sourcePath, 'server.ts') });
  flushTrace();
  return exit(code);
}) as typeof process.exit;

// A deep accept queue: the choosing lesson's virtual clients connect by the thousand, and a SYN
// dropped from a full queue is retried only after a second (then 3, 7 …).
server.listen({ port: 0, host: '127.0.0.1', backlog: 4_096 }, () => {
  const address = server.address();
  if (address && typeof address === 'object') send({ type: 'ready', port: address.port });
});

async function load(message: Extract<ToRunnerMessage, { type: 'load' }>) {
  feedSnapshot = message.feed;
  settings = message.settings;
  sourcePath = message.sourcePath;
  apiBase = `/lessons/${message.slug}/api`;
  if (message.meters) meter = createRouteMeter(() => apiBase);
  const context: LessonContext = {
    slug: message.slug,
    feed: {
      current: () => feedSnapshot!,
      subscribe(listener) {
        feedListeners.add(listener);
        return () => feedListeners.delete(listener);
      },
    },
    settings: () => settings,
    signal: abort.signal,
    onUpgrade: upgrades.add,
  };
  let router: Router;
  try {
    const module = (await import(pathToFileURL(message.modulePath).href)) as { default?: LessonServer };
    if (typeof module.default !== 'function') throw new TypeError('server.ts must default-export a function (context) => Router');
    router = module.default(context);
    if (typeof router !== 'function') throw new TypeError('the default export of server.ts must return an Express Router');
  } catch (error) {
    send({ type: 'load-error', message: messageOf(error), line: locateError(error, sourcePath, 'server.ts')?.line });
    return;
  }
  locate = createLessonLocator(message.modulePath, 'server.ts');
  connId = countConns(`${message.generation}.`);
  app.use(
    apiBase,
    traceHttpMiddleware({ emit, locate, locateWrite, delayMs: () => settings.latencyMs * settings.timeScale, streams, connId }),
    router,
    function lessonNotFound(req, res) {
      res.status(404).json({ error: `The lesson has no route for ${req.method} ${req.originalUrl}` });
    },
  );
  app.use(lessonErrorHandler);
  send({ type: 'loaded', generation: message.generation });
}

const lessonErrorHandler: ErrorRequestHandler = function lessonErrorHandler(err, _req, res, next) {
  reportRuntimeError(err);
  if (res.headersSent) return next(err);
  const status = typeof err?.status === 'number' && err.status >= 400 && err.status < 600 ? err.status : 500;
  res.status(status).json({ error: messageOf(err) });
};

function reportRuntimeError(error: unknown) {
  emit({ kind: 'error', t: Date.now(), lane: 'server', phase: 'runtime', message: messageOf(error), source: locateError(error, sourcePath, 'server.ts') });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
