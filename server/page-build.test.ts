import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pageBuildState } from './page-build.ts';

let root: string;
afterEach(() => rm(root, { recursive: true, force: true }));

/** Writes `file` under the project, last changed `secondsAgo`. */
async function write(file: string, secondsAgo: number): Promise<void> {
  const path = join(root, file);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, '//');
  const at = Date.now() / 1000 - secondsAgo;
  await utimes(path, at, at);
}

describe('pageBuildState', () => {
  it('is fresh when dist/ is newer than every source of the page, whatever the lesson servers and tests do', async () => {
    root = `${await mkdtemp(join(tmpdir(), 'page-build-'))}/`; // as main.ts has it: a folder URL's path
    for (const file of ['web/main.ts', 'web/components/x.ts', 'lessons/lesson.ts', 'lessons/01-a/client.ts', 'vite.config.ts']) await write(file, 100);
    expect(await pageBuildState(root, join(root, 'dist'))).toEqual({ fresh: false, reason: 'no build in dist/ yet' });
    await write('dist/index.html', 50);
    expect(await pageBuildState(root, join(root, 'dist'))).toEqual({ fresh: true });
    await write('lessons/01-a/server.ts', 10); // the workbench runs it itself
    await write('lessons/01-a/lesson.md', 10);
    await write('web/node_modules/pkg/index.js', 10);
    expect(await pageBuildState(root, join(root, 'dist'))).toEqual({ fresh: true });
    await write('lessons/01-a/client.ts', 10);
    expect(await pageBuildState(root, join(root, 'dist'))).toEqual({ fresh: false, reason: 'lessons/01-a/client.ts changed since the last build' });
    await write('dist/index.html', 0);
    await write('web/components/x.ts', -1);
    expect(await pageBuildState(root, join(root, 'dist'))).toEqual({ fresh: false, reason: 'web/components/x.ts changed since the last build' });
  });
});
