import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_SETTINGS, type LessonDetail, type LessonSettings, type Scenario } from '../lessons/lesson.ts';
import type { LessonFile } from '../lessons/trace-event.ts';
import { createFeed, type Feed } from './feed.ts';
import { highlightLessonFile, highlightLessonFix } from './highlight.ts';
import { readLessonEntry, type LessonEntry } from './lesson-catalog.ts';
import { createLessonRunner, type LessonRunner, type LoadResult } from './lesson-runner.ts';
import { renderLessonSteps } from './render-steps.ts';
import { createRaceOnCue, type RaceResult } from './race-on-cue.ts';
import { createScenarioDriver } from './scenario.ts';
import type { TraceHub } from './trace-hub.ts';

/** Everything the workbench keeps for one lesson: its feed, scenario, settings and runner. */
export interface LessonHost {
  readonly slug: string;
  /** The lesson folder as last read. */
  readonly entry: LessonEntry;
  readonly feed: Feed;
  /** The runner URL serving the lesson's API (starts the runner on first use). */
  target(): Promise<string>;
  /** The lesson as the page shows it: prose steps, highlighted code, controls. Cached until a file changes. */
  detail(): Promise<LessonDetail>;
  settings(): LessonSettings;
  setSettings(settings: Partial<LessonSettings>): LessonSettings;
  setScenario(scenario: Scenario): void;
  /** Lands a feed change between two polls of `client` (the long-poll race, on cue). */
  race(client: string): Promise<RaceResult>;
  /** Ends the event streams and WebSockets of `client` from the server side (a stream cleanly, a socket as a network drop would); resolves to how many. */
  dropStreams(client: string): Promise<number>;
  /** A lesson file changed on disk: reload the server code or re-render, and tell listeners. */
  fileChanged(file: LessonFile | 'lesson.md'): Promise<LoadResult | undefined>;
  /** Calls `listener` after each change to what `detail()` returns. */
  onDetailChange(listener: () => void): () => void;
  close(): Promise<void>;
}

export interface LessonHostOptions {
  hub: TraceHub;
  /** Folder for compiled lesson code. */
  buildRoot: string;
}

/** Creates the host of one lesson; nothing starts until the lesson is first used. */
export function createLessonHost(firstEntry: LessonEntry, { hub, buildRoot }: LessonHostOptions): LessonHost {
  let entry = firstEntry;
  const emit = hub.emit.bind(hub, entry.slug);
  const feed = createFeed(entry.feed === undefined ? {} : { initial: entry.feed });
  let settings: LessonSettings = { ...DEFAULT_SETTINGS, params: { ...entry.params } };
  let started: Promise<LoadResult> | undefined;
  let detail: Promise<LessonDetail> | undefined;
  const detailListeners = new Set<() => void>();

  const runner: LessonRunner = createLessonRunner({
    slug: entry.slug,
    sourcePath: entry.serverPath,
    buildDir: join(buildRoot, entry.slug),
    emit,
    feed: () => feed.current(),
    settings: () => settings,
  });
  const driver = createScenarioDriver(feed, entry.scenario, settings.timeScale);
  const raceOnCue = createRaceOnCue({ feed, timeScale: () => settings.timeScale });
  const stopObserving = hub.subscribe(entry.slug, raceOnCue.observe);
  feed.subscribe((snapshot, cause) => {
    emit({ kind: 'feed-change', t: snapshot.changedAt, lane: 'feed', version: snapshot.version, changedAt: snapshot.changedAt, value: snapshot.value, cause });
    runner.sendFeed(snapshot);
  });

  const start = () => (started ??= readFile(entry.serverPath, 'utf8').then((code) => runner.load(code, 'start')));
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
    detail: () => (detail ??= renderDetail(entry, () => ({ scenario: driver.scenario, settings }))),
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
    race: (client) => raceOnCue.race(client),
    dropStreams: (client) => runner.endStreams(client, 'dropped from the page'),
    async fileChanged(file) {
      let result: LoadResult | undefined;
      if (file === 'server.ts' && started) result = await runner.load(await readFile(entry.serverPath, 'utf8'), 'file-changed');
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
    async close() {
      driver.stop();
      stopObserving();
      raceOnCue.close();
      await runner.close();
    },
  };
}

async function renderDetail(entry: LessonEntry, live: () => Pick<LessonDetail, 'scenario' | 'settings'>): Promise<LessonDetail> {
  const serverCode = await readFile(entry.serverPath, 'utf8');
  const [server, client, fix, steps] = await Promise.all([
    highlightLessonFile('server.ts', serverCode),
    readFile(entry.clientPath, 'utf8').then((code) => highlightLessonFile('client.ts', code)),
    // Code edited so that a function of the fix is gone: show the files without the diff.
    entry.fix && highlightLessonFix(serverCode, entry.fix).catch(() => undefined),
    renderLessonSteps(entry.body),
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
    usesFeed: entry.usesFeed,
    ...live(),
  };
}
