/**
 * The chat lesson over WebSocket and over its long-poll fallback, side by side: wire bytes per
 * chat message and the round trip of a message from one client to another. Each transport runs
 * the lesson's real server.ts (a lesson harness on a loopback port) with two of the lesson's real
 * client.ts beside it, Ada sending and Bob receiving, as the page would run them. Bytes are the
 * server sockets' own counters (`bytesRead` + `bytesWritten`) over the messages' window. No
 * workbench, no browser.
 */
import { fileURLToPath } from 'node:url';
import type { ChatLine } from '../lessons/lesson.ts';
import chatServer from '../lessons/04-websocket/server.ts';
import chatClient from '../lessons/04-websocket/client.ts';
import { readLessonEntry } from '../server/lesson-catalog.ts';
import { startLessonHarness, type LessonHarness } from '../test/setup/lesson-harness.ts';
import { runNodeClient } from '../test/setup/node-client.ts';
import { median, percentile } from './stats.ts';
import { until } from './until.ts';

const LESSON = fileURLToPath(new URL('../lessons/04-websocket/', import.meta.url));
/** Each step (joining, a message arriving) must happen within this, ms. */
const STEP_TIMEOUT_MS = 10_000;
/** Waits for one step, checking every millisecond (the next message goes out as soon as one arrives). */
const step = (check: () => boolean | Promise<boolean>, what: string) => until(check, { what, timeoutMs: STEP_TIMEOUT_MS, everyMs: 1 });

export type Transport = 'websocket' | 'long-poll';

export interface ChatTransportFigures {
  transport: Transport;
  messages: number;
  /** Bytes on the server's sockets in the window, both ways, per message sent by Ada and delivered to Bob (and echoed to Ada). */
  bytesPerMessage: number;
  readPerMessage: number;
  writtenPerMessage: number;
  /** HTTP requests in the window (the upgrade is before it). */
  requests: number;
  /** Send at Ada → shown at Bob, ms. */
  roundTripP50Ms: number;
  roundTripP95Ms: number;
}

export interface ChatFigures {
  messages: number;
  gapMs: number;
  websocket: ChatTransportFigures;
  longPoll: ChatTransportFigures;
  /** Long-poll bytes per message ÷ WebSocket's. */
  longPollVsWebSocketBytes: number;
}

/** Runs both transports, one after the other, with the same messages. */
export async function measureChat({ quick }: { quick: boolean }): Promise<ChatFigures> {
  const messages = quick ? 30 : 100;
  const gapMs = 50;
  const websocket = await measureTransport('websocket', messages, gapMs);
  const longPoll = await measureTransport('long-poll', messages, gapMs);
  return { messages, gapMs, websocket, longPoll, longPollVsWebSocketBytes: longPoll.bytesPerMessage / websocket.bytesPerMessage };
}

async function measureTransport(transport: Transport, messages: number, gapMs: number): Promise<ChatTransportFigures> {
  const { params } = await readLessonEntry(LESSON);
  const harness = await startLessonHarness(chatServer, { slug: 'websocket', params });
  const stops: (() => void)[] = [];
  try {
    const ada = startChatClient(harness, 'Ada', transport, stops);
    const bob = startChatClient(harness, 'Bob', transport, stops);
    // Both in the room, and (long polling) both with a poll held: the steady state.
    await step(() => bob.status().includes('Ada, Bob here') && ada.status().includes('Ada, Bob here'), 'both clients in the room');
    if (transport === 'long-poll') await step(async () => (await stats(harness)).held === 2, 'both polls held');

    const sentAt = new Map<string, number>();
    const trips: number[] = [];
    bob.onChat = (line) => {
      const sent = sentAt.get(line.text);
      if (sent !== undefined && line.from === 'Ada') trips.push(performance.now() - sent);
    };
    const before = harness.wireBytes();
    const requestsBefore = harness.events.filter((e) => e.kind === 'http-request').length;
    for (let i = 0; i < messages; i++) {
      const text = `message ${i} ${'·'.repeat(20)}`;
      sentAt.set(text, performance.now());
      ada.send(text);
      await step(() => trips.length === i + 1, `message ${i} at Bob`);
      await new Promise((resolve) => setTimeout(resolve, gapMs));
    }
    // Ada's own copy (the room echoes to the sender too) is part of the cost.
    await step(() => ada.chats() >= messages, "Ada's copies");
    const after = harness.wireBytes();
    const read = after.read - before.read;
    const written = after.written - before.written;
    return {
      transport,
      messages,
      bytesPerMessage: (read + written) / messages,
      readPerMessage: read / messages,
      writtenPerMessage: written / messages,
      requests: harness.events.filter((e) => e.kind === 'http-request').length - requestsBefore,
      roundTripP50Ms: median(trips),
      roundTripP95Ms: percentile(trips, 95),
    };
  } finally {
    for (const stop of stops) stop();
    await harness.close();
  }
}

/** The lesson's client.ts for one person, with a chat box the bench types into and reads. */
function startChatClient(harness: LessonHarness, name: string, transport: Transport, stops: (() => void)[]) {
  let send: (text: string) => void = () => {};
  let status = '';
  let chats = 0;
  const client = {
    onChat: (_line: ChatLine) => {},
    send: (text: string) => send(text),
    status: () => status,
    chats: () => chats,
  };
  stops.push(
    runNodeClient(chatClient, {
      apiBase: harness.apiBase,
      clientId: name.toLowerCase(),
      label: name,
      options: { transport },
      emit: harness.emit,
      onStatus: (text) => (status = text),
      chatBox: (options) => {
        send = options.onSend;
        return {
          add(line) {
            if (line.kind !== 'chat') return;
            chats++;
            client.onChat(line);
          },
        };
      },
    }),
  );
  return client;
}

async function stats(harness: LessonHarness): Promise<{ held: number }> {
  return (await (await fetch(`${harness.apiBase}/chat/stats`)).json()) as { held: number };
}

