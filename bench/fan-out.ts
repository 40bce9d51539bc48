/**
 * Fan-out under load: N headless clients per server (server/load-clients.ts) in a load-generator
 * process of their own, the servers in others, and the latency from a feed change (its
 * `changedAt`, epoch ms) to each client having parsed it (same machine, same clock).
 *
 * What is compared runs side by side: each round connects N clients to every server compared
 * (and waits until every client has the current snapshot), then publishes events to the servers
 * in turn, one event at a time: the next once every client of that server has the last, and at
 * least `GAP_MS` after it. A load spike on the machine thus hits all of them alike. Each round
 * gives each server, for each event, a p50 and a p99 (nearest rank) over its N receipts; the
 * figures are medians over the events of all rounds (pooled, the slowest 1 % of receipts would be
 * most of the one event a hiccup of the machine delayed). With two cores or more and `taskset`, the servers run on core 0 and
 * the load generator on core 1 (as in the bare baselines).
 *
 * - `measureWorkbenchOverhead`: the choosing lesson's server.ts through the workbench (the
 *   clients' connections handed to its runner, tracing on, the feed over IPC to the runner) ÷ the same file on a bare Express server, for
 *   SSE, WebSocket and long polling.
 * - `measureSseFanOut`: the SSE lesson's `/data` stream on a bare server ÷ a naive Express
 *   `res.write` loop and ÷ the `better-sse` package's channel.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { TechniqueKind } from '../server/load-clients.ts';
import { TSX_LOADER } from '../server/tsx-loader.ts';
import type { LoadCommand, LoadFigures, LoadMessage } from './fixtures/load-generator.ts';
import { median } from './stats.ts';

export interface FanOutOptions {
  /** Clients per server. @default 1000 (overhead), 5000 (SSE fan-out) */
  clients?: number;
  /** One round of 5 events instead of 3 rounds of 12 (`npm run bench -- --quick`). @default false */
  quick?: boolean;
  /** Servers on core 0, the load generator on core 1 (needs two cores and `taskset`). @default true */
  pin?: boolean;
}

/** One server in one round: each measured event's latencies over its receipts, and their medians. */
export interface RunFigures extends LoadFigures {
  /** Start of the first connection → every client has its first snapshot, ms (the servers compared connect theirs at the same time). */
  connectMs: number;
  /** Bare servers only: the broadcast loop, until its writes had left (the next tick), and its CPU time; medians over the events, ms. */
  serverLoopMs?: number;
  serverFlushedMs?: number;
  serverCpuMs?: number;
}

/** One technique through the workbench and on a bare server. */
export interface OverheadFigures {
  /** Median over the events (of all rounds) of each event's p99, ms. */
  workbenchP99Ms: number;
  bareP99Ms: number;
  /** workbench ÷ bare, from the medians of the p99s. */
  ratio: number;
  workbenchP50Ms: number;
  bareP50Ms: number;
  workbench: RunFigures[];
  bare: RunFigures[];
}

export interface WorkbenchOverheadFigures {
  clients: number;
  rounds: number;
  /** Measured events per server per round (after the warm-up ones). */
  events: number;
  /** Servers on core 0, the load generator on core 1. */
  pinned: boolean;
  sse: OverheadFigures;
  websocket: OverheadFigures;
  longPolling: OverheadFigures;
}

export interface SseFanOutFigures {
  clients: number;
  rounds: number;
  events: number;
  pinned: boolean;
  /** Medians over the events (of all rounds) of each event's p99, ms. */
  lessonP99Ms: number;
  naiveExpressP99Ms: number;
  betterSseP99Ms: number;
  lessonP50Ms: number;
  naiveExpressP50Ms: number;
  betterSseP50Ms: number;
  /** lesson ÷ naive Express, from the medians of the p99s. */
  vsNaive: number;
  /** lesson ÷ better-sse, from the medians of the p99s. */
  vsBetterSse: number;
  runs: { lesson: RunFigures[]; naiveExpress: RunFigures[]; betterSse: RunFigures[] };
}

