/**
 * Long polling, browser side: load the data once, then ask again and again with `?wait=1`; the
 * server answers when something changes. Between an answer and the next poll the page does its
 * own work (the think time): that gap is where the naive server loses updates.
 */
import type { ClientContext, FeedSnapshot } from '../lesson.ts';

/** How fast the "client clock" token runs ahead of the server, like a phone set a second fast. */
const CLOCK_SKEW_MS = 1_000;

export default function startLongPolling({ fetch, url, show, reportError, options, signal, pause }: ClientContext) {
  const thinkMs = Number(options.thinkMs);
  let have: FeedSnapshot;
  let receivedAt = 0;

  /** The next poll's URL: what this client tells the server about the data it has. */
  function nextPoll(): string {
    // The naive lane sends its token too, but to the naive handler, which never reads it.
    if (options.strategy === 'naive') return `/data?wait=1&since=${have.changedAt}&handler=naive`; // [!code step:naive-poll]
    if (options.deliver === 'every') return `/changes?wait=1&after=${have.version}`; // [!code step:cursor-poll]
    if (options.token === 'client-clock') return `/data?wait=1&since=${receivedAt}`; // [!code step:client-clock]
    if (options.token === 'version') return `/data?wait=1&since=${have.changedAt}&version=${have.version}`; // [!code step:tie-poll]
    return `/data?wait=1&since=${have.changedAt}`; // [!code step:since-poll]
  }

  function receive(snapshot: FeedSnapshot) {
    have = snapshot;
    receivedAt = Date.now() + CLOCK_SKEW_MS;
    show(snapshot);
  }

  async function get(path: string): Promise<Response> {
    const res = await fetch(url(path), { cache: 'no-store', signal }); // [!code step:request]
    if (!res.ok) throw new Error(`GET ${path} answered ${res.status}`);
    return res;
  }

  async function run() {
    receive(await (await get('/data')).json()); // [!code step:first]
    while (!signal.aborted) {
      await pause(thinkMs); // the page's own work between two polls // [!code step:think]
      try {
        const res = await get(nextPoll());
        // 204: held to the end with nothing new. Ask again.
        if (res.status === 204) continue; // [!code step:no-content]
        const body = await res.json();
        // A cursor answer carries every change since the cursor, oldest first.
        if (options.deliver === 'every' && options.strategy !== 'naive') for (const change of body.changes) receive(change);
        else receive(body); // [!code step:show]
      } catch (error) {
        if (signal.aborted) return;
        reportError(error);
        await pause(1_000); // back off before trying again
      }
    }
  }

  run().catch(reportError);
}
