import type { AloneMeasurement, AloneRequest, CompareTechnique, LessonFigures, TechniqueKind, VirtualClientsRequest, VirtualClientsState } from '../lessons/lesson.ts';
import type { TraceEvent } from '../lessons/trace-event.ts';
import { createAloneMeasurer } from './alone-measurer.ts';
import type { Feed } from './feed.ts';
import type { RouteCounts } from './route-meter.ts';
import { createTechniqueFigures } from './technique-figures.ts';
import { createVirtualClients } from './virtual-clients.ts';

/** The choosing lesson's live comparison: figures per technique, once a second, and its virtual clients. */
export interface LessonComparison {
  /** The runner's route meters (see runner-main.ts). */
  addMeters(routes: Record<string, RouteCounts>, cpuMicros: number): void;
  /** A trace event of the lesson: the page's clients' deliveries count toward the latencies. */
  observe(event: TraceEvent): void;
  /** The figures now. */
  figures(): LessonFigures;
  /** Calls `listener` with the figures once a second while someone listens. */
  subscribe(listener: (figures: LessonFigures) => void): () => void;
  /** A page watches the lesson; the returned function says it left. The virtual clients stop with the last page. */
  watch(): () => void;
  setVirtualClients(request: VirtualClientsRequest): Promise<VirtualClientsState>;
  /** Measures each technique alone with `clients` virtual clients (see AloneMeasurement); the figures show how it goes. */
  measureAlone(request: AloneRequest): Promise<AloneMeasurement>;
  close(): void;
}

export interface LessonComparisonOptions {
  compare: readonly CompareTechnique[];
  feed: Feed;
  /** The lesson API's base URL on the lesson server itself (see `createVirtualClients`). */
  apiBase(): Promise<string>;
  /** Short polling's interval for the virtual clients, ms. */
  intervalMs(): number;
}

const EVERY_MS = 1_000;

export function createLessonComparison({ compare, feed, apiBase, intervalMs }: LessonComparisonOptions): LessonComparison {
  const figures = createTechniqueFigures({ compare });
  const kindOf = new Map(compare.map((t) => [t.client, t.kind]));
  /** The version each page client showed last: a short poll shows the same version again and again; only the first counts. */
  const shown = new Map<string, number>();
  const listeners = new Set<(figures: LessonFigures) => void>();
  let watchers = 0;
  const virtual = createVirtualClients({
    compare,
    apiBase,
    intervalMs,
    onReport(report) {
      for (const [kind, latencies] of Object.entries(report.latencies)) figures.addLatencies(kind as TechniqueKind, latencies);
    },
  });
  const alone = createAloneMeasurer({ compare, virtual, since: figures.since });
  const take = (): LessonFigures => {
    const measured = alone.state();
    return { ...figures.take(virtual.state()), ...(measured ? { alone: measured } : {}) };
  };
  let latest = take();
  const stopFeed = feed.subscribe(() => figures.addChange());
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    latest = take();
    for (const listener of listeners) listener(latest);
  };

  return {
    addMeters: figures.addMeters,
    observe(event) {
      if (event.kind !== 'client-show') return;
      const kind = kindOf.get(event.client.replace(/-\d+$/, '')); // a second tab's client is `sse-2`
      // The first value a client shows is the data as it was when it started (a reloaded page's client
      // starts again under the same id): its age is no delivery latency.
      const last = event.first ? undefined : shown.get(event.client);
      if (!kind || (last ?? -1) >= event.version) return;
      shown.set(event.client, event.version);
      if (last !== undefined) figures.addLatencies(kind, [event.staleMs]);
    },
    figures: () => (latest = take()),
    subscribe(listener) {
      listeners.add(listener);
      timer ??= setInterval(tick, EVERY_MS);
      listener(latest);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) {
          clearInterval(timer);
          timer = undefined;
        }
      };
    },
    watch() {
      watchers++;
      let left = false;
      return () => {
        if (left) return;
        left = true;
        if (--watchers > 0) return;
        alone.stop('Stopped: the last page of the lesson was closed');
        if (virtual.state().endsAt) virtual.stop('Stopped: the last page of the lesson was closed');
      };
    },
    setVirtualClients(request) {
      // A new short-polling interval alone (the page's "Short poll every") changes no counts.
      if (Object.keys(request).some((key) => key !== 'intervalMs')) alone.stop('Stopped: the virtual clients were changed by hand');
      return virtual.set(request);
    },
    measureAlone: (request) => alone.start(request),
    close() {
      alone.stop('Stopped: the lesson closed');
      clearInterval(timer);
      stopFeed();
      virtual.stop();
    },
  };
}
