import { TraceMap, originalPositionFor } from '@jridgewell/trace-mapping';
import type { SourceLocation } from '../lessons/trace-event.ts';

/** A place in the code the browser runs: script URL, 1-based line and column. */
export interface StackFrame {
  url: string;
  line: number;
  column: number;
}

const FRAME = /(https?:\/\/[^\s()]+?):(\d+):(\d+)\)?\s*$/;
/**
 * client.ts as Vite serves it while developing, the chunk it becomes in the production build, or an
 * edit made in the page as the workbench serves it (`LessonDetail.clientModule`).
 */
const CLIENT_SCRIPT = /\/client\.ts$|\/assets\/client-[\w-]+\.js$|^\/api\/lessons\/[^/]+\/code\/client\.js$/;

/** The innermost frame of `stack` (a V8 `Error.stack`) that runs in a lesson's client.ts. */
export function clientFrameOf(stack: string | undefined): StackFrame | undefined {
  for (const line of (stack ?? '').split('\n')) {
    const match = FRAME.exec(line);
    if (match && CLIENT_SCRIPT.test(new URL(match[1]!).pathname)) return { url: match[1]!, line: Number(match[2]), column: Number(match[3]) };
  }
  return undefined;
}

/**
 * Maps frames of the served (transformed) client.ts back to the lines of the file people read,
 * through the source map its script carries. Each script's map is fetched once.
 */
export function createClientSourceLocator(fetchText: (url: string) => Promise<string> = (url) => fetch(url).then((r) => r.text())) {
  const maps = new Map<string, Promise<TraceMap | undefined>>();
  const mapOf = (url: string) => {
    let map = maps.get(url);
    if (!map) maps.set(url, (map = fetchText(url).then((code) => parseMap(code, url, fetchText)).catch(() => undefined)));
    return map;
  };
  return async function locate(frame: StackFrame | undefined): Promise<SourceLocation | undefined> {
    if (!frame) return undefined;
    const map = await mapOf(frame.url);
    if (!map) return undefined;
    const { line, source } = originalPositionFor(map, { line: frame.line, column: frame.column - 1 });
    return line == null || !source?.endsWith('client.ts') ? undefined : { file: 'client.ts', line };
  };
}

async function parseMap(code: string, url: string, fetchText: (url: string) => Promise<string>): Promise<TraceMap | undefined> {
  const ref = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(code)?.[1];
  if (!ref) return undefined;
  const inline = /^data:application\/json;(?:charset=utf-8;)?base64,(.+)$/.exec(ref);
  const json = inline ? new TextDecoder().decode(Uint8Array.from(atob(inline[1]!), (c) => c.charCodeAt(0))) : await fetchText(new URL(ref, url).href);
  return new TraceMap(json);
}
