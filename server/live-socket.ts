import type { IncomingMessage } from 'node:http';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { TraceEvent } from '../lessons/trace-event.ts';
import type { LessonHost } from './lesson-host.ts';
import type { LiveClientMessage, LiveServerMessage } from './live-protocol.ts';
import { parseClientEvent } from './parse-client-event.ts';
import type { Presentation, PresentationState } from './presentation.ts';
import type { TraceHub } from './trace-hub.ts';

export interface LiveSocketOptions {
  hosts: ReadonlyMap<string, LessonHost>;
  hub: TraceHub;
  /** Knows the audience members (`?member=guest-7`): their sockets only report their own client. */
  presentation?: Presentation;
  /** How often trace events are sent in one batch, ms. @default 25 */
  batchMs?: number;
  /** Ping interval; a page that missed the last pong is dropped. @default 30000 */
  heartbeatMs?: number;
}

/** A page buffering more than this has stopped reading: it is dropped rather than holding memory. */
const MAX_BUFFERED = 8 * 1024 * 1024;
const HELLO_EVENTS = 5_000;

/**
 * The pages' live connection: trace events and lesson updates out, client events and clock pings in.
 * An audience page (`?member=<id>`) only reports its own client and syncs its clock: it is sent
 * no trace, which a class of forty would otherwise each receive.
 */
export function createLiveSocketServer({ hosts, hub, presentation, batchMs = 25, heartbeatMs = 30_000 }: LiveSocketOptions): WebSocketServer {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 256 * 1024 });
  const alive = new WeakSet<WebSocket>();

  wss.on('connection', (socket: WebSocket, req: IncomingMessage) => {
    socket.on('error', () => socket.terminate());
    alive.add(socket);
    socket.on('pong', () => alive.add(socket));
    const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
    if (query.has('presentation')) return followPresentation(socket, query.get('member'));
    const slug = query.get('lesson') ?? '';
    const host = hosts.get(slug);
    if (!host) return socket.close(1008, 'Unknown lesson');
    const memberId = query.get('member');
    const member = memberId === null ? undefined : presentation?.member(memberId);
    if (memberId !== null && !member) return socket.close(1008, 'Unknown audience member');

    const send = (message: LiveServerMessage) => {
      if (socket.readyState !== socket.OPEN) return;
      if (socket.bufferedAmount > MAX_BUFFERED) return socket.close(1013, 'Not reading fast enough');
      socket.send(JSON.stringify(message));
    };
    if (!member) watchLesson(slug, host, send, socket);
    else send({ type: 'hello', lesson: slug, events: [] });
    void host.target().catch(() => {}); // a page is watching: have the lesson server up

    socket.on('message', (data: RawData) => {
      const message = parseLiveMessage(data);
      if (!message) return socket.close(1003, 'Unsupported message');
      if (message.type === 'ping') return send({ type: 'pong', id: message.id, serverNow: Date.now() });
      for (const input of message.events) {
        const event = parseClientEvent(input);
        // An audience page speaks for its own client only.
        if (event && (!member || event.client === member.id)) hub.emit(slug, event);
      }
    });
  });

  /** Sends the presentation's state now and after each change; an audience member counts as attending while connected. */
  function followPresentation(socket: WebSocket, memberId: string | null): void {
    if (!presentation) return socket.close(1008, 'No presentation');
    if (memberId !== null && !presentation.member(memberId)) return socket.close(1008, 'Unknown audience member');
    const send = (state: PresentationState) => socket.readyState === socket.OPEN && socket.send(JSON.stringify({ type: 'presentation', state } satisfies LiveServerMessage));
    const stop = presentation.subscribe(send);
    const leave = memberId === null ? () => {} : presentation.attend(memberId);
    socket.once('close', () => {
      stop();
      leave();
    });
    socket.on('message', () => socket.close(1003, 'Unsupported message'));
    send(presentation.state());
  }

  /** Sends a presenter's or learner's page the lesson's trace (the recent part first) and its new details. */
  function watchLesson(slug: string, host: LessonHost, send: (message: LiveServerMessage) => void, socket: WebSocket): void {
    let batch: TraceEvent[] = [];
    let timer: NodeJS.Timeout | undefined;
    const flush = () => {
      timer = undefined;
      send({ type: 'trace', events: batch });
      batch = [];
    };
    const stopTrace = hub.subscribe(slug, (event) => {
      batch.push(event);
      timer ??= setTimeout(flush, batchMs);
    });
    const stopDetail = host.onDetailChange(() => {
      host.detail().then(
        (detail) => send({ type: 'lesson', detail }),
        (error: unknown) => hub.emit(slug, { kind: 'error', t: Date.now(), lane: 'server', phase: 'load', message: String(error) }),
      );
    });
    const stopClear = hub.onClear(slug, () => {
      batch = [];
      send({ type: 'cleared' });
    });
    socket.once('close', () => {
      stopClear();
      stopTrace();
      stopDetail();
      clearTimeout(timer);
    });
    send({ type: 'hello', lesson: slug, events: hub.events(slug).slice(-HELLO_EVENTS) });
    if (!host.comparison) return;
    const stopFigures = host.comparison.subscribe((figures) => send({ type: 'figures', figures }));
    const leave = host.comparison.watch();
    socket.once('close', () => {
      stopFigures();
      leave();
    });
  }

  const heartbeat = setInterval(() => {
    for (const socket of wss.clients) {
      if (!alive.has(socket)) {
        socket.terminate();
        continue;
      }
      alive.delete(socket);
      socket.ping();
    }
  }, heartbeatMs);
  heartbeat.unref();
  wss.on('close', () => clearInterval(heartbeat));
  return wss;
}

function parseLiveMessage(data: RawData): LiveClientMessage | undefined {
  try {
    const message = JSON.parse(data.toString()) as Partial<LiveClientMessage> | null;
    if (message?.type === 'ping' && typeof message.id === 'number') return { type: 'ping', id: message.id };
    if (message?.type === 'client-events' && Array.isArray(message.events) && message.events.length <= 1_000) {
      return { type: 'client-events', events: message.events };
    }
  } catch {
    // not JSON: answered with 1003 by the caller
  }
  return undefined;
}
