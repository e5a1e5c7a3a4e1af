/**
 * A module that adds an API namespace to the shield (`create` returns `{ verifiers, api }`): the API sits at
 * `shield[key]` next to the module's verifiers, a module that is not configured adds nothing, and a module API may
 * not take the name of a shield property.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineVerifierModule, ShieldConfigError } from '../../src/index.js';
import { createShield } from '../../src/shield.js';

function counterModule(key: string) {
  return defineVerifierModule({
    key,
    configSchema: z.object({}).strict(),
    create: () => {
      let seen = 0;
      return {
        verifiers: { name: `${key}-verifier`, verify: () => ((seen += 1), { outcome: 'pass' as const }) },
        api: { seen: () => seen },
      };
    },
  });
}

describe('module API namespaces', () => {
  it('puts the api at shield[key], sharing state with the module verifiers', async () => {
    const shield = createShield<object, { visits?: object }>({ modules: [counterModule('visits')], visits: {} });
    const api = (shield as unknown as { visits: { seen(): number } }).visits;
    await shield.check({ method: 'GET', path: '/', ip: '127.0.0.1', headers: {} });
    await shield.check({ method: 'GET', path: '/', ip: '127.0.0.1', headers: {} });
    expect(api.seen()).toBe(2);
    expect(Object.keys(shield)).toContain('visits');
  });

  it('adds nothing for a module without its config section', () => {
    const shield = createShield({ modules: [counterModule('visits')] });
    expect('visits' in shield).toBe(false);
  });

  it('refuses a module API named like a shield property', () => {
    expect(() => createShield<object, { respond?: object }>({ modules: [counterModule('respond')], respond: {} })).toThrow(ShieldConfigError);
  });

  it('the built-in credentials module exposes reset; without its section reset rejects instead of doing nothing', async () => {
    expect(typeof createShield({ credentials: {} }).credentials.reset).toBe('function');
    await expect(createShield({}).credentials.reset({ username: 'a' })).rejects.toThrow(/needs the credentials section/);
  });
});
