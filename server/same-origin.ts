import type { IncomingMessage } from 'node:http';

/**
 * True when a request carries no Origin (curl, a server) or an Origin naming the host it was sent
 * to. A page on another site (cross-site WebSocket hijacking, a form post) has a foreign Origin.
 */
export function isSameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
