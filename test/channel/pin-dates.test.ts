/**
 * Pin expirations are calendar days written `yyyy-MM-dd`. Any other string was parsed by `new Date`, which reads
 * `2027-6-1` as local midnight: east of UTC the day emitted was the one before. Such strings are now refused, as are
 * days that do not exist.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatPins } from '../../src/channel/formats.js';
import { PinValidationError, toPinDate, validatePinConfig } from '../../src/channel/validate-pins.js';

const LEAF = Buffer.alloc(32, 1).toString('base64');
const BACKUP = Buffer.alloc(32, 4).toString('base64');
const NOW = new Date('2026-06-01T00:00:00Z');

const savedTz = process.env.TZ;
beforeEach(() => {
  process.env.TZ = 'Asia/Tokyo'; // UTC+9: a local-midnight reading lands on the day before in UTC
});
afterEach(() => {
  if (savedTz === undefined) delete process.env.TZ;
  else process.env.TZ = savedTz;
});

describe('toPinDate', () => {
  it('refuses date strings other than yyyy-MM-dd instead of reading them as local time', () => {
    expect(new Date('2027-6-1').toISOString().slice(0, 10)).toBe('2027-05-31'); // the trap, in this time zone
    for (const written of ['2027-6-1', '2027/06/01', 'June 1, 2027', '2027-06-01T00:00:00', '2027-06-01T00:00:00Z', ' 2027-06-01', '20270601']) {
      expect(toPinDate(written), written).toBeUndefined();
    }
  });

  it('keeps a yyyy-MM-dd string as written and takes a Date\'s UTC day', () => {
    expect(toPinDate('2027-06-01')).toBe('2027-06-01');
    expect(toPinDate('2028-02-29')).toBe('2028-02-29');
    expect(toPinDate(new Date('2027-06-01T00:00:00Z'))).toBe('2027-06-01');
    expect(toPinDate(new Date('2027-06-01T23:30:00Z'))).toBe('2027-06-01');
    expect(toPinDate(undefined)).toBeUndefined();
    expect(toPinDate(new Date(Number.NaN))).toBeUndefined();
  });

  it('refuses calendar days that do not exist', () => {
    for (const day of ['2027-02-30', '2027-02-29', '2027-04-31', '2027-06-31']) expect(toPinDate(day), day).toBeUndefined();
  });
});

describe('an expiration that is not a yyyy-MM-dd calendar day', () => {
  it('is an expiry_invalid error of the configuration, and no format is emitted with it', () => {
    for (const expiresAt of ['2027-6-1', '2027/06/01', '2027-02-30']) {
      const hosts = { 'api.example.com': { pins: [LEAF], backupPins: [BACKUP], expiresAt } };
      expect(validatePinConfig(hosts, { now: NOW }).errors.map((e) => e.code), expiresAt).toEqual(['expiry_invalid']);
      expect(() => formatPins('nsc', hosts, { now: NOW }), expiresAt).toThrow(PinValidationError);
    }
  });
});
