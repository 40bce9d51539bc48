import type { IncomingMessage } from 'node:http';
import type { UpgradeHandler } from '../lessons/lesson.ts';

/** The WebSocket upgrades a lesson takes (`context.onUpgrade`), by path under its API base. */
export interface UpgradeRoutes {
  /** `onUpgrade(path, handler)`: `'/chat'` and `'chat'` are the same path. */
  add(path: string, handler: UpgradeHandler): void;
  /** The handler for an upgrade request, if the lesson takes its path. */
  handlerFor(req: IncomingMessage): UpgradeHandler | undefined;
}

/** Creates the table of a lesson's upgrades; `apiBase()` is `/lessons/<slug>/api` once it is known. */
export function createUpgradeRoutes(apiBase: () => string): UpgradeRoutes {
  const routes = new Map<string, UpgradeHandler>();
  return {
    add(path, handler) {
      routes.set(path.startsWith('/') ? path : `/${path}`, handler);
    },
    handlerFor(req) {
      const base = apiBase();
      const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
      return pathname.startsWith(`${base}/`) ? routes.get(pathname.slice(base.length)) : undefined;
    },
  };
}
