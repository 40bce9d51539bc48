/**
 * Server-Sent Events, server side: one long HTTP response per client, written to as things
 * happen, in the `text/event-stream` format. Three streams, as in the seeds: `/time` (a clock),
 * `/client-count` (who is listening) and `/data` (the feed, with ids, so a client that reconnects
 * gets exactly what it missed). Lesson parameters switch on the seeds' pitfalls one by one.
 */
import compression from 'compression';
import { Router, type Response } from 'express';
import type { FeedSnapshot, LessonServer } from '../lesson.ts';

/** One block of the stream. Every field is optional; a block with only a comment is a heartbeat. */
export interface ServerSentEvent {
  /** The event's type; the browser dispatches it to `addEventListener(event, …)`. Without it: `message`. */
  event?: string;
  /** Where a reconnecting client resumes: the browser sends it back as `Last-Event-ID`. */
  id?: string | number;
  /** The payload; a newline in it becomes a second `data:` line. */
  data?: string;
  /** Tells the browser how long to wait before reconnecting, ms. */
  retry?: number;
  /** A comment line: ignored by the browser, but it keeps proxies from closing an idle stream. */
  comment?: string;
}

const NEWLINE = /\r\n|\r|\n/;

/**
 * Encodes one event block. `event` and `id` must be one line: a CR or LF in them would let the
 * value start a field of its own (stream injection), so they are refused.
 */
export function encodeEvent({ event, id, data, retry, comment }: ServerSentEvent): string {
  let block = '';
  if (comment !== undefined) for (const line of comment.split(NEWLINE)) block += `: ${line}\n`;
  if (event !== undefined) block += `event: ${oneLine('event', event)}\n`;
  if (id !== undefined) block += `id: ${oneLine('id', String(id))}\n`;
  if (retry !== undefined) {
    if (!Number.isSafeInteger(retry) || retry < 0) throw new RangeError(`retry must be a whole number of ms, got ${retry}`);
    block += `retry: ${retry}\n`;
  }
  if (data !== undefined) for (const line of data.split(NEWLINE)) block += `data: ${line}\n`; // [!code step:data-lines]
  return `${block}\n`; // the blank line dispatches the event
}

function oneLine(field: string, value: string): string {
  if (/[\r\n]/.test(value)) throw new RangeError(`an SSE ${field} cannot contain CR or LF (it would inject fields into the stream): ${JSON.stringify(value)}`);
  if (field === 'id' && value.includes('\0')) throw new RangeError('an SSE id cannot contain NUL (browsers ignore such an id)');
  return value;
}

/** A listener on one of the streams. */
interface Listener {
  res: Response;
  /** Who it is, for `add`/`remove` on /client-count: the page's client id, or the address. */
  who: string;
}

