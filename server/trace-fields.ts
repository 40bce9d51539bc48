import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';

/** A client or connection id sent by a page (a header or a query parameter), if it is a sane one. */
export function traceIdOf(value: unknown): string | undefined {
  return typeof value === 'string' && /^[\w.:-]{1,64}$/.test(value) ? value : undefined;
}

/** A query parameter of a request target (`/path?a=1`), without parsing the whole URL. */
export function queryParam(url: string, name: string): string | null {
  const query = url.indexOf('?');
  return query === -1 ? null : new URLSearchParams(url.slice(query + 1)).get(name);
}

/** Headers that are never written into the trace. */
const HIDDEN_HEADERS = new Set(['cookie', 'authorization']);

/** Headers as the trace keeps them: one string per name, secrets left out. */
export function headersOf(headers: IncomingHttpHeaders | OutgoingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HIDDEN_HEADERS.has(name)) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

/** The request as it crossed the socket: request line, header lines, blank line, body. */
export function requestBytes(req: IncomingMessage): number {
  let bytes = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n\r\n`.length;
  for (let i = 0; i < req.rawHeaders.length; i += 2) bytes += Buffer.byteLength(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`);
  return bytes + (Number(req.headers['content-length']) || 0);
}
