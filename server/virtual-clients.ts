import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CompareTechnique, TechniqueKind, VirtualClientsRequest, VirtualClientsState } from '../lessons/lesson.ts';
import { HttpError } from './http-error.ts';
import { TSX_LOADER } from './tsx-loader.ts';

/** What the workbench tells the virtual clients' process: how many of each technique, where. */
export type ToVirtualClients = { type: 'set'; techniques: { kind: TechniqueKind; url: string; count: number }[]; intervalMs: number };

/** What it reports once a second: how many run, the latencies measured since the last report, failures. */
export type FromVirtualClients = {
  type: 'report';
  running: Partial<Record<TechniqueKind, number>>;
  latencies: Partial<Record<TechniqueKind, number[]>>;
  errors: number;
  lastError?: string;
};

export interface VirtualClients {
  /** Runs `counts` clients per technique (0 stops that technique), short polling at `intervalMs` if given; 400 for values out of bounds. */
  set(request: VirtualClientsRequest): Promise<VirtualClientsState>;
  /** Stops them all; `reason` is shown on the page. */
  stop(reason?: string): void;
  state(): VirtualClientsState;
}

export interface VirtualClientsOptions {
  compare: readonly CompareTechnique[];
  /**
   * The lesson API's base URL on the lesson server itself (its runner, over loopback): the virtual
   * clients do not go through the workbench, which serves the page meanwhile. Asked again every
   * second: after an edit a new runner serves, and the clients move to it.
   */
  apiBase(): Promise<string>;
  /** Short polling's interval, ms, until a page says another (the lesson's option, as the page's client starts with it). */
  intervalMs(): number;
  onReport(report: FromVirtualClients): void;
  /** @default 5000 */
  maxPerTechnique?: number;
  /** They stop by themselves after this long, ms. @default 5 minutes */
  lifetimeMs?: number;
}

const MAIN = fileURLToPath(new URL('./virtual-clients-main.ts', import.meta.url));
export const MAX_PER_TECHNIQUE = 5_000;
/** Bounds of the short-polling interval a page may ask for, ms. */
const MIN_INTERVAL_MS = 100;
const MAX_INTERVAL_MS = 60_000;
const LIFETIME_MS = 5 * 60_000;
/** File descriptors kept free for everything else a process does. */
const SPARE_FDS = 2_048;

/**
 * Creates the choosing lesson's virtual clients: headless clients of each technique in a
 * separate process, on loopback, straight to the lesson server. Bounded in count (per technique,
 * and in all by the open-file limit) and in time; the process exists only while some run.
 */
export function createVirtualClients({ compare, apiBase, intervalMs, onReport, maxPerTechnique = MAX_PER_TECHNIQUE, lifetimeMs = LIFETIME_MS }: VirtualClientsOptions): VirtualClients {
  const zero = () => Object.fromEntries(compare.map((t) => [t.kind, 0])) as Record<TechniqueKind, number>;
  let counts = zero();
  let child: ChildProcess | undefined;
  let endsAt: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  let error: string | undefined;
  let follow: NodeJS.Timeout | undefined;
  let base = '';
  /** The short-polling interval a page asked for, if one did. */
  let pollEveryMs: number | undefined;
  // The lesson server and the clients' process each hold one socket per connection.
  const maxInAll = openFileLimit() - SPARE_FDS;

  const state = (): VirtualClientsState => ({ counts: { ...counts }, intervalMs: pollEveryMs ?? intervalMs(), max: maxPerTechnique, maxTotal: maxInAll, ...(endsAt ? { endsAt } : {}), ...(error ? { error } : {}) });
  const stop = (reason?: string) => {
    counts = zero();
    endsAt = undefined;
    error = reason;
    clearTimeout(timer);
    clearInterval(follow);
    child?.kill();
    child = undefined;
  };

  const tell = () => {
    const message: ToVirtualClients = {
      type: 'set',
      techniques: compare.map((t) => ({ kind: t.kind, url: `${base}${t.route}`, count: counts[t.kind] })),
      intervalMs: pollEveryMs ?? intervalMs(),
    };
    child?.send(message);
  };

  return {
    async set({ intervalMs: interval, ...next }) {
      if (interval !== undefined) {
        if (!Number.isInteger(interval) || interval < MIN_INTERVAL_MS || interval > MAX_INTERVAL_MS) throw new HttpError(400, `intervalMs: a whole number of ms from ${MIN_INTERVAL_MS} to ${MAX_INTERVAL_MS}, got ${JSON.stringify(interval)}`);
      }
      for (const [kind, count] of Object.entries(next)) {
        if (!compare.some((t) => t.kind === kind)) throw new HttpError(400, `Unknown technique "${kind}": ${compare.map((t) => t.kind).join(', ')}`);
        if (!Number.isInteger(count) || count! < 0 || count! > maxPerTechnique) throw new HttpError(400, `${kind}: a whole number of clients from 0 to ${maxPerTechnique}, got ${JSON.stringify(count)}`);
      }
      const wanted = { ...counts, ...next };
      const total = Object.values(wanted).reduce((a, b) => a + b, 0);
      if (total > maxInAll) throw new HttpError(400, `${total} clients in all is more than this machine's open-file limit allows (${maxInAll}); raise it with ulimit -n`);
      if (interval !== undefined) pollEveryMs = interval;
      if (total === 0) {
        // Only the interval: nothing to start, and nothing stopped (nor the reason they last stopped forgotten).
        if (Object.keys(next).length > 0) stop();
        return state();
      }
      base = await apiBase();
      counts = wanted;
      error = undefined;
      if (!child) {
        child = fork(MAIN, [], { execArgv: ['--import', TSX_LOADER], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, NODE_OPTIONS: '' } });
        const started = child;
        started.on('message', (message: FromVirtualClients) => {
          if (message.type !== 'report' || child !== started) return;
          // Failing clients say so on the page (a lesson server that is down, an edit that refuses them).
          error = message.errors > 0 ? `${message.errors} virtual client requests failed in the last second: ${message.lastError}` : undefined;
          onReport(message);
        });
        started.once('exit', (code, signal) => {
          if (child !== started) return;
          stop(`The virtual clients' process ended (${signal ?? `exit code ${code}`})`);
        });
        endsAt = Date.now() + lifetimeMs;
        timer = setTimeout(() => stop(`Stopped after ${lifetimeMs / 60_000} minutes: virtual clients are bounded in time`), lifetimeMs);
        timer.unref();
        follow = setInterval(() => {
          void apiBase().then((next) => {
            if (next === base || !child) return;
            base = next;
            tell();
          }, () => {});
        }, 1_000);
        follow.unref();
      }
      tell();
      return state();
    },
    stop,
    state,
  };
}

/** The soft limit on open files (Linux's /proc); a conservative guess elsewhere. */
function openFileLimit(): number {
  try {
    const line = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (line) return Number(line[1]);
  } catch {
    // no /proc
  }
  return 10_240;
}
