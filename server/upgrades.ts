import type { Server } from 'node:http';
import type { WebSocketServer } from 'ws';
import { LIVE_PATH } from './live-protocol.ts';
import type { LessonHandoff } from './lesson-handoff.ts';
import { rejectUpgrade } from './reject-upgrade.ts';
import { isSameOrigin } from './same-origin.ts';

/** Sends each HTTP upgrade to its owner: the page's live socket, a lesson's API, or Vite's hot reload. */
export function routeUpgrades(server: Server, { live, handoff }: { live: WebSocketServer; handoff: LessonHandoff }): void {
  server.on('upgrade', (req, socket, head) => {
    const protocol = req.headers['sec-websocket-protocol'];
    if (protocol === 'vite-hmr' || protocol === 'vite-ping') return; // Vite's own listener takes these
    if (handoff.upgrade(req, socket, head)) return;
    if (new URL(req.url ?? '/', 'http://localhost').pathname === LIVE_PATH) {
      if (!isSameOrigin(req)) return rejectUpgrade(socket, 403);
      return live.handleUpgrade(req, socket, head, (ws) => live.emit('connection', ws, req));
    }
    rejectUpgrade(socket, 404);
  });
}
