import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ClientOptions, CompareTechnique, LessonCheck, LessonClientSpec, LessonControl, LessonFix, LessonSummary, Scenario, SettingValue } from '../lessons/lesson.ts';
import { parseScenario } from './scenario.ts';

/** A lesson folder as found on disk, with its front matter checked. */
export interface LessonEntry extends LessonSummary {
  dir: string;
  serverPath: string;
  clientPath: string;
  scenario: Scenario;
  /** The first feed value, if the lesson sets one. */
  feed?: unknown;
  /** False for a lesson that does not show the feed (a chat): no feed lane, no feed controls. */
  usesFeed: boolean;
  controls: LessonControl[];
  options: ClientOptions;
  /** The lesson's server parameters and their defaults. */
  params: Record<string, SettingValue>;
  /** A diff to show beside the files, from one function of server.ts to another. */
  fix?: LessonFix;
  /** The lesson's check ("Check my code"). */
  check?: LessonCheck;
  clients: LessonClientSpec[];
  /** The client an audience page runs when it joins a presentation (`audience:` in the front matter; the first client by default). */
  audience: string;
  /** Techniques measured side by side (the choosing lesson): live figures and virtual clients. */
  compare?: CompareTechnique[];
  /** The markdown after the front matter (the steps). */
  body: string;
}

const TECHNIQUES = ['short-polling', 'long-polling', 'sse', 'websocket'];

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
  const audience = front.audience ?? clients[0]!.id;
  if (!clients.some((c) => c.id === audience)) fail('"audience" must be one of the lesson\'s clients');
  const params = (front.params ?? {}) as Record<string, SettingValue>;
  if (!isValueRecord(params)) fail('"params" must map names to numbers, strings or booleans');
  const options = (front.options ?? {}) as ClientOptions;
  if (!isValueRecord(options)) fail('"options" must map names to numbers, strings or booleans');
  const controls = (front.controls ?? []) as LessonControl[];
  if (!Array.isArray(controls)) fail('"controls" must be a list');
  for (const control of controls) {
    const problem = controlProblem(control, params, clients);
    if (problem) fail(`control "${control?.label}": ${problem}`);
  }
  if (front.usesFeed !== undefined && typeof front.usesFeed !== 'boolean') fail('"usesFeed" must be true or false');
  const fix = front.fix as LessonFix | undefined;
  if (fix !== undefined && !(typeof fix?.from === 'string' && typeof fix.to === 'string' && typeof fix.title === 'string')) {
    fail('"fix" must be { from: <function name>, to: <function name>, title: <tab label> }');
  }
  const check = front.check as LessonCheck | undefined;
  if (check !== undefined) {
    const problem = checkProblem(check, clients);
    if (problem) fail(`"check": ${problem}`);
  }
  const compare = front.compare as CompareTechnique[] | undefined;
  if (compare !== undefined) {
    const problem = compareProblem(compare, clients);
    if (problem) fail(`"compare": ${problem}`);
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
    usesFeed: front.usesFeed !== false,
    controls,
    options,
    params,
    fix,
    check,
    clients,
    audience: audience as string,
    ...(compare ? { compare } : {}),
    body,
  };
}

function isValueRecord(value: unknown): value is Record<string, SettingValue> {
  return !!value && typeof value === 'object' && !Array.isArray(value) && Object.values(value).every((v) => ['string', 'number', 'boolean'].includes(typeof v));
}

/** What is wrong with a declared control, if anything: a server parameter it sets must be declared, a race or drop client must exist. */
function controlProblem(control: LessonControl, params: Record<string, SettingValue>, clients: LessonClientSpec[]): string | undefined {
  if (!control || typeof control !== 'object' || typeof control.label !== 'string') return 'needs a kind and a label';
  if (control.kind === 'race' || control.kind === 'drop') return clients.some((c) => c.id === control.client) ? undefined : `"client" must be one of the lesson's clients`;
  if (!['choice', 'number', 'toggle'].includes(control.kind)) return `unknown kind "${(control as { kind: unknown }).kind}"`;
  if (typeof control.option === typeof control.param) return 'set exactly one of "option" (a client option) or "param" (a server parameter)';
  if (control.param !== undefined && !Object.hasOwn(params, control.param)) return `"param: ${control.param}" is not declared under "params"`;
  return undefined;
}

/** What is wrong with a declared check, if anything. */
function checkProblem(check: LessonCheck, clients: LessonClientSpec[]): string | undefined {
  if (!check || typeof check !== 'object' || typeof check.expect !== 'string' || !check.expect) return 'needs "expect": the expectation as a sentence';
  if (!clients.some((c) => c.id === check.client)) return '"client" must be one of the lesson\'s clients';
  if (!['race', 'dropped', 'plain', 'chat'].includes(check.change)) return '"change" must be race, dropped, plain or chat';
  if (!Number.isInteger(check.rounds) || check.rounds < 1 || check.rounds > 10) return '"rounds" must be a whole number from 1 to 10';
  if (typeof check.withinMs !== 'number' || !(check.withinMs >= 100 && check.withinMs <= 60_000)) return '"withinMs" must be 100–60000';
  return undefined;
}

/** What is wrong with a declared comparison, if anything: each technique once, on a route, run by one of the lesson's clients. */
function compareProblem(compare: CompareTechnique[], clients: LessonClientSpec[]): string | undefined {
  if (!Array.isArray(compare) || compare.length === 0) return 'must be a list of { kind, label, route, client }';
  for (const t of compare) {
    if (!TECHNIQUES.includes(t?.kind)) return `"kind" must be one of ${TECHNIQUES.join(', ')}`;
    if (typeof t.label !== 'string' || !t.label) return `${t.kind} needs a "label"`;
    if (typeof t.route !== 'string' || !/^\/[\w-]+$/.test(t.route)) return `${t.kind}: "route" must be a path under the lesson's API, like /events`;
    if (!clients.some((c) => c.id === t.client)) return `${t.kind}: "client" must be one of the lesson's clients`;
  }
  if (new Set(compare.map((t) => t.kind)).size !== compare.length) return 'each kind at most once';
  return undefined;
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
