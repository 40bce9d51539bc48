import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { RequestHandler } from 'express';
import { HttpError } from './http-error.ts';

/** The header that carries the presenter token (`Authorization: Bearer <token>` works too). */
export const TOKEN_HEADER = 'x-presenter-token';

export interface EditGuardOptions {
  /** The presenter token printed at start-up: required for any request that does not come from this machine. */
  token: string;
  /** The port the workbench serves on (a Host header must name it). */
  port(): number;
}

/**
 * Guards what executes code on the server (editing a lesson). Refuses with 403 and a JSON message:
 * a foreign `Origin` (another site's page); a `Host` that is not an address this workbench serves
 * (DNS rebinding: evil.example resolving to 127.0.0.1); a body that is not `application/json` (no
 * simple cross-site form or `text/plain` request gets through); and any request from another
 * machine without the presenter token.
 */
export function createEditGuard({ token, port }: EditGuardOptions): RequestHandler {
  return function editGuard(req, _res, next) {
    const host = req.headers.host ?? '';
    if (!isServedHost(host, port())) throw new HttpError(403, `Host "${host.slice(0, 100)}" is not an address this workbench serves: editing is refused (DNS rebinding)`);
    const origin = req.headers.origin;
    if (origin !== undefined && originHost(origin) !== host.toLowerCase()) throw new HttpError(403, `Editing is refused from another site (Origin ${origin.slice(0, 100)})`);
    if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'DELETE' && !req.is('application/json')) {
      throw new HttpError(403, 'Edits must be sent as Content-Type: application/json');
    }
    if (!isLoopback(req.socket.remoteAddress) && !hasToken(req, token)) {
      throw new HttpError(403, `Editing from another machine needs the presenter token printed at start-up (header ${TOKEN_HEADER})`);
    }
    next();
  };
}

/** Whether `host` (a Host header) names this machine, by a loopback name or one of its own addresses, on `port`. */
export function isServedHost(host: string, port: number): boolean {
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d+))?$/i.exec(host.trim());
  if (!match) return false;
  const hostname = match[1]!.replace(/^\[|\]$/g, '').toLowerCase();
  if (Number(match[2] ?? 80) !== port) return false;
  if (hostname === 'localhost' || isLoopback(hostname)) return true;
  return isIP(hostname) !== 0 && ownAddresses().has(hostname);
}

function ownAddresses(): Set<string> {
  return new Set(Object.values(networkInterfaces()).flatMap((addresses) => (addresses ?? []).map((a) => a.address.toLowerCase())));
}

function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.replace(/^::ffff:/i, '');
  return v4.startsWith('127.') || address === '::1';
}

function originHost(origin: string): string | undefined {
  try {
    return new URL(origin).host.toLowerCase();
  } catch {
    return undefined;
  }
}

function hasToken(req: IncomingMessage, token: string): boolean {
  const header = req.headers[TOKEN_HEADER];
  const given = typeof header === 'string' ? header : /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
