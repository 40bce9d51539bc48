import type { CheckResult, FeedSnapshot, LessonCheck } from '../lessons/lesson.ts';
import { clientLane, type TraceEvent, type TraceInput } from '../lessons/trace-event.ts';
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
  /** The slow-motion factor (the wait for each version grows with it). */
  timeScale(): number;
}

/**
 * Runs a lesson's check against whatever server code runs now: changes the feed round after
 * round the way the check says, and after each change waits for `client` to show that version.
 * Stops at the first version that does not arrive in time. The start and the verdict are drawn on
 * the client's lane; a missed long-poll version also gets the timeline's own red "missed" mark.
 * @throws HttpError 409 when the check cannot run (the client is not running or not listening).
 */
export async function runLessonCheck(check: LessonCheck, client: string, deps: LessonCheckDeps): Promise<CheckResult> {
  const verdict = (phase: 'start' | 'pass' | 'fail', message: string, version?: number) =>
    deps.emit({ kind: 'check', t: Date.now(), lane: clientLane(client), client, phase, message, ...(version === undefined ? {} : { version }) });
  const watch = watchClient(client, deps.observe);
  const changes: CheckResult['changes'] = [];
  verdict('start', check.expect);
  try {
    for (let round = 0; round < check.rounds; round++) {
      for (const change of await makeChanges(check.change, client, deps)) {
        const withinMs = check.withinMs * deps.timeScale();
        const shownAt = await watch.shown(change.version, withinMs);
        changes.push({ version: change.version, ...(shownAt === undefined ? {} : { shownAfterMs: Math.max(0, shownAt - change.changedAt) }) });
        if (shownAt === undefined) {
          const message = `v${change.version} did not reach ${client} within ${seconds(withinMs)}${watch.why(change)}`;
          verdict('fail', message, change.version);
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
    watch.stop();
  }
}

/** Makes one round's changes, the way the check says: two while the client is cut off (a resume must bring both), else one. */
async function makeChanges(how: LessonCheck['change'], client: string, { feed, race, dropStreams }: LessonCheckDeps): Promise<FeedSnapshot[]> {
  if (how === 'race') return [(await race(client)).change];
  const change = () => feed.change(feed.nextValue(), 'manual');
  if (how === 'plain') return [change()];
  if ((await dropStreams(client)) === 0) throw new HttpError(409, `${client} has no open stream to cut: is the lesson page open?`);
  return [change(), change()];
}

/** Follows what one client shows and which of its requests the server holds. */
function watchClient(client: string, observe: LessonCheckDeps['observe']) {
  const shownAt = new Map<number, number>();
  const held: { t: number; conn: string }[] = [];
  const waiting = new Set<() => void>();
  const stop = observe((event) => {
    if (event.client !== client) return;
    if (event.kind === 'http-held') held.push({ t: event.t, conn: event.conn });
    if (event.kind !== 'client-show' || shownAt.has(event.version)) return;
    shownAt.set(event.version, event.t);
    for (const wake of waiting) wake();
  });
  return {
    /** When the client showed `version`: at once if it already did, else when it does; undefined after `ms`. */
    shown(version: number, ms: number): Promise<number | undefined> {
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          waiting.delete(check);
          resolve(shownAt.get(version));
        };
        const check = () => shownAt.has(version) && done();
        const timer = setTimeout(done, ms);
        waiting.add(check);
        check();
      });
    },
    /** Evidence for a version that did not arrive: the server sat on a request made after it. */
    why(change: FeedSnapshot): string {
      const sat = held.find((h) => h.t >= change.changedAt);
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
