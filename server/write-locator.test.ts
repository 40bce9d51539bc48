import { describe, expect, it } from 'vitest';
import { createWriteLocator } from './write-locator.ts';

describe('createWriteLocator', () => {
  it('walks the stack once for the same bytes written again in the same turn (a broadcast)', async () => {
    let walks = 0;
    const locateWrite = createWriteLocator(() => ({ file: 'server.ts', line: ++walks }));
    const header = Buffer.from([0x81, 5]);
    const lines = [];
    for (let client = 0; client < 100; client++) {
      // As ws writes a message: a header, then the payload, each a new buffer with the same bytes.
      lines.push(locateWrite(Buffer.from(header)), locateWrite(Buffer.from('hello')));
    }
    expect(walks).toBe(2);
    expect(new Set(lines.map((l) => l?.line))).toEqual(new Set([1, 2]));

    // Next turn: the same bytes may come from another line now.
    await Promise.resolve();
    expect(locateWrite(Buffer.from('hello'))).toEqual({ file: 'server.ts', line: 3 });
  });

  it('walks the stack for every write of different bytes, strings as buffers', () => {
    let walks = 0;
    const locateWrite = createWriteLocator(() => ({ file: 'server.ts', line: ++walks }));
    expect(locateWrite('data: 1\n\n')?.line).toBe(1);
    expect(locateWrite('data: 2\n\n')?.line).toBe(2);
    expect(locateWrite('data: 1\n\n')?.line).toBe(1);
    expect(locateWrite(Buffer.from('data: 1\n\n'))?.line).toBe(3);
    expect(walks).toBe(3);
  });
});
