/**
 * Options of a live-host `computePins` are checked before a connection is opened: a bad `timeoutMs` (negative, NaN,
 * Infinity, a string from the environment) used to throw a bare RangeError from inside the socket's set-up, leaking
 * a socket whose refused connection then crashed the process (an 'error' event with no listener).
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { computePins, fetchServedChain, PinInputError, type ComputePinsOptions } from '../../src/channel/compute-pins.js';

/** A port nothing listens on: bound to get a number, then closed, so a connection to it is refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let port: number;
let uncaught: unknown[];
const onUncaught = (error: unknown) => uncaught.push(error);

beforeAll(async () => {
  port = await closedPort();
});

beforeEach(() => {
  uncaught = [];
  // Our own listener, next to vitest's: a leaked socket's ECONNREFUSED lands here and fails the test below.
  process.on('uncaughtException', onUncaught);
});

afterEach(() => {
  process.off('uncaughtException', onUncaught);
  vi.restoreAllMocks();
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('computePins on a live host: options checked before connecting', () => {
  const bad: [string, unknown][] = [
    ['-1', -1],
    ['NaN', Number.NaN],
    ["'100' (a string from process.env)", '100'],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['0 (would never time out)', 0],
    ['above the maximum', 300_001],
  ];
  it.each(bad)('timeoutMs %s: PinInputError, and no uncaught exception afterwards', async (_name, timeoutMs) => {
    const error = await computePins({ host: '127.0.0.1', port }, { timeoutMs } as unknown as ComputePinsOptions).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PinInputError);
    expect((error as Error).message).toMatch(/^options invalid: timeoutMs: /);
    // Long enough for a refused connection to 127.0.0.1 to be reported, had a socket been opened.
    await sleep(300);
    expect(uncaught).toEqual([]);
  });

  it('refuses the same through a "host:port" string and fetchServedChain', async () => {
    await expect(computePins(`127.0.0.1:${port}`, { timeoutMs: -5 })).rejects.toBeInstanceOf(PinInputError);
    await expect(fetchServedChain('127.0.0.1', port, { timeoutMs: Number.NaN })).rejects.toBeInstanceOf(PinInputError);
    await sleep(300);
    expect(uncaught).toEqual([]);
  });

  it.each([
    ['servername not a string', { servername: 42 }, /options invalid: servername: /],
    ['servername too long', { servername: 'a'.repeat(256) }, /options invalid: servername: /],
    ['requireTrusted not a boolean', { requireTrusted: 'yes' }, /options invalid: requireTrusted: /],
    ['ca not PEM or bytes', { ca: [42] }, /options invalid: ca: /],
    ['options not an object', null, /options invalid: \(options\): /],
  ])('%s: PinInputError before connecting', async (_name, options, message) => {
    const error = await computePins({ host: '127.0.0.1', port }, options as unknown as ComputePinsOptions).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PinInputError);
    expect((error as Error).message).toMatch(message);
    await sleep(300);
    expect(uncaught).toEqual([]);
  });

  it('a valid timeout on a refused port: PinInputError from the handshake, still nothing uncaught', async () => {
    const error = await computePins({ host: '127.0.0.1', port }, { timeoutMs: 2_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PinInputError);
    expect((error as Error).message).toMatch(/TLS connection to 127\.0\.0\.1:\d+ failed: .*ECONNREFUSED/);
    await sleep(300);
    expect(uncaught).toEqual([]);
  });

  it('a throw while setting the socket up (after connecting): PinInputError, the socket destroyed, nothing uncaught', async () => {
    // Stands for any synchronous failure after tls.connect opened the socket (a Node that refuses an option, say).
    vi.spyOn(tls.TLSSocket.prototype, 'setTimeout').mockImplementation(() => {
      throw new RangeError('simulated');
    });
    const destroy = vi.spyOn(tls.TLSSocket.prototype, 'destroy');
    const error = await computePins({ host: '127.0.0.1', port }, { timeoutMs: 1_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PinInputError);
    expect((error as Error).message).toMatch(/simulated/);
    expect(destroy).toHaveBeenCalled();
    await sleep(300);
    expect(uncaught).toEqual([]);
  });

  it('a null input is a PinInputError, not a TypeError', async () => {
    await expect(computePins(null as unknown as string)).rejects.toBeInstanceOf(PinInputError);
  });
});
