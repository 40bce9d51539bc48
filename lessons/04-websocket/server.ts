/**
 * WebSocket, server side: a chat room. One upgraded connection per client carries JSON messages
 * both ways. The HTTP upgrade is where a client is checked (Origin, name) and refused; after it,
 * the `ws` library speaks the frame protocol, and this code adds what the protocol leaves to the
 * application: a heartbeat, limits, backpressure, and a clean shutdown. The same room is also
 * served over long polling with a cursor, the fallback for networks that do not pass `Upgrade`.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import express, { Router, type Response } from 'express';
import { WebSocketServer, type WebSocket } from 'ws';
import type { LessonServer } from '../lesson.ts';

/** What a client sends. */
export type ClientMessage = { type: 'chat'; text: string } | { type: 'typing' };

/** What the server sends. `chat` and `presence` are numbered: the long-poll fallback reads them by cursor. */
export type ServerMessage =
  | { type: 'chat'; id: number; from: string; text: string; at: number }
  | { type: 'presence'; id: number; here: string[]; count: number; typing: string[] }
  | { type: 'error'; message: string };

/** The longest chat message, in characters. */
export const MAX_TEXT = 2_000;
/** The biggest frame `ws` accepts; a bigger one closes the socket with 1009. */
export const MAX_PAYLOAD = 64 * 1024;
/** Close code for a message that is not JSON or not one of ours (RFC 6455: data it cannot accept). */
export const UNSUPPORTED_DATA = 1003;

/**
 * Reads one message from a client. Throws a `ProtocolError` for something that is not our
 * protocol at all (not JSON, no known `type`): a broken or foreign client, closed with 1003.
 * Returns `{ error }` for a well-formed message the room refuses (empty or too long): the
 * client is told, and stays.
 */
export function parseClientMessage(text: string): ClientMessage | { error: string } {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    throw new ProtocolError('Messages are JSON text');
  }
  const { type, text: chat } = (message ?? {}) as { type?: unknown; text?: unknown };
  if (type === 'typing') return { type };
  if (type !== 'chat') throw new ProtocolError(`Unknown message type ${JSON.stringify(type)?.slice(0, 40)}`);
  if (typeof chat !== 'string' || chat.trim() === '') return { error: 'A chat message needs some text' };
  if (chat.length > MAX_TEXT) return { error: `A chat message is at most ${MAX_TEXT} characters (this one has ${chat.length})` };
  return { type, text: chat.trim() };
}

export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

/** A name is a word or two: letters, digits, space, `.`, `_`, `-`. */
const NAME = /^[\p{L}\p{N} ._-]{1,32}$/u;
const TYPING_MS = 3_000;
const HISTORY = 200;
const RECENT_CHATS = 20;

