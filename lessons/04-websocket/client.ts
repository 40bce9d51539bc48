/**
 * WebSocket, browser side: one socket carries the chat both ways. When it closes abnormally the
 * client reconnects, waiting longer after each failure, with jitter. With `transport: long-poll`
 * the same chat goes over HTTP instead: a held GET for what is new, a POST for each message.
 */
import type { ChatBox, ClientContext } from '../lesson.ts';
import type { ClientMessage, ServerMessage } from './server.ts';

export default function startChat(context: ClientContext) {
  const { chatBox, status, options, label: name } = context;
  let send: (message: ClientMessage) => void = () => {};
  const box = chatBox({
    onSend: (text) => send({ type: 'chat', text }),
    onTyping: () => send({ type: 'typing' }),
  });
  /** Shows what the server sent, whichever way it came. */
  const show = (message: ServerMessage) => {
    if (message.type === 'chat') box.add({ kind: 'chat', from: message.from, text: message.text, at: message.at });
    if (message.type === 'error') box.add({ kind: 'error', text: message.message });
    if (message.type === 'presence') {
      const typing = message.typing.filter((who) => who !== name);
      status(`${message.here.join(', ')} here${typing.length ? ` · ${typing.join(', ')} typing…` : ''}`);
    }
  };
  send = options.transport === 'long-poll' ? chatOverLongPolling(context, name, box, show) : chatOverWebSocket(context, name, box, show);
}

function chatOverWebSocket({ WebSocket, url, status, pause, signal }: ClientContext, name: string, box: ChatBox, show: (message: ServerMessage) => void) {
  let socket: WebSocket;
  let failures = 0;

  const connect = () => {
    // An http(s) URL is fine: the browser switches it to ws(s). The name rides in the URL.
    socket = new WebSocket(url(`/chat?name=${encodeURIComponent(name)}`)); // [!code step:connect]
    socket.onopen = () => (failures = 0);
    socket.onmessage = (event) => show(JSON.parse(event.data)); // [!code step:onmessage]
    socket.onclose = (event) => {
      // [!code step:onclose]
      if (signal.aborted) return;
      if (event.code === 1000) return box.add({ kind: 'notice', text: `closed: ${event.reason || 'normal closure'}` });
      // Exponential backoff with full jitter: 0.5 s, 1 s, 2 s … up to 30 s, each a random part of it,
      // so that a thousand clients dropped at once by a deploy do not all come back at once.
      const delay = Math.random() * Math.min(30_000, 500 * 2 ** failures++); // [!code step:backoff]
      status(`closed ${event.code}${event.reason ? ` (${event.reason})` : ''} · reconnecting in ${(delay / 1000).toFixed(1)} s`);
      pause(delay).then(connect, () => {});
    };
  };
  connect();

  return (message: ClientMessage) => {
    if (socket.readyState !== WebSocket.OPEN) {
      if (message.type === 'chat') box.add({ kind: 'error', text: 'Not connected: the message was not sent' });
      return;
    }
    socket.send(JSON.stringify(message)); // [!code step:send]
  };
}

function chatOverLongPolling({ fetch, url, status, reportError, pause, signal }: ClientContext, name: string, box: ChatBox, show: (message: ServerMessage) => void) {
  const who = `name=${encodeURIComponent(name)}`;

  (async () => {
    let cursor: number | undefined;
    let failures = 0;
    while (!signal.aborted) {
      try {
        // Everything after the cursor; the server holds the request until there is something.
        const res = await fetch(url(`/chat/poll?${who}${cursor === undefined ? '' : `&cursor=${cursor}`}`)); // [!code step:poll]
        if (!res.ok) throw new Error(`GET /chat/poll answered ${res.status}`);
        const body = (await res.json()) as { cursor: number; messages: ServerMessage[] };
        body.messages.forEach(show);
        cursor = body.cursor; // [!code step:cursor]
        failures = 0;
      } catch (error) {
        if (signal.aborted) return;
        reportError(error);
        const delay = Math.random() * Math.min(30_000, 500 * 2 ** failures++);
        status(`poll failed · retrying in ${(delay / 1000).toFixed(1)} s`);
        await pause(delay).catch(() => {});
      }
    }
  })();

  return (message: ClientMessage) => {
    // Each message the client sends is a request of its own.
    fetch(url(`/chat/send?${who}`), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(message) }) // [!code step:post]
      .then(async (res) => {
        if (!res.ok) box.add({ kind: 'error', text: ((await res.json()) as { error: string }).error });
      })
      .catch(reportError);
  };
}
