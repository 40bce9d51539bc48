import type { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { RequestHandler } from 'express';
import { readRequestHead } from './connection-handoff.ts';
import { HttpError } from './http-error.ts';
import type { LessonHost } from './lesson-host.ts';
import { rejectUpgrade } from './reject-upgrade.ts';

/**
 * Sends `/lessons/<slug>/api/*` to the lesson's runner by handing it the client's connection (see
 * connection-handoff.ts): the runner answers this request and the next ones for its lesson on it,
 * WebSocket upgrades included, and hands the connection back with the first request that is not.
 */
export interface LessonHandoff {
  middleware: RequestHandler;
  /** Hands over an upgrade for a lesson API path; returns false when the path is not one. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
}

const API_PATH = /^\/lessons\/([a-z0-9-]+)\/api(?:[/?]|$)/;

/** Creates the handoff in front of the lesson runners. */
export function createLessonHandoff(hosts: ReadonlyMap<string, LessonHost>): LessonHandoff {
  const hostOf = (url: string | undefined) => {
    const slug = API_PATH.exec(url ?? '')?.[1];
    return slug ? hosts.get(slug) : undefined;
  };

  return {
    middleware: async function lessonHandoff(req, res, next) {
      if (!API_PATH.test(req.originalUrl)) return next();
      const host = hostOf(req.originalUrl);
      if (!host) return void res.status(404).json({ error: `No lesson at ${req.originalUrl.split('/api')[0]}` });
      // Only a plain TCP connection can change processes; this server makes no other.
      if (!(req.socket instanceof Socket)) return void res.status(500).json({ error: 'This connection cannot be handed to the lesson server' });
      try {
        await host.handOff(req.socket, await readRequestHead(req, req.originalUrl));
      } catch (error) {
        if (res.headersSent || req.socket.destroyed) return;
        const status = error instanceof HttpError ? error.status : 503;
        res.status(status).set('connection', 'close').json({ error: error instanceof Error ? error.message : String(error) });
      }
    },
    upgrade(req, socket, head) {
      if (!API_PATH.test(req.url ?? '')) return false;
      const host = hostOf(req.url);
      if (!host) {
        rejectUpgrade(socket, 404);
        return true;
      }
      if (!(socket instanceof Socket)) {
        rejectUpgrade(socket, 503); // never on this plain-HTTP server: only a TCP socket can be handed over
        return true;
      }
      // Bytes the client sent after the request head; none is expected before the 101, but keep any.
      const buffered = socket.read() as Buffer | null;
      readRequestHead(req, req.url, buffered ? Buffer.concat([head, buffered]) : head)
        .then((bytes) => host.handOff(socket, bytes))
        .catch(() => {
          if (!socket.destroyed) rejectUpgrade(socket, 503);
        });
      return true;
    },
  };
}
