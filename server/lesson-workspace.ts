import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LessonFile } from '../lessons/trace-event.ts';

/** A lesson file as it is now: the edited copy when there is one, else the original. */
export interface CurrentCode {
  code: string;
  /** True when an edit made in the page is in use instead of the original. */
  edited: boolean;
}

/** Where edits made in the page are kept: beside the lessons, never over them. */
export interface LessonWorkspace {
  /** The file as it runs and is shown: the edit if there is one, else `originalPath`'s content. */
  current(slug: string, file: LessonFile, originalPath: string): Promise<CurrentCode>;
  /** Keeps `code` as the edit of the file (written whole, then renamed into place). */
  save(slug: string, file: LessonFile, code: string): Promise<void>;
  /** Drops the edit: the original is in use again. */
  reset(slug: string, file: LessonFile): Promise<void>;
}

/** Keeps edits under `dir` as `<slug>/<file>` (the slug and file come from the catalog, never from a raw path). */
export function createLessonWorkspace(dir: string): LessonWorkspace {
  const pathOf = (slug: string, file: LessonFile) => join(dir, slug, file);
  return {
    async current(slug, file, originalPath) {
      const edit = await readFile(pathOf(slug, file), 'utf8').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined;
        throw error;
      });
      return edit === undefined ? { code: await readFile(originalPath, 'utf8'), edited: false } : { code: edit, edited: true };
    },
    async save(slug, file, code) {
      const path = pathOf(slug, file);
      await mkdir(join(dir, slug), { recursive: true });
      // A crash mid-write must not leave half a file that the next start would load.
      const partial = `${path}.${process.pid}.partial`;
      await writeFile(partial, code);
      await rename(partial, path);
    },
    async reset(slug, file) {
      await rm(pathOf(slug, file), { force: true });
    },
  };
}
