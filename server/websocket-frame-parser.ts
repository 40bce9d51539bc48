/** One WebSocket frame as read off the wire (RFC 6455 §5.2). */
export interface WebSocketFrame {
  fin: boolean;
  opcode: number;
  /** Whether the payload was masked (every frame a client sends is). */
  masked: boolean;
  /** The payload's length. */
  length: number;
  /** The whole frame: header, mask key and payload. */
  bytes: number;
  /** The payload, unmasked (cut after the first 4 KiB). */
  payload: Buffer;
}

/** Opcode names (RFC 6455 §11.8); continuation frames are reported as the data frame they continue. */
export const OPCODES: Record<number, 'continuation' | 'text' | 'binary' | 'close' | 'ping' | 'pong'> = {
  0: 'continuation',
  1: 'text',
  2: 'binary',
  8: 'close',
  9: 'ping',
  10: 'pong',
};

/** Payloads kept for the trace are cut here; the frame's size is still counted in full. */
const MAX_KEPT = 4_096;
const EMPTY = Buffer.alloc(0);

/**
 * Reads WebSocket frames from a byte stream cut at arbitrary places (a TCP stream), calling
 * `onFrame` for each complete one. Big payloads are not buffered past what the trace keeps.
 */
export function createWebSocketFrameParser(onFrame: (frame: WebSocketFrame) => void): { push(chunk: Buffer): void } {
  let buffered: Buffer = EMPTY;
  let skipping: { remaining: number; frame: WebSocketFrame; mask?: Buffer; offset: number } | undefined;

  return {
    push(chunk) {
      // What is kept of a payload is always a copy (see `unmask`): the socket's other reader (ws)
      // unmasks payloads in place in the same buffers. Only the start of a header is kept uncopied.
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      for (;;) {
        if (skipping) {
          const take = Math.min(skipping.remaining, buffered.length);
          const keep = Math.max(0, Math.min(take, MAX_KEPT - skipping.frame.payload.length));
          if (keep > 0) {
            const kept = unmask(buffered.subarray(0, keep), skipping.mask, skipping.offset);
            skipping.frame.payload = skipping.frame.payload.length === 0 ? kept : Buffer.concat([skipping.frame.payload, kept]);
          }
          skipping.offset += take;
          skipping.remaining -= take;
          buffered = buffered.subarray(take);
          if (skipping.remaining > 0) return;
          onFrame(skipping.frame);
          skipping = undefined;
          continue;
        }
        if (buffered.length < 2) return;
        const fin = (buffered[0]! & 0x80) !== 0;
        const opcode = buffered[0]! & 0x0f;
        const masked = (buffered[1]! & 0x80) !== 0;
        let length = buffered[1]! & 0x7f;
        let offset = 2;
        if (length === 126) {
          if (buffered.length < 4) return;
          length = buffered.readUInt16BE(2);
          offset = 4;
        } else if (length === 127) {
          if (buffered.length < 10) return;
          length = Number(buffered.readBigUInt64BE(2));
          offset = 10;
        }
        if (masked) {
          if (buffered.length < offset + 4) return;
          offset += 4;
        }
        const mask = masked ? buffered.subarray(offset - 4, offset) : undefined;
        const frame: WebSocketFrame = { fin, opcode, masked, length, bytes: offset + length, payload: EMPTY };
        buffered = buffered.subarray(offset);
        skipping = { remaining: length, frame, mask: mask && Buffer.from(mask), offset: 0 };
        if (length === 0) {
          onFrame(frame);
          skipping = undefined;
        }
      }
    },
  };
}

function unmask(data: Buffer, mask: Buffer | undefined, offset: number): Buffer {
  if (!mask) return Buffer.from(data);
  const out = Buffer.allocUnsafe(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]! ^ mask[(offset + i) % 4]!;
  return out;
}
