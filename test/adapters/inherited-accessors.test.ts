/**
 * The adapters read `headers`, `readableEnded` and `readable` of a request through the Node prototypes' own getters
 * (an Express request's prototype lookups are uncached, see node-http.ts). What they read must stay what the
 * application's code reads: an own property defined on the request, or a prototype that redefines the accessor, wins.
 */
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { bodyConsumed, requestHeaders } from '../../src/adapters/node-http.js';

function request(): IncomingMessage {
  const req = new IncomingMessage(new Socket());
  req.headers = { 'x-one': '1' };
  return req;
}

describe('requestHeaders', () => {
  it('reads the headers of a request, through an Express-like prototype of its own too', () => {
    const req = request();
    expect(requestHeaders(req)).toBe(req.headers);
    const app = Object.create(IncomingMessage.prototype) as object;
    Object.setPrototypeOf(req, app);
    expect(requestHeaders(req)).toEqual({ 'x-one': '1' });
  });

  it('reads an own `headers` property defined on the request, as the handler would', () => {
    const req = request();
    Object.defineProperty(req, 'headers', { value: { 'x-two': '2' } });
    expect(requestHeaders(req)).toEqual({ 'x-two': '2' });
  });

  it('reads a `headers` accessor a prototype in between redefines', () => {
    const req = request();
    const app = Object.create(IncomingMessage.prototype, { headers: { get: () => ({ 'x-three': '3' }) } }) as object;
    Object.setPrototypeOf(req, app);
    expect(requestHeaders(req)).toEqual({ 'x-three': '3' });
  });
});

describe('bodyConsumed', () => {
  it('is false for a request nothing read, true once it was read to its end', async () => {
    const req = request();
    req.push('{}');
    req.push(null);
    req.complete = true;
    expect(bodyConsumed(req)).toBe(false);
    req.resume();
    await new Promise((resolve) => req.once('end', resolve));
    expect(bodyConsumed(req)).toBe(true);
  });

  it('reads the properties of an object that is not a stream (a test double) as they are', () => {
    expect(bodyConsumed({ readableEnded: true } as unknown as IncomingMessage)).toBe(true);
    expect(bodyConsumed({ readableEnded: false, complete: true, readable: false } as unknown as IncomingMessage)).toBe(true);
    expect(bodyConsumed({ readableEnded: false, complete: true, readable: true } as unknown as IncomingMessage)).toBe(false);
  });
});
