import express, { type Express } from 'express';
import { createApiRouter } from './api-router.ts';
import { createCodeRouter } from './code-router.ts';
import type { PresenterGuardOptions } from './presenter-guard.ts';
import { createPresentationRouter, type PresentationUrls } from './presentation-router.ts';
import type { Presentation } from './presentation.ts';
import type { Frontend } from './frontend.ts';
import { errorHandler, notFound } from './http-error.ts';
import type { BufferingProxy } from './buffering-proxy.ts';
import type { LessonHost } from './lesson-host.ts';
import type { LessonHandoff } from './lesson-handoff.ts';
import type { TraceHub } from './trace-hub.ts';

export interface AppOptions {
  hosts: ReadonlyMap<string, LessonHost>;
  hub: TraceHub;
  handoff: LessonHandoff;
  /** The nginx stand-in, served under `/nginx` (the SSE lesson's buffering-proxy step). */
  nginx: BufferingProxy;
  frontend: Frontend;
  /** What steering the workbench and editing lesson code require (the presenter token, the served port). */
  presenter: PresenterGuardOptions;
  presentation: Presentation;
  /** The audience and presenter-window URLs (known once the server listens). */
  urls(): PresentationUrls;
}

/** The workbench's Express app: lesson APIs (handed to their runners), the workbench API, the page; JSON errors last. */
export function createApp({ hosts, hub, handoff, nginx, frontend, presenter, presentation, urls }: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(handoff.middleware); // first: a lesson request, its body unread, goes to the lesson's runner
  app.use('/nginx', nginx.middleware); // a second hop in front of the same lesson APIs
  app.get('/lessons/:slug/', function warmLessonServer(req, _res, next) {
    // The page will ask for the lesson and poll it right away: start its runner and highlight
    // its code while the page's scripts load.
    const host = hosts.get(req.params.slug);
    host?.target().catch(() => {});
    host?.detail().catch(() => {});
    next();
  });
  const onActionError = (slug: string, error: unknown) =>
    hub.emit(slug, { kind: 'error', t: Date.now(), lane: 'server', phase: 'presentation', message: `The step's action failed: ${error instanceof Error ? error.message : String(error)}` });
  app.use(
    '/api',
    createCodeRouter({ hosts, ...presenter }),
    createPresentationRouter({ presentation, hosts, urls, onActionError, ...presenter }),
    createApiRouter({ hosts, hub, presenter }),
  );
  app.use(frontend.router);
  app.use(notFound());
  app.use(errorHandler());
  return app;
}
