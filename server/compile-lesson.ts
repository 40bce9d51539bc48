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
