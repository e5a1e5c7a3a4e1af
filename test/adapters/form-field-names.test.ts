import { describe, expect, it } from 'vitest';
import { placeField, type FormFields } from '../../src/adapters/form-field-names.js';

const place = (pairs: [string, string][]): unknown => {
  const fields = Object.create(null) as FormFields;
  for (const [name, value] of pairs) placeField(fields, name, value);
  return JSON.parse(JSON.stringify(fields));
};

describe('placeField: multipart names as multer (append-field) nests them', () => {
  it('flat names stay flat; a repeated one becomes an array', () => {
    expect(place([['email', 'a@x'], ['note', 'n']])).toEqual({ email: 'a@x', note: 'n' });
    expect(place([['tag', 'a'], ['tag', 'b'], ['tag', 'c']])).toEqual({ tag: ['a', 'b', 'c'] });
  });

  it('a final [] makes an array, even of one value; other segments nest objects', () => {
    expect(place([['email[]', 'victim@x']])).toEqual({ email: ['victim@x'] });
    expect(place([['user[name]', 'a'], ['user[roles][]', 'x'], ['user[roles][]', 'y']])).toEqual({ user: { name: 'a', roles: ['x', 'y'] } });
    expect(place([['a[99999999]', 'v']])).toEqual({ a: { '99999999': 'v' } });
  });

  it('names that are not well bracketed are taken as they are; nothing reaches a prototype', () => {
    expect(place([['a[b', '1'], ['a]b[', '2'], ['[x]', '3'], ['a[b]c', '4']])).toEqual({ 'a[b': '1', 'a]b[': '2', '[x]': '3', 'a[b]c': '4' });
    const fields = Object.create(null) as FormFields;
    placeField(fields, '__proto__[polluted]', 'yes');
    placeField(fields, 'constructor[prototype][polluted]', 'yes');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(fields).sort()).toEqual(['__proto__', 'constructor']);
  });

  it('a path running into a value of another kind keeps that value', () => {
    expect(place([['a', '1'], ['a[b]', '2']])).toEqual({ a: { '': '1', b: '2' } });
  });
});