/** Events published to each server per round and measured; the warm-up ones before them are not. */
const EVENTS = 12;
const QUICK_EVENTS = 5;
const WARMUP_EVENTS = 3;
const ROUNDS = 3;
/** Least time between two publishes, ms (the next one also waits until every client has the last). */
const GAP_MS = 250;
/** After a round's clients are stopped, for the servers to close their connections, ms. */
const SETTLE_MS = 300;
const CONNECT_TIMEOUT_MS = 30_000;
const DELIVERY_TIMEOUT_MS = 10_000;
const START_TIMEOUT_MS = 60_000;
const EXIT_TIMEOUT_MS = 5_000;
/** File descriptors kept free for everything else the load generator opens. */
const SPARE_FDS = 512;

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURES = `${ROOT}bench/fixtures/`;
const CHOOSING = `${ROOT}lessons/05-choosing`;
const SERVER_SENT_EVENTS = `${ROOT}lessons/03-server-sent-events`;

/** Rounds measured in this process, for unique client group names. */
let roundsStarted = 0;

/** The choosing lesson's route for each technique, under its API. */
const ROUTES = { sse: 'events', websocket: 'socket', 'long-polling': 'long-poll' } as const satisfies Partial<Record<TechniqueKind, string>>;

/**
 * Delivery p99 of SSE, WebSocket and long polling at `clients` clients, through the workbench
 * (the choosing lesson in its runner, handed the connections, traced: client ids are `bench-…`) and on
 * a bare server running the same server.ts.
 */
export async function measureWorkbenchOverhead({ clients = 1000, quick = false, pin = true }: FanOutOptions = {}): Promise<WorkbenchOverheadFigures> {
  const rounds = quick ? 1 : ROUNDS;
  const events = quick ? QUICK_EVENTS : EVENTS;
  checkOpenFiles(clients * 2);
  const cpus = pin ? pinning() : undefined;
  const children: ChildProcess[] = [];
  try {
    const [workbench, bare, load] = await Promise.all([
      startServer('workbench-server.ts', [CHOOSING], cpus?.server, children),
      startServer('bare-lesson-server.ts', [CHOOSING], cpus?.server, children),
      startLoadGenerator(cpus?.load, children),
    ]);
    const overhead = async (kind: keyof typeof ROUTES): Promise<OverheadFigures> => {
      const runs = { workbench: [] as RunFigures[], bare: [] as RunFigures[] };
      for (let round = 0; round < rounds; round++) {
        // The choosing lesson sends every change to all four techniques: one technique at a time.
        const targets = (['workbench', 'bare'] as const).map((name) => {
          const server = name === 'workbench' ? workbench : bare;
          return { name, kind, url: `${server.url}/lessons/choosing/api/${ROUTES[kind]}`, publishUrl: server.publishUrl, idPrefix: `bench-${kind}-` };
        });
        const figures = await measureRound(load, targets, { clients, events, round });
        runs.workbench.push(figures.workbench!);
        runs.bare.push(figures.bare!);
      }
      const workbenchP99Ms = overEvents(runs.workbench, 'eventP99Ms');
      const bareP99Ms = overEvents(runs.bare, 'eventP99Ms');
      return {
        workbenchP99Ms,
        bareP99Ms,
        ratio: workbenchP99Ms / bareP99Ms,
        workbenchP50Ms: overEvents(runs.workbench, 'eventP50Ms'),
        bareP50Ms: overEvents(runs.bare, 'eventP50Ms'),
        ...runs,
      };
    };
    const sse = await overhead('sse');
    const websocket = await overhead('websocket');
    const longPolling = await overhead('long-polling');
    return { clients, rounds, events, pinned: !!cpus, sse, websocket, longPolling };
  } finally {
    await stopAll(children);
  }
}

/**
 * Delivery p99 at `clients` SSE clients per server: the SSE lesson's `/data` stream (its
 * server.ts as it is, on a bare server) beside a naive Express `res.write` loop and the
 * `better-sse` package.
 */
