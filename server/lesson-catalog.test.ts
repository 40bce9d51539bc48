import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadLessonCatalog, readLessonEntry } from './lesson-catalog.ts';

/** A temporary lessons folder holding `files` (paths relative to it), removed after the test. */
async function createLessonsFolder(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lesson-catalog-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

/** A lesson.md with just the required front matter and `extra` YAML lines. */
function lessonMarkdown(title: string, extra = '', body = `Prose of ${title}.\n`): string {
  return `---\ntitle: ${title}\nsummary: About ${title}.\n${extra}---\n${body}`;
}

describe('loadLessonCatalog', () => {
  it('finds the NN-slug folders in course order, by number', async () => {
    const dir = await createLessonsFolder({
      '10-ten/lesson.md': lessonMarkdown('Ten'),
      '2-two/lesson.md': lessonMarkdown('Two'),
      '01-short-polling/lesson.md': lessonMarkdown('Short polling'),
    });
    const lessons = await loadLessonCatalog(dir);
    expect(lessons.map(({ order, slug, title }) => ({ order, slug, title }))).toEqual([
      { order: 1, slug: 'short-polling', title: 'Short polling' },
      { order: 2, slug: 'two', title: 'Two' },
      { order: 10, slug: 'ten', title: 'Ten' },
    ]);
  });

  it('ignores files and folders that are not named NN-slug', async () => {
    const dir = await createLessonsFolder({
      '01-short-polling/lesson.md': lessonMarkdown('Short polling'),
      'notes/lesson.md': lessonMarkdown('Notes'),
      '02_underscore/lesson.md': lessonMarkdown('Underscore'),
      '03-Capitals/lesson.md': lessonMarkdown('Capitals'),
      '04-trailing-/lesson.md': lessonMarkdown('Trailing dash'),
      '05-a-file': 'not a folder',
      'lesson.ts': 'export {};\n',
    });
    const lessons = await loadLessonCatalog(dir);
    expect(lessons.map((lesson) => lesson.slug)).toEqual(['short-polling']);
  });

  it('returns an empty catalog for an empty folder', async () => {
    const dir = await createLessonsFolder({});
    expect(await loadLessonCatalog(dir)).toEqual([]);
  });

  it('reads every field of the front matter, and the body after it', async () => {
    const dir = await createLessonsFolder({
      '02-long-polling/lesson.md': [
        '---',
        'title: Long polling',
        'summary: Hold the request until there is news.',
        'scenario: { kind: burst, count: 3, gapMs: 200, everyMs: 4000 }',
        'feed: { symbol: XYZ, price: 12 }',
        'usesFeed: true',
        'options:',
        '  timeoutMs: 30000',
        'clients:',
        '  - id: naive',
        '    label: Naive',
        '    options: { retry: false }',
        '  - { id: fixed, label: Fixed }',
        'params: { holdMs: 30000 }',
        'fix: { from: waitNaive, to: waitFixed, title: the fix }',
        'check: { expect: Every version reaches the naive client, client: naive, change: race, rounds: 3, withinMs: 3000 }',
        'controls:',
        '  - { kind: toggle, option: retry, label: Retry }',
        '  - { kind: number, param: holdMs, label: Hold for, min: 0, max: 60000, step: 1000 }',
        '  - { kind: race, label: Change it between polls, client: naive }',
        '---',
        '',
        '## Hold',
        'Text.',
        '',
      ].join('\n'),
    });
    const lessonDir = join(dir, '02-long-polling');
    expect(await loadLessonCatalog(dir)).toEqual([
      {
        slug: 'long-polling',
        order: 2,
        title: 'Long polling',
        summary: 'Hold the request until there is news.',
        dir: lessonDir,
        serverPath: join(lessonDir, 'server.ts'),
        clientPath: join(lessonDir, 'client.ts'),
        scenario: { kind: 'burst', count: 3, gapMs: 200, everyMs: 4_000 },
        feed: { symbol: 'XYZ', price: 12 },
        usesFeed: true,
        controls: [
          { kind: 'toggle', option: 'retry', label: 'Retry' },
          { kind: 'number', param: 'holdMs', label: 'Hold for', min: 0, max: 60_000, step: 1_000 },
          { kind: 'race', label: 'Change it between polls', client: 'naive' },
        ],
        options: { timeoutMs: 30_000 },
        params: { holdMs: 30_000 },
        fix: { from: 'waitNaive', to: 'waitFixed', title: 'the fix' },
        check: { expect: 'Every version reaches the naive client', client: 'naive', change: 'race', rounds: 3, withinMs: 3_000 },
        clients: [
          { id: 'naive', label: 'Naive', options: { retry: false } },
          { id: 'fixed', label: 'Fixed' },
        ],
        audience: 'naive',
        body: '\n## Hold\nText.\n',
      },
    ]);
  });

  it('uses a manual scenario, one "client" lane and no controls or options by default', async () => {
    const dir = await createLessonsFolder({ '01-a/lesson.md': lessonMarkdown('A') });
    const [lesson] = await loadLessonCatalog(dir);
    expect(lesson).toMatchObject({
      scenario: { kind: 'manual' },
      clients: [{ id: 'client', label: 'browser' }],
      audience: 'client',
      controls: [],
      options: {},
      usesFeed: true,
      body: 'Prose of A.\n',
    });
    expect(lesson?.feed).toBeUndefined();
  });

  it('reads front matter written with CRLF line ends', async () => {
    const dir = await createLessonsFolder({ '01-a/lesson.md': '---\r\ntitle: A\r\nsummary: B\r\n---\r\nBody.\r\n' });
    const [lesson] = await loadLessonCatalog(dir);
    expect(lesson).toMatchObject({ title: 'A', summary: 'B', body: 'Body.\r\n' });
  });

  describe('errors', () => {
    it.each([
      ['a missing title', '---\nsummary: B\n---\n', 'front matter needs a "title"'],
      ['an empty title', '---\ntitle: ""\nsummary: B\n---\n', 'front matter needs a "title"'],
      ['a title that is not text', '---\ntitle: [A]\nsummary: B\n---\n', 'front matter needs a "title"'],
      ['a missing summary', '---\ntitle: A\n---\n', 'front matter needs a "summary"'],
      ['no front matter', 'Just prose.\n', 'front matter needs a "title"'],
      ['a scenario that is too fast', lessonMarkdown('A', 'scenario: { kind: interval, everyMs: 10 }\n'), '"scenario" is not a valid scenario'],
      ['a scenario of an unknown kind', lessonMarkdown('A', 'scenario: sometimes\n'), '"scenario" is not a valid scenario'],
      [
        'clients that are not a list',
        lessonMarkdown('A', 'clients: naive\n'),
        '"clients" must be a list of { id, label, options? } with ids like "naive"',
      ],
      [
        'a client id with capitals',
        lessonMarkdown('A', 'clients: [{ id: Naive, label: x }]\n'),
        '"clients" must be a list of { id, label, options? } with ids like "naive"',
      ],
      [
        'a client without a label',
        lessonMarkdown('A', 'clients: [{ id: naive }]\n'),
        '"clients" must be a list of { id, label, options? } with ids like "naive"',
      ],
      [
        'a client that is not a mapping',
        lessonMarkdown('A', 'clients: [naive]\n'),
        '"clients" must be a list of { id, label, options? } with ids like "naive"',
      ],
      ['front matter that is not a mapping', '---\njust text\n---\n', 'front matter must be a YAML mapping'],
      ['params that are not values', lessonMarkdown('A', 'params: { holdMs: [1, 2] }\n'), '"params" must map names to numbers, strings or booleans'],
      ['usesFeed that is not a boolean', lessonMarkdown('A', 'usesFeed: "no"\n'), '"usesFeed" must be true or false'],
      [
        'a control bound to an undeclared parameter',
        lessonMarkdown('A', 'controls: [{ kind: number, param: holdMs, label: Hold, min: 0, max: 1, step: 1 }]\n'),
        'control "Hold": "param: holdMs" is not declared under "params"',
      ],
      [
        'a control bound to both an option and a parameter',
        lessonMarkdown('A', 'params: { p: 1 }\ncontrols: [{ kind: toggle, option: o, param: p, label: Both }]\n'),
        'control "Both": set exactly one of "option" (a client option) or "param" (a server parameter)',
      ],
      ['a race for an unknown client', lessonMarkdown('A', 'controls: [{ kind: race, client: ghost, label: Race }]\n'), `control "Race": "client" must be one of the lesson's clients`],
      ['a drop for an unknown client', lessonMarkdown('A', 'controls: [{ kind: drop, client: ghost, label: Drop }]\n'), `control "Drop": "client" must be one of the lesson's clients`],
      ['a check of an unknown client', lessonMarkdown('A', 'check: { expect: It works, client: ghost, change: plain, rounds: 1, withinMs: 1000 }\n'), `"check": "client" must be one of the lesson's clients`],
      ['a check with 0 rounds', lessonMarkdown('A', 'check: { expect: It works, client: client, change: plain, rounds: 0, withinMs: 1000 }\n'), '"check": "rounds" must be a whole number from 1 to 10'],
      ['a check without an expectation', lessonMarkdown('A', 'check: { client: client, change: plain, rounds: 1, withinMs: 1000 }\n'), '"check": needs "expect": the expectation as a sentence'],
      ['a fix without a title', lessonMarkdown('A', 'fix: { from: a, to: b }\n'), '"fix" must be { from: <function name>, to: <function name>, title: <tab label> }'],
    ])('names the file for %s', async (_name, markdown, message) => {
      const dir = await createLessonsFolder({ '03-broken/lesson.md': markdown });
      await expect(loadLessonCatalog(dir)).rejects.toThrow(new Error(`lessons/03-broken/lesson.md: ${message}`));
    });

    it('names the file when the front matter is not valid YAML', async () => {
      const dir = await createLessonsFolder({ '03-broken/lesson.md': '---\ntitle: a: b\nsummary: B\n---\n' });
      await expect(loadLessonCatalog(dir)).rejects.toThrow(
        /^lessons\/03-broken\/lesson\.md: front matter: Nested mappings are not allowed in compact mappings at line 1, column 8:\n/,
      );
    });
  });

  it('finds short-polling as lesson 1 in the repository lessons folder', async () => {
    const lessonsDir = fileURLToPath(new URL('../lessons/', import.meta.url));
    const lessons = await loadLessonCatalog(lessonsDir);
    const shortPolling = lessons.find((lesson) => lesson.slug === 'short-polling');
    expect(shortPolling).toMatchObject({
      slug: 'short-polling',
      order: 1,
      title: 'Short polling',
      dir: join(lessonsDir, '01-short-polling'),
      serverPath: join(lessonsDir, '01-short-polling', 'server.ts'),
    });
    expect(lessons[0]?.slug).toBe('short-polling');
    expect(lessons.map((lesson) => lesson.order)).toEqual([...lessons.map((lesson) => lesson.order)].sort((a, b) => a - b));
  });
});

describe('readLessonEntry', () => {
  it('reads one lesson folder', async () => {
    const dir = await createLessonsFolder({ '07-sse/lesson.md': lessonMarkdown('Server-Sent Events') });
    expect(await readLessonEntry(join(dir, '07-sse'))).toMatchObject({ slug: 'sse', order: 7, title: 'Server-Sent Events' });
  });

  it('refuses a folder whose name is not NN-slug', async () => {
    const dir = await createLessonsFolder({ 'notes/lesson.md': lessonMarkdown('Notes') });
    await expect(readLessonEntry(join(dir, 'notes'))).rejects.toThrow(new Error('notes is not a lesson folder name (NN-slug)'));
  });
});
