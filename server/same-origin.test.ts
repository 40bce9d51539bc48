import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { isSameOrigin } from './same-origin.ts';

/** The part of an IncomingMessage that isSameOrigin reads. */
function request(headers: { host?: string; origin?: string }): IncomingMessage {
  return { headers } as IncomingMessage;
}

describe('isSameOrigin', () => {
  it('is true when there is no Origin header (curl, a server)', () => {
    expect(isSameOrigin(request({ host: 'localhost:5173' }))).toBe(true);
  });

  it('is true when the Origin names the host and port the request was sent to', () => {
    expect(isSameOrigin(request({ host: 'localhost:5173', origin: 'http://localhost:5173' }))).toBe(true);
  });

  it('is true for a default port left out of both headers', () => {
    expect(isSameOrigin(request({ host: 'workbench.example', origin: 'https://workbench.example' }))).toBe(true);
  });

  it('is true for an IPv6 host', () => {
    expect(isSameOrigin(request({ host: '[::1]:5173', origin: 'http://[::1]:5173' }))).toBe(true);
  });

  it.each([
    ['another host', 'http://evil.example:5173'],
    ['another port', 'http://localhost:8080'],
    ['no port', 'http://localhost'],
    ['a subdomain', 'http://sub.localhost:5173'],
  ])('is false when the Origin names %s', (_name, origin) => {
    expect(isSameOrigin(request({ host: 'localhost:5173', origin }))).toBe(false);
  });

  it.each([
    ['garbage', 'not a url'],
    ['empty', ''],
    ['"null" (a sandboxed frame or a file: page)', 'null'],
  ])('is false when the Origin is %s', (_name, origin) => {
    expect(isSameOrigin(request({ host: 'localhost:5173', origin }))).toBe(false);
  });

  it('is false when there is an Origin but no Host header', () => {
    expect(isSameOrigin(request({ origin: 'http://localhost:5173' }))).toBe(false);
  });
});
