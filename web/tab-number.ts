/** Tabs of one lesson counted at most; a tab past this shares the last number. */
const MAX_TABS = 50;

/**
 * Which browser tab of `scope` this is: 1 for the first open, 2 for a second one opened beside
 * it, and so on; a number comes free when its tab closes. Held with a Web Lock until `signal`
 * aborts, so two tabs never get the same number. Without Web Locks (an insecure context), 1.
 */
export async function claimTabNumber(scope: string, signal: AbortSignal): Promise<number> {
  const locks = globalThis.navigator?.locks;
  if (!locks) return 1;
  for (let n = 1; n < MAX_TABS; n++) {
    const claimed = await new Promise<boolean>((resolve, reject) => {
      locks
        .request(`${scope}#${n}`, { ifAvailable: true }, (lock) => {
          resolve(lock !== null);
          // Keep the lock for as long as the tab shows the lesson.
          return lock === null ? undefined : new Promise<void>((release) => signal.addEventListener('abort', () => release(), { once: true }));
        })
        .catch(reject);
    });
    if (claimed) return n;
  }
  return MAX_TABS;
}
