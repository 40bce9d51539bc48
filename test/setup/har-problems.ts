/**
 * What is wrong with a HAR 1.2 log (http://www.softwareishard.com/blog/har-12-spec/), as a list of
 * messages naming the field: required fields present with their types, absolute request URLs,
 * ISO times, entries in order, `time` equal to the sum of the non-negative timings, custom fields
 * starting with `_`, and Chrome's `_webSocketMessages` in the shape DevTools imports.
 */
export function harProblems(har: unknown): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, message: string) => {
    if (!ok) problems.push(message);
  };
  const object = (value: unknown, at: string, fields: Record<string, Kind>, optional: Record<string, Kind> = {}): value is Record<string, unknown> => {
    if (!isObject(value)) {
      problems.push(`${at} is not an object`);
      return false;
    }
    for (const [name, kind] of Object.entries(fields)) check(isKind(value[name], kind), `${at}.${name} is not ${kind}`);
    for (const [name, kind] of Object.entries(optional)) check(value[name] === undefined || isKind(value[name], kind), `${at}.${name} is not ${kind}`);
    for (const name of Object.keys(value)) check(name in fields || name in optional || name.startsWith('_'), `${at}.${name} is not a HAR field and does not start with _`);
    return true;
  };
  const nameValues = (list: unknown, at: string) => {
    if (Array.isArray(list)) list.forEach((item, i) => object(item, `${at}[${i}]`, { name: 'string', value: 'string' }, { comment: 'string' }));
  };

  if (!object(har, 'har', { log: 'object' })) return problems;
  const { log } = har as { log: unknown };
  if (!object(log, 'log', { version: 'string', creator: 'object', entries: 'array' }, { browser: 'object', pages: 'array', comment: 'string' })) return problems;
  check(log.version === '1.2', `log.version is ${String(log.version)}, not 1.2`);
  object(log.creator, 'log.creator', { name: 'string', version: 'string' }, { comment: 'string' });

  let previous = -Infinity;
  (log.entries as unknown[]).forEach((entry, i) => {
    const at = `log.entries[${i}]`;
    const ok = object(
      entry,
      at,
      { startedDateTime: 'string', time: 'number', request: 'object', response: 'object', cache: 'object', timings: 'object' },
      { pageref: 'string', serverIPAddress: 'string', connection: 'string', comment: 'string' },
    );
    if (!ok) return;
    const started = entry.startedDateTime as string;
    check(ISO_TIME.test(started) && !Number.isNaN(Date.parse(started)), `${at}.startedDateTime ${started} is not an ISO 8601 time`);
    check(Date.parse(started) >= previous, `${at} starts before the entry above it`);
    previous = Date.parse(started);

    const request = entry.request;
    if (object(request, `${at}.request`, { method: 'string', url: 'string', httpVersion: 'string', cookies: 'array', headers: 'array', queryString: 'array', headersSize: 'number', bodySize: 'number' }, { postData: 'object', comment: 'string' })) {
      check(URL.canParse(request.url as string), `${at}.request.url ${String(request.url)} is not absolute`);
      nameValues(request.headers, `${at}.request.headers`);
      nameValues(request.queryString, `${at}.request.queryString`);
    }
    const response = entry.response;
    if (
      object(response, `${at}.response`, { status: 'number', statusText: 'string', httpVersion: 'string', cookies: 'array', headers: 'array', content: 'object', redirectURL: 'string', headersSize: 'number', bodySize: 'number' }, { comment: 'string' })
    ) {
      nameValues(response.headers, `${at}.response.headers`);
      object(response.content, `${at}.response.content`, { size: 'number', mimeType: 'string' }, { compression: 'number', text: 'string', encoding: 'string', comment: 'string' });
    }
    object(entry.cache, `${at}.cache`, {}, { beforeRequest: 'object', afterRequest: 'object', comment: 'string' });

    const timings = entry.timings;
    if (object(timings, `${at}.timings`, { send: 'number', wait: 'number', receive: 'number' }, { blocked: 'number', dns: 'number', connect: 'number', ssl: 'number', comment: 'string' })) {
      for (const name of ['send', 'wait', 'receive']) check((timings[name] as number) >= 0, `${at}.timings.${name} is negative`);
      for (const name of ['blocked', 'dns', 'connect', 'ssl']) check(timings[name] === undefined || (timings[name] as number) >= -1, `${at}.timings.${name} is below -1`);
      // ssl is counted in connect, so it is not added again.
      const sum = ['blocked', 'dns', 'connect', 'send', 'wait', 'receive'].reduce((total, name) => total + Math.max(0, (timings[name] as number | undefined) ?? 0), 0);
      check(Math.abs(sum - (entry.time as number)) < 1, `${at}.time ${String(entry.time)} is not the sum of its timings, ${sum}`);
    }

    const messages = entry._webSocketMessages;
    if (messages !== undefined) {
      if (!Array.isArray(messages)) return void problems.push(`${at}._webSocketMessages is not an array`);
      messages.forEach((message, j) => {
        if (!object(message, `${at}._webSocketMessages[${j}]`, { type: 'string', time: 'number', opcode: 'number', data: 'string' })) return;
        check(message.type === 'send' || message.type === 'receive', `${at}._webSocketMessages[${j}].type is ${String(message.type)}`);
        check([0, 1, 2, 8, 9, 10].includes(message.opcode as number), `${at}._webSocketMessages[${j}].opcode ${String(message.opcode)} is not a WebSocket opcode`);
      });
    }
  });
  return problems;
}

type Kind = 'string' | 'number' | 'object' | 'array';

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function isKind(value: unknown, kind: Kind): boolean {
  if (kind === 'array') return Array.isArray(value);
  if (kind === 'object') return isObject(value);
  if (kind === 'number') return typeof value === 'number' && Number.isFinite(value);
  return typeof value === kind;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}
