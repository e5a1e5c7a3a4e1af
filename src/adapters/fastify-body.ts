/**
 * The Fastify adapter's body and client parts. Fastify already runs the body stage the way Express and Koa now do:
 * in `preValidation`, on `request.body` as Fastify's own content-type parser produced it (a media type without a
 * parser is refused 415 by Fastify itself). The bytes a verifier needs are copied in `preParsing`, as they arrive
 * (possibly compressed), and decoded here.
 */
import type { IncomingMessage } from 'node:http';
import { decodeContentEncoding } from '../core/body-decode.js';
import { isMultipartForm } from './multipart-fields.js';
import { bodyConsumed } from './node-http.js';
import { declaresBody, type ShieldRequest } from '../core/request.js';
import type { Shield } from '../core/shield.js';

/** Where the Fastify adapter keeps a body's bytes, as received, for the shield. */
export const RAW_BODY = Symbol('mobile-api-shield.raw-body');

interface FastifyClientRequest {
  ip?: string;
  headers: ShieldRequest['headers'];
  [RAW_BODY]?: Buffer;
}

/**
 * The client fields of the ShieldRequest: `request.ip` (Fastify's answer under its `trustProxy`) when the shield is
 * configured with `trustProxy: 'framework'`. Fastify does not expose its trust setting, so whether it trusts proxies
 * is read off the request: a forwarded request whose `request.ip` is not the socket peer was trusted.
 */
export function fastifyClient(shield: Shield): {
  frameworkIp(req: object): string | undefined;
  frameworkTrustsProxy(req: object, socketIp: string): boolean | undefined;
} {
  const fromFramework = shield.config.trustProxy === 'framework';
  return {
    frameworkIp(req) {
      const ip = (req as FastifyClientRequest).ip;
      return fromFramework && typeof ip === 'string' ? ip : undefined;
    },
    frameworkTrustsProxy(req, socketIp) {
      const request = req as FastifyClientRequest;
      if (fromFramework) return undefined;
      if (request.headers['x-forwarded-for'] === undefined && request.headers.forwarded === undefined) return undefined;
      return typeof request.ip === 'string' && request.ip !== socketIp;
    },
  };
}

/** The captured bytes with any Content-Encoding removed (within the shield's limit), or undefined. */
export function fastifyRawBody(req: object, shield: Shield): Buffer | undefined {
  const request = req as FastifyClientRequest;
  const raw = request[RAW_BODY];
  if (raw === undefined) return undefined;
  try {
    return decodeContentEncoding(raw, request.headers['content-encoding'], shield.bodyLimitBytes);
  } catch {
    // Undecodable or over the limit: no bytes, and the body binding refuses what it cannot see.
    return undefined;
  }
}

/** True when the request has a body that no content-type parser read (it is still in the stream). */
export function fastifyBodyUnparsed(raw: IncomingMessage): boolean {
  return declaresBody(raw.headers) && !bodyConsumed(raw);
}

/**
 * True for a `multipart/form-data` body still in the stream: the form a multipart plugin registered before the
 * shield (@fastify/multipart with `attachFieldsToBody`) would read in its own `preValidation` hook, before the body
 * stage, so the plugin judges it in `preParsing` instead (see `fastifyShield`).
 */
export function fastifyMultipartUnread(raw: IncomingMessage): boolean {
  return isMultipartForm(raw.headers['content-type']) && fastifyBodyUnparsed(raw);
}
