import { createHash } from 'node:crypto';
import { connect as connectTcp, type Socket } from 'node:net';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { ChatLine } from '../../lessons/lesson.ts';
import type { ClientSocketEvent, HttpResponseEvent, TraceEvent, WsCloseEvent, WsOpenEvent } from '../../lessons/trace-event.ts';
import chatClient from '../../lessons/04-websocket/client.ts';
import type { ServerMessage } from '../../lessons/04-websocket/server.ts';
import { runNodeClient } from '../setup/node-client.ts';
import { startWorkbench, traceOf, waitFor } from '../setup/workbench.ts';

const SLUG = 'websocket';
const API = `/lessons/${SLUG}/api`;

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const done of cleanup.splice(0).reverse()) done();
});

interface ChatPeer {
  ws: WebSocket;
  messages: ServerMessage[];
  closed: Promise<{ code: number; reason: string }>;
  /** Waits for a message that `match` accepts, among those received so far or to come. */
  next(match: (message: ServerMessage) => boolean, what?: string): Promise<ServerMessage>;
  chat(text: string): void;
}

/** A chat client on the `ws` package, as a browser page of the workbench would connect (same Origin). */
async function enter(url: string, name: string, { origin = url, ...options }: { origin?: string | null; autoPong?: boolean } = {}): Promise<ChatPeer> {
  const ws = new WebSocket(`${url.replace('http', 'ws')}${API}/chat?name=${encodeURIComponent(name)}&client=${encodeURIComponent(name)}`, {
    ...(origin === null ? {} : { origin }),
    ...options,
  });
  ws.on('error', () => {}); // the close says what happened
  cleanup.push(() => ws.terminate());
  const messages: ServerMessage[] = [];
  ws.on('message', (data) => messages.push(JSON.parse(String(data)) as ServerMessage));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  return {
    ws,
    messages,
    closed,
    next: (match, what = 'a message') => waitFor(() => messages.find(match), { what }),
    chat: (text) => ws.send(JSON.stringify({ type: 'chat', text })),
  };
}

const isChat = (text: string) => (m: ServerMessage) => m.type === 'chat' && m.text === text;

/** The status of a refused upgrade, and its body. */
async function refusedUpgrade(url: string, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const ws = new WebSocket(`${url.replace('http', 'ws')}${path}`, { headers });
  ws.on('error', () => {});
  cleanup.push(() => ws.terminate());
  return new Promise((resolve, reject) => {
    ws.once('open', () => reject(new Error('the upgrade was accepted')));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
  });
}

async function setParams(url: string, params: Record<string, number>) {
  const res = await fetch(`${url}/api/lessons/${SLUG}/settings`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ params }) });
  expect(res.status).toBe(200);
}

const wsCloses = (trace: TraceEvent[]) => trace.filter((e): e is WsCloseEvent => e.kind === 'ws-close');

