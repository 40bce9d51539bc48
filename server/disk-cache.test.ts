import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDiskCache } from './disk-cache.ts';

describe('createDiskCache', () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'disk-cache-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('computes a value once: a second cache on the same folder (the next start) reads it back', async () => {
    let computed = 0;
    const compute = async () => ({ html: `<b>${++computed}</b>` });
    expect(await createDiskCache(dir).get(['file', 'a'], compute)).toEqual({ html: '<b>1</b>' });
    expect(await createDiskCache(dir).get(['file', 'a'], compute)).toEqual({ html: '<b>1</b>' });
    expect(await createDiskCache(dir).get(['file', 'b'], compute)).toEqual({ html: '<b>2</b>' });
    expect(computed).toBe(2);
  });

  it('computes again what it cannot read, and keeps nothing of a computation that failed', async () => {
    const cache = createDiskCache(dir);
    await cache.get(['x'], async () => 1);
    const [file] = await readdir(dir);
    await writeFile(join(dir, file!), '{"half');
    expect(await createDiskCache(dir).get(['x'], async () => 2)).toBe(2);
    await expect(cache.get(['y'], () => Promise.reject(new Error('no grammar')))).rejects.toThrow('no grammar');
    expect(await cache.get(['y'], async () => 3)).toBe(3);
  });

  it('keeps the newest entries once it holds more than it may', async () => {
    const old = createDiskCache(dir, { keep: 2 });
    for (const key of ['a', 'b', 'c']) await old.get([key], async () => key);
    const files = await readdir(dir);
    // Date them in the order listed, long ago: a new process's first write prunes down to the two newest.
    let n = 0;
    for (const file of files) await utimes(join(dir, file), new Date(2020, 0, 1 + n), new Date(2020, 0, 1 + n++));
    const next = createDiskCache(dir, { keep: 2 });
    await next.get(['d'], async () => 'd');
    const left = await readdir(dir);
    expect(left).toHaveLength(2);
    expect(left).not.toContain(files[0]);
    expect(left).not.toContain(files[1]);
  });
});
