import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface DiskCache {
  /** The value stored for `parts` (any JSON), or `compute`'s, which is then stored. */
  get<T>(parts: readonly unknown[], compute: () => Promise<T>): Promise<T>;
}

export interface DiskCacheOptions {
  /** Entries kept: the oldest beyond it are removed once per process, at the first write. @default 500 */
  keep?: number;
}

/**
 * A cache of JSON values in files named by the hash of what they were made from, for work slow
 * enough to be worth keeping between two starts of the workbench. Best effort: a file it cannot
 * read or write is computed again. Each file is written whole (a temporary file, then a rename),
 * so two workbenches sharing the folder never read half of one.
 */
export function createDiskCache(dir: string, { keep = 500 }: DiskCacheOptions = {}): DiskCache {
  let pruned = false;
  const prune = async () => {
    const names = (await readdir(dir)).filter((name) => name.endsWith('.json'));
    if (names.length <= keep) return;
    const dated = await Promise.all(names.map(async (name) => ({ name, mtimeMs: (await stat(join(dir, name)).catch(() => undefined))?.mtimeMs ?? 0 })));
    dated.sort((a, b) => b.mtimeMs - a.mtimeMs);
    await Promise.all(dated.slice(keep).map(({ name }) => rm(join(dir, name), { force: true })));
  };
  const store = async (file: string, value: unknown) => {
    await mkdir(dir, { recursive: true });
    const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(temporary, JSON.stringify(value));
    await rename(temporary, file);
    if (!pruned) {
      pruned = true;
      await prune();
    }
  };
  return {
    async get<T>(parts: readonly unknown[], compute: () => Promise<T>): Promise<T> {
      const file = join(dir, `${createHash('sha256').update(JSON.stringify(parts)).digest('hex')}.json`);
      const stored = await readFile(file, 'utf8')
        .then((text) => JSON.parse(text) as T)
        .then(
          (value) => ({ value }),
          () => undefined, // none yet, or unreadable: computed again
        );
      if (stored) return stored.value;
      const value = await compute();
      await store(file, value).catch(() => {});
      return value;
    },
  };
}
