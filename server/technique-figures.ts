import type { AloneFigures, CompareTechnique, LessonFigures, TechniqueKind, VirtualClientsState } from '../lessons/lesson.ts';
import { nearestRank } from './nearest-rank.ts';
import type { RouteCounts } from './route-meter.ts';

export interface TechniqueFigures {
  /** A runner's route meters and its CPU time so far (µs). */
  addMeters(routes: Record<string, RouteCounts>, cpuMicros: number): void;
  /** The feed changed. */
  addChange(): void;
  /** Clients of `kind` had a new version this long after it was made, ms. */
  addLatencies(kind: TechniqueKind, latencies: readonly number[]): void;
  /** The figures over the last `windowMs`. */
  take(virtual: VirtualClientsState): LessonFigures;
  /** The lesson server's CPU and one technique's latencies since `from` (within the window). */
  since(from: number, kind: TechniqueKind): AloneFigures;
}

export interface TechniqueFiguresOptions {
  compare: readonly CompareTechnique[];
  /** How far back the figures look, ms. @default 10000 */
  windowMs?: number;
  now?: () => number;
}

/** Latency samples kept per technique within the window (the newest): enough for a p99 of thousands of clients. */
const MAX_SAMPLES = 50_000;
/**
 * A change's bytes are written within this long after it (a broadcast to thousands of clients
 * takes some ms): a change counts for the readings that hold its bytes, not the one before.
 */
const CHANGE_LAG_MS = 100;
/** Meters older than this say nothing about the connections open now: the runner sends them every second while anything is open. */
const METERS_FRESH_MS = 2_500;

interface Reading {
  at: number;
  routes: Record<string, RouteCounts>;
  /** CPU used since the reading before and the time between them, ms; undefined for the first reading of a runner. */
  cpu?: { ms: number; spanMs: number };
}

/**
 * Turns what the runner counted per route, the feed's changes and the clients' latencies into
 * the figures the choosing lesson shows, per technique, over a sliding window.
 */
export function createTechniqueFigures({ compare, windowMs = 10_000, now = Date.now }: TechniqueFiguresOptions): TechniqueFigures {
  let readings: Reading[] = [];
  let changes: number[] = [];
  const samples = new Map<TechniqueKind, { at: number; ms: number }[]>(compare.map((t) => [t.kind, []]));
  let last: { at: number; cpuMicros: number } | undefined;

  const trim = (from: number) => {
    // One reading more than the window: its time is where the window's first reading begins.
    const first = readings.findIndex((r) => r.at > from);
    readings = first < 0 ? readings.slice(-1) : readings.slice(Math.max(0, first - 1));
    changes = changes.filter((t) => t > from - METERS_FRESH_MS);
    for (const [kind, list] of samples) {
      const start = list.findIndex((s) => s.at > from);
      samples.set(kind, start < 0 ? [] : list.slice(Math.max(start, list.length - MAX_SAMPLES)));
    }
  };

  return {
    addMeters(routes, cpuMicros) {
      const at = now();
      // A new runner (an edit, a restart) starts its CPU count from zero.
      const cpu = last && cpuMicros >= last.cpuMicros && at > last.at ? { ms: (cpuMicros - last.cpuMicros) / 1000, spanMs: at - last.at } : undefined;
      last = { at, cpuMicros };
      readings.push({ at, routes, cpu });
    },
    addChange() {
      changes.push(now());
    },
    addLatencies(kind, latencies) {
      const list = samples.get(kind);
      if (!list) return;
      const at = now();
      for (const ms of latencies) list.push({ at, ms });
      if (list.length > MAX_SAMPLES * 2) list.splice(0, list.length - MAX_SAMPLES);
    },
    since(from, kind) {
      const latencies = (samples.get(kind) ?? []).flatMap((s) => (s.at > from ? [s.ms] : []));
      return { ...cpuPercent(readings.filter((r) => r.at > from)), ...percentiles(latencies), deliveries: latencies.length };
    },
    take(virtual) {
      const at = now();
      trim(at - windowMs);
      const begin = readings.length > 1 ? readings[0]!.at : at - windowMs;
      const latest = readings.at(-1);
      const windowReadings = readings.slice(1);
      const seconds = latest && windowReadings.length > 0 ? (latest.at - begin) / 1000 : windowMs / 1000;
      // The changes whose bytes are in the window's readings.
      const changed = latest ? changes.filter((t) => t > begin - CHANGE_LAG_MS && t <= latest.at - CHANGE_LAG_MS).length : 0;
      const fresh = latest && at - latest.at < METERS_FRESH_MS ? latest : undefined;
      return {
        at,
        windowMs,
        changes: changes.filter((t) => t > at - windowMs).length,
        ...cpuPercent(windowReadings),
        virtual,
        techniques: compare.map((technique) => {
          const counts = windowReadings.map((r) => r.routes[technique.route]).filter((c): c is RouteCounts => c !== undefined);
          const bytes = sum(counts.map((c) => c.bytesIn + c.bytesOut));
          const clients = counts.at(-1)?.clients ?? 0;
          const latencies = samples.get(technique.kind)!.map((s) => s.ms);
          return {
            kind: technique.kind,
            label: technique.label,
            requestsPerSec: round1(sum(counts.map((c) => c.requests)) / seconds),
            ...(changed > 0 && clients > 0 ? { bytesPerUpdate: Math.round(bytes / changed / clients) } : {}),
            ...percentiles(latencies),
            deliveries: latencies.length,
            open: fresh?.routes[technique.route]?.open ?? 0,
            clients,
            virtual: virtual.counts[technique.kind] ?? 0,
          };
        }),
      };
    },
  };
}

/** The CPU the readings say the runner used, % of one core over the time they span. */
function cpuPercent(readings: readonly Reading[]): { serverCpuPercent?: number } {
  const cpu = readings.flatMap((r) => (r.cpu ? [r.cpu] : []));
  const spanMs = sum(cpu.map((c) => c.spanMs));
  return spanMs > 0 ? { serverCpuPercent: round1((sum(cpu.map((c) => c.ms)) / spanMs) * 100) } : {};
}

/** The median and p99 of `latencies` (sorted in place). */
function percentiles(latencies: number[]): { latencyP50Ms?: number; latencyP99Ms?: number } {
  if (latencies.length === 0) return {};
  latencies.sort((a, b) => a - b);
  return { latencyP50Ms: round1(nearestRank(latencies, 50)), latencyP99Ms: round1(nearestRank(latencies, 99)) };
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
const round1 = (n: number) => Math.round(n * 10) / 10;
