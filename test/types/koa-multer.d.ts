// @koa/multer ships no types: the part of its API the tests use (multer's, returning Koa middleware).
declare module '@koa/multer' {
  import type { Middleware } from 'koa';
  import type { Field, Options } from 'multer';

  interface KoaMulter {
    single(name: string): Middleware;
    array(name: string, maxCount?: number): Middleware;
    fields(fields: readonly Field[]): Middleware;
    any(): Middleware;
    none(): Middleware;
  }
  function koaMulter(options?: Options): KoaMulter;
  export = koaMulter;
}