const websocketChat: LessonServer = ({ settings, signal, onUpgrade }) => {
  const router = Router();
  const param = (name: string) => Number(settings().params[name]);
  const slow = (ms: number) => ms * settings().timeScale;

  // noServer: the workbench hands this lesson the upgrades for /chat; `ws` does the handshake and frames.
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_PAYLOAD }); // [!code step:ws-server]
  /** Each socket's name, whether it answered the last ping, and its TCP socket (to drop it with a reason). */
  const peers = new Map<WebSocket, { name: string; alive: boolean; tcp: Duplex }>();
  /** Long-poll clients: when each name was last seen, and the polls held open now. */
  const pollers = new Map<string, number>();
  const held = new Set<{ cursor: number; res: Response }>();
  const typing = new Map<string, number>();
  /** Every numbered message, for the long-poll cursor. */
  const log: Exclude<ServerMessage, { type: 'error' }>[] = [];
  let nextId = 1;

  onUpgrade('/chat', (req, socket, head) => {
    // Cross-site WebSocket hijacking: a page on any site can open a WebSocket here, with the
    // user's cookies. The browser says where the page came from; refuse what is not this site.
    if (!sameOrigin(req)) return refuse(socket, 403, 'This chat only takes connections from its own pages (Origin)'); // [!code step:origin]
    const name = new URL(req.url ?? '/', 'http://localhost').searchParams.get('name') ?? '';
    if (!NAME.test(name)) return refuse(socket, 400, 'Say who you are: ?name= (1 to 32 letters, digits, spaces)');
    wss.handleUpgrade(req, socket, head, (ws) => join(ws, name, socket)); // [!code step:upgrade]
  });

  function join(ws: WebSocket, name: string, tcp: Duplex): void {
    peers.set(ws, { name, alive: true, tcp });
    // A socket error is followed by 'close'; without an 'error' listener it would crash the process.
    ws.on('error', () => {}); // [!code step:error-listener]
    ws.on('pong', () => (peers.get(ws)!.alive = true)); // [!code step:pong]
    ws.on('message', (data, isBinary) => {
      // [!code step:message]
      if (isBinary) return ws.close(UNSUPPORTED_DATA, 'Send JSON text, not binary');
      let message: ReturnType<typeof parseClientMessage>;
      try {
        message = parseClientMessage(String(data));
      } catch (error) {
        return ws.close(UNSUPPORTED_DATA, (error as Error).message); // [!code step:close-1003]
      }
      if ('error' in message) return send(ws, { type: 'error', message: message.error });
      receive(name, message);
    });
    ws.on('close', () => {
      peers.delete(ws);
      announcePresence();
    });
    for (const chat of log.filter((m) => m.type === 'chat').slice(-RECENT_CHATS)) send(ws, chat);
    announcePresence();
  }

  /** A message from a client, over either transport. */
  function receive(name: string, message: ClientMessage): void {
    if (message.type === 'typing') {
      typing.set(name, Date.now());
      return announcePresence();
    }
    typing.delete(name);
    broadcast({ type: 'chat', id: nextId++, from: name, text: message.text, at: Date.now() }); // [!code step:broadcast]
  }

  function broadcast(message: Exclude<ServerMessage, { type: 'error' }>): void {
    log.push(message);
    if (log.length > HISTORY) log.shift();
    for (const ws of peers.keys()) send(ws, message);
    for (const poll of held) answerPoll(poll);
  }

  /** Sends to one socket, and drops a client that does not read: its messages would pile up in our memory. */
  function send(ws: WebSocket, message: ServerMessage): void {
    if (ws.readyState !== ws.OPEN) return;
    ws.send(JSON.stringify(message));
    const queued = ws.bufferedAmount; // [!code step:backpressure]
    if (queued > param('queueLimitBytes')) drop(ws, `slow consumer: ${Math.round(queued / 1024)} KiB queued, dropped`);
  }

  /**
   * Ends a connection without a close handshake: the peer is gone or not reading, so a close frame
   * would never be read. `ws.terminate()` does the same; destroying the TCP socket with an error
   * lets the timeline say why.
   */
  function drop(ws: WebSocket, reason: string): void {
    peers.get(ws)?.tcp.destroy(new Error(reason));
  }

  function here(): string[] {
    const now = Date.now();
    for (const [name, seen] of pollers) if (now - seen > 2 * slow(param('holdMs'))) pollers.delete(name);
    return [...new Set([...[...peers.values()].map((p) => p.name), ...pollers.keys()])].sort();
  }

  let last = '';
  /** Tells everyone who is here and who is typing, when that changed. */
  function announcePresence(): void {
    const now = Date.now();
    for (const [name, since] of typing) if (now - since > TYPING_MS) typing.delete(name);
    const names = here();
    const state = { here: names, count: peers.size + pollers.size, typing: [...typing.keys()] };
    const key = JSON.stringify(state);
    if (key === last) return;
    last = key;
    broadcast({ type: 'presence', id: nextId++, ...state });
  }

  // The heartbeat: a ping every `heartbeatMs`. Browsers answer pings by themselves; a peer that
  // did not answer the last one is gone (a laptop lid closed, a NAT that forgot us) and is dropped.
  let heartbeat: NodeJS.Timeout;
  // (0 turns the heartbeat off.)
  const beat = () => {
    const every = param('heartbeatMs');
    for (const [ws, peer] of every > 0 ? peers : []) {
      if (!peer.alive) {
        drop(ws, `no pong within ${every} ms: terminated`); // [!code step:terminate]
        continue;
      }
      peer.alive = false;
      ws.ping(); // [!code step:ping]
    }
    announcePresence(); // typing and long-poll clients time out here
    heartbeat = setTimeout(beat, slow(every > 0 ? every : 1_000));
  };
  heartbeat = setTimeout(beat, slow(param('heartbeatMs') || 1_000));

  // A new version of this code is taking over, or the server stops: tell every client (1001 Going Away).
  signal.addEventListener('abort', () => {
    clearTimeout(heartbeat);
    for (const ws of peers.keys()) ws.close(1001, 'server going away'); // [!code step:shutdown]
    for (const poll of held) poll.res.json({ cursor: poll.cursor, messages: [] });
  });

  // The same room over long polling with a cursor: what a client falls back to when the network
  // between it and us does not pass the WebSocket upgrade.
  router.get('/chat/poll', (req, res) => {
    const name = String(req.query.name ?? '');
    if (!NAME.test(name)) return void res.status(400).json({ error: 'Say who you are: ?name=' });
    const isNew = !pollers.has(name);
    pollers.set(name, Date.now());
    if (isNew) announcePresence();
    const cursor = Number(req.query.cursor);
    // No cursor yet: the recent chat and who is here, and the cursor to continue from.
    if (!Number.isSafeInteger(cursor)) {
      const latest = log.findLast((m) => m.type === 'presence');
      const recent = [...log.filter((m) => m.type === 'chat').slice(-RECENT_CHATS), ...(latest ? [latest] : [])];
      return void res.json({ cursor: nextId - 1, messages: recent.sort((a, b) => a.id - b.id) });
    }
    const poll = { cursor, res };
    if (answerPoll(poll)) return;
    held.add(poll); // [!code step:poll-hold]
    const timeout = setTimeout(() => {
      held.delete(poll);
      res.json({ cursor, messages: [] });
    }, slow(param('holdMs')));
    res.on('close', () => {
      clearTimeout(timeout);
      held.delete(poll);
      pollers.set(name, Date.now());
    });
  });

  /** Answers a held poll with what came after its cursor; false when there is nothing yet. */
  function answerPoll(poll: { cursor: number; res: Response }): boolean {
    const messages = log.filter((m) => m.id > poll.cursor);
    if (messages.length === 0 || poll.res.headersSent) return false;
    held.delete(poll);
    poll.res.json({ cursor: messages.at(-1)!.id, messages }); // [!code step:poll-answer]
    return true;
  }

  router.post('/chat/send', express.json({ limit: MAX_PAYLOAD }), (req, res) => {
    const name = String(req.query.name ?? '');
    if (!NAME.test(name)) return void res.status(400).json({ error: 'Say who you are: ?name=' });
    let message: ReturnType<typeof parseClientMessage>;
    try {
      message = parseClientMessage(JSON.stringify(req.body ?? null));
    } catch (error) {
      return void res.status(400).json({ error: (error as Error).message });
    }
    if ('error' in message) return void res.status(422).json({ error: message.error });
    pollers.set(name, Date.now());
    receive(name, message);
    res.json({ ok: true });
  });

  router.get('/chat/stats', (_req, res) => {
    res.json({ sockets: peers.size, held: held.size, here: here() });
  });

  return router;
};

export default websocketChat;

/** Whether the upgrade comes from a page of this site. A client that is not a browser sends no Origin: nothing to check. */
function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

/** Refuses an upgrade with an HTTP status and a JSON reason; the socket never becomes a WebSocket. */
function refuse(socket: Duplex, status: 400 | 403, error: string): void {
  const body = JSON.stringify({ error });
  const reason = status === 403 ? 'Forbidden' : 'Bad Request';
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
