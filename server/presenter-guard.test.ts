import { describe, expect, it } from 'vitest';
import { isServedHost } from './presenter-guard.ts';

describe('isServedHost', () => {
  it('takes loopback names and addresses on the served port', () => {
    for (const host of ['127.0.0.1:5173', 'localhost:5173', 'LOCALHOST:5173', '[::1]:5173', '127.0.0.2:5173']) expect([host, isServedHost(host, 5173)]).toEqual([host, true]);
  });

  it('refuses another port, a name that only resolves here (DNS rebinding), an address that is not this machine, and garbage', () => {
    for (const host of ['127.0.0.1:5174', '127.0.0.1', 'evil.example:5173', 'localhost.evil.example:5173', '203.0.113.9:5173', '', 'a b:5173', '[::1:5173', '127.0.0.1:5173:1']) {
      expect([host, isServedHost(host, 5173)]).toEqual([host, false]);
    }
  });

  it('takes the default port 80 when the Host names none', () => {
    expect(isServedHost('localhost', 80)).toBe(true);
    expect(isServedHost('localhost', 5173)).toBe(false);
  });
});
