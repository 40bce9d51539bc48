import type { LessonFile } from '../lessons/trace-event.ts';
import { presenterHeaders } from './presenter-token.ts';

/** A lesson file as `GET /api/lessons/<slug>/code/<file>` answers it. */
export interface CodeFile {
  file: LessonFile;
  /** The file as it runs, notations included: the edit made in the page, or the original. */
  code: string;
  /** True when `code` is an edit made in the page. */
  edited: boolean;
  /** The lesson's own file. */
  original: string;
}

/** Why an edit did not run: a compile error, or a throw at import (1-based line and column). */
export interface CodeError {
  line: number;
  column: number;
  message: string;
}

/** What running an edit gave: it runs, or it did not and the last good code keeps serving. */
export type CodeRunResult = { ok: true } | { ok: false; errors: CodeError[] };

/** Reads a lesson file as it runs, and its original. @throws Error with the server's message. */
export async function getCode(slug: string, file: LessonFile, signal?: AbortSignal): Promise<CodeFile> {
  const res = await fetch(codePath(slug, file), { signal });
  return (await readAnswer(res, 'GET', slug, file)) as CodeFile;
}

/** Runs `code` as the lesson's file. @throws Error with the server's message when refused (403, 413, …). */
export async function saveCode(slug: string, file: LessonFile, code: string): Promise<CodeRunResult> {
  const res = await fetch(codePath(slug, file), {
    method: 'PUT',
    headers: { ...presenterHeaders(), 'content-type': 'application/json' },
    body: JSON.stringify({ code }),
  });
  return runResultOf(res, await readAnswer(res, 'PUT', slug, file));
}

/** Drops the edit: the lesson's own file runs again. @throws Error with the server's message when refused. */
export async function resetCode(slug: string, file: LessonFile): Promise<CodeRunResult> {
  const res = await fetch(codePath(slug, file), { method: 'DELETE', headers: presenterHeaders() });
  return runResultOf(res, await readAnswer(res, 'DELETE', slug, file));
}

function codePath(slug: string, file: LessonFile): string {
  return `/api/lessons/${encodeURIComponent(slug)}/code/${encodeURIComponent(file)}`;
}

/** The JSON answer of a 2xx or 422; any other status throws its `error` message. */
async function readAnswer(res: Response, method: string, slug: string, file: LessonFile): Promise<unknown> {
  const answer = (await res.json().catch(() => undefined)) as { error?: unknown } | undefined;
  if (res.ok || res.status === 422) return answer;
  throw new Error(typeof answer?.error === 'string' ? answer.error : `${method} ${codePath(slug, file)} answered ${res.status}`);
}

function runResultOf(res: Response, answer: unknown): CodeRunResult {
  if (res.ok) return { ok: true };
  const errors = (answer as { errors?: CodeError[] } | undefined)?.errors;
  return { ok: false, errors: Array.isArray(errors) ? errors : [] };
}
