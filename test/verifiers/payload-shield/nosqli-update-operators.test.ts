/**
 * NoSQL: MONGO_OPERATORS lists the update operators `$set`, `$unset`, `$push`, `$pull`, `$inc`, `$rename`, but not
 * `$addToSet`, `$min`, `$max`, `$mul`, `$setOnInsert`, `$currentDate`, `$pop`, `$pullAll`, `$bit`: a body passed to
 * `updateOne({ _id }, req.body)` grants itself a role with `$addToSet` where `$push` is denied.
 */
import { describe, expect, it } from 'vitest';
import { checkBody } from './review-helpers.js';

describe('MongoDB update operators as body keys', () => {
  it('denies $addToSet/$max/$min/$mul/$setOnInsert as it denies $push/$inc/$set', async () => {
    expect((await checkBody({ $push: { roles: 'admin' } })).allowed).toBe(false);
    expect((await checkBody({ $inc: { balance: 1e9 } })).allowed).toBe(false);
    const bodies = [{ $addToSet: { roles: 'admin' } }, { $max: { balance: 1e9 } }, { $min: { price: 0 } }, { $mul: { price: 0 } }, { $setOnInsert: { role: 'admin' } }];
    const got: [string, boolean][] = [];
    for (const b of bodies) got.push([JSON.stringify(b), (await checkBody(b)).allowed]);
    expect(got).toEqual(bodies.map((b) => [JSON.stringify(b), false]));
  });
});

describe('more update operators and pipeline stages', () => {
  it('denies $currentDate/$pop/$pullAll/$bit/$replaceRoot/$addFields as keys and in brackets', async () => {
    const bodies = [{ $currentDate: { at: true } }, { $pop: { roles: 1 } }, { $pullAll: { bans: ['me'] } }, { $bit: { flags: { or: 1 } } }, { $replaceRoot: { newRoot: '$admin' } }, { $addFields: { role: 'admin' } }, { 'user[$addToSet]': 'x' }];
    const got: [string, boolean][] = [];
    for (const b of bodies) got.push([JSON.stringify(b), (await checkBody(b)).allowed]);
    expect(got).toEqual(bodies.map((b) => [JSON.stringify(b), false]));
  });
});