export async function measureSseFanOut({ clients = 5000, quick = false, pin = true }: FanOutOptions = {}): Promise<SseFanOutFigures> {
  const rounds = quick ? 1 : ROUNDS;
  const events = quick ? QUICK_EVENTS : EVENTS;
  checkOpenFiles(clients * 3);
  const cpus = pin ? pinning() : undefined;
  const children: ChildProcess[] = [];
  try {
    const [lesson, naive, better, load] = await Promise.all([
      // No heartbeat: its 15-second comment to every stream would land amid another server's events.
      startServer('bare-lesson-server.ts', [SERVER_SENT_EVENTS, 'heartbeatMs=0'], cpus?.server, children),
      startServer('naive-sse-server.ts', [], cpus?.server, children),
      startServer('better-sse-server.ts', [], cpus?.server, children),
      startLoadGenerator(cpus?.load, children),
    ]);
    const targets = [
      { name: 'lesson', url: `${lesson.url}/lessons/server-sent-events/api/data`, publishUrl: lesson.publishUrl },
      { name: 'naiveExpress', url: `${naive.url}/events`, publishUrl: naive.publishUrl },
      { name: 'betterSse', url: `${better.url}/events`, publishUrl: better.publishUrl },
    ].map((target) => ({ ...target, kind: 'sse' as const, idPrefix: `bench-${target.name}-` }));
    const runs: SseFanOutFigures['runs'] = { lesson: [], naiveExpress: [], betterSse: [] };
    for (let round = 0; round < rounds; round++) {
      const figures = await measureRound(load, targets, { clients, events, round });
      for (const name of ['lesson', 'naiveExpress', 'betterSse'] as const) runs[name].push(figures[name]!);
    }
    const p99 = (name: keyof typeof runs) => overEvents(runs[name], 'eventP99Ms');
    const p50 = (name: keyof typeof runs) => overEvents(runs[name], 'eventP50Ms');
    return {
      clients,
      rounds,
      events,
      pinned: !!cpus,
      lessonP99Ms: p99('lesson'),
      naiveExpressP99Ms: p99('naiveExpress'),
      betterSseP99Ms: p99('betterSse'),
      lessonP50Ms: p50('lesson'),
      naiveExpressP50Ms: p50('naiveExpress'),
      betterSseP50Ms: p50('betterSse'),
      vsNaive: p99('lesson') / p99('naiveExpress'),
      vsBetterSse: p99('lesson') / p99('betterSse'),
      runs,
    };
  } finally {
    await stopAll(children);
  }
}

/** A server compared in a round: where its clients connect and where to publish. */
interface Target {
  name: string;
  kind: TechniqueKind;
  url: string;
  publishUrl: string;
  /** Client ids are this and a number (the workbench traces `bench-` ids; `virtual-` ones it would not). */
  idPrefix: string;
}

/**
 * One round: connects `clients` clients to each target (all targets at once); publishes the
 * warm-up and measured events to the targets in turn (starting with a different one each time);
 * stops the clients. Resolves to each target's figures, by name.
 */