describe('the WebSocket chat through the workbench', () => {
  it('broadcasts a chat message to everyone in the room, sender included, and tells who is here', async () => {
    const { url } = await startWorkbench();
    const ada = await enter(url, 'Ada');
    const bob = await enter(url, 'Bob');
    await ada.next((m) => m.type === 'presence' && m.here.includes('Bob'), 'Ada to see Bob join');
    ada.chat('hello Bob');
    const [toBob, toAda] = await Promise.all([bob.next(isChat('hello Bob')), ada.next(isChat('hello Bob'))]);
    expect(toBob).toMatchObject({ type: 'chat', from: 'Ada', text: 'hello Bob', id: expect.any(Number), at: expect.any(Number) });
    expect(toAda).toEqual(toBob);
    bob.chat('hi Ada');
    await ada.next(isChat('hi Ada'));
    // Typing is announced in presence to the others.
    bob.ws.send(JSON.stringify({ type: 'typing' }));
    await ada.next((m) => m.type === 'presence' && m.typing.includes('Bob'), 'Bob typing');
    bob.ws.close(1000, 'bye');
    await ada.next((m) => m.type === 'presence' && !m.here.includes('Bob'), 'Bob gone');
  });

  it('records the handshake and every frame both ways on the trace, with the client and who closed', async () => {
    const { url } = await startWorkbench();
    const ada = await enter(url, 'Ada');
    ada.chat('traced');
    await ada.next(isChat('traced'));
    ada.ws.close(1000, 'done');
    await ada.closed;
    const trace = await waitFor(async () => {
      const events = await traceOf(url, SLUG);
      return wsCloses(events).length > 0 && events;
    });
    const open = trace.find((e): e is WsOpenEvent => e.kind === 'ws-open')!;
    const upgrade = trace.find((e) => e.kind === 'http-request' && e.conn === open.conn);
    expect(upgrade).toMatchObject({ client: 'Ada', headers: { upgrade: 'websocket', origin: url } });
    const key = (upgrade as { headers: Record<string, string> }).headers['sec-websocket-key']!;
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    expect(open.headers['sec-websocket-accept']).toBe(accept);
    const frames = trace.filter((e) => e.kind === 'ws-frame' && e.conn === open.conn);
    expect(frames).toContainEqual(expect.objectContaining({ direction: 'in', opcode: 'text', masked: true, text: '{"type":"chat","text":"traced"}', client: 'Ada' }));
    expect(frames).toContainEqual(expect.objectContaining({ direction: 'out', opcode: 'text', masked: false, text: expect.stringContaining('"text":"traced"') }));
    expect(frames).toContainEqual(expect.objectContaining({ direction: 'in', opcode: 'close', text: '1000 done' }));
    expect(wsCloses(trace)[0]).toMatchObject({ conn: open.conn, code: 1000, reason: 'done', by: 'client' });
  });

  it('refuses a foreign Origin with 403 (cross-site WebSocket hijacking) and a missing name with 400, and keeps serving', async () => {
    const { url } = await startWorkbench();
    const ada = await enter(url, 'Ada');
    const foreign = await refusedUpgrade(url, `${API}/chat?name=Eve&conn=evil-1`, { Origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect(JSON.parse(foreign.body)).toEqual({ error: expect.stringContaining('Origin') });
    const nameless = await refusedUpgrade(url, `${API}/chat`, { Origin: url });
    expect(nameless.status).toBe(400);
    expect(JSON.parse(nameless.body)).toEqual({ error: expect.stringContaining('name') });
    // A client that is not a browser sends no Origin: nothing to check.
    const curl = await enter(url, 'curl', { origin: null });
    curl.chat('still here');
    await ada.next(isChat('still here'));
    const refusal = await waitFor(async () => (await traceOf(url, SLUG)).find((e): e is HttpResponseEvent => e.kind === 'http-response' && e.conn === 'evil-1'));
    expect(refusal).toMatchObject({ status: 403, body: expect.stringContaining('Origin') });
  });

  it('closes a 200 KiB message with 1009, non-JSON, an unknown type and binary with 1003, and answers a too long chat with an error', async () => {
    const { url } = await startWorkbench();
    const witness = await enter(url, 'Witness');

    const big = await enter(url, 'Big');
    big.ws.send('x'.repeat(200 * 1024));
    expect((await big.closed).code).toBe(1009);

    const garbled = await enter(url, 'Garbled');
    garbled.ws.send('not json');
    expect(await garbled.closed).toEqual({ code: 1003, reason: 'Messages are JSON text' });

    const stranger = await enter(url, 'Stranger');
    stranger.ws.send(JSON.stringify({ type: 'shout', text: 'hi' }));
    expect(await stranger.closed).toMatchObject({ code: 1003, reason: expect.stringContaining('Unknown message type') });

    const binary = await enter(url, 'Binary');
    binary.ws.send(Buffer.from([1, 2, 3]));
    expect((await binary.closed).code).toBe(1003);

    const chatty = await enter(url, 'Chatty');
    chatty.chat('y'.repeat(2_001));
    expect(await chatty.next((m) => m.type === 'error')).toEqual({ type: 'error', message: expect.stringContaining('2000') });
    chatty.chat('short one');
    await chatty.next(isChat('short one'));
    expect(chatty.ws.readyState).toBe(WebSocket.OPEN);

    witness.chat('the room is fine');
    await witness.next(isChat('the room is fine'));
    expect(witness.messages.some((m) => m.type === 'chat' && m.text.startsWith('y'))).toBe(false);
  });

  it('terminates a peer that does not answer pings, and keeps the others', async () => {
    const { url } = await startWorkbench();
    await setParams(url, { heartbeatMs: 300 });
    const healthy = await enter(url, 'Healthy');
    const silent = await enter(url, 'Silent', { autoPong: false });
    let pings = 0;
    silent.ws.on('ping', () => pings++);
    expect(await silent.closed).toMatchObject({ code: 1006 });
    expect(pings).toBeGreaterThanOrEqual(1);
    const close = await waitFor(async () => wsCloses(await traceOf(url, SLUG)).find((e) => e.client === 'Silent'));
    expect(close).toMatchObject({ code: 1006, reason: 'no pong within 300 ms: terminated' });
    expect(close.by).toBeUndefined();
    // Healthy answered every ping (ws answers by itself, as browsers do) and is still in the room.
    await healthy.next((m) => m.type === 'presence' && !m.here.includes('Silent'), 'Silent gone from presence');
    healthy.chat('after the heartbeat');
    await healthy.next(isChat('after the heartbeat'));
    expect(healthy.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('drops a client that stops reading once its queue passes the limit, while a reader keeps chatting', async () => {
    const { url } = await startWorkbench();
    await setParams(url, { queueLimitBytes: 64 * 1024, heartbeatMs: 60_000 });
    const reader = await enter(url, 'Reader');
    const stalled = await stalledPeer(url, 'Stalled');
    await reader.next((m) => m.type === 'presence' && m.here.includes('Stalled'), 'Stalled to join');
    const text = 'z'.repeat(1_900);
    const sockets = async () => ((await (await fetch(`${url}${API}/chat/stats`)).json()) as { sockets: number }).sockets;
    // Bounded: at most 20 MB in 1.9 kB messages (the kernel's socket buffers take a few MB first).
    const chats = () => reader.messages.filter((m) => m.type === 'chat').length;
    for (let sent = 200; sent <= 10_000 && (await sockets()) === 2; sent += 200) {
      for (let i = 0; i < 200; i++) reader.chat(text);
      await waitFor(() => chats() >= sent, { what: 'the burst back at the reader' });
    }
    const close = await waitFor(async () => wsCloses(await traceOf(url, SLUG)).find((e) => e.client === 'Stalled'), { what: 'the stalled client dropped' });
    expect(close.reason).toMatch(/^slow consumer: \d+ KiB queued, dropped$/);
    reader.chat('still chatting');
    await reader.next(isChat('still chatting'));
    stalled.destroy();
  });

  it('closes every socket with 1001 when the lesson code is replaced, and the real client.ts comes back', async () => {
    const { url, lessonsDir } = await startWorkbench({ copyLessons: true });
    const peer = await enter(url, 'Peer');
    const events: TraceEvent[] = [];
    const stop = runNodeClient(chatClient, { apiBase: `${url}${API}`, clientId: 'ada', label: 'Ada', options: { transport: 'websocket' }, emit: (e) => events.push(e as TraceEvent) });
    cleanup.push(stop);
    await peer.next((m) => m.type === 'presence' && m.here.includes('Ada'), 'Ada to join');
    const file = join(lessonsDir, '04-websocket', 'server.ts');
    await writeFile(file, `${await readFile(file, 'utf8')}\n// a deploy\n`);
    expect(await peer.closed).toEqual({ code: 1001, reason: 'server going away' });
    const sockets = () => events.filter((e): e is ClientSocketEvent => e.kind === 'client-socket');
    await waitFor(() => sockets().filter((e) => e.state === 'open').length === 2, { what: 'Ada to reconnect to the new code' });
    expect(sockets().map((e) => [e.state, e.code])).toEqual([
      ['connecting', undefined],
      ['open', undefined],
      ['closed', 1001],
      ['connecting', undefined],
      ['open', undefined],
    ]);
  });

  it('reconnects the real client.ts after its connection is cut, with a 1006 on its side', async () => {
    const { url } = await startWorkbench();
    const events: TraceEvent[] = [];
    const lines: ChatLine[] = [];
    let send: (text: string) => void = () => {};
    const stop = runNodeClient(chatClient, {
      apiBase: `${url}${API}`,
      clientId: 'ada',
      label: 'Ada',
      options: { transport: 'websocket' },
      emit: (e) => events.push(e as TraceEvent),
      chatBox: (options) => ((send = options.onSend), { add: (line) => lines.push(line) }),
    });
    cleanup.push(stop);
    const opened = () => events.filter((e) => e.kind === 'client-socket' && e.state === 'open').length;
    await waitFor(() => opened() === 1, { what: 'the socket open' });
    const res = await fetch(`${url}/api/lessons/${SLUG}/drop`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client: 'ada' }) });
    expect(await res.json()).toEqual({ dropped: 1 });
    await waitFor(() => opened() === 2, { what: 'the reconnect' });
    expect(events.find((e) => e.kind === 'client-socket' && e.state === 'closed')).toMatchObject({ code: 1006, wasClean: false });
    send('back again');
    await waitFor(() => lines.some((line) => line.kind === 'chat' && line.text === 'back again' && line.from === 'Ada'), { what: 'the chat echoed' });
  });

  it('closes the workbench with chat sockets open: 1001 to a reader, and the connection of a peer that never reads cut', async () => {
    const { workbench, url } = await startWorkbench();
    const peer = await enter(url, 'Peer');
    const stalled = await stalledPeer(url, 'Stalled');
    cleanup.push(() => stalled.destroy());
    await peer.next((m) => m.type === 'presence' && m.here.includes('Stalled'), 'both in the room');
    await workbench.close();
    expect(await peer.closed).toEqual({ code: 1001, reason: 'server going away' }); // the lesson said goodbye before its runner went
    // The workbench ended the stalled one's connection: reading now drains it to the end.
    const stalledGone = new Promise((resolve) => stalled.once('close', resolve));
    stalled.resume();
    await stalledGone;
  });

  it('carries the same room over the long-poll fallback, both ways, with a cursor', async () => {
    const { url } = await startWorkbench();
    const ada = await enter(url, 'Ada');
    const lines: ChatLine[] = [];
    let send: (text: string) => void = () => {};
    const statuses: string[] = [];
    const stop = runNodeClient(chatClient, {
      apiBase: `${url}${API}`,
      clientId: 'bob',
      label: 'Bob',
      options: { transport: 'long-poll' },
      emit: () => {},
      onStatus: (text) => statuses.push(text),
      chatBox: (options) => ((send = options.onSend), { add: (line) => lines.push(line) }),
    });
    cleanup.push(stop);
    await ada.next((m) => m.type === 'presence' && m.here.includes('Bob'), 'Bob (long polling) in the presence list');
    await waitFor(async () => ((await (await fetch(`${url}${API}/chat/stats`)).json()) as { held: number }).held === 1, { what: "Bob's poll held" });
    for (const text of ['one', 'two', 'three']) ada.chat(text);
    await waitFor(() => lines.filter((l) => l.kind === 'chat').length === 3, { what: 'all three at Bob' });
    expect(lines.map((l) => l.text)).toEqual(['one', 'two', 'three']);
    send('from the fallback');
    expect(await ada.next(isChat('from the fallback'))).toMatchObject({ from: 'Bob' });
    expect(statuses.at(-1)).toMatch(/Ada, Bob here/);

    const bad = await fetch(`${url}${API}/chat/send?name=Bob`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"chat","text":""}' });
    expect([bad.status, await bad.json()]).toEqual([422, { error: expect.any(String) }]);
    const unknown = await fetch(`${url}${API}/chat/send?name=Bob`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"shout"}' });
    expect(unknown.status).toBe(400);
  });
});

/** A WebSocket client that completes the handshake and then never reads a byte. */
async function stalledPeer(url: string, name: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  const socket = connectTcp(Number(port), hostname);
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(
    `GET ${API}/chat?name=${name}&client=${name} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  await new Promise((resolve) => socket.once('data', resolve));
  socket.pause();
  return socket;
}
