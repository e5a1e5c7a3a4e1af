/** Test helpers for applications protected by mobile-api-shield. */
export { createTestAttester } from './test-attester.js';
export type { TestAttester, TestAttesterOptions, MintOptions } from './test-attester.js';
