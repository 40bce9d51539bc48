import { parseRecording, type Recording } from '../lessons/recording.ts';

/**
 * Built by `npm run build:static`: a site with no server behind it, where every lesson replays the
 * recording shipped beside it (`recordings/<slug>.json`) and the list comes from `recordings/index.json`.
 */
export const STATIC_SITE = import.meta.env.MODE === 'static';

/** A path of this site: under the base it was built for (`/` unless `--base` said otherwise). */
export function sitePath(path: string): string {
  return `${import.meta.env.BASE_URL}${path.replace(/^\//, '')}`;
}

/** The page's path under the site's base, starting with `/`. */
export function pagePath(): string {
  const base = import.meta.env.BASE_URL;
  return location.pathname.startsWith(base) ? `/${location.pathname.slice(base.length)}` : location.pathname;
}

/** Where the lesson list comes from: the workbench, or the static site's index. */
export const LESSONS_URL = STATIC_SITE ? sitePath('recordings/index.json') : '/api/lessons';

/** Fetches and checks a recording. */
export async function fetchRecording(url: string, signal?: AbortSignal): Promise<Recording> {
  const res = await fetch(url, { signal });
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status}`);
  return parseRecording(await res.text());
}
