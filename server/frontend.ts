import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { join } from 'node:path';
import express, { Router } from 'express';

/** Serves the page: Vite in middleware mode while developing, the built files in production. */
export interface Frontend {
  router: Router;
  close(): Promise<void>;
}

export interface FrontendOptions {
  root: string;
  /** `dev` runs Vite (with hot reload over `server`'s WebSocket when given); `prod` serves `dist/`. */
  mode: 'dev' | 'prod';
  /** Share Vite's hot-reload socket with this server (one port). Off in tests. */
  hmrServer?: Server;
}

/** Creates the frontend for `mode`: the page's routes (`/`, `/lessons/<slug>/`) and its assets. */
export async function createFrontend({ root, mode, hmrServer }: FrontendOptions): Promise<Frontend> {
  const router = Router({ strict: true }); // `/lessons/x` and `/lessons/x/` are different pages here
  router.get('/lessons/:slug', (req, res) => res.redirect(301, `/lessons/${encodeURIComponent(req.params.slug)}/`));

  if (mode === 'prod') {
    const dist = join(root, 'dist');
    const html = await readFile(join(dist, 'index.html'), 'utf8').catch(() => {
      throw new Error('No production build: run `npm run build` first, then `npm start -- --prod`.');
    });
    router.use(express.static(dist, { index: false, maxAge: '1h' }));
    router.get(['/', '/lessons/:slug/'], (_req, res) => void res.type('html').send(html));
    return { router, close: async () => {} };
  }

  const { createServer } = await import('vite');
  const vite = await createServer({
    configFile: join(root, 'vite.config.ts'),
    appType: 'custom',
    logLevel: 'warn',
    server: { middlewareMode: true, ws: hmrServer ? { server: hmrServer } : false },
  });
  router.use(vite.middlewares);
  router.get(['/', '/lessons/:slug/'], async (req, res) => {
    const html = await readFile(join(root, 'web', 'index.html'), 'utf8');
    res.type('html').send(await vite.transformIndexHtml(req.originalUrl, html));
  });
  return { router, close: () => vite.close() };
}
