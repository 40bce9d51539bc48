import { watch } from 'node:fs';
import { basename, dirname } from 'node:path';

export const WATCHED_FILES = ['server.ts', 'client.ts', 'lesson.md'] as const;
export type WatchedFile = (typeof WATCHED_FILES)[number];

/**
 * Calls `onChange(folder, file)` when a lesson's server.ts, client.ts or lesson.md is saved.
 * Editors save in bursts (truncate + write, or write-then-rename), so events for one file are
 * folded into one call after `debounceMs` of quiet. Returns the function that stops watching.
 */
export function watchLessons(lessonsDir: string, onChange: (folder: string, file: WatchedFile) => void, debounceMs = 60): () => void {
  const timers = new Map<string, NodeJS.Timeout>();
  const watcher = watch(lessonsDir, { recursive: true }, (_event, name) => {
    if (!name) return;
    const file = basename(name) as WatchedFile;
    const folder = dirname(name);
    if (!WATCHED_FILES.includes(file) || folder === '.' || folder.includes('/')) return;
    const key = `${folder}/${file}`;
    clearTimeout(timers.get(key));
    timers.set(
      key,
      setTimeout(() => {
        timers.delete(key);
        onChange(folder, file);
      }, debounceMs),
    );
  });
  watcher.on('error', (error) => console.error('Watching lessons failed:', error));
  return () => {
    watcher.close();
    for (const timer of timers.values()) clearTimeout(timer);
  };
}
