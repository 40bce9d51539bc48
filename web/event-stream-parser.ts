/** One dispatched server-sent event, as an `EventSource` would deliver it. */
export interface EventStreamEvent {
  /** The `event:` field of the block, or `"message"` when it had none (or an empty one). */
  type: string;
  /** The block's `data:` values joined with `"\n"`. */
  data: string;
  /** The last `id:` seen on the stream so far; it persists across events until another `id:` replaces it. */
  lastEventId: string;
}

/** Callbacks of {@link createEventStreamParser}. */
export interface EventStreamParserOptions {
  /** Called for each complete event, in stream order. */
  onEvent(event: EventStreamEvent): void;
  /** Called for each valid `retry:` field with the new reconnection time in milliseconds. */
  onRetry?(ms: number): void;
}

/**
 * A push parser for one `text/event-stream` response body, decoded to text. Decode with
 * `new TextDecoder('utf-8', { ignoreBOM: true })` and `{ stream: true }`: the parser strips the one
 * leading BOM itself, so a decoder that strips it too would also eat a second BOM, which is data.
 */
export interface EventStreamParser {
  /** Parses the next piece of the stream; a piece may end anywhere, even inside a CRLF. */
  feed(chunk: string): void;
  /** Marks the end of the stream and discards an event that no blank line finished. Idempotent. */
  end(): void;
}

const LF = 0x0a;
const BOM = 0xfeff;
const ASCII_DIGITS = /^[0-9]+$/;

/**
 * Creates a streaming parser that follows the WHATWG HTML rules for interpreting an event stream
 * (§9.2.6 "Interpreting an event stream", "dispatch the event").
 */
export function createEventStreamParser({ onEvent, onRetry }: EventStreamParserOptions): EventStreamParser {
  // Pieces of the line not yet ended. Joined once per line, so many small chunks stay linear.
  let pendingLine: string[] = [];
  let dataLines: string[] = [];
  let eventType = '';
  let lastEventId = '';
  let started = false;
  let ended = false;
  // The previous chunk ended with a CR, so an LF at the start of the next one belongs to it.
  let skipLeadingLf = false;

  function dispatch() {
    if (dataLines.length === 0) {
      eventType = '';
      return;
    }
    // Joining the lines equals the spec's "append value + LF, then remove one trailing LF".
    const event: EventStreamEvent = { type: eventType || 'message', data: dataLines.join('\n'), lastEventId };
    dataLines = [];
    eventType = '';
    onEvent(event);
  }

  function processLine(line: string) {
    if (line === '') return dispatch();
    if (line.charCodeAt(0) === 0x3a) return; // ":" starts a comment
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 0x20) value = value.slice(1);
    switch (field) {
      case 'event':
        eventType = value;
        break;
      case 'data':
        dataLines.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) lastEventId = value;
        break;
      case 'retry':
        if (ASCII_DIGITS.test(value)) onRetry?.(Number(value));
        break;
    }
  }

  function endLine(chunk: string, start: number, end: number) {
    const tail = chunk.slice(start, end);
    if (pendingLine.length === 0) return processLine(tail);
    pendingLine.push(tail);
    const line = pendingLine.join('');
    pendingLine = [];
    processLine(line);
  }

  return {
    feed(chunk) {
      if (ended) throw new Error('createEventStreamParser: feed() called after end()');
      if (chunk === '') return;
      let start = 0;
      if (!started) {
        started = true;
        if (chunk.charCodeAt(0) === BOM) start = 1;
      }
      if (skipLeadingLf) {
        skipLeadingLf = false;
        if (chunk.charCodeAt(start) === LF) start++;
      }
      // Line ends found with indexOf, not char by char: a load client parses thousands of streams.
      let lf = chunk.indexOf('\n', start);
      let cr = chunk.indexOf('\r', start);
      while (lf >= 0 || cr >= 0) {
        const i = cr < 0 || (lf >= 0 && lf < cr) ? lf : cr;
        endLine(chunk, start, i);
        start = i + 1;
        // A CR ends the line at once, so a CR-terminated blank line dispatches without waiting
        // for the next chunk; the LF of a CRLF, here or at the start of the next chunk, is skipped.
        if (i === cr) {
          if (start === chunk.length) skipLeadingLf = true;
          else if (chunk.charCodeAt(start) === LF) start++;
        }
        if (lf >= 0 && lf < start) lf = chunk.indexOf('\n', start);
        if (cr >= 0 && cr < start) cr = chunk.indexOf('\r', start);
      }
      if (start < chunk.length) pendingLine.push(start === 0 ? chunk : chunk.slice(start));
    },

    end() {
      // "If the file ends in the middle of an event, before the final empty line, the incomplete
      // event is not dispatched" (WHATWG HTML §9.2.6); an unterminated last line is dropped too.
      ended = true;
      pendingLine = [];
      dataLines = [];
      eventType = '';
    },
  };
}
