import type { Server } from 'node:http';
import type { WebSocketServer } from 'ws';
import { LIVE_PATH } from './live-protocol.ts';
import type { LessonProxy } from './lesson-proxy.ts';
import { isSameOrigin } from './same-origin.ts';

/** Sends each HTTP upgrade to its owner: the page's live socket, a lesson's API, or Vite's hot reload. */
export function routeUpgrades(server: Server, { live, proxy }: { live: WebSocketServer; proxy: LessonProxy }): void {
  server.on('upgrade', (req, socket, head) => {
    const protocol = req.headers['sec-websocket-protocol'];
    if (protocol === 'vite-hmr' || protocol === 'vite-ping') return; // Vite's own listener takes these
    if (proxy.upgrade(req, socket, head)) return;
    if (new URL(req.url ?? '/', 'http://localhost').pathname === LIVE_PATH) {
      if (!isSameOrigin(req)) return void socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return live.handleUpgrade(req, socket, head, (ws) => live.emit('connection', ws, req));
    }
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });
}
