/**
 * Short polling, browser side: ask for the data again and again. Two ways to schedule the
 * asking, both from the seed article: `setInterval`, and `setTimeout` chained after each answer.
 */
import type { ClientContext, FeedSnapshot } from '../lesson.ts';

export default function startShortPolling({ fetch, url, show, reportError, options, signal }: ClientContext) {
  const everyMs = Number(options.intervalMs);
  let etag: string | null = null;

  async function poll() {
    const headers: Record<string, string> = {};
    if (options.conditional && etag) headers['If-None-Match'] = etag; // [!code step:etag]
    // no-store: the browser's cache stays out of it, so every poll really reaches the server.
    const res = await fetch(url('/data'), { headers, cache: 'no-store', signal }); // [!code step:request]
    // 304 Not Modified: nothing new, so keep showing what we have.
    if (res.status === 304) return; // [!code step:not-modified]
    if (!res.ok) throw new Error(`GET /data answered ${res.status}`);
    etag = res.headers.get('ETag');
    show((await res.json()) as FeedSnapshot); // [!code step:show]
  }

  if (options.loop === 'interval') {
    // Fires every `everyMs`, whether or not the last answer has come back.
    const timer = setInterval(() => poll().catch(reportError), everyMs); // [!code step:interval]
    signal.addEventListener('abort', () => clearInterval(timer));
    return;
  }

  // Chained: the next poll is scheduled only once this one is done.
  let timer: ReturnType<typeof setTimeout>;
  const loop = async () => {
    await poll().catch(reportError);
    if (!signal.aborted) timer = setTimeout(loop, everyMs); // [!code step:timeout]
  };
  signal.addEventListener('abort', () => clearTimeout(timer));
  void loop();
}
