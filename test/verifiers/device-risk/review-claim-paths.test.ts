/**
 * Review: a claim path with an empty segment (`dev..rooted`, `dev.rooted.`, `.did`) can never be read from a token,
 * so the mapping it belongs to silently never applied (a rooted device always "clean", a denylisted id never seen).
 * Such a path is now refused when the shield is built.
 */
import { describe, expect, it } from 'vitest';
import { ShieldConfigError } from '../../../src/core/errors.js';
import { createShield } from '../../../src/shield.js';

describe('device-risk token claim paths', () => {
  it.each([
    ['a signal claim with an empty segment', { signals: { 'dev..rooted': 'rooted' as const } }],
    ['a signal claim with a trailing dot', { signals: { 'dev.rooted.': 'rooted' as const } }],
    ['a device id claim with a leading dot', { deviceId: '.did' }],
    ['an app version claim with an empty segment', { appVersion: 'app..ver' }],
    ['a platform claim of a single dot', { platform: '.' }],
  ])('refuses %s', (_name, tokenClaims) => {
    expect(() => createShield({ device: { tokenClaims } })).toThrow(ShieldConfigError);
  });

  it('accepts dotted paths without empty segments', () => {
    expect(() => createShield({ device: { tokenClaims: { signals: { 'dev.rooted': 'rooted' }, deviceId: 'dev.id', levels: 'lv' } } })).not.toThrow();
  });
});
