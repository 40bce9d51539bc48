import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Removes the compiled-lesson folders (`build-<pid>-<n>`) of workbenches that are no longer
 * running: one stopped by a kill leaves its folder behind.
 */
export async function removeStaleBuilds(workDir: string): Promise<void> {
  const names = await readdir(workDir).catch(() => [] as string[]);
  await Promise.all(
    names.map((name) => {
      const pid = Number(/^build-(\d+)/.exec(name)?.[1]);
      return pid && !isRunning(pid) ? rm(join(workDir, name), { recursive: true, force: true }) : undefined;
    }),
  );
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
