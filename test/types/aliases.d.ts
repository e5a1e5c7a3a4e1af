// The older framework majors are installed under npm aliases; type them as their current majors (the tests only
// use the API both majors share).
declare module 'express4' {
  import express from 'express';
  export = express;
}
declare module 'koa2' {
  import Koa from 'koa';
  export = Koa;
}
