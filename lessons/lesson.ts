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

/** A value a person sets from the page's controls. */
export type SettingValue = string | number | boolean;

/** Settings a person changes from the page; lesson code reads them through the context. */
export interface LessonSettings {
  /** Extra delay the workbench adds before the lesson server handles each request, ms. */
  latencyMs: number;
  /** Slow motion: 1 is real time, 4 makes every scenario timer and injected delay 4x longer. */
  timeScale: number;
  /** The lesson's own server parameters, declared with their defaults in lesson.md (`params:`), e.g. `holdMs`. */
  params: Record<string, SettingValue>;
}

export const DEFAULT_SETTINGS: LessonSettings = { latencyMs: 0, timeScale: 1, params: {} };

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
export type ClientOptions = Record<string, SettingValue>;

/** What a lesson's client.ts receives: the browser's own APIs, with the workbench listening in. */
export interface ClientContext {
  /** This client's id (its timeline lane). */
  clientId: string;
  /** This client's name on the page (`Ada`; `Ada 2` in a second browser tab of the same lesson). */
  label: string;
  /** The browser's fetch; the workbench records the request and the response on the timeline. */
  fetch: typeof fetch;
  /**
   * The browser's EventSource. The workbench names the client in the URL (`?client=<id>`: the
   * EventSource API cannot send headers), records its state changes and every event a listener
   * receives, and closes whatever is still open when the client stops.
   */
  EventSource: typeof EventSource;
  /**
   * The browser's WebSocket. The workbench names the client in the URL (`?client=<id>`), records
   * when each socket connects, opens and closes (with its code), and closes whatever is still open
   * when the client stops. Every frame, ping and pong included, is recorded on the server side.
   */
  WebSocket: typeof WebSocket;
  /** Puts a chat box on the client's card (a log of lines and a text field) and returns its log. */
  chatBox(options: ChatBoxOptions): ChatBox;
  /** Absolute URL of a path under the lesson's live API (`/lessons/<slug>/api`). */
  url(path: string): string;
  /** Shows a value in the page, the user-visible end of the pipeline (records staleness). */
  show(snapshot: FeedSnapshot): void;
  /** Reports a failure on the client's lane. */
  reportError(error: unknown): void;
  /** Shows a line of text on the client's card, under the value (e.g. who else is listening). */
  status(text: string): void;
  /** The options from the page's controls, read when the client starts. */
  options: ClientOptions;
  /** Aborted when the client is stopped (restart with new options, page left). */
  signal: AbortSignal;
  /** Waits `ms` (longer in slow motion); rejects with the abort reason when the client stops. */
  pause(ms: number): Promise<void>;
}

/** What a chat box on a client's card does with what its user types. */
export interface ChatBoxOptions {
  /** A line was sent (Enter, or the Send button). */
  onSend(text: string): void;
  /** The user is typing (at most once a second). */
  onTyping?(): void;
}

/** One line in a chat box's log. */
export interface ChatLine {
  /** A chat message from someone, a notice (joined, reconnecting), or an error from the server. */
  kind: 'chat' | 'notice' | 'error';
  text: string;
  from?: string;
  /** When it was sent, server epoch ms. */
  at?: number;
}

/** The log of a chat box. */
export interface ChatBox {
  add(line: ChatLine): void;
}

/** The default export of a lesson's client.ts. */
export type LessonClient = (context: ClientContext) => void;

/** How the feed changes by itself while a lesson runs. */
export type Scenario =
  | { kind: 'manual' }
  | { kind: 'interval'; everyMs: number }
  | { kind: 'burst'; count: number; gapMs: number; everyMs: number };

/** What a value control sets: a browser client option, or a server parameter of the lesson. */
export type ControlTarget = { option: string; param?: never } | { param: string; option?: never };

/**
 * A control shown on the lesson page: a value bound to a client option or a server parameter,
 * the button that makes the long-poll race happen on cue for one client, or the one that ends a
 * client's event streams from the server side.
 */
export type LessonControl =
  | ({ kind: 'choice'; label: string; choices: { value: string; label: string }[] } & ControlTarget)
  | ({ kind: 'number'; label: string; min: number; max: number; step: number; unit?: string } & ControlTarget)
  | ({ kind: 'toggle'; label: string } & ControlTarget)
  | { kind: 'race'; label: string; client: string }
  | { kind: 'drop'; label: string; client: string };

