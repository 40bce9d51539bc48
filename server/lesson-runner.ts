import { fork, type ChildProcess } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FeedSnapshot, LessonSettings } from '../lessons/lesson.ts';
import type { ReloadEvent, TraceInput } from '../lessons/trace-event.ts';
import { compileLessonServer, type CompileError } from './compile-lesson.ts';
import { sendConnection } from './connection-handoff.ts';
import { processCpuMs } from './process-cpu.ts';
import { TSX_LOADER } from './tsx-loader.ts';
import { ALIVE_EVERY_MS, type FromRunnerMessage, type ToRunnerMessage } from './runner-protocol.ts';

export type LoadResult = { ok: true; generation: number } | { ok: false; errors: CompileError[] };

/** The processes that serve one lesson's server code (see runner-main.ts). */
export interface LessonRunner {
  /** The base URL of the runner now serving; waits while one is starting or restarting. */
  target(): Promise<string>;
  /**
   * Gives a client's connection to the runner now serving (waiting while one starts): the runner
   * reads `head` (the request as it came, already read here) as the socket's first bytes and
   * answers on it, with no hop in between (see connection-handoff.ts). Rejects when no runner takes it.
   */
  handOff(socket: Socket, head: Buffer): Promise<void>;
  /** Compiles `code` and swaps it in; on failure the last good version keeps serving. */
  load(code: string, reason: ReloadEvent['reason']): Promise<LoadResult>;
  sendFeed(snapshot: FeedSnapshot): void;
  sendSettings(settings: LessonSettings): void;
  /** Ends the open event streams of `client` (every client's when absent) cleanly, server side; resolves to how many. */
  endStreams(client: string | undefined, reason: string): Promise<number>;
  /** Ends every process; idempotent. */
  close(): Promise<void>;
}

export interface LessonRunnerOptions {
  slug: string;
  /** The lesson's server.ts on disk (what stack traces and trace events name). */
  sourcePath: string;
  /** Where compiled versions are written. */
  buildDir: string;
  emit(event: TraceInput): void;
  /** The active runner's route meters and CPU time, once a second while there is traffic; without it the runner counts nothing. */
  onMeters?(message: Extract<FromRunnerMessage, { type: 'meters' }>): void;
  feed(): FeedSnapshot;
  settings(): LessonSettings;
  /** A runner handed back a client's connection, with what it read from it (see connection-handoff.ts); without it the connection is closed. */
  onConnection?(socket: Socket, head: string): void;
  /** How long a new runner may take to start and load. @default 15000 */
  startTimeoutMs?: number;
  /** How long a runner's event loop may stand still before the watchdog kills it. @default 2000 */
  stuckAfterMs?: number;
}

const RUNNER_MAIN = fileURLToPath(new URL('./runner-main.ts', import.meta.url));
const RETIRE_GRACE_MS = 1_500;
const SHUTTING_DOWN: LoadResult = { ok: false, errors: [{ line: 1, column: 1, message: 'The workbench is shutting down' }] };
const CRASH_WINDOW_MS = 10_000;
/**
 * A runner whose event loop has not turned for this long is stuck: the watchdog kills it (so a busy
 * loop is stopped, and the lesson serving again, within 3 s). Long enough for a runner that is only
 * slow: a class of forty connecting at once on a machine that is also running their browsers.
 */
const STUCK_AFTER_MS = 2_000;
const MAX_CRASHES = 5;

interface RunnerProcess {
  child: ChildProcess;
  port: Promise<number>;
  generation?: number;
  modulePath?: string;
  retiring?: boolean;
  /** When it last said it was alive (its event loop turned). */
  aliveAt: number;
  /** Killed by the watchdog: its event loop stopped turning. */
  stuck?: boolean;
  /** When its current silence began and the CPU time it had used then (Linux): a silent runner that is not using CPU is starved, not stuck. */
  silence?: { at: number; cpuMs: number | undefined };
  /** It said `ready`: from then on it says `alive` all the time. */
  ready?: boolean;
}

/**
 * Creates the runner of one lesson. Each version of the code runs in a fresh child process
 * (no timers, sockets or module state survive into the next version), and a spare process is
 * kept started so that a reload costs an import, not a Node start-up.
 */
