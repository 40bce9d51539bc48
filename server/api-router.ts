import express, { Router, type RequestHandler } from 'express';
import type { AloneRequest, LessonSettings, SettingValue, VirtualClientsRequest } from '../lessons/lesson.ts';
import { RECORDING_FORMAT, RECORDING_VERSION, type Recording } from '../lessons/recording.ts';
import { HttpError } from './http-error.ts';
import type { LessonHost } from './lesson-host.ts';
import { createPresenterGuard, type PresenterGuardOptions } from './presenter-guard.ts';
import { parseScenario } from './scenario.ts';
import { traceToHar } from './trace-har.ts';
import type { TraceHub } from './trace-hub.ts';

export interface ApiRouterOptions {
  hosts: ReadonlyMap<string, LessonHost>;
  hub: TraceHub;
  /** Who may change things (the presenter: this machine, or the token). */
  presenter: PresenterGuardOptions;
}

/**
 * The workbench's own API under `/api`: lessons, their feeds and settings, the trace, the clock.
 * Anyone may read; only the presenter may change (the audience of a class watches and joins in).
 */
export function createApiRouter({ hosts, hub, presenter }: ApiRouterOptions): Router {
  const router = Router();
  router.use(onlyPresenterChanges(presenter));
  const onlyJson = requireJson();
  const parseJson = express.json({ limit: '64kb', strict: false });
  const hostOf = (slug: unknown) => {
    const host = typeof slug === 'string' ? hosts.get(slug) : undefined;
    if (!host) throw new HttpError(404, `Unknown lesson: ${slug}`);
    return host;
  };

  router.get('/lessons', (_req, res) => {
    res.json([...hosts.values()].map(({ entry: { slug, order, title, summary } }) => ({ slug, order, title, summary })));
  });

  router.get('/lessons/:slug', async (req, res) => {
    const host = hostOf(req.params.slug);
    // A page is opening the lesson: its clients will ask the lesson server within a second, so start it now.
    host.target().catch(() => {}); // a lesson that does not load says so on the trace and to its requests
    res.json(await host.detail());
  });

  router.post('/lessons/:slug/feed', onlyJson, parseJson, (req, res) => {
    const host = hostOf(req.params.slug);
    const body = req.body as unknown;
    if (!body || typeof body !== 'object' || Array.isArray(body) || !('value' in body)) {
      throw new HttpError(400, 'Expected a JSON object with a "value", e.g. {"value": {"price": 101}}');
    }
    res.status(201).json(host.feed.change((body as { value: unknown }).value, 'manual'));
  });

  router.post('/lessons/:slug/feed/next', (req, res) => {
    const { feed } = hostOf(req.params.slug);
    res.status(201).json(feed.change(feed.nextValue(), 'manual'));
  });

  router.put('/lessons/:slug/scenario', onlyJson, parseJson, async (req, res) => {
    const host = hostOf(req.params.slug);
    const scenario = parseScenario(req.body);
    if (!scenario) {
      throw new HttpError(400, 'Expected {"kind":"manual"}, {"kind":"interval","everyMs":≥20} or {"kind":"burst","count":1–50,"gapMs":≥0,"everyMs":>count×gapMs}');
    }
    host.setScenario(scenario);
    res.json({ scenario });
  });

  router.put('/lessons/:slug/settings', onlyJson, parseJson, (req, res) => {
    const host = hostOf(req.params.slug);
    res.json(host.setSettings(parseSettings(req.body, host.entry.params)));
  });

  const comparisonOf = (slug: unknown) => {
    const host = hostOf(slug);
    if (!host.comparison) throw new HttpError(404, `The ${host.slug} lesson compares no techniques (no "compare:" in its lesson.md)`);
    return host.comparison;
  };

  router.get('/lessons/:slug/figures', (req, res) => {
    res.json(comparisonOf(req.params.slug).figures());
  });

  // Starts, resizes or stops the virtual clients: {"sse": 1000, "websocket": 0, …}.
  router.put('/lessons/:slug/virtual-clients', onlyJson, parseJson, async (req, res) => {
    const comparison = comparisonOf(req.params.slug);
    const body = req.body as unknown;
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'Expected a JSON object of clients per technique, e.g. {"sse": 1000}, and optionally the short-polling "intervalMs"');
    res.json(await comparison.setVirtualClients(body as VirtualClientsRequest));
  });

  // Measures each technique alone: {"clients": 1000, "seconds": 5}. Answers at once; the figures show how it goes.
  router.post('/lessons/:slug/measure-alone', onlyJson, parseJson, async (req, res) => {
    const comparison = comparisonOf(req.params.slug);
    const body = req.body as Partial<AloneRequest> | null;
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'Expected a JSON object like {"clients": 1000, "seconds": 5}');
    res.status(202).json(await comparison.measureAlone({ clients: body.clients as number, ...(body.seconds === undefined ? {} : { seconds: body.seconds }) }));
  });

  router.post('/lessons/:slug/race', onlyJson, parseJson, async (req, res) => {
    const host = hostOf(req.params.slug);
    res.status(201).json(await host.race(clientIn(req.body, host)));
  });

  // Runs the lesson's check against the server code that runs now; {"client"} picks a second tab's client.
  router.post('/lessons/:slug/check', onlyJson, parseJson, async (req, res) => {
    const host = hostOf(req.params.slug);
    const named = (req.body as { client?: unknown } | null)?.client !== undefined;
    res.json(await host.check(named ? clientIn(req.body, host) : undefined));
  });

  router.post('/lessons/:slug/drop', onlyJson, parseJson, async (req, res) => {
    const host = hostOf(req.params.slug);
    res.json({ dropped: await host.dropStreams(clientIn(req.body, host)) });
  });

  const tracedLesson = (slug: unknown) => {
    if (typeof slug !== 'string') throw new HttpError(400, 'Expected ?lesson=<slug>');
    return hostOf(slug).slug;
  };

  // ?format=har: the trace as HAR 1.2, a download for DevTools (Network → Import HAR) and HAR viewers.
  // ?format=recording: the trace with the lesson as shown, a download that replays in the page without a server.
  router.get('/trace', async (req, res) => {
    const slug = tracedLesson(req.query.lesson);
    const { format = 'json' } = req.query;
    if (format === 'json') return void res.json({ lesson: slug, serverNow: Date.now(), events: hub.events(slug) });
    if (format === 'recording') {
      const recording: Recording = { format: RECORDING_FORMAT, version: RECORDING_VERSION, recordedAt: Date.now(), detail: await hostOf(slug).detail(), events: hub.events(slug) };
      return void res.set('Content-Disposition', `attachment; filename="${slug}.recording.json"`).json(recording);
    }
    if (format !== 'har') throw new HttpError(400, `Unknown format ${JSON.stringify(format)}: expected format=json (the default), format=har or format=recording`);
    const origin = `${req.protocol}://${req.get('host') ?? 'localhost'}`;
    res.type('application/json').set('Content-Disposition', `attachment; filename="${slug}.har"`);
    res.json(traceToHar(hub.events(slug), { lesson: slug, origin, now: Date.now() }));
  });

  router.delete('/trace', (req, res) => {
    hub.clear(tracedLesson(req.query.lesson));
    res.status(204).end();
  });

  router.get('/clock', (_req, res) => {
    res.json({ now: Date.now() });
  });

  return router;
}

