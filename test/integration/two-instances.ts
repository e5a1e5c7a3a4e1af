/**
 * The two-instance suite: two shield instances in two processes (Express 5 or Fastify 5) sharing one Redis (a
 * single server or a cluster): single-use tokens, lockouts and login bursts hold across both.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestAttester, type TestAttester } from '../../src/testing/index.js';

const fixture = fileURLToPath(new URL('./fixtures/credential-server.ts', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));

/** One running fixture process. */
export interface Instance {
  child: ChildProcess;
  url: string;
}

/** Starts one fixture instance with extra environment (REDIS_PREFIX, SHIELD_SECRET, REDIS_CLUSTER, FRAMEWORK...). */
export function startInstance(name: string, env: Record<string, string>): Promise<Instance> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
      cwd: root,
      env: { ...process.env, ...env, INSTANCE: name },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`instance ${name} did not start: ${err}`)), 20_000);
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) {
        clearTimeout(timer);
        resolve({ child, url: `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}` });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`instance ${name} exited ${code}: ${err}`));
    });
  });
}

/** Stops a fixture instance (closing stdin, then SIGKILL after 3 s). */
export function stopInstance(instance: Instance | undefined): Promise<void> {
  if (!instance) return Promise.resolve();
  return new Promise((resolve) => {
    if (instance.child.exitCode !== null) return resolve();
    instance.child.once('exit', () => resolve());
    instance.child.stdin!.end();
    setTimeout(() => instance.child.kill('SIGKILL'), 3000).unref();
  });
}

const hitsOf = async (instance: Instance) => ((await request(instance.url).get('/hits')).body as { hits: number }).hits;

/**
 * Registers the suite. `env` is read when the instances start (after the caller's own beforeAll, e.g. a cluster
 * start), so it may be filled in by then.
 */
export function twoInstanceSuite(label: string, framework: 'express' | 'fastify', env: () => Record<string, string>): void {
  describe(`two ${framework} instances in two processes sharing ${label}`, () => {
    const attester: TestAttester = createTestAttester({ header: 'approov-token' });
    let a: Instance;
    let b: Instance;
    beforeAll(async () => {
      const shared = { ...env(), SHIELD_SECRET: attester.secret as string, FRAMEWORK: framework };
      [a, b] = await Promise.all([startInstance('A', shared), startInstance('B', shared)]);
    });
    afterAll(async () => {
      await Promise.all([stopInstance(a), stopInstance(b)]);
    });

    it('a single-use token used on A is refused on B (and vice versa)', async () => {
      const token = await attester.mint({ singleUse: true });
      const first = await request(a.url).post('/transfer').set('approov-token', token).send({});
      expect(first.status).toBe(200);
      expect(first.body.instance).toBe('A');
      const replay = await request(b.url).post('/transfer').set('approov-token', token).send({});
      expect(replay.status).toBe(401);
      expect(replay.body.code).toBe('token_replayed');
      const other = await attester.mint({ singleUse: true });
      expect((await request(b.url).post('/transfer').set('approov-token', other).send({})).status).toBe(200);
      expect((await request(a.url).post('/transfer').set('approov-token', other).send({})).status).toBe(401);
    });

    it('a replay race across both instances: exactly one of 100 concurrent uses passes', async () => {
      const token = await attester.mint({ singleUse: true });
      const statuses = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          request(i % 2 === 0 ? a.url : b.url)
            .post('/transfer')
            .set('approov-token', token)
            .send({})
            .then((r) => r.status),
        ),
      );
      expect(statuses.filter((s) => s === 200)).toHaveLength(1);
      expect(statuses.filter((s) => s === 401)).toHaveLength(99);
    });

    it('a lockout reached through A holds on B', async () => {
      const login = async (url: string, password = 'wrong') =>
        request(url)
          .post('/login')
          .set({ 'approov-token': await attester.mint({ claims: { did: 'two-instance-phone' } }), 'x-forwarded-for': '198.51.100.77' })
          .send({ email: `shared-victim-${framework}@example.com`, password });
      for (let i = 0; i < 3; i++) expect((await login(a.url)).status).toBe(401);
      // A settles the outcome once its response has finished, a moment after the client has it (asking B earlier
      // with the right password would reset the streak and hide the race).
      await new Promise((r) => setTimeout(r, 400));
      const locked = await login(b.url, 'correct-password');
      expect(locked.status).toBe(429);
      expect(locked.body.code).toBe('login_locked');
      expect(locked.headers['retry-after']).toBe('60');
      expect((await login(a.url, 'correct-password')).status).toBe(429);
    });

    it('a burst of 100 concurrent wrong guesses across both instances: at most 3 reach the password check', async () => {
      const before = (await hitsOf(a)) + (await hitsOf(b));
      const token = await attester.mint({ claims: { did: 'burst-phone' } });
      const statuses = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          request(i % 2 === 0 ? a.url : b.url)
            .post('/login')
            .set({ 'approov-token': token, 'x-forwarded-for': '198.51.100.78' })
            .send({ email: `burst-victim-${framework}@example.com`, password: 'wrong' })
            .then((r) => r.status),
        ),
      );
      const reached = (await hitsOf(a)) + (await hitsOf(b)) - before;
      expect(reached).toBeGreaterThan(0);
      expect(reached).toBeLessThanOrEqual(3);
      expect(statuses.filter((s) => s === 401)).toHaveLength(reached);
      expect(statuses.filter((s) => s === 429)).toHaveLength(100 - reached);
    });
  });
}
