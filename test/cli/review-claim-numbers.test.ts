/**
 * Review: a claim number JSON cannot carry (`--claim exp2=1e400`, `--claims '{"limits":[1e400]}'`: JSON.parse reads
 * Infinity) was minted silently as null, a test token with another claim than the one asked for. It is now a
 * usage error naming the claim; nothing is minted.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CliError, EXIT } from '../../src/cli/cli-support.js';
import { tokenCommand } from '../../src/cli/commands/token.js';

async function mint(args: string[]): Promise<{ code: number; out: string; message?: string }> {
  const out: string[] = [];
  const io = { out: (t: string) => void out.push(t), err: () => undefined, stdin: async () => '' };
  try {
    return { code: await tokenCommand.run(['mint', '--secret', randomBytes(32).toString('base64'), ...args], io), out: out.join('') };
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    return { code: error.exitCode, out: out.join(''), message: error.message };
  }
}

describe('token mint, claim numbers beyond JSON', () => {
  it.each([
    [['--claim', 'big=1e400'], 'big'],
    [['--claim', 'small=-1e400'], 'small'],
    [['--claims', '{"limits":{"max":[1, 1e400]}}'], 'limits'],
  ])('%j is refused (exit 2) naming the claim', async (args, name) => {
    const result = await mint(args);
    expect([result.code, result.out]).toEqual([EXIT.usage, '']);
    expect(result.message).toBe(`claim "${name}" holds a number JSON cannot carry (Infinity)`);
  });

  it('finite numbers, large and small, are minted as given', async () => {
    const result = await mint(['--claim', 'big=1e300', '--claims', '{"tiny":-1e-300,"n":[1,2.5]}']);
    expect(result.code).toBe(EXIT.ok);
    const claims = JSON.parse(Buffer.from(result.out.trim().split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ big: 1e300, tiny: -1e-300, n: [1, 2.5] });
  });
});
