import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { DEFAULT_SETTINGS, type CheckResult, type LessonDetail, type LessonSettings, type Scenario } from '../lessons/lesson.ts';
import type { LessonFile } from '../lessons/trace-event.ts';
import { createFeed, type Feed } from './feed.ts';
import { compileLessonClient, type CompileError } from './compile-lesson.ts';
import { highlightLessonFile, highlightLessonFix } from './highlight.ts';
import { HttpError } from './http-error.ts';
import { readLessonEntry, type LessonEntry } from './lesson-catalog.ts';
import { runLessonCheck } from './lesson-check.ts';
import { createLessonComparison, type LessonComparison } from './lesson-comparison.ts';
import { createLessonRunner, type LessonRunner, type LoadResult } from './lesson-runner.ts';
import type { CurrentCode, LessonWorkspace } from './lesson-workspace.ts';
import { renderLessonSteps } from './render-steps.ts';
import { createRaceOnCue, type RaceResult } from './race-on-cue.ts';
import { createScenarioDriver } from './scenario.ts';
import type { TraceHub } from './trace-hub.ts';

/** What an edit or a reset gave: it runs, or it did not compile or load and the last good code keeps running. */
export type EditResult = { ok: true } | { ok: false; errors: CompileError[] };

/** Everything the workbench keeps for one lesson: its feed, scenario, settings and runner. */
export interface LessonHost {
  readonly slug: string;
  /** The lesson folder as last read. */
  readonly entry: LessonEntry;
  readonly feed: Feed;
  /** The runner URL serving the lesson's API (starts the runner on first use). */
  target(): Promise<string>;
  /** Gives a client's connection to the lesson's runner, to answer on directly (see `LessonRunner.handOff`). */
  handOff(socket: Socket, head: Buffer): Promise<void>;
  /** The lesson as the page shows it: prose steps, highlighted code, controls. Cached until a file changes. */
  detail(): Promise<LessonDetail>;
  settings(): LessonSettings;
  setSettings(settings: Partial<LessonSettings>): LessonSettings;
  setScenario(scenario: Scenario): void;
  /** Holds the scenario (the presenter paused the demo: the feed stops changing by itself) or lets it run again. */
  pause(paused: boolean): void;
  /** Lands a feed change between two polls of `client` (the long-poll race, on cue). */
  race(client: string): Promise<RaceResult>;
  /** Runs the lesson's check ("Check my code") on `client` (its declared client by default); the scenario pauses meanwhile. */
  check(client?: string): Promise<CheckResult>;
  /** Ends the event streams and WebSockets of `client` from the server side (a stream cleanly, a socket as a network drop would); resolves to how many. */
  dropStreams(client: string): Promise<number>;
  /** A lesson file as it runs and is shown: the page's edit of it, or the original. */
  code(file: LessonFile): Promise<CurrentCode>;
  /**
   * Runs `code` as the lesson's `file` and keeps it as the edit: server.ts is swapped into the
   * runner; client.ts is compiled for the pages, which restart their clients on it. On a compile
   * (or load) error the last good code keeps running.
   */
  edit(file: LessonFile, code: string): Promise<EditResult>;
  /** Drops the edit of `file`: the original runs again. */
  reset(file: LessonFile): Promise<EditResult>;
  /** client.ts as an ES module for the page: the edit, or with `compileClients` the file as it is; undefined while the page's bundled copy runs. */
  clientModule(): Promise<string | undefined>;
  /** A lesson file changed on disk: reload the server code (unless an edit from the page is running) or re-render, and tell listeners. */
  fileChanged(file: LessonFile | 'lesson.md'): Promise<LoadResult | undefined>;
  /** Calls `listener` after each change to what `detail()` returns. */
  onDetailChange(listener: () => void): () => void;
  /** The live figures and virtual clients of a lesson that compares techniques (`compare:`). */
  readonly comparison?: LessonComparison;
  close(): Promise<void>;
}

export interface LessonHostOptions {
  hub: TraceHub;
  /** Folder for compiled lesson code. */
  buildRoot: string;
  /** Where edits made in the page are kept. */
  workspace: LessonWorkspace;
  /**
   * Serve client.ts to the pages compiled from the file as it is now, edited or not. For the built page,
   * whose bundled copy is as old as the build: a save on disk must reach the clients, as Vite's hot
   * reload does while developing. @default false
   */
  compileClients?: boolean;
  /** A runner handed back a client's connection, with what it read from it (see connection-handoff.ts). */
  onConnection?(socket: Socket, head: string): void;
}

