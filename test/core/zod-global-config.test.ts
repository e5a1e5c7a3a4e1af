/**
 * zod's global configuration belongs to the application: importing the package and validating options must leave
 * it as the application set it (or did not), while the package's own messages stay English either way. This file
 * loads zod/mini only (classic zod would set an English locale globally on import and hide the difference).
 */
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { createShield, ShieldConfigError } from '../../src/index.js';
import { createPinSetPublisher } from '../../src/channel/publisher.js';

function configIssues(run: () => unknown): readonly { path: string; message: string }[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ShieldConfigError) return error.issues;
    throw error;
  }
  throw new Error('expected a ShieldConfigError');
}

describe("zod's global configuration", () => {
  it('is left without a locale by importing the package and validating options', async () => {
    expect(z.config().localeError).toBeUndefined();
    const issues = configIssues(() => createShield({ verifierTimeoutMs: 0 }));
    expect(issues).toContainEqual({ path: 'verifierTimeoutMs', message: 'Too small: expected number to be >0' });
    await expect(createPinSetPublisher({ hosts: 'x' } as never)).rejects.toThrow(ShieldConfigError);
    expect(z.config().localeError).toBeUndefined();
    // The application's own schemas keep zod/mini's bare message.
    const own = z.number().check(z.positive()).safeParse(0);
    expect(own.success ? undefined : own.error.issues[0]?.message).toBe('Invalid input');
  });

  it("keeps the application's error map for its schemas, and English for the package's", () => {
    const customError = (): string => 'message from the app';
    z.config({ customError });
    try {
      const own = z.number().safeParse('x');
      expect(own.success ? undefined : own.error.issues[0]?.message).toBe('message from the app');
      const issues = configIssues(() => createShield({ verifierTimeoutMs: 0 }));
      expect(issues).toContainEqual({ path: 'verifierTimeoutMs', message: 'Too small: expected number to be >0' });
      expect(z.config().customError).toBe(customError);
    } finally {
      z.config({ customError: undefined });
    }
  });
});