/** One step of the lesson prose. */
export interface LessonStep {
  title: string;
  /** Rendered HTML of the step's prose. */
  html: string;
  /** Step ids (`// [!code step:<id>]` in the code) to focus while this step is shown. */
  focus: string[];
  /** The scenario this step switches to, if any. */
  scenario?: Scenario;
  /** What presenting this step does on arrival, after the scenario: the race on cue, a drop, or a change of the data. */
  action?: StepAction;
  /** Speaker notes (rendered HTML) for the presenter window, from `<!-- notes … -->` in the step. */
  notes?: string;
}

/** Something a step does when a presenter arrives at it (`action="race naive"` in its directive). */
export type StepAction = { kind: 'race' | 'drop'; client: string } | { kind: 'change' };

/** A highlighted lesson file (or a view of one, like the diff of a fix), ready for the code view. */
export interface LessonCode {
  /** The tab's id, unique in the lesson: the file name, or e.g. `fix` for a diff between two functions of a file. */
  tab: string;
  /** The tab's label. */
  title: string;
  /** The file the lines come from (their `data-line` numbers are lines of this file). */
  file: SourceLocation['file'];
  /** Shiki HTML: `.line` spans carrying `data-line` (line in the file) and `data-step`. */
  html: string;
  /** What the copy button copies: the file as it is on disk, or the diff as text, notations removed. */
  text: string;
  /** True when the file is an edit made in the page (`PUT …/code/<file>`), not the lesson's original. */
  edited?: boolean;
}

/** A diff to show beside the files: how one function of server.ts becomes another (the fix of a lesson). */
export interface LessonFix {
  /** Name of the function before the fix, e.g. `waitNaive`. */
  from: string;
  /** Name of the function after the fix, e.g. `waitFixed`. */
  to: string;
  /** The tab's label. */
  title: string;
}

/**
 * A lesson's check, run by "Check my code" against the server code that runs (an edit or the
 * original) and in `npm test` against the original. It changes the feed `rounds` times, one
 * round after another, each the way the lesson's point says it can go wrong, and expects each
 * change to reach `client` within `withinMs`.
 */
export interface LessonCheck {
  /** The expectation as a sentence, e.g. "Every version reaches the naive client". */
  expect: string;
  /** The client it watches (one of the lesson's clients). */
  client: string;
  /**
   * What each round does: `race` lands a feed change between two polls of the client (the
   * long-poll race), `dropped` cuts the client's streams and makes two changes while it is away
   * (a resume must bring both), `plain` just makes a change. Each version must be shown by the
   * client. `chat` sends a chat message as "Checker" over the lesson's `/chat` WebSocket; it must
   * be written to the client's socket.
   */
  change: 'race' | 'dropped' | 'plain' | 'chat';
  /** How many rounds (1–10). */
  rounds: number;
  /** How long each version may take to reach the client, ms (times the slow-motion factor). */
  withinMs: number;
}

/** What a check found: passed, or the first version that did not reach the client and why. */
export interface CheckResult {
  passed: boolean;
  client: string;
  /** The check's expectation when it passed; what went wrong when it failed. */
  message: string;
  /** What it changed or sent, in order (`v12`, or a chat message), and how long that took to reach the client (absent: never). */
  changes: { what: string; version?: number; shownAfterMs?: number }[];
}

/** One browser client the lesson page runs. */
export interface LessonClientSpec {
  id: string;
  label: string;
  /** Options for this client only, over the lesson's shared options. */
  options?: ClientOptions;
}

/** How a client gets fresh data: the four techniques the course teaches. */
export type TechniqueKind = 'short-polling' | 'long-polling' | 'sse' | 'websocket';

/** A technique the choosing lesson measures side by side: the route that serves it and the page's client that runs it. */
export interface CompareTechnique {
  /** How its clients get the data (its virtual clients do it the same way). */
  kind: TechniqueKind;
  label: string;
  /** The route under the lesson's API, e.g. `/events`. */
  route: string;
  /** The page's client (one of the lesson's clients) that runs it. */
  client: string;
}

