/**
 * `withUploadedFiles`: the body the walk reads when multer ran before the body stage, with each file placed as the
 * shield's own multipart reader places a file part (`{ filename }` under the part name). The body and the files the
 * handler reads are never changed (all inputs here are deeply frozen: a write would throw).
 */
import { describe, expect, it } from 'vitest';
import { withUploadedFiles } from '../../src/adapters/multipart-fields.js';

function deepFreeze<T>(value: T): T {
  // A Buffer's bytes cannot be frozen (and are never written either way).
  if (typeof value === 'object' && value !== null && !ArrayBuffer.isView(value)) {
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
    Object.freeze(value);
  }
  return value;
}

const multerFile = (fieldname: string, originalname: string): object => deepFreeze({ fieldname, originalname, encoding: '7bit', mimetype: 'image/png', size: 2, buffer: Buffer.from('xx') });
const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe('withUploadedFiles', () => {
  it('hands back the body itself when multer left no file', () => {
    const body = deepFreeze({ title: 'a' });
    for (const [file, files] of [[undefined, undefined], [undefined, []], [undefined, {}], [undefined, { photos: [] }], [null, null]]) {
      expect(withUploadedFiles(body, file, files)).toBe(body);
    }
  });

  it('places upload.single, upload.array and upload.fields files as { filename } under their part names', () => {
    const body = deepFreeze({ title: 'a' });
    expect(plain(withUploadedFiles(body, multerFile('avatar', 'me.png'), undefined))).toEqual({ title: 'a', avatar: { filename: 'me.png' } });
    expect(plain(withUploadedFiles(body, undefined, deepFreeze([multerFile('photos', 'a.png'), multerFile('photos', 'b.png')])))).toEqual({
      title: 'a',
      photos: [{ filename: 'a.png' }, { filename: 'b.png' }],
    });
    const fields = deepFreeze({ avatar: [multerFile('avatar', 'me.png')], photos: [multerFile('photos', 'a.png')] });
    expect(plain(withUploadedFiles(body, undefined, fields))).toEqual({ title: 'a', avatar: { filename: 'me.png' }, photos: { filename: 'a.png' } });
  });

  it('reads a name sent with a path whole and as its base name, as the own reader does', () => {
    expect(plain(withUploadedFiles({}, multerFile('avatar', '../../x/shell.php'), undefined))).toEqual({ avatar: { filename: ['../../x/shell.php', 'shell.php'] } });
  });

  it('puts files beside fields of the same name in a new array, the body unchanged', () => {
    const body = deepFreeze({ photos: ['beach', 'sea'], note: 'n' });
    const view = withUploadedFiles(body, undefined, deepFreeze([multerFile('photos', 'a.png'), multerFile('note', 'b.png')]));
    expect(plain(view)).toEqual({ photos: ['beach', 'sea', { filename: 'a.png' }], note: ['n', { filename: 'b.png' }] });
    expect(body).toEqual({ photos: ['beach', 'sea'], note: 'n' });
    expect(Object.getPrototypeOf(view)).toBe(null);
  });

  it('never throws on shapes multer does not make; entries that are not objects are skipped', () => {
    const odd: [unknown, unknown, unknown, unknown][] = [
      [{}, undefined, 'avatar.png', {}],
      [{}, 42, 7, {}],
      [{}, undefined, [null, 'x', 7, ['y'], Buffer.from('z')], {}],
      [{}, undefined, { photos: 'a.png', other: 3 }, {}],
      [{}, { fieldname: { a: 1 }, originalname: 42 }, undefined, { '': { filename: '' } }],
      [{}, undefined, { photos: { originalname: 'a.png' } }, { photos: { filename: 'a.png' } }],
      ['caption', { fieldname: 'avatar', originalname: 'a.png' }, undefined, { '': 'caption', avatar: { filename: 'a.png' } }],
      [undefined, { fieldname: 'avatar', originalname: 'a.png' }, undefined, { avatar: { filename: 'a.png' } }],
    ];
    for (const [body, file, files, expected] of odd) {
      expect(plain(withUploadedFiles(deepFreeze(body), deepFreeze(file), deepFreeze(files)))).toEqual(expected);
    }
  });

  it('a prototype key as a part name stays an own key of a null-prototype view', () => {
    const view = withUploadedFiles(deepFreeze({}), multerFile('__proto__', 'a.png'), undefined) as Record<string, unknown>;
    expect(Object.hasOwn(view, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).filename).toBeUndefined();
  });
});
