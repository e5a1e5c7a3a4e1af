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
// The lower bounds of the declared peer ranges (express ^4.17.0, koa ^2.13.0, ioredis ^5.0.0), typed the same way.
declare module 'express417' {
  import express from 'express';
  export = express;
}
declare module 'koa213' {
  import Koa from 'koa';
  export = Koa;
}
declare module 'ioredis50' {
  // 5.0.0 has only the default export (the named `Redis` export came later).
  import { Redis } from 'ioredis';
  export default Redis;
}
