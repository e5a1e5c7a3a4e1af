import { expect } from 'vitest';
import { ShieldConfigError } from '../../src/core/errors.js';
import { createShield } from '../../src/shield.js';

/** The `ShieldConfigError` that `createShield(config)` throws; fails the test when it throws nothing or another error. */
export function configError(config: unknown): ShieldConfigError {
  try {
    createShield(config as never);
  } catch (error) {
    expect(error).toBeInstanceOf(ShieldConfigError);
    return error as ShieldConfigError;
  }
  throw new Error('expected createShield to throw');
}
