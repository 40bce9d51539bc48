import type { LessonClient } from '../lessons/lesson.ts';

// Every lesson's client.ts, bundled by Vite (and hot-updated while developing).
const modules = import.meta.glob<{ default: LessonClient }>('../lessons/*/client.ts');

/**
 * Loads the client.ts of the lesson `slug` (its folder is `NN-<slug>`): the one bundled with the page,
 * or, given `moduleUrl` (`LessonDetail.clientModule`), the edit made in the page, served as an ES module.
 */
export async function loadLessonClient(slug: string, moduleUrl?: string): Promise<LessonClient> {
  if (moduleUrl) return defaultExport(await import(/* @vite-ignore */ moduleUrl), 'Your client.ts');
  const key = Object.keys(modules).find((path) => new RegExp(`/\\d+-${slug}/client\\.ts$`).test(path));
  if (!key) throw new Error(`No client.ts for lesson "${slug}"`);
  return defaultExport(await modules[key]!(), `lessons/…-${slug}/client.ts`);
}

function defaultExport(module: { default?: unknown }, name: string): LessonClient {
  if (typeof module.default !== 'function') throw new Error(`${name} must default-export a function (context) => void`);
  return module.default as LessonClient;
}
