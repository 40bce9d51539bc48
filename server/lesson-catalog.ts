import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ClientControl, ClientOptions, LessonClientSpec, LessonSummary, Scenario } from '../lessons/lesson.ts';
import { parseScenario } from './scenario.ts';

/** A lesson folder as found on disk, with its front matter checked. */
export interface LessonEntry extends LessonSummary {
  dir: string;
  serverPath: string;
  clientPath: string;
  scenario: Scenario;
  /** The first feed value, if the lesson sets one. */
  feed?: unknown;
  controls: ClientControl[];
  options: ClientOptions;
  clients: LessonClientSpec[];
  /** The markdown after the front matter (the steps). */
  body: string;
}

const FOLDER = /^(\d+)-([a-z0-9]+(?:-[a-z0-9]+)*)$/;

/** Finds every `NN-slug/` folder with a lesson.md in `lessonsDir`, in course order. */
export async function loadLessonCatalog(lessonsDir: string): Promise<LessonEntry[]> {
  const folders = (await readdir(lessonsDir, { withFileTypes: true })).filter((d) => d.isDirectory() && FOLDER.test(d.name));
  const lessons = await Promise.all(folders.map((d) => readLessonEntry(join(lessonsDir, d.name), d.name)));
  return lessons.sort((a, b) => a.order - b.order);
}

/** Reads one lesson folder (`dir` ends in `NN-slug`). */
export async function readLessonEntry(dir: string, folder = basename(dir)): Promise<LessonEntry> {
  const [, order, slug] = FOLDER.exec(folder) ?? [];
  if (!slug) throw new Error(`${folder} is not a lesson folder name (NN-slug)`);
  const markdown = await readFile(join(dir, 'lesson.md'), 'utf8');
  const { front, body } = splitFrontMatter(markdown, folder);
  const fail = (message: string): never => {
    throw new Error(`lessons/${folder}/lesson.md: ${message}`);
  };
  const text = (key: string) => (typeof front[key] === 'string' && front[key] ? (front[key] as string) : fail(`front matter needs a "${key}"`));
  const scenario = front.scenario === undefined ? { kind: 'manual' as const } : (parseScenario(front.scenario) ?? fail('"scenario" is not a valid scenario'));
  const clients = (front.clients ?? [{ id: 'client', label: 'browser' }]) as LessonClientSpec[];
  if (!Array.isArray(clients) || !clients.every((c) => typeof c?.id === 'string' && /^[a-z][\w-]*$/.test(c.id) && typeof c.label === 'string')) {
    fail('"clients" must be a list of { id, label, options? } with ids like "naive"');
  }
  return {
    slug,
    order: Number(order),
    title: text('title'),
    summary: text('summary'),
    dir,
    serverPath: join(dir, 'server.ts'),
    clientPath: join(dir, 'client.ts'),
    scenario,
    feed: front.feed,
    controls: (front.controls ?? []) as ClientControl[],
    options: (front.options ?? {}) as ClientOptions,
    clients,
    body,
  };
}

function splitFrontMatter(markdown: string, folder: string): { front: Record<string, unknown>; body: string } {
  const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/.exec(markdown);
  if (!match) return { front: {}, body: markdown };
  let front: unknown;
  try {
    front = parseYaml(match[1]!);
  } catch (error) {
    // Name the file: at startup this error stops the workbench, and YAML's own message does not say which lesson.
    throw new Error(`lessons/${folder}/lesson.md: front matter: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (!front || typeof front !== 'object') throw new Error(`lessons/${folder}/lesson.md: front matter must be a YAML mapping`);
  return { front: front as Record<string, unknown>, body: markdown.slice(match[0].length) };
}
