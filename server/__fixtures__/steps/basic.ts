/** Fixture: a step on a code line, a step on a comment-only line, and a step over a range. */
const subscribers = new Set<(value: number) => void>();

export function publish(value: number): void {
  for (const notify of subscribers) notify(value); // [!code step:publish]
}

// [!code step:subscribe]
export function subscribe(notify: (value: number) => void): () => void {
  subscribers.add(notify);
  // [!code step:unsubscribe:3]
  return () => {
    subscribers.delete(notify);
  };
}
