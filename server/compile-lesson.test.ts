import { SourceMap, type SourceMapPayload } from 'node:module';
import { describe, expect, it } from 'vitest';
import { compileLessonServer } from './compile-lesson.ts';

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
