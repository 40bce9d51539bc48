/**
 * The runner process: hosts one version of one lesson's server code, away from the workbench.
 * It starts, listens on a loopback port and says `ready`; it then waits for one `load`,
 * imports the compiled lesson module, mounts the router it returns under the lesson's API path,
 * and reports every request, stream and error as trace events over IPC. A new version of the
 * code gets a new runner; this process never loads twice.
 */
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import express, { type ErrorRequestHandler, type Router } from 'express';
import { DEFAULT_SETTINGS, type FeedSnapshot, type LessonContext, type LessonServer, type LessonSettings } from '../lessons/lesson.ts';
import { VIRTUAL_CLIENT_PREFIX, type TraceInput } from '../lessons/trace-event.ts';
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

/** Client connections the workbench handed over (event streams, WebSockets): this process answers on them directly. */
const handed = new Set<Socket>();

const app = express();
app.disable('x-powered-by');
app.set('etag', false); // lessons decide about ETags themselves
// A handed-over connection is the client's own, kept alive to the workbench's address: once this
// answer ends, it must close, or the client's next request (for the page, say) would come here.
app.use(function closeHandedConnections(req, res, next) {
  if (handed.has(req.socket)) res.shouldKeepAlive = false;
  next();
});
const server = createServer(app);
server.on('upgrade', (req, socket, head) => {
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
  if (message.type === 'connection') return takeConnection(handle as Socket, message.head);
  if (message.type === 'load') void load(message);
  if (message.type === 'settings') settings = message.settings;
  if (message.type === 'retire') {
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
  const closed = (socket: Socket) => new Promise((resolve) => (socket.destroyed ? resolve(undefined) : socket.once('close', resolve)));
  void Promise.all([new Promise((resolve) => server.close(resolve)), ...[...handed].map(closed)]).then(() => exit(0));
  server.closeIdleConnections();
  setTimeout(() => exit(0), 1_000).unref();
});

/** Serves a connection the workbench read a request from: as if it had come to this server, with what was read already as its first bytes. */
function takeConnection(socket: Socket | undefined, head: string) {
  if (!socket) return;
  handed.add(socket);
  socket.once('close', () => handed.delete(socket));
  server.emit('connection', socket);
  socket.emit('data', Buffer.from(head, 'latin1'));
  socket.resume();
}
// Ctrl-C in a terminal reaches the whole process group; the workbench ends this runner itself (a
// disconnect, above), so that the lesson can still close its sockets with 1001.
process.on('SIGINT', () => {});
process.on('uncaughtException', (error) => {
  reportRuntimeError(error);
  flushTrace();
  // The lesson's state may be broken now: end this runner; the workbench starts a fresh one.
  setImmediate(() => exit(70));
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
