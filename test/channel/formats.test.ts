import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CertificatePin } from '../../src/channel/compute-pins.js';
import { formatPins, PIN_FORMATS } from '../../src/channel/formats.js';
import { PinValidationError, validatePinConfig } from '../../src/channel/validate-pins.js';

// Fixed pins (32-byte values, base64) so the golden files never change.
const LEAF = Buffer.alloc(32, 1).toString('base64');
const INTERMEDIATE = Buffer.alloc(32, 2).toString('base64');
const ROOT = Buffer.alloc(32, 3).toString('base64');
const BACKUP = Buffer.alloc(32, 4).toString('base64');
const NOW = new Date('2026-06-01T00:00:00Z');

const HOSTS = {
  'api.example.com': { pins: [INTERMEDIATE, LEAF], backupPins: [BACKUP], includeSubdomains: true, expiresAt: '2027-06-01' },
  'cdn.example.com': { pins: [ROOT, INTERMEDIATE], backupPins: [BACKUP], enforce: false },
};
const golden = (name: string) => readFileSync(path.join(import.meta.dirname, 'golden', name), 'utf8');
const chainOf = (entries: [CertificatePin['role'], string][]): CertificatePin[] =>
  entries.map(([role, sha256]) => ({ role, sha256, subject: '', issuer: '', validTo: '', fingerprint256: '' }));

describe('formatPins golden outputs', () => {
  for (const format of PIN_FORMATS) {
    it(`${format}`, () => {
      const out = formatPins(format, HOSTS, { now: NOW, reportUris: ['https://api.example.com/pinning/report'] });
      expect(out.text).toBe(golden(`${format}.txt`));
      expect(out.warnings).toEqual([]);
    });
  }
});

describe('nsc comments', () => {
  it('a punycode host not enforced is named in a well-formed comment (no "--" inside it)', () => {
    const out = formatPins('nsc', { 'xn--bcher-kva.example': { pins: [LEAF], enforce: false } }, { now: NOW }).text;
    const comments = [...out.matchAll(/<!--([\s\S]*?)-->/g)].map((m) => m[1]!);
    expect(comments).toHaveLength(1);
    expect(comments[0]).toContain('xn&#45;&#45;bcher&#45;kva.example');
    expect(comments[0]).not.toContain('--');
  });
});

