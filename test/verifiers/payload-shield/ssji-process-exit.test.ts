/**
 * SSJI: PROCESS_ACCESS named `kill` and `reallyexit` but not `exit`, so `process.exit()` evaluated by `eval`/`vm`
 * ends the server unflagged. Only the call shape counts: "process exit code 1" in a crash report stays allowed.
 */
import { describe, expect, it } from 'vitest';
import { verdicts } from './review-helpers.js';

describe('process.exit calls', () => {
  it('denies them', async () => {
    const payloads = ['process.exit()', 'process.exit(1)', "process['exit']()", '1;process.exit(0)'];
    expect(await verdicts('expr', payloads)).toEqual(payloads.map((p) => [p, false]));
  });

  it('allows prose about exiting', async () => {
    const benign = ['the process exited with code 1', 'process exit code 137 in the logs', 'on process.exitCode we log'];
    expect(await verdicts('expr', benign)).toEqual(benign.map((p) => [p, true]));
  });
});
