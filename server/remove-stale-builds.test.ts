import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { removeStaleBuilds } from './remove-stale-builds.ts';

describe('removeStaleBuilds', () => {
  it('removes the folders of workbenches that are gone and keeps those of running ones', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'workbench-builds-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const gone = 2 ** 22 + 7; // above Linux's default pid_max: no process has it
    for (const name of [`build-${process.pid}-1`, `build-${gone}-1`, `build-${gone}-2`, 'notes']) await mkdir(join(dir, name));

    await removeStaleBuilds(dir);

    expect((await readdir(dir)).sort()).toEqual([`build-${process.pid}-1`, 'notes']);
  });

  it('does nothing when the folder does not exist', async () => {
    await expect(removeStaleBuilds(join(tmpdir(), 'no-such-workbench-folder'))).resolves.toBeUndefined();
  });
});