/** Creates the host of one lesson; nothing starts until the lesson is first used. */
export function createLessonHost(firstEntry: LessonEntry, { hub, buildRoot, workspace, compileClients = false, onConnection }: LessonHostOptions): LessonHost {
  let entry = firstEntry;
  const emit = hub.emit.bind(hub, entry.slug);
  const feed = createFeed(entry.feed === undefined ? {} : { initial: entry.feed });
  let settings: LessonSettings = { ...DEFAULT_SETTINGS, params: { ...entry.params } };
  let started: Promise<LoadResult> | undefined;
  let detail: Promise<LessonDetail> | undefined;
  const detailListeners = new Set<() => void>();
  let checking = false;
  /** The edited client.ts and the module the pages import, compiled once. */
  let compiledClient: { source: string; module: Promise<string> } | undefined;

  const comparison =
    entry.compare &&
    createLessonComparison({
      compare: entry.compare,
      feed,
      apiBase: async () => {
        void start();
        return `${await runner.target()}/lessons/${entry.slug}/api`;
      },
      intervalMs: () => Number(entry.options.intervalMs ?? 1_000),
    });
  const runner: LessonRunner = createLessonRunner({
    slug: entry.slug,
    sourcePath: entry.serverPath,
    buildDir: join(buildRoot, entry.slug),
    emit,
    ...(comparison ? { onMeters: (message) => comparison.addMeters(message.routes, message.cpuMicros) } : {}),
    feed: () => feed.current(),
    settings: () => settings,
    onConnection,
  });
  const driver = createScenarioDriver(feed, entry.scenario, settings.timeScale);
  const raceOnCue = createRaceOnCue({ feed, timeScale: () => settings.timeScale });
  const stopObserving = hub.subscribe(entry.slug, (event) => {
    raceOnCue.observe(event);
    comparison?.observe(event);
  });
  feed.subscribe((snapshot, cause) => {
    emit({ kind: 'feed-change', t: snapshot.changedAt, lane: 'feed', version: snapshot.version, changedAt: snapshot.changedAt, value: snapshot.value, cause });
    runner.sendFeed(snapshot);
  });

  const code = (file: LessonFile) => workspace.current(entry.slug, file, file === 'server.ts' ? entry.serverPath : entry.clientPath);
  const start = () => (started ??= code('server.ts').then((current) => runner.load(current.code, 'start')));
  let clientGeneration = 1;
  /** The pages restart their clients on the new client.ts: mark it on the timeline. */
  const clientLoaded = (reason: 'edited' | 'reset') => {
    emit({ kind: 'reload', t: Date.now(), lane: 'server', generation: ++clientGeneration, file: 'client.ts', reason });
    detailChanged();
  };
  const detailChanged = () => {
    detail = undefined;
    for (const listener of detailListeners) listener();
  };

  return {
    slug: entry.slug,
    get entry() {
      return entry;
    },
    feed,
    target() {
      void start();
      return runner.target();
    },
    handOff(socket, head) {
      void start();
      return runner.handOff(socket, head);
    },
    detail: () => (detail ??= renderDetail(entry, code, compileClients, () => ({ scenario: driver.scenario, settings }))),
    settings: () => settings,
    setSettings(changes) {
      settings = { ...settings, ...changes, params: { ...settings.params, ...changes.params } };
      driver.set(driver.scenario, settings.timeScale);
      runner.sendSettings(settings);
      detailChanged();
      return settings;
    },
    setScenario(scenario) {
      driver.set(scenario, settings.timeScale);
      detailChanged();
    },
    pause(paused) {
      driver.pause(paused);
    },
    race: (client) => raceOnCue.race(client),
    async check(client) {
      const check = entry.check;
      if (!check) throw new HttpError(404, `The ${entry.slug} lesson has no check`);
      if (checking) throw new HttpError(409, 'A check is already running');
      checking = true;
      // The check makes its own changes: the scenario's would overtake them.
      const paused: Scenario = { kind: 'manual' };
      const scenario = driver.scenario;
      driver.set(paused, settings.timeScale);
      try {
        await start();
        return await runLessonCheck(check, client ?? check.client, {
          feed,
          observe: (listener) => hub.subscribe(entry.slug, listener),
          emit,
          race: (who) => raceOnCue.race(who),
          dropStreams: (who) => runner.endStreams(who, 'cut by the check'),
          apiBase: async () => `${await runner.target()}/lessons/${entry.slug}/api`,
          timeScale: () => settings.timeScale,
        });
      } finally {
        checking = false;
        // Unless someone chose another scenario meanwhile.
        if (driver.scenario === paused) driver.set(scenario, settings.timeScale);
      }
    },
    dropStreams: (client) => runner.endStreams(client, 'dropped from the page'),
    code,
    async edit(file, next) {
      if (file === 'client.ts') {
        const compiled = await compileLessonClient(next);
        if (!compiled.ok) return compiled;
        compiledClient = { source: next, module: Promise.resolve(compiled.code) };
        await workspace.save(entry.slug, file, next);
        clientLoaded('edited');
        return { ok: true };
      }
      await start();
      const result = await runner.load(next, 'edited');
      if (result.ok) {
        await workspace.save(entry.slug, file, next);
        detailChanged();
      }
      return result;
    },
    async reset(file) {
      if (file === 'client.ts') {
        if (!(await code(file)).edited) return { ok: true };
        await workspace.reset(entry.slug, file);
        clientLoaded('reset');
        return { ok: true };
      }
      await workspace.reset(entry.slug, file);
      const result = started ? await runner.load(await readFile(entry.serverPath, 'utf8'), 'reset') : { ok: true as const };
      detailChanged();
      return result;
    },
    async clientModule() {
      const current = await code('client.ts');
      if (!current.edited && !compileClients) return undefined;
      // Compiled once per edit, not once per page that loads it, even when a class's forty pages ask at once
      // (an edit kept from an earlier run compiles on first use).
      if (compiledClient?.source !== current.code) {
        const module = compileLessonClient(current.code).then((compiled) =>
          // A workspace file broken by hand throws in the page, on the clients' cards.
          compiled.ok ? compiled.code : `throw new Error(${JSON.stringify(`client.ts does not compile: ${compiled.errors[0]?.message}`)});\n`,
        );
        compiledClient = { source: current.code, module };
      }
      return compiledClient.module;
    },
    async fileChanged(file) {
      let result: LoadResult | undefined;
      // A save on disk reloads, unless an edit from the page is what runs (then the original only changes under it).
      if (file === 'server.ts' && started && !(await code('server.ts')).edited) result = await runner.load(await readFile(entry.serverPath, 'utf8'), 'file-changed');
      if (file === 'lesson.md') {
        entry = await readLessonEntry(entry.dir);
        // Keep what people set for the parameters the lesson still declares.
        const kept = Object.entries(settings.params).filter(([name, value]) => typeof entry.params[name] === typeof value);
        settings = { ...settings, params: { ...entry.params, ...Object.fromEntries(kept) } };
        runner.sendSettings(settings);
      }
      detailChanged();
      return result;
    },
    onDetailChange(listener) {
      detailListeners.add(listener);
      return () => detailListeners.delete(listener);
    },
    comparison,
    async close() {
      comparison?.close();
      driver.stop();
      stopObserving();
      raceOnCue.close();
      await runner.close();
    },
  };
}

