import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('npm run demo', () => {
  it('plays every scripted client and gets the expected answer', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'examples/demo.ts'], { timeout: 120_000 });
    expect(stdout).toMatch(/\n(\d+) as expected, 0 unexpected/);
    expect(stdout).not.toMatch(/^FAIL/m);
    // Channel integrity: the MITM certificate's report reached the server and was recognised.
    expect(stdout).toMatch(/^ok +channel integrity +MITM proxy certificate fails the pin check; its report arrives +204 +204/m);
    expect(stdout).toMatch(/^pin-failure report: api\.demo\.test .*Corporate Interception Proxy CA \(MITM suspected\)$/m);
  }, 150_000);
});
