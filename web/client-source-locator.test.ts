import { transformWithOxc } from 'vite';
import { describe, expect, it } from 'vitest';
import { compileLessonClient } from '../server/compile-lesson.ts';
import { clientFrameOf, createClientSourceLocator } from './client-source-locator.ts';

const SOURCE = `import type { ClientContext } from '../lesson.ts';

// A comment the transform drops, so served lines and source lines differ.
export default function start({ fetch, url }: ClientContext) {
  const options: { every: number } = { every: 1 };

  void fetch(url('/data')); // line 7 of the source
}
`;

describe('clientFrameOf', () => {
  it('finds the innermost frame in a client.ts and ignores the rest', () => {
    const stack = [
      'Error',
      '    at tracedFetch (http://127.0.0.1:5173/client-context.ts:30:19)',
      '    at poll (http://127.0.0.1:5173/@fs/work/lessons/01-short-polling/client.ts?t=17:8:26)',
      '    at http://127.0.0.1:5173/@fs/work/lessons/01-short-polling/client.ts:20:5',
    ].join('\n');
    expect(clientFrameOf(stack)).toEqual({ url: 'http://127.0.0.1:5173/@fs/work/lessons/01-short-polling/client.ts?t=17', line: 8, column: 26 });
    expect(clientFrameOf('    at x (http://h/assets/client-Bs_j.js:1:900)')).toEqual({ url: 'http://h/assets/client-Bs_j.js', line: 1, column: 900 });
    expect(clientFrameOf('Error\n    at y (http://h/main.ts:1:1)')).toBeUndefined();
  });

  it('finds a frame in the edit of client.ts that the page imports from the workbench', () => {
    const stack = [
      'Error: client broke',
      '    at poll (http://127.0.0.1:5173/api/lessons/short-polling/code/client.js?v=0123456789ab:4:11)',
      '    at loop (http://127.0.0.1:5173/api/lessons/short-polling/code/client.js?v=0123456789ab:17:15)',
    ].join('\n');
    expect(clientFrameOf(stack)).toEqual({ url: 'http://127.0.0.1:5173/api/lessons/short-polling/code/client.js?v=0123456789ab', line: 4, column: 11 });
    expect(clientFrameOf('    at z (http://h/api/lessons/short-polling/code/server.js:1:1)')).toBeUndefined();
    expect(clientFrameOf('    at z (http://h/api/lessons/a/b/code/client.js:1:1)')).toBeUndefined();
    expect(clientFrameOf('    at z (http://h/lessons/short-polling/api/lessons/x/code/client.js:1:1)')).toBeUndefined();
    expect(clientFrameOf(undefined)).toBeUndefined();
  });
});

describe('createClientSourceLocator', () => {
  it('maps a served line back to the line of client.ts through the inline source map, fetching it once', async () => {
    const { code, map } = await transformWithOxc(SOURCE, '/lessons/01-x/client.ts', { lang: 'ts', sourcemap: true });
    const served = `${code}\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString('base64')}\n`;
    const servedLines = served.split('\n');
    const line = servedLines.findIndex((l) => l.includes("fetch(url"));
    expect(line + 1).not.toBe(7); // the transform moved it
    const fetched: string[] = [];
    const locate = createClientSourceLocator(async (url) => (fetched.push(url), served));
    const frame = { url: 'http://h/lessons/01-x/client.ts', line: line + 1, column: servedLines[line]!.indexOf('fetch') + 1 };

    expect(await locate(frame)).toEqual({ file: 'client.ts', line: 7 });
    expect(await locate(frame)).toEqual({ file: 'client.ts', line: 7 });
    expect(fetched).toEqual(['http://h/lessons/01-x/client.ts']);
  });

  it('maps a line of the edit the workbench compiled (`compileLessonClient`) back to its client.ts line', async () => {
    const compiled = await compileLessonClient(SOURCE);
    if (!compiled.ok) throw new Error(compiled.errors[0]?.message);
    const servedLines = compiled.code.split('\n');
    const line = servedLines.findIndex((l) => l.includes('fetch(url'));
    expect(line + 1).not.toBe(7);
    const locate = createClientSourceLocator(async () => compiled.code);
    const url = 'http://h/api/lessons/x/code/client.js?v=1';

    expect(await locate({ url, line: line + 1, column: servedLines[line]!.indexOf('fetch') + 1 })).toEqual({ file: 'client.ts', line: 7 });
  });

  it('gives no location without a frame or without a source map', async () => {
    const locate = createClientSourceLocator(async () => 'console.log(1)\n');
    expect(await locate(undefined)).toBeUndefined();
    expect(await locate({ url: 'http://h/client.ts', line: 1, column: 1 })).toBeUndefined();
  });
});
