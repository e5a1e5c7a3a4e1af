/**
 * Two shield instances in two processes sharing one Redis (127.0.0.1:6379): a single-use token used on A is
 * refused on B, and a lockout reached through A holds on B.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestAttester } from '../../src/testing/index.js';
import { deletePrefix } from '../stores/redis-helpers.js';

const attester = createTestAttester({ header: 'approov-token' });
const prefix = `mas-test-two-${randomUUID()}:`;
const fixture = fileURLToPath(new URL('./fixtures/credential-server.ts', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));

interface Instance {
  child: ChildProcess;
  url: string;
}

function startInstance(name: string): Promise<Instance> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
      cwd: root,
      env: { ...process.env, REDIS_PREFIX: prefix, SHIELD_SECRET: attester.secret, INSTANCE: name },
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

function stopInstance(instance: Instance | undefined): Promise<void> {
  if (!instance) return Promise.resolve();
  return new Promise((resolve) => {
    if (instance.child.exitCode !== null) return resolve();
    instance.child.once('exit', () => resolve());
    instance.child.stdin!.end();
    setTimeout(() => instance.child.kill('SIGKILL'), 3000).unref();
  });
}

describe('two shield instances in two processes sharing one Redis', () => {
  let a: Instance;
  let b: Instance;
  const redis = new Redis({ host: '127.0.0.1', port: 6379 });
  beforeAll(async () => {
    [a, b] = await Promise.all([startInstance('A'), startInstance('B')]);
  });
  afterAll(async () => {
    await Promise.all([stopInstance(a), stopInstance(b)]);
    await deletePrefix(redis, prefix);
    redis.disconnect();
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
        .send({ email: 'shared-victim@example.com', password });
    for (let i = 0; i < 3; i++) expect((await login(a.url)).status).toBe(401);
    // A counts the outcome once its response has finished, a moment after the client has it: wait until the lock
    // is in Redis (asking B earlier with the right password would reset the streak and hide the race).
    for (let i = 0; i < 100 && (await redis.keys(`${prefix}{ca:lock:*`)).length === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const locked = await login(b.url, 'correct-password');
    expect(locked.status).toBe(429);
    expect(locked.body.code).toBe('login_locked');
    expect(locked.headers['retry-after']).toBe('60');
    expect((await login(a.url, 'correct-password')).status).toBe(429);
  });
});
