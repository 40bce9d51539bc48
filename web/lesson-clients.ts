import type { LessonClient } from '../lessons/lesson.ts';

// Every lesson's client.ts, bundled by Vite (and hot-updated while developing).
const modules = import.meta.glob<{ default: LessonClient }>('../lessons/*/client.ts');

/** Loads the client.ts of the lesson `slug` (its folder is `NN-<slug>`). */
export async function loadLessonClient(slug: string): Promise<LessonClient> {
  const key = Object.keys(modules).find((path) => new RegExp(`/\\d+-${slug}/client\\.ts$`).test(path));
  if (!key) throw new Error(`No client.ts for lesson "${slug}"`);
  const module = await modules[key]!();
  if (typeof module.default !== 'function') throw new Error(`lessons/…-${slug}/client.ts must default-export a function (context) => void`);
  return module.default;
}
