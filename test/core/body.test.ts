import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { BodyError, readRawBody } from '../../src/core/body.js';
import { parseBody } from '../../src/shield.js';
import { declaresBody } from '../../src/core/request.js';

describe('readRawBody', () => {
  it('reads a stream fully', async () => {
    const body = await readRawBody(Readable.from([Buffer.from('{"a":'), Buffer.from('1}')]), 100);
    expect(body.toString()).toBe('{"a":1}');
  });
  it('rejects with payload_too_large as soon as the limit is passed, and stops buffering', async () => {
    const stream = new PassThrough();
    const pending = readRawBody(stream, 10);
    stream.write(Buffer.alloc(8));
    stream.write(Buffer.alloc(8));
    await expect(pending).rejects.toMatchObject({ name: 'BodyError', code: 'payload_too_large' });
    expect(stream.listenerCount('data')).toBe(0);
  });
  it('rejects up front when Content-Length declares too much', async () => {
    const stream = Object.assign(new PassThrough(), { headers: { 'content-length': '5000' } });
    await expect(readRawBody(stream, 100)).rejects.toBeInstanceOf(BodyError);
  });
  it('rejects instead of hanging when the stream is destroyed', async () => {
    const stream = new PassThrough();
    const pending = readRawBody(stream, 100);
    stream.write('partial');
    stream.destroy();
    await expect(pending).rejects.toThrow(/closed|aborted/);
  });

  let server: ReturnType<typeof createServer> | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  it('rejects when a real client aborts mid-body (local server)', async () => {
    const result = new Promise<unknown>((resolve) => {
      server = createServer((req: IncomingMessage) => {
        readRawBody(req, 1_000_000).then(resolve, resolve);
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server!.address() as AddressInfo;
    const client = httpRequest({ host: '127.0.0.1', port, method: 'POST', headers: { 'content-length': '1000' } });
    client.on('error', () => undefined);
    client.write('only part of it');
    setTimeout(() => client.destroy(), 50);
    const outcome = await result;
    expect(outcome).toBeInstanceOf(Error);
  });
});

describe('parseBody', () => {
  it('returns undefined for an empty body', () => {
    expect(parseBody(Buffer.alloc(0), 'application/json')).toBeUndefined();
  });
  it('parses JSON and +json, and rejects bad JSON as payload_malformed', () => {
    expect(parseBody(Buffer.from('{"a":[1]}'), 'application/json; charset=utf-8')).toEqual({ a: [1] });
    expect(parseBody(Buffer.from('{"type":"x"}'), 'application/problem+json')).toEqual({ type: 'x' });
    try {
      parseBody(Buffer.from('{"a":'), 'application/json');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(BodyError);
      expect((error as BodyError).code).toBe('payload_malformed');
    }
  });
  it('parses forms with bracket nesting and repeated keys, without prototype pollution', () => {
    const form = parseBody(Buffer.from('a[b]=1&tag=x&tag=y&__proto__[admin]=true'), 'application/x-www-form-urlencoded') as Record<string, unknown>;
    expect(JSON.parse(JSON.stringify(form))).toMatchObject({ a: { b: '1' }, tag: ['x', 'y'] });
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    expect(Object.getPrototypeOf(form)).toBeNull();
  });
  it('keeps a JSON __proto__ key as an own property (JSON.parse never pollutes)', () => {
    const value = parseBody(Buffer.from('{"__proto__":{"admin":true}}'), 'application/json') as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });
  it('returns text for textual types and the Buffer otherwise', () => {
    expect(parseBody(Buffer.from('<a/>'), 'application/xml')).toBe('<a/>');
    expect(parseBody(Buffer.from('hi'), 'text/plain')).toBe('hi');
    const raw = Buffer.from([1, 2, 3]);
    expect(parseBody(raw, 'application/octet-stream')).toBe(raw);
    expect(parseBody(raw, undefined)).toBe(raw);
  });
});

describe('declaresBody', () => {
  it('is false only without Transfer-Encoding and with no Content-Length or exactly `0`', () => {
    expect(declaresBody({})).toBe(false);
    expect(declaresBody({ 'content-length': '0' })).toBe(false);
    for (const headers of [
      { 'content-length': '5' },
      { 'content-length': '' },
      { 'content-length': '00' },
      { 'content-length': ['0', '0'] },
      { 'transfer-encoding': 'chunked' },
      { 'transfer-encoding': 'chunked', 'content-length': '0' },
    ]) {
      expect(declaresBody(headers), JSON.stringify(headers)).toBe(true);
    }
  });
});
