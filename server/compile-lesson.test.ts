import { SourceMap, type SourceMapPayload } from 'node:module';
import { describe, expect, it } from 'vitest';
import { compileLessonClient, compileLessonServer } from './compile-lesson.ts';

const SOURCE_PATH = '/lessons/01-short-polling/server.ts';

const SOURCE = [
  "import type { Request } from 'express';",
  '',
  'interface Quote { price: number }',
  '',
  'export default function handler(req: Request): Quote {',
  '  return { price: Number(req.query.price) };',
  '}',
  '',
].join('\n');

const INLINE_MAP = /\n\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\n$/;

/** The compiled code, without its source map comment, and the decoded map. */
function splitInlineMap(code: string): { js: string; map: SourceMapPayload & { sourcesContent?: string[] } } {
  const match = INLINE_MAP.exec(code);
  if (!match) throw new Error(`no inline source map at the end of:\n${code}`);
  return { js: code.slice(0, match.index), map: JSON.parse(Buffer.from(match[1]!, 'base64').toString('utf8')) };
}

describe('compileLessonServer', () => {
  it('strips the types and keeps the JavaScript', async () => {
    const result = await compileLessonServer(SOURCE_PATH, SOURCE);
    if (!result.ok) throw new Error(`compile failed: ${JSON.stringify(result.errors)}`);
    const { js } = splitInlineMap(result.code);
    expect(js).toBe('export default function handler(req) {\n\treturn { price: Number(req.query.price) };\n}\n');
  });

  it('ends the code with an inline source map whose sources is the given path', async () => {
    const result = await compileLessonServer(SOURCE_PATH, SOURCE);
    if (!result.ok) throw new Error(`compile failed: ${JSON.stringify(result.errors)}`);
    const { map } = splitInlineMap(result.code);
    expect(map.version).toBe(3);
    expect(map.sources).toEqual([SOURCE_PATH]);
    expect(map.sourcesContent).toEqual([SOURCE]);
  });

  it('maps a line of the compiled code back to its line in the source', async () => {
    const result = await compileLessonServer(SOURCE_PATH, SOURCE);
    if (!result.ok) throw new Error(`compile failed: ${JSON.stringify(result.errors)}`);
    const { js, map } = splitInlineMap(result.code);
    const returnLine = js.split('\n').findIndex((line) => line.includes('return'));
    expect(returnLine).toBe(1);

    // SourceMap#findEntry is 0-based: compiled line 2 is source line 6.
    expect(new SourceMap(map).findEntry(returnLine, 1)).toMatchObject({ originalSource: SOURCE_PATH, originalLine: 5 });
  });

  it('compiles a file with nothing but types to an empty module', async () => {
    const result = await compileLessonServer(SOURCE_PATH, 'export type Id = string;\n');
    if (!result.ok) throw new Error(`compile failed: ${JSON.stringify(result.errors)}`);
    expect(splitInlineMap(result.code).js).toBe('export {};\n');
  });

  describe('on a syntax error', () => {
    it('returns the 1-based line and column of the error and a plain message', async () => {
      const result = await compileLessonServer(SOURCE_PATH, 'const a = 1;\nconst b = ;\n');
      expect(result).toEqual({ ok: false, errors: [{ line: 2, column: 11, message: 'Unexpected token' }] });
    });

    it('points at the column counted in characters after indentation', async () => {
      const result = await compileLessonServer(SOURCE_PATH, 'function f() {\n  let x: = 2;\n}\n');
      expect(result).toEqual({ ok: false, errors: [{ line: 2, column: 10, message: 'Unexpected token' }] });
    });

    it('counts the column in UTF-16 code units after non-ASCII text', async () => {
      const result = await compileLessonServer(SOURCE_PATH, "const s = 'ééé'; const b = ;\n");
      expect(result).toEqual({ ok: false, errors: [{ line: 1, column: 28, message: 'Unexpected token' }] });
    });

    it('gives only the first line of the message, without ANSI colour codes or the [PARSE_ERROR] tag', async () => {
      // The raw error from the compiler reads "\u001b[31m[PARSE_ERROR] \u001b[0mExpected …" followed by a coloured code frame.
      const result = await compileLessonServer(SOURCE_PATH, 'export default function (\n');
      expect(result).toEqual({ ok: false, errors: [{ line: 2, column: 1, message: 'Expected `)` but found `EOF`' }] });
    });

    it('reports an unterminated string at its opening quote', async () => {
      const result = await compileLessonServer(SOURCE_PATH, 'const x = `abc\n');
      expect(result).toEqual({ ok: false, errors: [{ line: 1, column: 11, message: 'Unterminated string' }] });
    });
  });
});

describe('compileLessonClient', () => {
  it('strips the types, keeps a source map back to client.ts, and drops type-only imports', async () => {
    const source = ["import type { ClientContext } from '../lesson.ts';", '', 'export default function start({ show }: ClientContext) {', '  show({ version: 1, value: 1, changedAt: 0 });', '}', ''].join('\n');
    const result = await compileLessonClient(source);
    if (!result.ok) throw new Error(`compile failed: ${JSON.stringify(result.errors)}`);
    const { js, map } = splitInlineMap(result.code);
    expect(js).not.toMatch(/import|ClientContext/);
    expect(js).toContain('export default function start');
    expect(map.sources).toEqual(['client.ts']);
    expect(map.sourcesContent).toEqual([source]);
  });

  it('refuses a value import at its line: the module is served on its own', async () => {
    const source = ["import type { ClientContext } from '../lesson.ts';", "import { pause } from '../../web/pause.ts';", '', 'export default (c: ClientContext) => pause(1);', ''].join('\n');
    expect(await compileLessonClient(source)).toEqual({
      ok: false,
      errors: [{ line: 2, column: 1, message: 'client.ts runs in the page on its own: it may import types only (import type { … } from …)' }],
    });
  });

  it('reports a syntax error at its line and column', async () => {
    const result = await compileLessonClient('export default function start() {\n  const x = = 1;\n}\n');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]).toMatchObject({ line: 2, column: 13 });
  });
});
