import { Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { RequestHandler } from 'express';
import { createProxyServer } from 'http-proxy-3';
import type { LessonHost } from './lesson-host.ts';
import { rejectUpgrade } from './reject-upgrade.ts';

/** Forwards `/lessons/<slug>/api/*` (HTTP and WebSocket upgrades) to the lesson's runner. */
export interface LessonProxy {
  middleware: RequestHandler;
  /** Handles an upgrade for a lesson API path; returns false when the path is not one. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  close(): void;
}

const API_PATH = /^\/lessons\/([a-z0-9-]+)\/api(?:[/?]|$)/;

/** Creates the proxy in front of the lesson runners. */
export function createLessonProxy(hosts: ReadonlyMap<string, LessonHost>): LessonProxy {
  // Keep-alive sockets to the runners: a poll costs a request, not a TCP handshake on loopback. All
  // of them: a change answers every held long poll at once, and a cap would close and reopen the rest.
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: Infinity });
  const proxy = createProxyServer({ agent, xfwd: true, ws: true, proxyTimeout: 0 });
  proxy.on('error', (error: Error, _req: IncomingMessage, target: ServerResponse | Duplex) => {
    if ('writeHead' in target && !target.headersSent) {
      target.writeHead(502, { 'content-type': 'application/json; charset=utf-8' });
      target.end(JSON.stringify({ error: `The lesson server did not answer (${error.message})` }));
    } else {
      target.destroy();
    }
  });

  const hostOf = (url: string | undefined) => {
    const slug = API_PATH.exec(url ?? '')?.[1];
    return slug ? hosts.get(slug) : undefined;
  };

  return {
    middleware: async function lessonProxy(req, res, next) {
      if (!API_PATH.test(req.originalUrl)) return next();
      const host = hostOf(req.originalUrl);
      if (!host) return void res.status(404).json({ error: `No lesson at ${req.originalUrl.split('/api')[0]}` });
      let target: string;
      try {
        target = await host.target();
      } catch (error) {
        return void res.status(503).json({ error: error instanceof Error ? error.message : String(error) });
      }
      req.url = req.originalUrl;
      proxy.web(req, res, { target });
    },
    upgrade(req, socket, head) {
      if (!API_PATH.test(req.url ?? '')) return false;
      const host = hostOf(req.url);
      if (!host) {
        rejectUpgrade(socket, 404);
        return true;
      }
      host.target().then(
        (target) => proxy.ws(req, socket, head, { target }),
        () => rejectUpgrade(socket, 503),
      );
      return true;
    },
    close() {
      agent.destroy();
      proxy.close?.();
    },
  };
}