async function renderDetail(entry: LessonEntry, code: LessonHost['code'], compileClients: boolean, live: () => Pick<LessonDetail, 'scenario' | 'settings'>): Promise<LessonDetail> {
  // The code that runs is the code that is shown: the page's edit when there is one.
  const { code: serverCode, edited } = await code('server.ts');
  const clientCode = await code('client.ts');
  const [server, client, fix, steps] = await Promise.all([
    highlightLessonFile('server.ts', serverCode).then((file) => ({ ...file, edited })),
    highlightLessonFile('client.ts', clientCode.code).then((file) => ({ ...file, edited: clientCode.edited })),
    // Code edited so that a function of the fix is gone: show the files without the diff.
    entry.fix && highlightLessonFix(serverCode, entry.fix).catch(() => undefined),
    renderLessonSteps(entry.body, { clients: entry.clients.map((c) => c.id) }),
  ]);
  return {
    slug: entry.slug,
    order: entry.order,
    title: entry.title,
    summary: entry.summary,
    steps,
    code: fix ? [server, fix, client] : [server, client],
    controls: entry.controls,
    options: entry.options,
    clients: entry.clients,
    audience: entry.audience,
    usesFeed: entry.usesFeed,
    ...(entry.check ? { check: entry.check } : {}),
    ...(entry.compare ? { compare: entry.compare } : {}),
    ...(clientCode.edited || compileClients ? { clientModule: `/api/lessons/${entry.slug}/code/client.js?v=${createHash('sha1').update(clientCode.code).digest('hex').slice(0, 12)}` } : {}),
    ...live(),
  };
}
