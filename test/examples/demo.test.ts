import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('npm run demo', () => {
  it('plays every scripted client and gets the expected answer', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'examples/demo.ts'], { timeout: 120_000 });
    expect(stdout).toMatch(/\n(\d+) as expected, 0 unexpected/);
    expect(stdout).not.toMatch(/^FAIL/m);
  }, 150_000);
});