const serverSentEvents: LessonServer = ({ feed, settings, signal }) => {
  const router = Router();
  const param = (name: string) => settings().params[name];
  const streams = new Set<Response>(); // every open stream, for the heartbeat
  const dataListeners = new Set<Response>();
  const timeListeners = new Set<Response>();
  // Seed 003 keys its clients by IP address; the right key is the connection itself.
  const counted = new Map<unknown, Listener>();
  // The last changes, so that a client coming back with Last-Event-ID gets what it missed.
  const history: FeedSnapshot[] = [feed.current()];

  // Seed 003's warning about compression is real: gzip holds small writes back until it has a
  // block to send. `compression: flush` sends each event on with `res.flush()`.
  const gzip = compression();
  router.use(function maybeCompress(req, res, next) {
    if (param('compression') === 'off') return next();
    gzip(req, res, next); // [!code step:gzip]
  });

  /** Starts an event stream: the headers go out now, before there is any event to send. */
  function openStream(res: Response): void {
    res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8', // [!code step:headers]
      'Cache-Control': 'no-cache',
      // nginx passes the stream on at once instead of buffering it (see the proxy step).
      ...(param('accelBuffering') === true ? { 'X-Accel-Buffering': 'no' } : {}), // [!code step:accel]
    });
    // The stream lasts as long as its connection, so it needs no chunked framing: each event then
    // goes out as its own bytes, one write per client (Node says `Connection: close` instead).
    res.useChunkedEncodingByDefault = false;
    res.flushHeaders(); // [!code step:flush-headers]
    send(res, { retry: Number(param('retryMs')), comment: 'stream open' }); // [!code step:retry]
    streams.add(res);
    res.on('close', () => streams.delete(res));
  }

  /** Writes one block to each stream now; a client that stops reading is dropped once its queue is too long. */
  function write(listeners: Iterable<Response>, block: string | Buffer): void {
    const flush = param('compression') === 'flush'; // the settings, read once for all the listeners
    const queueLimit = Number(param('queueLimitBytes'));
    for (const res of listeners) {
      res.cork(); // uncork() sends it: this client's bytes leave now, not after everyone else's
      res.write(block); // [!code step:write]
      if (flush) (res as Response & { flush?(): void }).flush?.(); // only compressed streams have it
      res.uncork();
      const queued = res.writableLength; // bytes Node holds because the socket would not take them
      if (queued > queueLimit) {
        res.destroy(new Error(`slow consumer: ${Math.round(queued / 1024)} KiB queued, dropped`)); // [!code step:slow]
      }
    }
  }

  const send = (res: Response, event: ServerSentEvent) => write([res], encodeEvent(event));

  function broadcast(listeners: Iterable<Response>, event: ServerSentEvent): void {
    write(listeners, Buffer.from(encodeEvent(event))); // encoded once, to bytes: every write sends the same ones
  }

  // GET /time: `event: time` every second, the server's clock as a JSON string.
  let clock: NodeJS.Timeout | undefined;
  function tick() {
    broadcast(timeListeners, { event: 'time', data: JSON.stringify(new Date().toISOString()) }); // [!code step:time]
    clock = timeListeners.size > 0 ? setTimeout(tick, 1_000 * settings().timeScale) : undefined;
  }
  router.get('/time', (_req, res) => {
    openStream(res);
    timeListeners.add(res);
    res.on('close', () => timeListeners.delete(res));
    clock ??= setTimeout(tick, 0);
  });

  // GET /client-count: who is listening. `add`/`remove` name who came and went; `client-count` says how many.
  router.get('/client-count', (req, res) => {
    const who = typeof req.query.client === 'string' ? req.query.client : (req.ip ?? 'unknown');
    const key = param('keyBy') === 'ip' ? req.ip : res; // [!code step:key]
    openStream(res); // seed 003 sets the stream's headers before it checks
    if (counted.has(key)) {
      send(res, { comment: `${req.ip} is already connected` });
      return void res.end(); // seed 003: "Connected client is already exist" // [!code step:reject]
    }
    for (const other of counted.values()) send(res, { event: 'add', data: other.who });
    counted.set(key, { res, who });
    announce('add', who);
    res.on('close', () => {
      counted.delete(key);
      announce('remove', who); // [!code step:leave]
    });
  });
  function announce(change: 'add' | 'remove', who: string) {
    const listeners = [...counted.values()].map((l) => l.res);
    broadcast(listeners, { event: change, data: who }); // [!code step:add-remove]
    broadcast(listeners, { event: 'client-count', data: JSON.stringify({ count: counted.size }) }); // [!code step:count]
  }

  // GET /data: JSON by default; an event stream when the request asks for one (the seed's idea).
  router.get('/data', (req, res) => {
    const wantsStream = req.get('Accept')?.includes('text/event-stream') || req.query.sse === '1';
    if (!wantsStream) return void res.json(feed.current()); // [!code step:json]
    if (param('send') === 'json') {
      // Seed 003's warning: json() / send() end the response, so the stream is over at once.
      res.set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
      return void res.json(feed.current()); // [!code step:json-mistake]
    }
    openStream(res);
    resume(res, req.get('Last-Event-ID'));
    dataListeners.add(res); // [!code step:subscribe]
    res.on('close', () => dataListeners.delete(res)); // [!code step:close]
  });

  /** Sends what a reconnecting client missed, or everything it needs when it cannot be told that. */
  function resume(res: Response, lastEventId: string | undefined) {
    const current = feed.current();
    if (lastEventId === undefined) return send(res, feedEvent(current)); // first visit: the data as it is now
    const last = /^\d+$/.test(lastEventId) ? Number(lastEventId) : NaN;
    const oldest = history[0]!.version;
    if (last >= oldest - 1 && last <= current.version) {
      for (const snapshot of history) if (snapshot.version > last) send(res, feedEvent(snapshot)); // [!code step:replay]
      return;
    }
    // Older than the buffer (or an id this server never gave): there is no standard "too old"
    // signal, so say it in the stream and send the whole current state.
    send(res, { event: 'reset', id: current.version, data: JSON.stringify(current, null, 2) }); // [!code step:reset]
  }

  feed.subscribe((snapshot) => {
    history.push(snapshot);
    const keep = Number(param('replayBuffer'));
    if (history.length > keep) history.splice(0, history.length - keep);
    broadcast(dataListeners, feedEvent(snapshot)); // [!code step:broadcast]
  });

  function feedEvent(snapshot: FeedSnapshot): ServerSentEvent {
    const pretty = param('multiline') === true; // one JSON line, or one data: line per line of pretty JSON
    return { id: snapshot.version, data: JSON.stringify(snapshot, null, pretty ? 2 : undefined) }; // [!code step:event]
  }

  // A comment every heartbeatMs: the browser ignores it, proxies see bytes and keep the stream.
  let heartbeat: NodeJS.Timeout;
  (function scheduleHeartbeat() {
    const every = Number(param('heartbeatMs')) * settings().timeScale;
    heartbeat = setTimeout(() => {
      if (every > 0) write(streams, ': ping\n\n'); // [!code step:heartbeat]
      scheduleHeartbeat();
    }, every > 0 ? every : 1_000); // off (0): look at the setting again in a second
  })();

  // How many listeners each stream has (tests check that none leak).
  router.get('/stats', (_req, res) => {
    res.json({ streams: streams.size, data: dataListeners.size, time: timeListeners.size, clientCount: counted.size, history: history.length });
  });

  // This version of the code is being replaced: end every stream; browsers reconnect to the new one.
  signal.addEventListener('abort', () => {
    clearTimeout(heartbeat);
    clearTimeout(clock);
    for (const res of streams) res.end();
  });

  return router;
};

export default serverSentEvents;
