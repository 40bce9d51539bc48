import { Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { RequestHandler } from 'express';
import { createProxyServer } from 'http-proxy-3';
import type { LessonHost } from './lesson-host.ts';
import { rejectUpgrade } from './reject-upgrade.ts';

/**
 * Sends `/lessons/<slug>/api/*` to the lesson's runner. WebSocket upgrades and event streams are
 * handed over: the runner gets the client's connection itself (see `LessonRunner.handOff`), so a
 * broadcast to a thousand clients is written by one process, not copied through a second one.
 * Every other request is forwarded over keep-alive connections: it shares the client's
 * connection with the page's own requests, which must stay here.
 */
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
  const proxy = createProxyServer({ agent, xfwd: true, proxyTimeout: 0 });
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
      if (isEventStreamRequest(req) && req.socket instanceof Socket) {
        return void host.handOff(req.socket, headOf(req, req.originalUrl)).catch((error: unknown) => {
          if (!res.headersSent && !req.socket.destroyed) res.status(503).json({ error: messageOf(error) });
        });
      }
      let target: string;
      try {
        target = await host.target();
      } catch (error) {
        return void res.status(503).json({ error: messageOf(error) });
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
      if (!(socket instanceof Socket)) {
        rejectUpgrade(socket, 503); // never on this plain-HTTP server: only a TCP socket can be handed over
        return true;
      }
      // Bytes the client sent after the request head; none is expected before the 101, but keep any.
      const buffered = socket.read() as Buffer | null;
      host.handOff(socket, headOf(req, req.url ?? '/', buffered ? Buffer.concat([head, buffered]) : head)).catch(() => {
        if (!socket.destroyed) rejectUpgrade(socket, 503);
      });
      return true;
    },
    close() {
      agent.destroy();
      proxy.close?.();
    },
  };
}

/** A GET for an event stream (what EventSource sends), with no body to carry over. */
function isEventStreamRequest(req: IncomingMessage): boolean {
  return req.method === 'GET' && /\btext\/event-stream\b/.test(req.headers.accept ?? '') && !req.headers['content-length'] && !req.headers['transfer-encoding'];
}

/** The request as it was read from the socket (request line, headers as sent, blank line), then `rest`. */
function headOf(req: IncomingMessage, url: string, rest: Buffer = Buffer.alloc(0)): Buffer {
  let head = `${req.method} ${url} HTTP/${req.httpVersion}\r\n`;
  for (let i = 0; i < req.rawHeaders.length; i += 2) head += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
  return Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), rest]);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
