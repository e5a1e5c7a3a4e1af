import { X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computePins, parseHostPort, PinInputError } from '../../src/channel/compute-pins.js';
import { makeTestChain, type TestChain } from './test-chain.js';

let chain: TestChain;
let server: tls.Server;
let port: number;

beforeAll(async () => {
  chain = makeTestChain();
  // The server sends leaf + intermediate + root, as a misconfigured-but-common server does: all three are pinned.
  server = tls.createServer({ key: chain.leafKeyPem, cert: chain.servedChainPem + chain.rootPem }, (socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  chain.cleanup();
});

describe('computePins', () => {
  it('pins a PEM leaf: SHA-256 of the SPKI, as openssl computes it', async () => {
    const pins = await computePins(chain.leafPem);
    expect(pins).toHaveLength(1);
    expect(pins[0]).toMatchObject({ sha256: chain.pins.leaf, role: 'leaf', subject: 'CN=localhost', issuer: 'CN=Test Intermediate CA' });
    // The pin is of the key, not the certificate: it differs from the certificate fingerprint.
    expect(pins[0]?.fingerprint256).toBe(new X509Certificate(chain.leafPem).fingerprint256);
  });

  it('pins DER bytes the same as the PEM', async () => {
    const der = new X509Certificate(chain.intermediatePem).raw;
    const pins = await computePins(der);
    expect(pins.map((p) => p.sha256)).toEqual([chain.pins.intermediate]);
    expect((await computePins(new Uint8Array(der)))[0]?.sha256).toBe(chain.pins.intermediate);
  });

  it('labels a PEM chain leaf / intermediate / root', async () => {
    const pins = await computePins(chain.servedChainPem + chain.rootPem);
    expect(pins.map((p) => [p.role, p.sha256])).toEqual([
      ['leaf', chain.pins.leaf],
      ['intermediate', chain.pins.intermediate],
      ['root', chain.pins.root],
    ]);
  });

  it('orders a chain given root first by its issuer links', async () => {
    const pins = await computePins(chain.rootPem + chain.leafPem + chain.intermediatePem);
    expect(pins.map((p) => [p.role, p.sha256])).toEqual([
      ['leaf', chain.pins.leaf],
      ['intermediate', chain.pins.intermediate],
      ['root', chain.pins.root],
    ]);
    // Two unrelated certificates are not a chain: left as given.
    const unrelated = await computePins(chain.mitm.rootPem + chain.rootPem);
    expect(unrelated.map((p) => p.sha256)).toEqual([chain.mitm.rootPin, chain.pins.root]);
  });

  it('a chain without its root has no root label', async () => {
    const pins = await computePins(chain.servedChainPem);
    expect(pins.map((p) => p.role)).toEqual(['leaf', 'intermediate']);
  });

  it('reads the chain a live TLS server serves (host:port string and object)', async () => {
    for (const input of [`127.0.0.1:${port}`, { host: '127.0.0.1', port }, `localhost:${port}`]) {
      const pins = await computePins(input);
      expect(pins.map((p) => [p.role, p.sha256])).toEqual([
        ['leaf', chain.pins.leaf],
        ['intermediate', chain.pins.intermediate],
        ['root', chain.pins.root],
      ]);
    }
  });

  it('with requireTrusted, accepts the chain only under its CA', async () => {
    await expect(computePins({ host: 'localhost', port }, { requireTrusted: true })).rejects.toThrow(PinInputError);
    const pins = await computePins({ host: 'localhost', port }, { requireTrusted: true, ca: chain.rootPem });
    expect(pins[0]?.sha256).toBe(chain.pins.leaf);
  });

  it('fails clearly for a closed port and a server that never answers', async () => {
    const closed = tls.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(computePins(`127.0.0.1:${closedPort}`)).rejects.toThrow(/TLS connection to 127\.0\.0\.1:\d+ failed/);

    const held: import('node:net').Socket[] = [];
    const silent = (await import('node:net')).createServer((socket) => void held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentPort = (silent.address() as AddressInfo).port;
    await expect(computePins(`127.0.0.1:${silentPort}`, { timeoutMs: 200 })).rejects.toThrow(/no handshake within 200 ms/);
    for (const socket of held) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  it('refuses input that is neither a certificate nor host:port', async () => {
    await expect(computePins('not a cert')).rejects.toThrow(PinInputError);
    await expect(computePins('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')).rejects.toThrow(/does not parse/);
    await expect(computePins(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00]))).rejects.toThrow(/neither a PEM nor a DER certificate/);
    await expect(computePins('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n')).rejects.toThrow(/no PEM CERTIFICATE block/);
    await expect(computePins('host:99999')).rejects.toThrow(PinInputError);
  });

  it('parses host:port forms', () => {
    expect(parseHostPort('api.example.com:443')).toEqual({ host: 'api.example.com', port: 443 });
    expect(parseHostPort('[::1]:8443')).toEqual({ host: '::1', port: 8443 });
    expect(parseHostPort('api.example.com')).toBeUndefined();
    expect(parseHostPort('a:0')).toBeUndefined();
  });
});