export function createLessonRunner(options: LessonRunnerOptions): LessonRunner {
  const { slug, sourcePath, buildDir, emit, startTimeoutMs = 15_000, stuckAfterMs = STUCK_AFTER_MS } = options;
  let active: RunnerProcess | undefined;
  let spare: RunnerProcess | undefined;
  // The process loading the next version: it hears feed and settings changes too, or it would start behind.
  let loading: RunnerProcess | undefined;
  let generation = 0;
  let closed = false;
  let crashes: number[] = [];
  let waiters: ((url: string) => void)[] = [];
  let queue: Promise<unknown> = Promise.resolve();

  // The watchdog: lesson code that never yields (while (true) {}) freezes its runner, not the workbench.
  // A runner that stops saying it is alive is killed; the exit handling restarts the last good code.
  let lastCheck = Date.now();
  const watchdog = setInterval(() => {
    // The workbench itself stood still (its own tick is late): the runners' "alive" messages may be
    // waiting unread in the pipe. Judge them only once this process has caught up.
    const late = Date.now() - lastCheck > ALIVE_EVERY_MS * 4;
    lastCheck = Date.now();
    if (late) return;
    for (const proc of [active, loading]) {
      if (!proc?.ready || proc.stuck || proc.retiring) continue;
      const silentMs = Date.now() - proc.aliveAt;
      // A silence begins: note the CPU time the runner has used so far (read only now, not on every message).
      if (silentMs >= ALIVE_EVERY_MS * 2) proc.silence ??= { at: Date.now(), cpuMs: processCpuMs(proc.child.pid) };
      if (silentMs < stuckAfterMs) continue;
      // Silent, but hardly running: starved of CPU by a busy machine, not spinning. Give it more time.
      const cpuMs = processCpuMs(proc.child.pid);
      const since = proc.silence;
      if (cpuMs !== undefined && since?.cpuMs !== undefined && cpuMs - since.cpuMs < (Date.now() - since.at) / 4) continue;
      proc.stuck = true;
      proc.child.kill('SIGKILL');
    }
  }, ALIVE_EVERY_MS);
  watchdog.unref();

  const spawnRunner = (): RunnerProcess => {
    const child = fork(RUNNER_MAIN, [], {
      execArgv: ['--import', TSX_LOADER, '--enable-source-maps'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    const proc: RunnerProcess = {
      child,
      aliveAt: Date.now(),
      port: new Promise((resolve, reject) => {
        child.on('message', (m: FromRunnerMessage) => m.type === 'ready' && resolve(m.port));
        child.once('exit', (code) => reject(new Error(`runner exited with code ${code} before it was ready`)));
      }),
    };
    proc.port.catch(() => {});
    child.on('message', (m: FromRunnerMessage, handle?: unknown) => {
      if (m.type === 'connection') {
        const socket = handle as Socket | undefined;
        return options.onConnection ? socket && options.onConnection(socket, m.head) : socket?.destroy();
      }
      proc.aliveAt = Date.now();
      proc.silence = undefined;
      if (m.type === 'ready') proc.ready = true;
      if (m.type === 'trace') for (const event of m.events) emit(event);
      if (m.type === 'meters' && proc === active) options.onMeters?.(m);
    });
    child.once('exit', (code, signal) => onExit(proc, code, signal));
    return proc;
  };

  const onExit = (proc: RunnerProcess, code: number | null, signal: NodeJS.Signals | null) => {
    if (proc === spare) spare = undefined;
    if (proc !== active || proc.retiring || closed) return;
    active = undefined;
    const why = proc.stuck ? `was stuck for ${stuckAfterMs / 1000} s (a busy loop?) and was stopped` : `stopped (${signal ?? `exit code ${code}`})`;
    emit({ kind: 'error', t: Date.now(), lane: 'server', phase: 'runner', message: `The lesson server ${why}; restarting it on the last good code.` });
    const now = Date.now();
    crashes = [...crashes.filter((t) => now - t < CRASH_WINDOW_MS), now];
    if (crashes.length > MAX_CRASHES) {
      emit({ kind: 'error', t: now, lane: 'server', phase: 'runner', message: 'The lesson server keeps stopping; waiting for a change to its code.' });
      return;
    }
    if (proc.modulePath) void serialize(() => activate(proc.modulePath!, 'restart'));
  };

  const retire = (proc: RunnerProcess) => {
    proc.retiring = true;
    // It aborts the lesson's signal and reports what that did before it disconnects; if it cannot hear us, disconnect now.
    if (!proc.child.connected || !proc.child.send({ type: 'retire' } satisfies ToRunnerMessage)) proc.child.disconnect?.();
    const kill = setTimeout(() => proc.child.kill('SIGKILL'), RETIRE_GRACE_MS);
    kill.unref();
    proc.child.once('exit', () => {
      clearTimeout(kill);
      if (proc.modulePath) void rm(proc.modulePath, { force: true });
    });
  };

  const request = <T extends FromRunnerMessage['type']>(proc: RunnerProcess, message: ToRunnerMessage, answers: T[]) =>
    new Promise<Extract<FromRunnerMessage, { type: T }>>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`the lesson server did not answer within ${startTimeoutMs} ms`)), startTimeoutMs);
      const onMessage = (m: FromRunnerMessage) => answers.includes(m.type as T) && done(() => resolve(m as Extract<FromRunnerMessage, { type: T }>));
      const onExit = () => fail(new Error('the lesson server stopped before it answered'));
      const done = (settle: () => void) => {
        clearTimeout(timer);
        proc.child.off('message', onMessage);
        proc.child.off('exit', onExit);
        settle();
      };
      const fail = (error: Error) => done(() => reject(error));
      proc.child.on('message', onMessage);
      proc.child.once('exit', onExit);
      proc.child.send(message);
    });

  const activate = async (modulePath: string, reason: ReloadEvent['reason']): Promise<LoadResult> => {
    if (closed) return SHUTTING_DOWN;
    const proc = spare ?? spawnRunner();
    spare = undefined;
    loading = proc;
    const nextGeneration = generation + 1;
    try {
      const port = await proc.port;
      const answer = await request(proc, { type: 'load', slug, generation: nextGeneration, modulePath, sourcePath, feed: options.feed(), settings: options.settings(), meters: options.onMeters !== undefined }, ['loaded', 'load-error']);
      loading = undefined;
      if (answer.type === 'load-error') throw Object.assign(new Error(answer.message), { line: answer.line });
      proc.generation = generation = nextGeneration;
      proc.modulePath = modulePath;
      const previous = active;
      active = proc;
      if (previous) retire(previous);
      const url = `http://127.0.0.1:${port}`;
      for (const waiter of waiters) waiter(url);
      waiters = [];
      emit({ kind: 'reload', t: Date.now(), lane: 'server', generation, file: 'server.ts', reason });
      // Start the next spare once this one has settled in, so it does not compete for the CPU.
      setTimeout(() => {
        if (!closed && !spare) spare = spawnRunner();
      }, 300).unref();
      return { ok: true, generation };
    } catch (error) {
      loading = undefined;
      proc.retiring = true;
      proc.child.kill('SIGKILL');
      void rm(modulePath, { force: true });
      const line = (error as { line?: number }).line;
      const message = proc.stuck
        ? `The lesson code did not finish loading: its runner was stuck for ${stuckAfterMs / 1000} s (a busy loop at import?)`
        : error instanceof Error ? error.message : String(error);
      emit({ kind: 'error', t: Date.now(), lane: 'server', phase: 'load', message, ...(line ? { source: { file: 'server.ts', line } } : {}) });
      return { ok: false, errors: [{ line: line ?? 1, column: 1, message }] };
    }
  };

  /** Sends to the process serving and to the one loading the next version, so neither falls behind. */
  const tellServing = (message: ToRunnerMessage) => {
    for (const proc of [active, loading]) if (proc?.child.connected) proc.child.send(message);
  };

  // Loads run one at a time, in order: a reload never races the previous one.
  const serialize = <T>(task: () => Promise<T>): Promise<T> => {
    const next = queue.then(task, task);
    queue = next.catch(() => {});
    return next;
  };

  const target = async (): Promise<string> => {
    // A runner the watchdog just killed is not gone yet: wait for its replacement rather than sending it requests.
    if (active && !active.stuck) return `http://127.0.0.1:${await active.port}`;
    if (closed) throw new Error('The workbench is shutting down');
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters = waiters.filter((w) => w !== waiter);
        reject(new Error('The lesson server is not running (see the timeline for its error)'));
      }, startTimeoutMs);
      const waiter = (url: string) => {
        clearTimeout(timer);
        resolve(url);
      };
      waiters.push(waiter);
    });
  };

  return {
    target,
    async handOff(socket, head) {
      await target();
      const proc = active;
      if (!proc?.child.connected) throw new Error('The lesson server is not running');
      await sendConnection(proc.child, socket, head);
    },
    load(code, reason) {
      return serialize(async () => {
        if (closed) return SHUTTING_DOWN;
        const compiled = await compileLessonServer(sourcePath, code);
        if (!compiled.ok) {
          for (const error of compiled.errors) {
            emit({ kind: 'error', t: Date.now(), lane: 'server', phase: 'compile', message: `${error.message} (line ${error.line}, column ${error.column})`, source: { file: 'server.ts', line: error.line } });
          }
          return compiled;
        }
        if (closed) return SHUTTING_DOWN;
        await mkdir(buildDir, { recursive: true });
        const modulePath = join(buildDir, `server.${process.pid}.${generation + 1}.${Date.now()}.mjs`);
        await writeFile(modulePath, compiled.code);
        crashes = [];
        return activate(modulePath, reason);
      });
    },
    sendFeed: (snapshot) => tellServing({ type: 'feed', snapshot }),
    sendSettings: (settings) => tellServing({ type: 'settings', settings }),
    async endStreams(client, reason) {
      if (!active?.child.connected) return 0;
      const answer = await request(active, { type: 'end-streams', ...(client === undefined ? {} : { client }), reason }, ['streams-ended']);
      return answer.count;
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(watchdog);
      await queue; // a load in flight finishes (or gives up) first, so no process is left behind
      const procs = [active, spare].filter((p): p is RunnerProcess => !!p);
      active = spare = undefined;
      await Promise.all(
        procs.map(
          (proc) =>
            new Promise<void>((resolve) => {
              if (proc.child.exitCode !== null || proc.child.signalCode !== null) return resolve();
              proc.child.once('exit', () => resolve());
              // As a retired version goes: the lesson's signal aborts, so it can close its sockets (1001) first.
              retire(proc);
            }),
        ),
      );
      await rm(buildDir, { recursive: true, force: true });
    },
  };
}
