/**
 * An empty `hosts` is a configuration mistake, not an emergency switch: served, it would make every installed app stop
 * pinning every host at its next fetch. The publisher refuses it at creation and in `publish` (before anything
 * changes), and `pinset sign` with it; the documented switch is `enforce: false` per host.
 */
import { describe, expect, it } from 'vitest';
import { createPinSetPublisher } from '../../src/channel/publisher.js';
import { pinsetCommand } from '../../src/cli/commands/pinset.js';
import { CliError, type CliIo } from '../../src/cli/cli-support.js';
import { verifyPinSet } from '../../src/client/pinset.js';
import { ShieldConfigError } from '../../src/core/errors.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { BEFORE, privateJwk, publicJwk, T0 } from './pinset-fixtures.js';

const base = { signingKeys: [{ kid: 'k1', privateKey: privateJwk }], version: 7, now: () => T0 };

describe('an empty hosts', () => {
  it('is refused at creation with a ShieldConfigError on pinset.hosts', async () => {
    const error = await createPinSetPublisher({ ...base, hosts: {} }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ShieldConfigError);
    expect((error as ShieldConfigError).issues).toEqual([{ path: 'pinset.hosts', message: expect.stringMatching(/at least one host.*enforce: false/) }]);
  });

  it('is refused by publish with the TypeError of invalid hosts, the served set and the store unchanged', async () => {
    const store = new MemoryStore();
    const publisher = await createPinSetPublisher({ ...base, hosts: BEFORE, store });
    const before = await publisher.current();
    const storedVersion = await store.get('pinset:version');
    await expect(publisher.publish({ hosts: {} })).rejects.toThrow(TypeError);
    await expect(publisher.publish({ hosts: {}, version: 9, revoke: true })).rejects.toThrow(/^hosts invalid: .*at least one host/);
    expect(publisher.version).toBe(7);
    expect(publisher.minPinSetVersion()).toBe(0);
    expect(await store.get('pinset:version')).toBe(storedVersion);
    const after = await publisher.current();
    expect(after.payload).toEqual(before.payload);
    expect(Object.keys((await verifyPinSet(after.jws, [publicJwk], { now: T0 })).payload.hosts)).toEqual(['api.example.com']);
    // The refusal left no state behind, and the documented emergency switch (a host with enforce: false) publishes.
    const next = await publisher.publish({ hosts: { 'api.example.com': { ...BEFORE['api.example.com'], enforce: false } } });
    expect(next.payload.version).toBe(8);
    expect(next.payload.hosts['api.example.com']?.enforce).toBe(false);
  });

  it('is refused by `pinset sign`, which prints no set', async () => {
    const out: string[] = [];
    const io: CliIo = { out: (t) => void out.push(t), err: () => undefined, stdin: async () => '' };
    const run = pinsetCommand.run(['sign', JSON.stringify({ version: 3, hosts: {} }), '--key', JSON.stringify(privateJwk)], io);
    await expect(run).rejects.toThrow(CliError);
    await expect(run).rejects.toThrow(/Invalid pin-set configuration[\s\S]*pinset\.hosts: .*at least one host/);
    expect(out).toEqual([]);
    // The same command signs a configuration with a host (the refusal is about the empty set, not the input form).
    await expect(pinsetCommand.run(['sign', JSON.stringify({ version: 3, hosts: BEFORE }), '--key', JSON.stringify(privateJwk)], io)).resolves.toBe(0);
    expect(out.join('')).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
  });
});
