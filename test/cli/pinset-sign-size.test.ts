/** `pinset sign` refuses a configuration whose signed set its apps would refuse as too large (over 256 KiB). */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError, EXIT } from '../../src/cli/cli-support.js';
import { keysCommand } from '../../src/cli/commands/keys.js';
import { pinsetCommand } from '../../src/cli/commands/pinset.js';

const pin = (s: string) => createHash('sha256').update(s).digest('base64');

describe('pinset sign, a configuration too large', () => {
  it('fails (exit 1) with the configuration error, printing no set', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mas-size-'));
    try {
      const out: string[] = [];
      const io = { out: (t: string) => void out.push(t), err: () => undefined, stdin: async () => '' };
      await keysCommand.run(['generate'], io);
      const key = path.join(dir, 'key.jwk');
      writeFileSync(key, out.splice(0).join(''));
      const hosts: Record<string, { pins: string[]; backupPins: string[] }> = {};
      for (let h = 0; h < 80; h++) {
        hosts[`api${h}.example.com`] = { pins: Array.from({ length: 32 }, (_, i) => pin(`${h}p${i}`)), backupPins: Array.from({ length: 32 }, (_, i) => pin(`${h}b${i}`)) };
      }
      const config = path.join(dir, 'config.json');
      writeFileSync(config, JSON.stringify({ version: 1, hosts }));
      const error = await pinsetCommand.run(['sign', config, '--key', key], io).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(CliError);
      expect((error as CliError).exitCode).toBe(EXIT.failed);
      expect((error as CliError).message).toMatch(/^Invalid pin-set configuration:\n {2}- pinset\.hosts: pin set too large: signed it would be \d+ characters and clients refuse over 262144/);
      expect(out).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
