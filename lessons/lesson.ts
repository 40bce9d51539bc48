/**
 * Shared types between a lesson's code, the workbench server and the page. A lesson's
 * `server.ts` default-exports a `LessonServer`; its `client.ts` default-exports a `LessonClient`.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Router } from 'express';
import type { SourceLocation } from './trace-event.ts';

/** The workbench-owned changing value, as one version of it. */
export interface FeedSnapshot<T = unknown> {
  /** Monotonic: one more on every change, never reused, survives lesson reloads. */
  version: number;
  value: T;
  /** When this version was made, server epoch ms. */
  changedAt: number;
}

/** The feed as lesson server code sees it (a live mirror of the workbench's feed). */
export interface LessonFeed<T = unknown> {
  /** The latest version. */
  current(): FeedSnapshot<T>;
  /** Calls `listener` on each change; returns the function that stops listening. */
  subscribe(listener: (snapshot: FeedSnapshot<T>) => void): () => void;
}

/** Settings a person changes from the page; lesson code reads them through the context. */
export interface LessonSettings {
  /** Extra delay the workbench adds before the lesson server handles each request, ms. */
  latencyMs: number;
  /** Slow motion: 1 is real time, 4 makes every scenario timer and injected delay 4x longer. */
  timeScale: number;
}

export const DEFAULT_SETTINGS: LessonSettings = { latencyMs: 0, timeScale: 1 };

/** What a lesson's server.ts receives. */
export interface LessonContext<T = unknown> {
  /** The lesson slug, e.g. `short-polling`. */
  slug: string;
  feed: LessonFeed<T>;
  /** The current settings (read them when you need them: they change live). */
  settings(): LessonSettings;
  /** Aborted when this version of the lesson code is replaced or stopped. */
  signal: AbortSignal;
  /**
   * Takes the WebSocket upgrades for `path` under the lesson's API (`'/chat'` is
   * `/lessons/<slug>/api/chat`); hand them to a `ws` server made with `{ noServer: true }`.
   */
  onUpgrade(path: string, handler: UpgradeHandler): void;
}

/** Handles one HTTP upgrade request (as Node's `'upgrade'` event gives it). */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** The default export of a lesson's server.ts. */
export type LessonServer<T = unknown> = (context: LessonContext<T>) => Router;

/** Options a person sets for the browser client from the page's controls. */
export type ClientOptions = Record<string, string | number | boolean>;

/** What a lesson's client.ts receives: the browser's own APIs, with the workbench listening in. */
export interface ClientContext {
  /** This client's id (its timeline lane). */
  clientId: string;
  /** The browser's fetch; the workbench records the request and the response on the timeline. */
  fetch: typeof fetch;
  /** Absolute URL of a path under the lesson's live API (`/lessons/<slug>/api`). */
  url(path: string): string;
  /** Shows a value in the page, the user-visible end of the pipeline (records staleness). */
  show(snapshot: FeedSnapshot): void;
  /** Reports a failure on the client's lane. */
  reportError(error: unknown): void;
  /** The options from the page's controls, read when the client starts. */
  options: ClientOptions;
  /** Aborted when the client is stopped (restart with new options, page left). */
  signal: AbortSignal;
}

/** The default export of a lesson's client.ts. */
export type LessonClient = (context: ClientContext) => void;

/** How the feed changes by itself while a lesson runs. */
export type Scenario =
  | { kind: 'manual' }
  | { kind: 'interval'; everyMs: number }
  | { kind: 'burst'; count: number; gapMs: number; everyMs: number };

/** A control shown on the lesson page, bound to one client option. */
export type ClientControl =
  | { kind: 'choice'; option: string; label: string; choices: { value: string; label: string }[] }
  | { kind: 'number'; option: string; label: string; min: number; max: number; step: number; unit?: string }
  | { kind: 'toggle'; option: string; label: string };

/** One step of the lesson prose. */
export interface LessonStep {
  title: string;
  /** Rendered HTML of the step's prose. */
  html: string;
  /** Step ids (`// [!code step:<id>]` in the code) to focus while this step is shown. */
  focus: string[];
  /** The scenario this step switches to, if any. */
  scenario?: Scenario;
}

/** A highlighted lesson file, ready for the code view. */
export interface LessonCode {
  file: SourceLocation['file'];
  /** Shiki HTML: `.line` spans carrying `data-line` (line in the file) and `data-step`. */
  html: string;
  /** The file as it is on disk (what the copy button copies, notations removed). */
  text: string;
}

/** One browser client the lesson page runs. */
export interface LessonClientSpec {
  id: string;
  label: string;
  /** Options for this client only, over the lesson's shared options. */
  options?: ClientOptions;
}

/** A lesson as listed by `GET /api/lessons`. */
export interface LessonSummary {
  slug: string;
  /** Position in the course, from the folder name (`01-short-polling` → 1). */
  order: number;
  title: string;
  summary: string;
}

/** A lesson as `GET /api/lessons/<slug>` returns it. */
export interface LessonDetail extends LessonSummary {
  steps: LessonStep[];
  code: LessonCode[];
  scenario: Scenario;
  settings: LessonSettings;
  controls: ClientControl[];
  /** Default client options. */
  options: ClientOptions;
  /** Clients the page starts, one lane each (e.g. one, or `naive` and `fixed` side by side). */
  clients: LessonClientSpec[];
}
