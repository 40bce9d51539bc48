/** The numeric `version` in a JSON text (a body, an SSE chunk, a WebSocket message), if it has one. */
export function versionIn(text: string | undefined): number | undefined {
  const match = text === undefined ? null : /"version"\s*:\s*(\d+)/.exec(text);
  return match ? Number(match[1]) : undefined;
}

/** A client or connection id sent by a page (a header or a query parameter), if it is a sane one. */
export function traceIdOf(value: unknown): string | undefined {
  return typeof value === 'string' && /^[\w.:-]{1,64}$/.test(value) ? value : undefined;
}
