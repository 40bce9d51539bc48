import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { RequestHandler } from 'express';
import { HttpError } from './http-error.ts';

/** The header that carries the presenter token (`Authorization: Bearer <token>` works too). */
export const TOKEN_HEADER = 'x-presenter-token';

export interface PresenterGuardOptions {
  /** The presenter token printed at start-up. */
  token: string;
  /** The port the workbench serves on (a Host header must name it). */
  port(): number;
  /**
   * Whether a request from this machine (loopback) is the presenter's without the token. Off on a
   * shared machine (`--require-token`): then everyone, here or not, needs the token to steer.
   * @default true
   */
  trustLoopback?: boolean;
}

/**
 * Whether `req` comes from the presenter: from this machine (unless loopback is not trusted), or
 * showing the presenter token. Everyone else is the audience: they watch, run the demo's clients
 * and chat, but do not steer.
 */
export function isPresenter(req: IncomingMessage, { token, trustLoopback = true }: PresenterGuardOptions): boolean {
  return (trustLoopback && isLoopback(req.socket.remoteAddress)) || hasToken(req, token);
}

/**
 * Guards what steers the workbench (the scenario, the feed, settings, checks, the presentation):
 * refuses with 403 and a JSON message a `Host` that is not an address this workbench serves (DNS
 * rebinding: evil.example resolving to 127.0.0.1), a foreign `Origin` (another site's page), and
 * anyone who is not the presenter (see `isPresenter`). `what` names the refused action.
 */
export function createPresenterGuard(options: PresenterGuardOptions, what = 'Changing the demo'): RequestHandler {
  return function presenterGuard(req, _res, next) {
    const host = servedHost(req, options.port(), what);
    const origin = req.headers.origin;
    if (origin !== undefined && originHost(origin) !== host.toLowerCase()) throw new HttpError(403, `${what} is refused from another site (Origin ${origin.slice(0, 100)})`);
    if (!isPresenter(req, options)) {
      const where = options.trustLoopback === false ? 'here' : 'from another machine';
      throw new HttpError(403, `${what} ${where} needs the presenter token printed at start-up (header ${TOKEN_HEADER}): the audience watches and joins in, the presenter steers`);
    }
    next();
  };
}

/** Refuses with 403 a request whose `Host` is not an address this workbench serves (DNS rebinding: evil.example resolving to 127.0.0.1). */
export function createHostGuard({ port }: Pick<PresenterGuardOptions, 'port'>, what = 'Reading lesson code'): RequestHandler {
  return function hostGuard(req, _res, next) {
    servedHost(req, port(), what);
    next();
  };
}

/** The request's Host header, or a 403 when it does not name this workbench. */
function servedHost(req: IncomingMessage, port: number, what: string): string {
  const host = req.headers.host ?? '';
  if (!isServedHost(host, port)) throw new HttpError(403, `Host "${host.slice(0, 100)}" is not an address this workbench serves: ${what.toLowerCase()} is refused (DNS rebinding)`);
  return host;
}

/**
 * Guards what executes code on the server (editing a lesson): the presenter guard, and a body that
 * must be `application/json` (no simple cross-site form or `text/plain` request gets through).
 */
export function createEditGuard(options: PresenterGuardOptions): RequestHandler {
  const presenterGuard = createPresenterGuard(options, 'Editing');
  return function editGuard(req, res, next) {
    if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'DELETE' && !req.is('application/json')) {
      throw new HttpError(403, 'Edits must be sent as Content-Type: application/json');
    }
    presenterGuard(req, res, next);
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