describe('pin validation', () => {
  it('refuses an enforcing set with one pin, in every enforcing format (raw only lists pins)', () => {
    const one = { 'api.example.com': { pins: [LEAF] } };
    for (const format of PIN_FORMATS.filter((f) => f !== 'raw')) {
      expect(() => formatPins(format, one, { now: NOW })).toThrow(PinValidationError);
    }
    expect(formatPins('raw', one).text).toBe(`${LEAF}\n`);
    expect(validatePinConfig(one, { now: NOW }).errors.map((e) => e.code)).toEqual(['too_few_pins']);
  });

  it('allows one pin when not enforcing (the emergency switch)', () => {
    expect(validatePinConfig({ 'api.example.com': { pins: [LEAF], enforce: false } }, { now: NOW }).errors).toEqual([]);
  });

  it('requires a backup outside the current chain', () => {
    const chain = chainOf([['leaf', LEAF], ['intermediate', INTERMEDIATE], ['root', ROOT]]);
    // Two pins, both in the chain: a key change bricks the app.
    const inChain = validatePinConfig({ 'api.example.com': { pins: [LEAF, INTERMEDIATE] } }, { chain, now: NOW });
    expect(inChain.errors.map((e) => e.code)).toEqual(['no_backup_pin']);
    // Without a chain, backupPins must hold a pin that is not a current pin.
    const noChain = validatePinConfig({ 'api.example.com': { pins: [LEAF, INTERMEDIATE], backupPins: [LEAF] } }, { now: NOW });
    expect(noChain.errors.map((e) => e.code)).toEqual(['no_backup_pin']);
    expect(validatePinConfig({ 'api.example.com': { pins: [LEAF], backupPins: [BACKUP] } }, { chain, now: NOW }).errors).toEqual([]);
  });

  it('warns when the expiry is near or past, errors when it is not a date', () => {
    const at = (expiresAt: string) =>
      validatePinConfig({ 'api.example.com': { pins: [LEAF], backupPins: [BACKUP], expiresAt } }, { now: NOW });
    expect(at('2026-06-20').warnings.map((w) => w.code)).toEqual(['expiry_near']);
    expect(at('2026-05-01').warnings.map((w) => w.code)).toEqual(['expiry_past']);
    expect(at('2026-09-01').warnings).toEqual([]);
    expect(at('soon').errors.map((w) => w.code)).toEqual(['expiry_invalid']);
    const out = formatPins('nsc', { 'api.example.com': { pins: [LEAF], backupPins: [BACKUP], expiresAt: '2026-06-20' } }, { now: NOW });
    expect(out.warnings[0]?.message).toMatch(/expire on 2026-06-20, in 19 day/);
  });

  it('warns when only a root is pinned', () => {
    const chain = chainOf([['leaf', LEAF], ['root', ROOT]]);
    const result = validatePinConfig({ 'api.example.com': { pins: [ROOT], backupPins: [BACKUP] } }, { chain, now: NOW });
    expect(result.warnings.map((w) => w.code)).toEqual(['root_only']);
  });

  it('rejects malformed pins and hosts', () => {
    const result = validatePinConfig(
      { 'API.example.com': { pins: ['sha256/abc', LEAF], backupPins: [BACKUP.slice(0, -2) + 'B='] } },
      { now: NOW },
    );
    expect(result.errors.map((e) => e.code).sort()).toEqual(['host_invalid', 'pin_malformed', 'pin_malformed']);
    expect(validatePinConfig({ 'a.example': { pins: 'x' as unknown as string[] } }, { now: NOW }).errors.map((e) => e.code)).toEqual(['too_few_pins']);
  });

  it('refuses an enforcing host with no pin of the chain it serves, current or backup (apps would refuse the server)', () => {
    const chain = chainOf([['leaf', LEAF], ['intermediate', INTERMEDIATE], ['root', ROOT]]);
    const mistyped = { 'api.example.com': { pins: [Buffer.alloc(32, 7).toString('base64')], backupPins: [BACKUP] } };
    expect(validatePinConfig(mistyped, { chain, now: NOW }).errors.map((e) => e.code)).toEqual(['pin_not_in_chain']);
    expect(() => formatPins('okhttp', mistyped, { chain, now: NOW })).toThrow(PinValidationError);
    // Without the chain the mistake cannot be seen; with it, one chain pin is enough; the emergency switch is exempt.
    expect(validatePinConfig(mistyped, { now: NOW }).errors).toEqual([]);
    expect(validatePinConfig({ 'api.example.com': { pins: [INTERMEDIATE], backupPins: [BACKUP] } }, { chain, now: NOW }).errors).toEqual([]);
  });

  it('between the certificate switch and the promotion (the served key only a backup) it warns, as for backups alone', () => {
    const switched = chainOf([['leaf', BACKUP], ['root', ROOT]]);
    const midRotation = validatePinConfig({ 'api.example.com': { pins: [LEAF], backupPins: [BACKUP, INTERMEDIATE] } }, { chain: switched, now: NOW });
    expect(midRotation.errors).toEqual([]);
    expect(midRotation.warnings.map((w) => w.code)).toEqual(['only_backup_in_chain']);
    const backupsOnly = validatePinConfig({ 'api.example.com': { pins: [], backupPins: [BACKUP, LEAF] } }, { now: NOW });
    expect(backupsOnly.errors).toEqual([]);
    expect(backupsOnly.warnings.map((w) => w.code)).toEqual(['no_current_pin']);
  });
});
