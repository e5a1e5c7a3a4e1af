/**
 * `pins` run in-process (no bundle): a report-only TrustKit configuration with one pin, a PEM file with text before
 * its blocks, a truncated chain file and an `--expires` that is not a yyyy-MM-dd day.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pinsCommand } from '../../src/cli/commands/pins.js';
import { CliError, EXIT } from '../../src/cli/cli-support.js';
import { makeTestChain, type TestChain } from '../channel/test-chain.js';

let chain: TestChain;
let dir: string;
beforeAll(() => {
  chain = makeTestChain();
  dir = mkdtempSync(path.join(tmpdir(), 'mas-pins-'));
});
afterAll(() => {
  chain.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const file = (name: string, content: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
};

async function pins(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await pinsCommand.run(args, { out: (t) => void out.push(t), err: (t) => void err.push(t), stdin: async () => '' });
  return { code, out: out.join(''), err: err.join('') };
}

/** The CliError `pins` fails with. */
async function failure(args: string[]): Promise<CliError> {
  const error = await pins(args).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof CliError)) throw new Error(`expected a CliError, got ${String(error)}`);
  return error;
}

const BACKUP = Buffer.alloc(32, 4).toString('base64');

describe('pins --format trustkit --report-only', () => {
  it('fails (exit 1) with one pin instead of printing a configuration TrustKit refuses at start-up', async () => {
    const leaf = file('leaf.pem', chain.leafPem);
    const error = await failure([leaf, '--host', 'api.example.com', '--format', 'trustkit', '--report-only']);
    expect(error.exitCode).toBe(EXIT.failed);
    expect(error.message).toContain('api.example.com: TrustKit needs at least two pins even report-only (enforce: false), has 1');
    expect(error.message).toContain('--backup');
  });

  it('prints a report-only configuration when a backup pin is given', async () => {
    const leaf = file('leaf.pem', chain.leafPem);
    const run = await pins([leaf, '--host', 'api.example.com', '--format', 'trustkit', '--report-only', '--backup', BACKUP]);
    expect(run.code).toBe(EXIT.ok);
    expect(JSON.parse(run.out).kTSKPinnedDomains['api.example.com']).toMatchObject({
      kTSKEnforcePinning: false,
      kTSKPublicKeyHashes: [chain.pins.leaf, BACKUP],
    });
  });
});

describe('pins <PEM file>', () => {
  it('with text before each block (openssl pkcs12 Bag Attributes), --select intermediate pins the intermediate', async () => {
    const bag = (cn: string) => `Bag Attributes\n    localKeyID: 5A 41 0B 93\nsubject=CN = ${cn}\nissuer=CN = whoever\n`;
    const chainFile = file('bag.pem', bag('localhost') + chain.leafPem + bag('Test Intermediate CA') + chain.intermediatePem);
    const run = await pins([chainFile, '--format', 'raw', '--select', 'intermediate']);
    expect([run.code, run.err, run.out]).toEqual([EXIT.ok, '', `${chain.pins.intermediate}\n`]);
  });

  it('whose last block is cut short fails (exit 1) instead of pinning the certificates before it', async () => {
    const truncated = file('truncated.pem', chain.leafPem + chain.intermediatePem.slice(0, 200));
    const error = await failure([truncated, '--format', 'raw']);
    expect(error.exitCode).toBe(EXIT.failed);
    expect(error.message).toBe(`${truncated}: 1 PEM CERTIFICATE block(s) cut short (no END line)`);
  });
});

describe('pins --expires', () => {
  it('refuses a date that is not a yyyy-MM-dd calendar day as a usage error (exit 2)', async () => {
    const leaf = file('leaf.pem', chain.leafPem);
    for (const expires of ['2027-6-1', '2027/06/01', '2027-02-30']) {
      const error = await failure([leaf, '--host', 'api.example.com', '--format', 'nsc', '--backup', BACKUP, '--expires', expires]);
      expect([error.exitCode, error.message]).toEqual([EXIT.usage, `--expires must be a yyyy-MM-dd calendar date, got ${JSON.stringify(expires)}`]);
    }
    const ok = await pins([leaf, '--host', 'api.example.com', '--format', 'nsc', '--backup', BACKUP, '--expires', '2099-06-01']);
    expect(ok.out).toContain('<pin-set expiration="2099-06-01">');
  });
});