/** What one technique costs and delivers, measured live over the last few seconds. */
export interface TechniqueFigures {
  kind: TechniqueKind;
  label: string;
  /** Requests the lesson server received per second (a WebSocket upgrade counts as one). */
  requestsPerSec: number;
  /**
   * Bytes on the wire (request and response lines, headers, bodies, frames: both ways) per
   * client per feed change. Absent while the feed has not changed in the window.
   */
  bytesPerUpdate?: number;
  /** Feed change → a client had the new version, ms, over every client's deliveries in the window. */
  latencyP50Ms?: number;
  latencyP99Ms?: number;
  /** Deliveries the latencies are taken from. */
  deliveries: number;
  /** Connections open on its route now: held polls, streams, sockets. */
  open: number;
  /** Clients that used its route in the last 10 s: the page's own and the virtual ones. */
  clients: number;
  /** Virtual clients of this technique running now. */
  virtual: number;
}

/** The choosing lesson's live figures, sent to its pages once a second. */
export interface LessonFigures {
  /** When they were taken, server epoch ms. */
  at: number;
  /** The window they cover, ms. */
  windowMs: number;
  /** Feed changes in the window. */
  changes: number;
  /** CPU the lesson server's process used in the window, % of one core (all four techniques: it is one process). */
  serverCpuPercent?: number;
  techniques: TechniqueFigures[];
  /** The virtual clients: how many of each kind run, the most allowed, and when they stop by themselves. */
  virtual: VirtualClientsState;
  /** The last (or running) measurement of each technique alone, if one was asked for. */
  alone?: AloneMeasurement;
}

/**
 * What each technique costs the server on its own. One process serves all four, so its CPU cannot
 * be told apart per technique while they run together: this runs `clients` virtual clients of one
 * technique at a time, none of the others, and measures the lesson server's CPU and the latencies
 * over `seconds`. The page's own four clients keep running meanwhile (a few requests a second).
 */
export interface AloneMeasurement {
  clients: number;
  seconds: number;
  /** The technique being measured now; absent once done (or stopped). */
  running?: TechniqueKind;
  /** When the last technique was measured, server epoch ms. */
  finishedAt?: number;
  /** Why it stopped before the end, if it did. */
  error?: string;
  results: Partial<Record<TechniqueKind, AloneFigures>>;
}

/** One technique alone: the lesson server's CPU (% of one core) and the latencies, over the measurement. */
export interface AloneFigures {
  serverCpuPercent?: number;
  latencyP50Ms?: number;
  latencyP99Ms?: number;
  deliveries: number;
}

/** What the page asks for: `clients` virtual clients of each technique in turn, each measured for `seconds`. */
export interface AloneRequest {
  clients: number;
  /** @default 5 */
  seconds?: number;
}

/** What the page asks of the virtual clients: how many per technique (0 stops one), and the short-polling interval. */
export type VirtualClientsRequest = Partial<Record<TechniqueKind, number>> & { intervalMs?: number };

/** The virtual clients of a lesson, as the page shows them. */
export interface VirtualClientsState {
  counts: Record<TechniqueKind, number>;
  /** How often the virtual short-polling clients poll, ms (the page's "Short poll every"). */
  intervalMs: number;
  /** The most per technique. */
  max: number;
  /** The most in all (this machine's open-file limit: the lesson server holds a socket per connection). */
  maxTotal: number;
  /** When they stop by themselves (bounded in time), server epoch ms; absent while none run. */
  endsAt?: number;
  /** Why the last start failed or the clients stopped early, if they did. */
  error?: string;
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
  controls: LessonControl[];
  /** Default client options. */
  options: ClientOptions;
  /** Clients the page starts, one lane each (e.g. one, or `naive` and `fixed` side by side). */
  clients: LessonClientSpec[];
  /** The client (one of `clients`) each audience page runs, as itself, when it joins a presentation. */
  audience: string;
  /** False when the lesson does not use the feed (a chat): the page shows no feed lane and no feed controls. */
  usesFeed: boolean;
  /** The lesson's check ("Check my code"), when it has one. */
  check?: LessonCheck;
  /** Where the page imports client.ts from while it is an edit made in the page (an ES module); absent while the original runs. */
  clientModule?: string;
  /** Techniques measured side by side with live figures and virtual clients (`compare:` in the front matter; the choosing lesson). */
  compare?: CompareTechnique[];
}
