import express, { Router } from 'express';
import QRCode from 'qrcode';
import { HttpError } from './http-error.ts';
import type { LessonHost } from './lesson-host.ts';
import { createPresenterGuard, isPresenter, type PresenterGuardOptions } from './presenter-guard.ts';
import { PRESENTER_STAGES, type Presentation, type PresentationChange, type PresenterStage } from './presentation.ts';
import { isSameOrigin } from './same-origin.ts';

/** Where a presentation is joined and remote-controlled from. */
export interface PresentationUrls {
  /** What students open (their machines must reach it: `--host 0.0.0.0`). */
  audience: string;
  /** The presenter window, with the token in it: for the presenter's phone. */
  presenter: string;
  /** False while the workbench only listens on loopback: nobody else can open the audience URL. */
  reachable: boolean;
}

export interface PresentationRouterOptions extends PresenterGuardOptions {
  presentation: Presentation;
  hosts: ReadonlyMap<string, LessonHost>;
  urls(): PresentationUrls;
  /** Reports a step's action that failed (a race that found no poll to race). */
  onActionError(slug: string, error: unknown): void;
}

/**
 * `/api/presentation`: the class's shared state. `GET` reads it (with the asker's role; pages follow
 * it on the live socket, `/api/live?presentation`), `POST /join` makes an audience member, `PUT` changes it (presenter only; arriving at a step sets its scenario and
 * runs its action; pausing holds the lesson's scenario), `GET /qr.svg?for=audience|presenter` draws
 * the URL to open as a QR code.
 */
export function createPresentationRouter({ presentation, hosts, urls, onActionError, ...guard }: PresentationRouterOptions): Router {
  const router = Router();
  const presenterOnly = createPresenterGuard(guard, 'Steering the presentation');
  const parseJson = express.json({ limit: '4kb', strict: false });

  router.get('/presentation', (req, res) => {
    res.set('cache-control', 'no-store').json({ ...presentation.state(), role: isPresenter(req, guard) ? 'presenter' : 'audience', urls: publicUrls(urls(), isPresenter(req, guard)) });
  });

  let warmed = false;
  router.post('/presentation/join', (req, res) => {
    if (!isSameOrigin(req)) throw new HttpError(403, 'Joining is refused from another site');
    const member = presentation.join();
    if (!member) throw new HttpError(503, 'The room is full');
    // A class is arriving: have every lesson rendered before the presenter picks one, so that forty pages
    // asking for it at once do not all wait for the highlighter.
    if (!warmed) for (const host of hosts.values()) host.detail().catch(() => {});
    warmed = true;
    res.status(201).json(member);
  });

  router.put('/presentation', presenterOnly, parseJson, async (req, res) => {
    const change = parseChange(req.body, hosts);
    const before = presentation.state();
    const lesson = change.lesson ?? before.lesson;
    if (change.step !== undefined) {
      if (!lesson) throw new HttpError(400, 'No lesson is presented yet: send {"lesson", "step"}');
      const { steps } = await hosts.get(lesson)!.detail();
      if (change.step > steps.length) throw new HttpError(400, `The ${lesson} lesson has ${steps.length} steps, not ${change.step}`);
    }
    const after = presentation.change(change);
    if (before.lesson !== after.lesson || before.paused !== after.paused) {
      if (before.lesson) hosts.get(before.lesson)?.pause(false);
      if (after.lesson) hosts.get(after.lesson)?.pause(after.paused);
    }
    // The class is about to call the new lesson's API: start its runner now, not on the first guest's request.
    // (A runner that cannot start says so to each client that calls it.)
    if (after.lesson && after.lesson !== before.lesson) hosts.get(after.lesson)!.target().catch(() => {});
    if (after.lesson && (before.lesson !== after.lesson || before.step !== after.step)) await arriveAtStep(after.lesson, after.step);
    res.json(after);
  });

  router.get('/presentation/qr.svg', async (req, res, next) => {
    const which = req.query.for ?? 'audience';
    if (which !== 'audience' && which !== 'presenter') throw new HttpError(400, 'Expected ?for=audience or ?for=presenter');
    // The presenter window's URL carries the token: only the presenter may see it.
    if (which === 'presenter') return presenterOnly(req, res, () => void sendQr(urls().presenter).catch(next));
    await sendQr(urls().audience);

    async function sendQr(url: string) {
      const svg = await QRCode.toString(url, { type: 'svg', margin: 2, errorCorrectionLevel: 'M', color: { dark: '#000000', light: '#ffffff' } });
      res.type('image/svg+xml').set('cache-control', 'no-store').send(svg);
    }
  });

  /** Arriving at a step: its scenario, then its action (a presenter stepping on cue). */
  async function arriveAtStep(slug: string, n: number): Promise<void> {
    const host = hosts.get(slug)!;
    const step = (await host.detail()).steps[n - 1];
    if (step?.scenario) host.setScenario(step.scenario);
    const action = step?.action;
    if (!action) return;
    const done = action.kind === 'race' ? host.race(action.client) : action.kind === 'drop' ? host.dropStreams(action.client) : Promise.resolve(host.feed.change(host.feed.nextValue(), 'manual'));
    // A race waits for the client's next answer: do not hold the presenter's click for it.
    done.catch((error: unknown) => onActionError(slug, error));
  }

  return router;
}

/** The URLs as the asker may see them: the presenter's one (it holds the token) only for the presenter. */
function publicUrls(urls: PresentationUrls, presenter: boolean): Partial<PresentationUrls> {
  return presenter ? urls : { audience: urls.audience, reachable: urls.reachable };
}

/** Reads a change to the presentation: a known lesson, a step it has, a boolean pause, a timer restart. */
function parseChange(input: unknown, hosts: ReadonlyMap<string, LessonHost>): PresentationChange {
  const body = input as Record<string, unknown> | null;
  const usage = `Expected {"lesson"?: <slug>, "step"?: <1-based step>, "paused"?: true|false, "stage"?: ${PRESENTER_STAGES.map((s) => `"${s}"`).join('|')}, "restartTimer"?: true}`;
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, usage);
  const change: PresentationChange = {};
  for (const [key, value] of Object.entries(body)) {
    if (key === 'lesson' && typeof value === 'string' && hosts.has(value)) change.lesson = value;
    else if (key === 'lesson') throw new HttpError(400, `Unknown lesson ${JSON.stringify(value)}: one of ${[...hosts.keys()].join(', ')}`);
    else if (key === 'step' && Number.isInteger(value) && (value as number) >= 1) change.step = value as number;
    else if (key === 'paused' && typeof value === 'boolean') change.paused = value;
    else if (key === 'stage' && PRESENTER_STAGES.includes(value as PresenterStage)) change.stage = value as PresenterStage;
    else if (key === 'restartTimer' && value === true) change.restartTimer = true;
    else throw new HttpError(400, `Bad "${key}": ${usage}`);
  }
  return change;
}
