import { presenterHeaders } from './presenter-token.ts';

/** Sends a JSON request to the workbench API (as the presenter, when this tab has the token) and returns the JSON answer; throws its `error` message. */
export async function callApi<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: { ...presenterHeaders(), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = res.status === 204 ? undefined : ((await res.json().catch(() => undefined)) as { error?: string } | undefined);
  if (!res.ok) throw new Error(answer?.error ?? `${method} ${path} answered ${res.status}`);
  return answer as T;
}
