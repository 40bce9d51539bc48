import { transformWithOxc } from 'vite';

/** A compile error at a place in the lesson file (1-based line and column). */
export interface CompileError {
  line: number;
  column: number;
  message: string;
}

export type CompileResult = { ok: true; code: string } | { ok: false; errors: CompileError[] };

/**
 * Turns a lesson's server.ts into an ES module for Node, with an inline source map that
 * points back at `sourcePath`, so stack traces and trace events name the lines people read.
 */
export async function compileLessonServer(sourcePath: string, code: string): Promise<CompileResult> {
  try {
    const result = await transformWithOxc(code, sourcePath, { lang: 'ts', sourcemap: true, target: 'node20' });
    const map = { ...result.map, sources: [sourcePath], sourcesContent: [code] };
    const inline = Buffer.from(JSON.stringify(map)).toString('base64');
    return { ok: true, code: `${result.code}\n//# sourceMappingURL=data:application/json;base64,${inline}\n` };
  } catch (error) {
    return { ok: false, errors: compileErrorsOf(error) };
  }
}

/**
 * Turns a lesson's client.ts into an ES module for the page, with an inline source map back to
 * `client.ts`. The module is served on its own (no bundler), so it may import types only.
 */
export async function compileLessonClient(code: string): Promise<CompileResult> {
  try {
    const result = await transformWithOxc(code, 'client.ts', { lang: 'ts', sourcemap: true, target: 'es2022' });
    // Type-only imports are gone after the transform; anything still imported would not load.
    if (/^\s*(import\b[^(]|export\b[^;]*\bfrom\b)/m.test(result.code)) {
      return { ok: false, errors: [{ line: importLine(code), column: 1, message: 'client.ts runs in the page on its own: it may import types only (import type { … } from …)' }] };
    }
    const map = { ...result.map, sources: ['client.ts'], sourcesContent: [code] };
    const inline = Buffer.from(JSON.stringify(map)).toString('base64');
    return { ok: true, code: `${result.code}\n//# sourceMappingURL=data:application/json;base64,${inline}\n` };
  } catch (error) {
    return { ok: false, errors: compileErrorsOf(error) };
  }
}

/** The 1-based line of the first import or re-export that is not type-only (1 when none is found on one line). */
function importLine(code: string): number {
  const index = code.split('\n').findIndex((line) => /^\s*(import(?!\s+type\b)|export(?!\s+type\b)[^;]*\bfrom\b)/.test(line));
  return index + 1 || 1;
}

function compileErrorsOf(error: unknown): CompileError[] {
  const errors = (error as { errors?: unknown[] }).errors ?? [error];
  return errors.map((e) => {
    const { loc, message } = e as { loc?: { line?: number; column?: number }; message?: string };
    return {
      line: loc?.line ?? 1,
      column: (loc?.column ?? 0) + 1,
      message: firstLine(stripAnsi(message ?? String(e))).replace(/^\[\w+\]\s*/, ''),
    };
  });
}

function stripAnsi(text: string): string {
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? text;
}
