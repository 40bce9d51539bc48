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
  /** Where the built page is (`prod`). @default `<root>/dist` */
  distDir?: string;
  /** Share Vite's hot-reload socket with this server (one port). Off in tests. */
  hmrServer?: Server;
}

/** The page's routes: the lesson list, a lesson, the presenter window; the audience page is a page of its own. */
const APP_ROUTES = ['/', '/lessons/:slug/', '/presenter'];
const AUDIENCE_ROUTE = '/audience';

/** Creates the frontend for `mode`: the page's routes, the audience page and their assets. */
export async function createFrontend({ root, mode, distDir = join(root, 'dist'), hmrServer }: FrontendOptions): Promise<Frontend> {
  const router = Router({ strict: true }); // `/lessons/x` and `/lessons/x/` are different pages here
  router.get('/lessons/:slug', (req, res) => res.redirect(301, `/lessons/${encodeURIComponent(req.params.slug)}/`));

  if (mode === 'prod') {
    const dist = distDir;
    const [html, audience] = await Promise.all(
      ['index.html', 'audience.html'].map((file) =>
        readFile(join(dist, file), 'utf8').catch(() => {
          throw new Error('No production build: run `npm run build` first, then `npm start -- --prod`.');
        }),
      ),
    );
    router.use(express.static(dist, { index: false, maxAge: '1h' }));
    router.get(APP_ROUTES, (_req, res) => void res.type('html').send(html));
    router.get(AUDIENCE_ROUTE, (_req, res) => void res.type('html').send(audience));
    return { router, close: async () => {} };
  }

  const { createServer } = await import('vite');
  const vite = await createServer({
    configFile: join(root, 'vite.config.ts'),
    appType: 'custom',
    logLevel: 'warn',
    server: { middlewareMode: true, ws: hmrServer ? { server: hmrServer } : false },
  });
  const page = (file: string) =>
    async function servePage(req: express.Request, res: express.Response) {
      const html = await readFile(join(root, 'web', file), 'utf8');
      res.type('html').send(await vite.transformIndexHtml(req.originalUrl, html));
    };
  router.get(APP_ROUTES, page('index.html'));
  router.get(AUDIENCE_ROUTE, page('audience.html'));
  // After the pages: Vite would answer `/audience` with the module web/audience.ts to a client that does not say it is navigating.
  router.use(vite.middlewares);
  return { router, close: () => vite.close() };
}
