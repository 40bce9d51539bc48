import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_SETTINGS, type LessonDetail, type LessonSettings, type Scenario } from '../lessons/lesson.ts';
import type { LessonFile } from '../lessons/trace-event.ts';
import { createFeed, type Feed } from './feed.ts';
import { highlightLessonFile, highlightLessonFix } from './highlight.ts';
import { readLessonEntry, type LessonEntry } from './lesson-catalog.ts';
import { createLessonRunner, type LessonRunner, type LoadResult } from './lesson-runner.ts';
import type { CurrentCode, LessonWorkspace } from './lesson-workspace.ts';
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
  /** A lesson file as it runs and is shown: the page's edit of it, or the original. */
  code(file: LessonFile): Promise<CurrentCode>;
  /** Runs `code` as the lesson's server.ts and keeps it as the edit; on a compile or load error the last good code keeps serving. */
  editServer(code: string): Promise<LoadResult>;
  /** Drops the edit of server.ts and runs the original again. */
  resetServer(): Promise<LoadResult | undefined>;
  /** A lesson file changed on disk: reload the server code (unless an edit from the page is running) or re-render, and tell listeners. */
  fileChanged(file: LessonFile | 'lesson.md'): Promise<LoadResult | undefined>;
  /** Calls `listener` after each change to what `detail()` returns. */
  onDetailChange(listener: () => void): () => void;
  close(): Promise<void>;
}

export interface LessonHostOptions {
  hub: TraceHub;
  /** Folder for compiled lesson code. */
  buildRoot: string;
  /** Where edits made in the page are kept. */
  workspace: LessonWorkspace;
}

/** Creates the host of one lesson; nothing starts until the lesson is first used. */
export function createLessonHost(firstEntry: LessonEntry, { hub, buildRoot, workspace }: LessonHostOptions): LessonHost {
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

  const code = (file: LessonFile) => workspace.current(entry.slug, file, file === 'server.ts' ? entry.serverPath : entry.clientPath);
  const start = () => (started ??= code('server.ts').then((current) => runner.load(current.code, 'start')));
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
    detail: () => (detail ??= renderDetail(entry, code, () => ({ scenario: driver.scenario, settings }))),
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
    code,
    async editServer(next) {
      await start();
      const result = await runner.load(next, 'edited');
      if (result.ok) {
        await workspace.save(entry.slug, 'server.ts', next);
        detailChanged();
      }
      return result;
    },
    async resetServer() {
      await workspace.reset(entry.slug, 'server.ts');
      const result = started ? await runner.load(await readFile(entry.serverPath, 'utf8'), 'reset') : undefined;
      detailChanged();
      return result;
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
    async close() {
      driver.stop();
      stopObserving();
      raceOnCue.close();
      await runner.close();
    },
  };
}

async function renderDetail(entry: LessonEntry, code: LessonHost['code'], live: () => Pick<LessonDetail, 'scenario' | 'settings'>): Promise<LessonDetail> {
  // The code that runs is the code that is shown: the page's edit when there is one.
  const { code: serverCode, edited } = await code('server.ts');
  const [server, client, fix, steps] = await Promise.all([
    highlightLessonFile('server.ts', serverCode).then((file) => ({ ...file, edited })),
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
