/**
 * The SSRF resource-document exemption (a plainly spelled internal http(s) URL below the top level of a body
 * describes a resource) counts object levels only: an array around the URL (`{"url": ["http://..."]}`, a form's
 * `url[]=`, a top-level batch `[{"url": ...}]`) nests it no deeper, as `fetch([url])` fetches the URL.
 */
import { describe, expect, it } from 'vitest';
import { checkBody } from './review-helpers.js';

const TARGET = 'http://127.0.0.1:6379/';
/** Long enough to be remembered by the per-request memo (value-memo.ts). */
const LONG = 'http://10.0.0.5:8080/internal/admin/reload-config';

describe('SSRF: array indices are no nesting level for the resource-document exemption', () => {
  it('denies an internal URL wrapped in arrays at the top of the body', async () => {
    const bodies: unknown[] = [{ url: [TARGET] }, { url: [[TARGET]] }, [{ url: TARGET }], [[{ url: TARGET }]], [{ url: [TARGET] }], [TARGET], { webhooks: [TARGET] }];
    const out: [unknown, boolean][] = [];
    for (const b of bodies) out.push([b, (await checkBody(b)).allowed]);
    expect(out).toEqual(bodies.map((b) => [b, false]));
  });

  it('keeps the exemption for URLs in nested documents (an object level below the top), arrays between or not', async () => {
    const bodies: unknown[] = [
      { servers: [{ url: 'http://localhost:8080' }] },
      { repository: { owner: { url: 'http://10.0.0.5/api/users/octo' } } },
      [{ links: { self: 'http://127.0.0.1:3000/items/1' } }],
      { data: [{ attributes: { homepage: ['http://192.168.1.20/'] } }] },
    ];
    const out: [unknown, boolean][] = [];
    for (const b of bodies) out.push([b, (await checkBody(b)).allowed]);
    expect(out).toEqual(bodies.map((b) => [b, true]));
  });

  it('does not replay a nested verdict for the same URL at the top level (memo keyed by object depth)', async () => {
    expect(await checkBody([{ a: { url: LONG } }, { url: LONG }])).toEqual({ allowed: false, detail: 'score 5/5: ssrf-internal-host@body[1].url' });
    expect(await checkBody({ a: { url: LONG }, b: [{ url: LONG }] })).toEqual({ allowed: true, detail: '' });
  });

  it('still denies obfuscated spellings and metadata addresses at any depth', async () => {
    expect((await checkBody({ a: { b: [{ url: 'http://0x7f000001/' }] } })).allowed).toBe(false);
    expect((await checkBody({ a: { b: { url: 'http://169.254.169.254/latest/meta-data/' } } })).allowed).toBe(false);
  });
});
