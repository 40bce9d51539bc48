import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import type { CheckResult, LessonCheck } from '../lessons/lesson.ts';
import { CLIENT_PARAM, clientLane, type TraceEvent, type TraceInput } from '../lessons/trace-event.ts';
import type { Feed } from './feed.ts';
import { HttpError } from './http-error.ts';
import type { RaceResult } from './race-on-cue.ts';

/** What a check needs of its lesson. */
export interface LessonCheckDeps {
  feed: Feed;
  /** Listens to the lesson's trace; returns the function that stops listening. */
  observe(listener: (event: TraceEvent) => void): () => void;
  emit(event: TraceInput): void;
  race(client: string): Promise<RaceResult>;
  /** Ends the client's streams and sockets from the server side; resolves to how many. */
  dropStreams(client: string): Promise<number>;
  /** The lesson's API on its runner, e.g. `http://127.0.0.1:40123/lessons/websocket/api`. */
  apiBase(): Promise<string>;
  /** The slow-motion factor (the wait for each delivery grows with it). */
  timeScale(): number;
}

/** The client id of the check's own WebSocket in a chat check (its lane on the timeline). */
const CHECKER_CLIENT = 'check';

/** Something the check sent or changed, and how to tell that it reached the client. */
interface Delivery {
  /** How the result names it: `v12`, or a chat message's text. */
  what: string;
  version?: number;
  madeAt: number;
  arrived(event: TraceEvent): boolean;
}

/** One way of making a round's deliveries; `close` ends what it opened. */
interface Sender {
  round(): Promise<Delivery[]>;
  close(): void;
}

/**
 * Runs a lesson's check against whatever server code runs now: round after round it changes the
 * feed (or sends a chat message) the way the check says, and waits after each for it to reach
 * `client`: a feed version shown by the client, a chat message written to the client's socket.
 * Stops at the first one that does not arrive in time. The start and the verdict are drawn on
 * the client's lane; a missed long-poll version also gets the timeline's own red "missed" mark.
 * @throws HttpError 409 when the check cannot run (the client is not running or not listening).
 */
export async function runLessonCheck(check: LessonCheck, client: string, deps: LessonCheckDeps): Promise<CheckResult> {
  const verdict = (phase: 'start' | 'pass' | 'fail', message: string, version?: number) =>
    deps.emit({ kind: 'check', t: Date.now(), lane: clientLane(client), client, phase, message, ...(version === undefined ? {} : { version }) });
  const watch = watchClient(client, deps.observe);
  const changes: CheckResult['changes'] = [];
  let sender: Sender | undefined;
  verdict('start', check.expect);
  try {
    sender = await senderFor(check.change, client, deps);
    for (let round = 0; round < check.rounds; round++) {
      for (const delivery of await sender.round()) {
        const withinMs = check.withinMs * deps.timeScale();
        const arrivedAt = await watch.arrival(delivery, withinMs);
        changes.push({ what: delivery.what, ...(delivery.version === undefined ? {} : { version: delivery.version }), ...(arrivedAt === undefined ? {} : { shownAfterMs: Math.max(0, arrivedAt - delivery.madeAt) }) });
        if (arrivedAt === undefined) {
          const message = `${delivery.what} did not reach ${client} within ${seconds(withinMs)}${watch.why(delivery)}`;
          verdict('fail', message, delivery.version);
          return { passed: false, client, message, changes };
        }
      }
    }
    verdict('pass', check.expect);
    return { passed: true, client, message: check.expect, changes };
  } catch (error) {
    verdict('fail', `The check could not run: ${(error as Error).message}`);
    throw error;
  } finally {
    sender?.close();
    watch.stop();
  }
}

/** The check's way of making deliveries: feed changes (two while the client is cut off: a resume must bring both), or chat messages. */
async function senderFor(how: LessonCheck['change'], client: string, deps: LessonCheckDeps): Promise<Sender> {
  if (how === 'chat') return chatSender(deps);
  const { feed } = deps;
  const shown = (snapshot: { version: number; changedAt: number }): Delivery => ({
    what: `v${snapshot.version}`,
    version: snapshot.version,
    madeAt: snapshot.changedAt,
    arrived: (e) => e.kind === 'client-show' && e.version === snapshot.version,
  });
  const change = () => shown(feed.change(feed.nextValue(), 'manual'));
  const round = async (): Promise<Delivery[]> => {
    if (how === 'race') return [shown((await deps.race(client)).change)];
    if (how === 'plain') return [change()];
    if ((await deps.dropStreams(client)) === 0) throw new HttpError(409, `${client} has no open stream to cut: is the lesson page open?`);
    return [change(), change()];
  };
  return { round, close() {} };
}

/** Sends chat messages as "Checker" over the lesson's `/chat` WebSocket; each must be written to the client (its socket, or its poll's answer). */
async function chatSender(deps: LessonCheckDeps): Promise<Sender> {
  const url = `${(await deps.apiBase()).replace(/^http/, 'ws')}/chat?name=Checker&${CLIENT_PARAM}=${CHECKER_CLIENT}`;
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('unexpected-response', (_req, res) => reject(new HttpError(409, `the lesson refused the check's WebSocket with ${res.statusCode}`)));
    socket.once('error', (error) => reject(new HttpError(409, `the check could not open ${new URL(url).pathname}: ${error.message}`)));
  });
  socket.on('error', () => {});
  let sent = 0;
  return {
    async round() {
      const text = `check ${++sent} ${randomBytes(3).toString('hex')}`;
      if (socket.readyState !== WebSocket.OPEN) throw new HttpError(409, `the lesson closed the check's WebSocket`);
      socket.send(JSON.stringify({ type: 'chat', text }));
      return [
        {
          what: `"${text}"`,
          madeAt: Date.now(),
          // Written to the client's socket, or in the answer to its poll when it uses the long-poll fallback.
          arrived: (e) => (e.kind === 'ws-frame' && e.direction === 'out' ? e.text : e.kind === 'http-response' ? e.body : undefined)?.includes(text) ?? false,
        },
      ];
    },
    close: () => socket.close(1000, 'check done'),
  };
}

/** Follows what reaches one client, and which of its requests the server holds. */
function watchClient(client: string, observe: LessonCheckDeps['observe']) {
  const seen: TraceEvent[] = [];
  const held: { t: number; conn: string }[] = [];
  const waiting = new Set<() => void>();
  const stop = observe((event) => {
    if (event.client !== client) return;
    if (event.kind === 'http-held') held.push({ t: event.t, conn: event.conn });
    seen.push(event);
    for (const wake of waiting) wake();
  });
  return {
    /** When the delivery reached the client: at once if it already did, else when it does; undefined after `ms`. */
    arrival(delivery: Delivery, ms: number): Promise<number | undefined> {
      const arrivedAt = () => seen.find((e) => delivery.arrived(e))?.t;
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          waiting.delete(check);
          resolve(arrivedAt());
        };
        const check = () => arrivedAt() !== undefined && done();
        const timer = setTimeout(done, ms);
        waiting.add(check);
        check();
      });
    },
    /** Evidence for a delivery that did not arrive: the server sat on a request made after it. */
    why(delivery: Delivery): string {
      const sat = held.find((h) => h.t >= delivery.madeAt);
      return sat ? `: the server held its next request (${sat.conn}) instead of answering with it` : '';
    },
    stop() {
      stop();
      waiting.clear();
    },
  };
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}
