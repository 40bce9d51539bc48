/** A client or connection id sent by a page (a header or a query parameter), if it is a sane one. */
export function traceIdOf(value: unknown): string | undefined {
  return typeof value === 'string' && /^[\w.:-]{1,64}$/.test(value) ? value : undefined;
}
