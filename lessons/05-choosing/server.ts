/**
 * Choosing a technique, server side: the same feed four ways, each in its shortest correct form,
 * so that what differs on the wire is the technique and nothing else. Short polling answers at
 * once; long polling holds until there is a version newer than `since`; Server-Sent Events
 * write each change to every open stream; WebSocket sends each change to every open socket.
 * Each change is encoded once and written to everyone.
 */
import { Router, type Response } from 'express';
import { WebSocketServer, type WebSocket } from 'ws';
import type { FeedSnapshot, LessonServer } from '../lesson.ts';

/** How long a long poll is held before it is answered with "nothing new" (204), ms. */
const HOLD_MS = 25_000;

const choosing: LessonServer = ({ feed, signal, onUpgrade }) => {
  const router = Router();
  let encoded = JSON.stringify(feed.current());

  // Short polling: the data as it is now, every time anyone asks.
  router.get('/poll', (_req, res) => {
    res.set('Cache-Control', 'no-store').type('json').send(encoded); // [!code step:short]
  });

  // Long polling: answer at once if the client is behind, else hold the request until a change.
  const held = new Set<Response>();
  router.get('/long-poll', (req, res) => {
    const since = Number(req.query.since ?? -1);
    if (feed.current().version > since) return void res.type('json').send(encoded); // [!code step:long-behind]
    held.add(res); // [!code step:long-hold]
    const timeout = setTimeout(() => res.status(204).end(), HOLD_MS);
    res.on('close', () => {
      clearTimeout(timeout);
      held.delete(res);
    });
  });

  // Server-Sent Events: one response per client that never ends; each change is one event.
  const streams = new Set<Response>();
  router.get('/events', (_req, res) => {
    res.set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no' });
    res.flushHeaders();
    res.write(`id: ${feed.current().version}\ndata: ${encoded}\n\n`); // [!code step:sse-first]
    streams.add(res);
    res.on('close', () => streams.delete(res));
  });

  // WebSocket: one upgraded connection per client; each change is one text frame.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 });
  onUpgrade('/socket', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => ws.send(encoded)); // [!code step:ws-open]
  });

  // One change, four ways. The text is made once; only the framing around it differs.
  feed.subscribe((snapshot: FeedSnapshot) => {
    encoded = JSON.stringify(snapshot);
    for (const res of held) res.type('json').send(encoded); // [!code step:long-answer]
    held.clear();
    const event = `id: ${snapshot.version}\ndata: ${encoded}\n\n`;
    for (const res of streams) res.write(event); // [!code step:sse-write]
    for (const ws of wss.clients as Set<WebSocket>) ws.send(encoded); // [!code step:ws-send]
  });

  // This version of the code is being replaced: end everything; clients reconnect to the new one.
  signal.addEventListener('abort', () => {
    for (const res of held) res.status(204).end();
    for (const res of streams) res.end();
    for (const ws of wss.clients) ws.close(1001, 'server code reloaded');
  });

  return router;
};

export default choosing;
