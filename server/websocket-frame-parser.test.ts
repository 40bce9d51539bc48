import { describe, expect, it } from 'vitest';
import { createWebSocketFrameParser, type WebSocketFrame } from './websocket-frame-parser.ts';

/** Builds one frame as a peer would send it (RFC 6455 §5.2). */
function frame(opcode: number, payload: Buffer, { mask, fin = true }: { mask?: Buffer; fin?: boolean } = {}): Buffer {
  const length = payload.length;
  const header = length < 126 ? Buffer.from([0, length]) : length < 65_536 ? Buffer.alloc(4) : Buffer.alloc(10);
  header[0] = (fin ? 0x80 : 0) | opcode;
  if (length >= 126 && length < 65_536) {
    header[1] = 126;
    header.writeUInt16BE(length, 2);
  } else if (length >= 65_536) {
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  if (!mask) return Buffer.concat([header, payload]);
  header[1]! |= 0x80;
  return Buffer.concat([header, mask, Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]!))]);
}

function parseAll(...chunks: Buffer[]): WebSocketFrame[] {
  const frames: WebSocketFrame[] = [];
  const parser = createWebSocketFrameParser((f) => frames.push(f));
  for (const chunk of chunks) parser.push(chunk);
  return frames;
}

describe('createWebSocketFrameParser', () => {
  it('reads an unmasked text frame (server to client)', () => {
    expect(parseAll(frame(1, Buffer.from('hello')))).toEqual([{ fin: true, opcode: 1, masked: false, length: 5, bytes: 7, payload: Buffer.from('hello') }]);
  });

  it('unmasks a masked frame (client to server)', () => {
    const [f] = parseAll(frame(1, Buffer.from('{"version":3}'), { mask: Buffer.from([1, 2, 3, 4]) }));
    expect(f!.payload.toString()).toBe('{"version":3}');
    expect(f!.bytes).toBe(2 + 4 + 13);
    expect(f).toMatchObject({ masked: true, length: 13 });
  });

  it('reads frames cut at every byte, and several frames in one chunk', () => {
    const bytes = Buffer.concat([frame(9, Buffer.from('ping!')), frame(8, Buffer.from([0x03, 0xe8, 0x62, 0x79, 0x65]), { mask: Buffer.from([9, 8, 7, 6]) })]);
    const frames = parseAll(...[...bytes].map((b) => Buffer.from([b])));
    expect(frames.map((f) => [f.opcode, f.payload.toString('latin1')])).toEqual([
      [9, 'ping!'],
      [8, '\u0003\u00e8bye'],
    ]);
    expect(parseAll(bytes)).toEqual(frames);
  });

  it('reads 16- and 64-bit lengths, keeping only the first 4 KiB of a big payload but counting it all', () => {
    const medium = Buffer.alloc(300, 'a');
    const big = Buffer.alloc(70_000, 'b');
    const [m, b] = parseAll(frame(2, medium), frame(2, big, { mask: Buffer.from([1, 1, 1, 1]) }));
    expect([m!.bytes, m!.payload.length]).toEqual([304, 300]);
    expect([b!.bytes, b!.payload.length, b!.payload.every((x) => x === 0x62)]).toEqual([70_000 + 14, 4_096, true]);
  });

  it('reports an empty frame and waits for the rest of an unfinished one', () => {
    const pong = frame(10, Buffer.alloc(0));
    const text = frame(1, Buffer.from('later'));
    const frames: WebSocketFrame[] = [];
    const parser = createWebSocketFrameParser((f) => frames.push(f));
    parser.push(Buffer.concat([pong, text.subarray(0, 4)]));
    expect(frames.map((f) => f.opcode)).toEqual([10]);
    parser.push(text.subarray(4));
    expect(frames.map((f) => f.payload.toString())).toEqual(['', 'later']);
  });
});
