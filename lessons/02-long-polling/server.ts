/**
 * Long polling, server side: hold each `GET /data?wait=1` open until there is something new.
 * Two handlers side by side: the naive one from the seed article, which waits for the *next*
 * change, and the fixed one, which first checks whether it already holds something newer than
 * what the client has (the `since` token). The "fix" tab shows the difference.
 */
import { Router, type Response } from 'express';
import type { FeedSnapshot, LessonServer } from '../lesson.ts';

/** What a fixed poll says it has: the `changedAt` of its data, and its version when it sends one. */
interface Token {
  since: number;
  version?: number;
}

/** A held request: answered with `answer()` on the next change, or with 204 after `holdMs`. */
interface Waiter {
  res: Response;
  answer(): unknown;
  timeout: NodeJS.Timeout;
}

/** Changes kept for cursor readers (`/changes?after=`). */
const HISTORY = 500;

const longPolling: LessonServer = ({ feed, settings, signal }) => {
  const router = Router();
  const waiters = new Set<Waiter>();
  // What clients are told: the feed's changes, published at once, or gathered for batchMs.
  let latest = feed.current();
  const history: FeedSnapshot[] = [latest];
  const pending: FeedSnapshot[] = [];
  let batch: NodeJS.Timeout | undefined;

  feed.subscribe((snapshot) => {
    pending.push(snapshot);
    // Batching (the seed's Nagle note): publish the changes of the next batchMs as one.
    const batchMs = Number(settings().params.batchMs);
    if (batchMs > 0) batch ??= setTimeout(publish, batchMs); // [!code step:batch]
    else publish(); // [!code step:notify]
  });

  function publish() {
    batch = undefined;
    history.push(...pending.splice(0));
    if (history.length > HISTORY) history.splice(0, history.length - HISTORY);
    latest = history.at(-1)!;
    for (const waiter of waiters) {
      forget(waiter);
      waiter.res.json(waiter.answer()); // [!code step:answer]
    }
  }

  /** Holds the request until the next change, then answers with `answer()`. */
  function hold(res: Response, answer: () => unknown) {
    const holdMs = Number(settings().params.holdMs);
    const waiter: Waiter = {
      res,
      answer,
      timeout: setTimeout(() => {
        forget(waiter);
        res.status(204).end(); // [!code step:timeout]
      }, holdMs),
    };
    waiters.add(waiter); // [!code step:hold]
    // The client went away while held: drop it now, and never write to a closed socket.
    res.on('close', () => forget(waiter)); // [!code step:close]
  }

  function forget(waiter: Waiter) {
    clearTimeout(waiter.timeout);
    waiters.delete(waiter);
  }

  // Naive: hold every poll until the next change (a token, if the client sends one, is never read).
  function waitNaive(res: Response, _token?: Token) {
    hold(res, () => latest); // [!code step:naive]
  }

  // Fixed: if the client's token shows it is behind, answer at once; else hold.
  function waitFixed(res: Response, token: Token) {
    if (isNewer(latest, token)) return void res.json(latest); // [!code step:at-once]
    hold(res, () => latest);
  }

  router.get('/data', (req, res) => {
    // First load (and plain polling): the data as it is now.
    if (req.query.wait !== '1') return void res.json(latest); // [!code step:first-load]
    const token = req.query.since === undefined ? undefined : { since: count(req.query.since), version: req.query.version === undefined ? undefined : count(req.query.version) };
    if (token && (Number.isNaN(token.since) || Number.isNaN(token.version))) {
      return void res.status(400).json({ error: '"since" must be the changedAt you have (a non-negative number of ms, e.g. ?since=1732000000000), "version" a non-negative number' });
    }
    // The seed's server takes polls without a token, and the naive lane's (`&handler=naive`: its token goes unread).
    if (!token || req.query.handler === 'naive') return waitNaive(res, token); // [!code step:route]
    waitFixed(res, token);
  });

  // Cursor feed: every change after `after` (a version), several in one answer when they piled up.
  router.get('/changes', (req, res) => {
    const after = count(req.query.after);
    if (Number.isNaN(after)) return void res.status(400).json({ error: '"after" must be the version the client has, e.g. ?after=12' });
    const changesAfter = () => {
      // Older than the history we keep: start over from the current value.
      if (history[0]!.version > after + 1) return { changes: [latest], reset: true };
      return { changes: history.filter((s) => s.version > after) }; // [!code step:cursor]
    };
    const now = changesAfter();
    if (now.changes.length > 0 || req.query.wait !== '1') return void res.json(now);
    hold(res, changesAfter);
  });

  // How many requests are held right now (tests check that none leak).
  router.get('/stats', (_req, res) => {
    res.json({ waiting: waiters.size });
  });

  // This version of the code is being replaced: tell every held client "nothing new, ask again".
  signal.addEventListener('abort', () => {
    clearTimeout(batch);
    for (const waiter of waiters) {
      forget(waiter);
      waiter.res.status(204).end();
    }
  });

  return router;
};

/** Newer than what the client has: a later `changedAt`, or the same one with a higher version. */
function isNewer(snapshot: FeedSnapshot, { since, version }: Token): boolean {
  if (snapshot.changedAt !== since) return snapshot.changedAt > since;
  return version !== undefined && snapshot.version > version; // [!code step:tie]
}

/** A query value that is one finite non-negative number, else NaN. */
function count(value: unknown): number {
  const n = typeof value === 'string' && /^\d+(\.\d+)?$/.test(value) ? Number(value) : NaN;
  return Number.isFinite(n) ? n : NaN;
}

export default longPolling;
