/**
 * Review: IP reputation configuration that silently judged less than it said is refused at startup.
 * - Two lists of one name: the second list's `action`/`weight` replaced the first's for both lists' addresses, so a
 *   `deny` list turned into an `allow` one (shown over real HTTP below, with the shield built without the check).
 * - A policy condition `ip:<name>` naming no list (`ip:Tor` for the list `tor`) was never hit, so the list kept its
 *   own milder action; a route's inline `ip:` condition too.
 * - A list with no entry at all (no `cidrs`, an empty array, an empty file) matched nothing: "allow all".
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { ShieldConfigError } from '../../../src/core/errors.js';
import { createShield } from '../../../src/shield.js';
import { ADAPTERS } from '../../helpers/adapters.js';

const express = ADAPTERS.find((a) => a.name === 'express5')!;

describe('device-risk IP list configuration', () => {
  it('a second list of the same name no longer turns a deny list into allow (real HTTP)', async () => {
    const build = () =>
      createShield({
        device: {
          ipReputation: {
            lists: [
              { name: 'blocked', cidrs: ['127.0.0.1'], action: 'deny' },
              { name: 'blocked', cidrs: ['192.0.2.0/24'], action: 'allow' },
            ],
          },
          policy: { actions: { noAttestation: 'allow' } },
        },
      });
    let shield: ReturnType<typeof build> | undefined;
    try {
      shield = build();
    } catch (error) {
      expect(error).toBeInstanceOf(ShieldConfigError);
      expect((error as Error).message).toMatch(/blocked/);
    }
    if (shield === undefined) return;
    // Built (the defect): a request from the deny-listed 127.0.0.1 must still be refused.
    const app = await express.start(shield, [{ method: 'GET', path: '/feed' }]);
    try {
      const res = await request(app.server).get('/feed');
      expect(res.status).toBe(403);
    } finally {
      await app.close();
    }
  });

  it('refuses a policy condition ip:<name> that names no list, in every layer', () => {
    const lists = [{ name: 'tor', cidrs: ['185.220.100.0/22'] }];
    expect(() => createShield({ device: { ipReputation: { lists }, policy: { actions: { 'ip:Tor': 'deny' } } } })).toThrow(ShieldConfigError);
    expect(() => createShield({ device: { ipReputation: { lists }, policy: { weights: { 'ip:tr': 90 } } } })).toThrow(ShieldConfigError);
    expect(() => createShield({ device: { policy: { markets: { DE: { actions: { 'ip:tor': 'deny' } } } } } })).toThrow(ShieldConfigError);
    expect(() =>
      createShield({ device: { ipReputation: { lists }, policy: { sensitivities: { pay: { actions: { 'ip:tor2': 'deny' } } } } } }),
    ).toThrow(ShieldConfigError);
    expect(() =>
      createShield({ device: { ipReputation: { lists } }, routes: { 'POST /pay': { device: { actions: { 'ip:Tor': 'deny' } } } } }),
    ).toThrow(ShieldConfigError);
    // The list's own name is fine everywhere.
    expect(() =>
      createShield({
        device: {
          ipReputation: { lists },
          country: { headers: ['cf-ipcountry'] },
          policy: { actions: { 'ip:tor': 'deny' }, markets: { DE: { weights: { 'ip:tor': 10 } } } },
        },
        routes: { 'POST /pay': { device: { actions: { 'ip:tor': 'step-up' } } } },
      }),
    ).not.toThrow();
  });

  it('refuses a list with no entries (no cidrs, an empty array, an empty file)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shield-review-ip-'));
    const empty = join(dir, 'tor.txt');
    writeFileSync(empty, '# downloaded list, truncated\n\n');
    for (const list of [{ name: 'tor' }, { name: 'tor', cidrs: [] }, { name: 'tor', file: empty }]) {
      expect(() => createShield({ device: { ipReputation: { lists: [list] } } }), JSON.stringify(list)).toThrow(/no entries/);
    }
  });
});

describe('device-risk markets need a country source', () => {
  const markets = { IN: { actions: { rooted: 'allow' as const } } };

  it('refuses markets with neither country.headers nor country.resolver (they would never apply)', () => {
    expect(() => createShield({ device: { policy: { markets } } })).toThrow(/markets needs a country source/);
    expect(() => createShield({ device: { country: { headers: [] }, policy: { markets } } })).toThrow(ShieldConfigError);
    expect(() => createShield({ device: { country: { headers: ['cf-ipcountry'] }, policy: { markets } } })).not.toThrow();
    expect(() => createShield({ device: { country: { resolver: () => undefined }, policy: { markets } } })).not.toThrow();
    expect(() => createShield({ device: { policy: { markets: {} } } })).not.toThrow();
  });
});
