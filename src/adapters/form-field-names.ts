/**
 * Where a multipart field lands in the body the handler reads. multer (through append-field) and qs-style parsers
 * nest bracketed names: `email[]=a` hands the handler `{ email: ['a'] }`, `user[name]=a` `{ user: { name: 'a' } }`.
 * Read flat, the shield saw a field named `email[]` and no `email`: a login counted under no username. Placed the
 * same way, a login field that is not a single string is refused as the framework's own parse would make it.
 */

/** A bracketed name: a base, then one or more `[segment]`s (no nested brackets: linear to match). */
const BRACKETED = /^([^[\]]+)((?:\[[^[\]]*\])+)$/;

/** The body being built: null-prototype objects throughout, so no name reaches a prototype. */
export type FormFields = Record<string, unknown>;

/**
 * Puts `value` at `name` in `fields`: a flat name as itself (a repeated one becomes an array, in order), a bracketed
 * one nested: a final `[]` appends to an array (one value still makes an array), any other segment is an object key,
 * indices too (`a[99999999]` makes no sparse array). A path running into a value of another kind (`a=1`, then
 * `a[b]=2`) keeps that value under the key `''` of the object it becomes.
 */
export function placeField(fields: FormFields, name: string, value: string): void {
  const match = BRACKETED.exec(name);
  if (match === null) return append(fields, name, value, false);
  const segments = (match[2] as string).slice(1, -1).split('][');
  let node = fields;
  let key = match[1] as string;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as string;
    if (segment === '' && i === segments.length - 1) return append(node, key, value, true);
    node = objectAt(node, key);
    key = segment;
  }
  append(node, key, value, false);
}

/** The object at `node[key]`, made (or made from the value there) when it is not one. */
function objectAt(node: FormFields, key: string): FormFields {
  const existing = Object.hasOwn(node, key) ? node[key] : undefined;
  if (typeof existing === 'object' && existing !== null && !Array.isArray(existing)) return existing as FormFields;
  const made = Object.create(null) as FormFields;
  if (existing !== undefined) made[''] = existing;
  node[key] = made;
  return made;
}

/** Adds `value` at `node[key]`: alone, or (`list`, or a value already there) in an array. */
function append(node: FormFields, key: string, value: string, list: boolean): void {
  const prior = Object.hasOwn(node, key) ? node[key] : undefined;
  if (prior === undefined) node[key] = list ? [value] : value;
  else if (Array.isArray(prior)) prior.push(value);
  else node[key] = [prior, value];
}
