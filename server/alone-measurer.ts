import type { AloneFigures, AloneMeasurement, AloneRequest, CompareTechnique, TechniqueKind, VirtualClientsRequest, VirtualClientsState } from '../lessons/lesson.ts';
import { HttpError } from './http-error.ts';

export interface AloneMeasurer {
  /** Starts measuring each technique alone, once the first one's clients are asked for: 400 for a bad request, 409 while one runs. */
  start(request: AloneRequest): Promise<AloneMeasurement>;
  /** Stops a running measurement, saying why, and leaves the virtual clients as they are (changed by hand, or stopped with the last page). */
  stop(reason: string): void;
  /** The running or last measurement. */
  state(): AloneMeasurement | undefined;
}

export interface AloneMeasurerOptions {
  compare: readonly CompareTechnique[];
  virtual: {
    set(request: VirtualClientsRequest): Promise<VirtualClientsState>;
    state(): VirtualClientsState;
  };
  /** The server's CPU and a technique's latencies since a time (see TechniqueFigures.since). */
  since(from: number, kind: TechniqueKind): AloneFigures;
  /** How long a technique's clients get to connect, and the ones before them to leave, before it is measured, ms. @default 2000 */
  settleMs?: number;
  now?: () => number;
}

/** Seconds each technique is measured for: the most, and the default. */
const MAX_SECONDS = 30;
const DEFAULT_SECONDS = 5;

/**
 * Measures what each technique costs the lesson server on its own: `clients` virtual clients of
 * one technique at a time (the others stopped), the server's CPU and that technique's latencies
 * over `seconds`, then the next one; at the end the virtual clients go back to what they were.
 */
export function createAloneMeasurer({ compare, virtual, since, settleMs = 2_000, now = Date.now }: AloneMeasurerOptions): AloneMeasurer {
  let measurement: AloneMeasurement | undefined;
  /** Ends the running measurement's current wait at once (it was stopped). */
  let interrupt: (() => void) | undefined;

  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        interrupt = undefined;
        resolve();
      }
      interrupt = done;
    });
  const only = (kind: TechniqueKind, clients: number): VirtualClientsRequest => Object.fromEntries(compare.map((t) => [t.kind, t.kind === kind ? clients : 0]));

  /** Measures each technique in turn; the first one's clients are already asked for. */
  const run = async (m: AloneMeasurement, before: Record<TechniqueKind, number>) => {
    try {
      for (const [i, { kind }] of compare.entries()) {
        if (i > 0) await virtual.set(only(kind, m.clients));
        if (m.error) return;
        m.running = kind;
        await wait(settleMs);
        const from = now();
        if (!m.error) await wait(m.seconds * 1_000);
        if (m.error) return;
        m.results[kind] = since(from, kind);
      }
      m.finishedAt = now();
    } catch (error) {
      m.error = error instanceof Error ? error.message : String(error);
    } finally {
      const stopped = m.running === undefined;
      m.running = undefined;
      if (!stopped) await virtual.set(before).catch(() => undefined);
    }
  };

  return {
    async start({ clients, seconds = DEFAULT_SECONDS }) {
      const { max, maxTotal, counts } = virtual.state();
      const most = Math.min(max, maxTotal);
      if (!Number.isInteger(clients) || clients < 1 || clients > most) throw new HttpError(400, `clients: a whole number from 1 to ${most}, got ${JSON.stringify(clients)}`);
      if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_SECONDS) throw new HttpError(400, `seconds: a whole number from 1 to ${MAX_SECONDS}, got ${JSON.stringify(seconds)}`);
      if (measurement?.running) throw new HttpError(409, `Already measuring each technique alone (now ${measurement.running}): wait for it, or change the virtual clients to stop it`);
      const m: AloneMeasurement = { clients, seconds, running: compare[0]!.kind, results: {} };
      measurement = m;
      try {
        await virtual.set(only(compare[0]!.kind, clients));
      } catch (error) {
        measurement = undefined;
        throw error;
      }
      void run(m, counts);
      return structuredClone(m);
    },
    stop(reason) {
      if (!measurement?.running) return;
      measurement.error = reason;
      measurement.running = undefined;
      interrupt?.();
    },
    state: () => measurement && structuredClone(measurement),
  };
}
