import { AppAttestError } from '../../../src/attestation/app-attest/errors.js';

/** The `AppAttestError` reason `fn` throws, or `'passed'`; any other error is rethrown. */
export function reasonOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppAttestError) return error.reason;
    throw error;
  }
  return 'passed';
}

/** As `reasonOf`, for a promise or a function that may return one. */
export async function asyncReasonOf(work: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof work === 'function' ? work() : work);
  } catch (error) {
    if (error instanceof AppAttestError) return error.reason;
    throw error;
  }
  return 'passed';
}