/** Refuses any change asked for by someone other than the presenter, or by a page of another site (a form post, a fetch from elsewhere). */
function onlyPresenterChanges(options: PresenterGuardOptions): RequestHandler {
  const guard = createPresenterGuard(options);
  return function onlyPresenterChanges(req, res, next) {
    if (req.method === 'GET' || req.method === 'HEAD') next();
    else guard(req, res, next);
  };
}

/** Refuses bodies that are not JSON: no HTML form or text/plain post from another site gets through. */
function requireJson(): RequestHandler {
  return function requireJson(req, _res, next) {
    if (!req.is('application/json')) throw new HttpError(415, 'Send Content-Type: application/json');
    next();
  };
}

/** Reads a settings change; `params` may only set the lesson's declared parameters, each to a value of its type. */
function parseSettings(input: unknown, declared: Readonly<Record<string, SettingValue>>): Partial<LessonSettings> {
  if (!isObject(input)) throw new HttpError(400, 'Expected a JSON object of settings');
  const out: Partial<LessonSettings> = {};
  for (const [key, value] of Object.entries(input)) {
    if (key === 'latencyMs' && typeof value === 'number' && value >= 0 && value <= 60_000) out.latencyMs = value;
    else if (key === 'timeScale' && typeof value === 'number' && value >= 0.1 && value <= 20) out.timeScale = value;
    else if (key === 'params' && isObject(value)) out.params = parseParams(value, declared);
    else throw new HttpError(400, `Bad setting "${key}": latencyMs is 0–60000 ms, timeScale is 0.1–20, params is an object`);
  }
  return out;
}

function parseParams(input: Record<string, unknown>, declared: Readonly<Record<string, SettingValue>>): Record<string, SettingValue> {
  const names = Object.keys(declared);
  for (const [name, value] of Object.entries(input)) {
    if (!Object.hasOwn(declared, name)) throw new HttpError(400, `Unknown parameter "${name}"; this lesson has ${names.length ? names.join(', ') : 'none'}`);
    const type = typeof declared[name];
    const ok = typeof value === type && (type !== 'number' || (Number.isFinite(value) && (value as number) >= 0 && (value as number) <= 3_600_000));
    if (!ok) throw new HttpError(400, `Parameter "${name}" must be ${type === 'number' ? 'a number from 0 to 3600000' : `a ${type}`}`);
  }
  return input as Record<string, SettingValue>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}

/** The `client` a control request names: one of the lesson's clients (`ada`, or `ada-2` in a second browser tab), or a 400. */
function clientIn(body: unknown, host: LessonHost): string {
  const client = (body as { client?: unknown } | null)?.client;
  const declared = typeof client === 'string' ? client.replace(/-\d{1,2}$/, '') : undefined;
  if (typeof client !== 'string' || !host.entry.clients.some((c) => c.id === client || c.id === declared)) {
    throw new HttpError(400, `Expected {"client": …} naming one of the lesson's clients: ${host.entry.clients.map((c) => c.id).join(', ')}`);
  }
  return client;
}