async function measureRound(
  load: LoadGenerator,
  targets: Target[],
  { clients, events, round }: { clients: number; events: number; round: number },
): Promise<Record<string, RunFigures>> {
  const connectMs = new Map<string, number>();
  const versions = new Map<string, number[]>(targets.map((t) => [t.name, []]));
  const server = new Map<string, { loop: number[]; flushed: number[]; cpu: number[] }>(targets.map((t) => [t.name, { loop: [], flushed: [], cpu: [] }]));
  const id = ++roundsStarted;
  const group = (target: Target) => `${id}-${target.name}`;
  const running = new Set<Target>();
  const what = (target: Target) => `${target.kind} to ${target.name} (${target.url})`;
  try {
    await Promise.all(
      targets.map(async (target) => {
        running.add(target);
        load.send({ type: 'start', group: group(target), kind: target.kind, url: target.url, clients, idPrefix: target.idPrefix, connectTimeoutMs: CONNECT_TIMEOUT_MS });
        connectMs.set(target.name, (await load.next('connected', group(target), CONNECT_TIMEOUT_MS + 5_000, what(target))).ms);
      }),
    );
    for (let i = 0; i < WARMUP_EVENTS + events; i++) {
      for (let j = 0; j < targets.length; j++) {
        const target = targets[(i + j + round) % targets.length]!;
        const started = performance.now();
        const { version, loopMs, flushedMs, cpuMs } = await publish(target.publishUrl);
        await load.delivered(group(target), version, DELIVERY_TIMEOUT_MS, `${what(target)}: not every one of ${clients} clients had version ${version} after ${DELIVERY_TIMEOUT_MS} ms`);
        if (i >= WARMUP_EVENTS) {
          versions.get(target.name)!.push(version);
          if (loopMs !== undefined && flushedMs !== undefined && cpuMs !== undefined) {
            const figures = server.get(target.name)!;
            figures.loop.push(loopMs);
            figures.flushed.push(flushedMs);
            figures.cpu.push(cpuMs);
          }
        }
        await sleep(GAP_MS - (performance.now() - started));
      }
    }
    const result: Record<string, RunFigures> = {};
    for (const target of targets) {
      running.delete(target);
      load.send({ type: 'stop', group: group(target), versions: versions.get(target.name)! });
      const { figures } = await load.next('stopped', group(target), 10_000, what(target));
      if (figures.receipts < figures.expected) throw new Error(`fan-out bench, ${what(target)}: ${figures.receipts} of ${figures.expected} receipts`);
      const { loop, flushed, cpu } = server.get(target.name)!;
      result[target.name] = {
        ...figures,
        connectMs: connectMs.get(target.name)!,
        ...(loop.length > 0 ? { serverLoopMs: median(loop), serverFlushedMs: median(flushed), serverCpuMs: median(cpu) } : {}),
      };
    }
    return result;
  } finally {
    // A round that failed half-way leaves no clients behind for the next measurement.
    for (const target of running) load.send({ type: 'stop', group: group(target), versions: [] });
    await sleep(SETTLE_MS);
  }
}

/** The median of one figure over every measured event of every round. */
const overEvents = (runs: RunFigures[], figure: 'eventP50Ms' | 'eventP99Ms') => median(runs.flatMap((run) => run[figure]));

/** Makes one feed change; the bench fixtures also say what their broadcast took. */
async function publish(url: string): Promise<{ version: number; changedAt: number; loopMs?: number; flushedMs?: number; cpuMs?: number }> {
  const res = await fetch(url, { method: 'POST' });
  if (!res.ok) throw new Error(`fan-out bench: POST ${url} answered ${res.status} ${await res.text()}`);
  return (await res.json()) as { version: number; changedAt: number; loopMs?: number; flushedMs?: number; cpuMs?: number };
}

interface LoadGenerator {
  send(command: LoadCommand): void;
  /** The next message of `type` for `group`; rejects on a `failed` message for it, an exit, or after `timeoutMs`. */
  next<T extends 'connected' | 'stopped'>(type: T, group: string, timeoutMs: number, what: string): Promise<Extract<LoadMessage, { type: T }>>;
  /** Resolves once every client of `group` has `version` (it may have happened already). */
  delivered(group: string, version: number, timeoutMs: number, failure: string): Promise<void>;
}

