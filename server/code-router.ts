import { readFile } from 'node:fs/promises';
import express, { Router } from 'express';
import { LESSON_FILES, type LessonFile } from '../lessons/trace-event.ts';
import { createEditGuard, createHostGuard, type PresenterGuardOptions } from './presenter-guard.ts';
import { HttpError } from './http-error.ts';
import type { LessonHost } from './lesson-host.ts';

/** The biggest lesson file an edit may send. */
export const MAX_EDIT_BYTES = 256 * 1024;

export interface CodeRouterOptions extends PresenterGuardOptions {
  hosts: ReadonlyMap<string, LessonHost>;
}

/**
 * `/api/lessons/<slug>/code/<file>`: read a lesson file as it runs, and the original (`GET`), run an edit of it
 * (`PUT {"code"}` → 200 `{"ok":true}`, or 422 `{"errors":[{line,column,message}]}` while the last
 * good code keeps serving), and go back to the original (`DELETE`). Changes are behind the edit
 * guard (they execute code on the server); reading is open to all, the audience included.
 */
export function createCodeRouter({ hosts, ...guard }: CodeRouterOptions): Router {
  const router = Router();
  const parseJson = express.json({ limit: MAX_EDIT_BYTES });
  const target = (slug: string, file: string): { host: LessonHost; file: LessonFile } => {
    const host = hosts.get(slug);
    if (!host) throw new HttpError(404, `Unknown lesson: ${slug}`);
    if (!(LESSON_FILES as readonly string[]).includes(file)) throw new HttpError(404, `A lesson has no file "${file}": ${LESSON_FILES.join(', ')}`);
    return { host, file: file as LessonFile };
  };
  const editGuard = createEditGuard(guard);
  const hostGuard = createHostGuard(guard);
  router.use('/lessons/:slug/code', function guardCode(req, res, next) {
    if (req.method === 'GET' || req.method === 'HEAD') hostGuard(req, res, next);
    else editGuard(req, res, next);
  });

  // client.ts as the page imports it when it does not run its bundled copy (an edit; the built page).
  router.get('/lessons/:slug/code/client.js', async (req, res) => {
    const module = await target(req.params.slug, 'client.ts').host.clientModule();
    if (module === undefined) throw new HttpError(404, 'client.ts is not edited: the page runs the original');
    res.type('text/javascript').set('cache-control', 'no-store').send(module);
  });

  router.get('/lessons/:slug/code/:file', async (req, res) => {
    const { host, file } = target(req.params.slug, req.params.file);
    const original = await readFile(file === 'server.ts' ? host.entry.serverPath : host.entry.clientPath, 'utf8');
    res.json({ file, ...(await host.code(file)), original });
  });

  router.put('/lessons/:slug/code/:file', parseJson, async (req, res) => {
    const { host, file } = target(req.params.slug, req.params.file);
    const code = (req.body as { code?: unknown } | null)?.code;
    if (typeof code !== 'string') throw new HttpError(400, 'Expected {"code": "<the whole file>"}');
    const result = await host.edit(file, code);
    if (result.ok) res.json({ ok: true });
    else res.status(422).json({ errors: result.errors });
  });

  router.delete('/lessons/:slug/code/:file', async (req, res) => {
    const { host, file } = target(req.params.slug, req.params.file);
    const result = await host.reset(file);
    if (!result.ok) return void res.status(422).json({ errors: result.errors });
    res.json({ ok: true });
  });

  return router;
}