/** Starts the load generator and waits until it listens for commands. */
async function startLoadGenerator(cpu: number | undefined, children: ChildProcess[]): Promise<LoadGenerator> {
  const child = startChild('load-generator.ts', [], cpu, children);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fan-out bench: the load generator was not ready within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    child.on('message', (message: LoadMessage) => message.type === 'ready' && (clearTimeout(timer), resolve()));
    child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`fan-out bench: the load generator exited with ${code} before it was ready`))));
  });
  const done = new Set<string>();
  const waiting = new Map<string, () => void>();
  child.on('message', (message: LoadMessage) => {
    if (message.type !== 'delivered') return;
    const key = `${message.group} ${message.version}`;
    done.add(key);
    waiting.get(key)?.();
  });
  return {
    send: (command) => void (child.connected && child.send(command)),
    next: (type, group, timeoutMs, what) =>
      new Promise((resolve, reject) => {
        const settle = (finish: () => void) => {
          clearTimeout(timer);
          child.off('message', onMessage);
          child.off('exit', onExit);
          finish();
        };
        const onMessage = (message: LoadMessage) => {
          if (message.type === 'ready' || message.group !== group) return;
          if (message.type === type) settle(() => resolve(message as Extract<LoadMessage, { type: typeof type }>));
          else if (message.type === 'failed') settle(() => reject(new Error(`fan-out bench, ${what}: ${message.message}`)));
        };
        const onExit = (code: number | null) => settle(() => reject(new Error(`fan-out bench, ${what}: the load generator exited (${code})`)));
        const timer = setTimeout(() => settle(() => reject(new Error(`fan-out bench, ${what}: no "${type}" from the load generator within ${timeoutMs} ms`))), timeoutMs);
        child.on('message', onMessage);
        child.once('exit', onExit);
      }),
    delivered: (group, version, timeoutMs, failure) =>
      new Promise((resolve, reject) => {
        const key = `${group} ${version}`;
        if (done.delete(key)) return resolve();
        const timer = setTimeout(() => {
          waiting.delete(key);
          reject(new Error(`fan-out bench, ${failure}`));
        }, timeoutMs);
        waiting.set(key, () => {
          clearTimeout(timer);
          waiting.delete(key);
          done.delete(key);
          resolve();
        });
      }),
  };
}

interface BenchServer {
  url: string;
  publishUrl: string;
}

/** Starts a server fixture and waits for its `ready`. */
function startServer(script: string, args: string[], cpu: number | undefined, children: ChildProcess[]): Promise<BenchServer> {
  const child = startChild(script, args, cpu, children);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fan-out bench: ${script} was not ready within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    child.on('message', (message: { type?: string } & BenchServer) => {
      if (message.type !== 'ready') return;
      clearTimeout(timer);
      resolve({ url: message.url, publishUrl: message.publishUrl });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`fan-out bench: ${script} exited with ${code} before it was ready`));
    });
  });
}

/** Starts a fixture (TypeScript, with an IPC channel), on `cpu` if given. */
function startChild(script: string, args: string[], cpu: number | undefined, children: ChildProcess[]): ChildProcess {
  const node = [process.execPath, '--import', TSX_LOADER, `${FIXTURES}${script}`, ...args];
  const [command, ...rest] = cpu === undefined ? node : ['taskset', '-c', String(cpu), ...node];
  const child = spawn(command!, rest, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, NODE_OPTIONS: '' } });
  children.push(child);
  return child;
}

/** Lets every child close down (the workbench ends its runners), then kills what is left. */
async function stopAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      if (child.connected) child.disconnect();
      else child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), EXIT_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }),
  );
}

/** The load generator holds `sockets` connections at once: fail now, and say why, rather than on EMFILE half-way. */
function checkOpenFiles(sockets: number): void {
  let limits: string;
  try {
    limits = readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return; // not Linux: an EMFILE will say it
  }
  const limit = Number(/^Max open files\s+(\d+)/m.exec(limits)?.[1] ?? Infinity);
  if (sockets + SPARE_FDS > limit) throw new Error(`fan-out bench: ${sockets} connections need an open-file limit of ${sockets + SPARE_FDS} or more (ulimit -n is ${limit})`);
}

/** Core 0 for the servers, core 1 for the load generator, when there are two and `taskset` can pin them. */
function pinning(): { server: number; load: number } | undefined {
  if (availableParallelism() < 2) return undefined;
  return spawnSync('taskset', ['-c', '0', 'true']).status === 0 ? { server: 0, load: 1 } : undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
