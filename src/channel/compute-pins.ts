/**
 * SPKI pins: SHA-256 of a certificate's DER SubjectPublicKeyInfo, base64. The certificate parsing is Node's
 * `X509Certificate` and the chain of a live server comes from Node's `tls`; nothing here reads ASN.1 by hand.
 */
import { createHash, X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import * as z from 'zod/mini';
import { ENGLISH } from '../core/zod-locale.js';

/** Where a certificate sits in its chain. */
export type ChainRole = 'leaf' | 'intermediate' | 'root';

/** The pin of one certificate and what identifies the certificate to a human. */
export interface CertificatePin {
  /** base64 SHA-256 of the certificate's DER SubjectPublicKeyInfo. */
  readonly sha256: string;
  readonly role: ChainRole;
  readonly subject: string;
  readonly issuer: string;
  /** The certificate's notAfter, ISO 8601. */
  readonly validTo: string;
  /** The certificate's SHA-256 fingerprint (of the whole certificate, not the key), for cross-checking. */
  readonly fingerprint256: string;
}

/** Options of `computePins` for a live host. */
export interface ComputePinsOptions {
  /**
   * Milliseconds to wait for the TLS handshake of a live host: a finite number above 0, at most 300 000 (five
   * minutes). Default 10 000. Anything else is refused (`PinInputError`) before connecting.
   */
  timeoutMs?: number;
  /** SNI server name to send (a string of at most 255 characters); default the host itself (none for an IP address). */
  servername?: string;
  /** Extra CA certificates to accept when `requireTrusted` is on. */
  ca?: string | Buffer | readonly (string | Buffer)[];
  /**
   * Fail when the served chain does not verify against the trust store (or `ca`). Default false: the point of the
   * command is to show what a server serves, including a chain a client would refuse.
   */
  requireTrusted?: boolean;
}

/** Upper bound of `timeoutMs`: a handshake that has not ended in five minutes will not end; a typo must not hang. */
const MAX_TIMEOUT_MS = 300_000;

/** Raised for any input `computePins` cannot turn into pins; the message says what was wrong. */
export class PinInputError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PinInputError';
  }
}

/**
 * The PEM labels of a certificate that OpenSSL, and so `X509Certificate`, reads: `CERTIFICATE`, the older
 * `X509 CERTIFICATE`, and `TRUSTED CERTIFICATE` (what `openssl x509 -trustout` writes). A chain file holding one of
 * the last two was read as if that certificate were text around the blocks: a configuration missing its pin.
 */
const PEM_BEGIN = /-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----/g;
const PEM_BLOCK = /-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----[\s\S]*?-----END (?:X509 |TRUSTED )?CERTIFICATE-----/g;
const HOST_PORT = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/;

/** The SPKI pin of one certificate (base64 SHA-256 of the DER SubjectPublicKeyInfo). */
export function spkiPin(certificate: X509Certificate): string {
  let spki: Buffer;
  try {
    spki = certificate.publicKey.export({ type: 'spki', format: 'der' });
  } catch (error) {
    // A key algorithm Node cannot read: its pin cannot be had without parsing the certificate by hand, so say so as
    // the input error it is (callers such as the CLI report PinInputError; any other error reads as a crash).
    throw new PinInputError(`the public key of "${oneLine(certificate.subject)}" is of an algorithm Node cannot read: no pin`, { cause: error });
  }
  return createHash('sha256').update(spki).digest('base64');
}

/** The SPKI pin of a public key's DER SubjectPublicKeyInfo (a backup key that has no certificate yet). */
export function spkiPinOfDer(spkiDer: Buffer): string {
  return createHash('sha256').update(spkiDer).digest('base64');
}

/**
 * Parses PEM text (one or more `CERTIFICATE` blocks, text around them ignored) or DER bytes (one certificate) into
 * certificates, in the order given. Bytes holding a `CERTIFICATE` block anywhere are PEM. Throws `PinInputError` on
 * anything else, and when some certificate cannot be read (a block cut short, bytes after a DER certificate): a
 * chain silently missing a certificate would yield a pin configuration missing its pin.
 */
export function parseCertificates(input: string | Buffer | Uint8Array): X509Certificate[] {
  // latin1 maps every byte to one character: the ASCII markers and base64 are found whatever the text's encoding.
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
  // A block without its END line matches nothing (or swallows the next block): count the BEGIN lines too.
  const begins = text.match(PEM_BEGIN)?.length ?? 0;
  if (typeof input !== 'string' && begins === 0) return [parseDer(Buffer.from(input))];
  const blocks = text.match(PEM_BLOCK);
  if (!blocks || blocks.length === 0) throw new PinInputError('no PEM CERTIFICATE block found');
  if (begins !== blocks.length) throw new PinInputError(`${begins - blocks.length} PEM CERTIFICATE block(s) cut short (no END line)`);
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (error) {
      throw new PinInputError(`PEM certificate #${i + 1} does not parse`, { cause: error });
    }
  });
}

function parseDer(bytes: Buffer): X509Certificate {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(bytes);
  } catch (error) {
    throw new PinInputError('neither a PEM nor a DER certificate', { cause: error });
  }
  // X509Certificate reads the first certificate and ignores what follows (a second DER certificate, say).
  if (certificate.raw.length !== bytes.length) {
    throw new PinInputError(`${bytes.length - certificate.raw.length} byte(s) after the DER certificate: give a chain as PEM`);
  }
  return certificate;
}

/**
 * Labels an ordered chain (leaf first): the first certificate is the leaf, a self-issued last one is the root,
 * the rest are intermediates. A single self-signed certificate is a leaf (it is what the server presents).
 */
export function pinsOfChain(chain: readonly X509Certificate[]): CertificatePin[] {
  return chain.map((certificate, i) => {
    const last = i === chain.length - 1;
    const role: ChainRole = i === 0 ? 'leaf' : last && isSelfIssued(certificate) ? 'root' : 'intermediate';
    return {
      sha256: spkiPin(certificate),
      role,
      subject: oneLine(certificate.subject),
      issuer: oneLine(certificate.issuer),
      validTo: new Date(certificate.validTo).toISOString(),
      fingerprint256: certificate.fingerprint256,
    };
  });
}

function isSelfIssued(certificate: X509Certificate): boolean {
  return certificate.subject === certificate.issuer && certificate.checkIssued(certificate);
}

function oneLine(name: string): string {
  return name.split('\n').filter(Boolean).join(', ');
}

/** True when `input` reads as `host:port` (`[v6]:port` for IPv6) rather than a file's contents. */
export function parseHostPort(input: string): { host: string; port: number } | undefined {
  const m = HOST_PORT.exec(input.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65_535) return undefined;
  return { host: (m[1] ?? m[2]) as string, port };
}

/**
 * Pins of every certificate in a chain, leaf first, labelled leaf / intermediate / root.
 *
 * `input` is PEM text (one certificate or a chain), DER bytes, or a `{ host, port }` (or `"host:port"` string) of a
 * live TLS server, whose served chain is read from the handshake. A PEM chain in another order is put leaf first
 * by its issuer links.
 */
export async function computePins(
  input: string | Buffer | Uint8Array | { host: string; port: number },
  options: ComputePinsOptions = {},
): Promise<CertificatePin[]> {
  // Checked here, not left to Buffer.from: a number (from untyped JavaScript) would throw a TypeError, not this error.
  if (input === null || (typeof input !== 'string' && typeof input !== 'object')) {
    throw new PinInputError('expected PEM text, DER bytes, "host:port" or { host, port }');
  }
  if (typeof input === 'object' && !(input instanceof Uint8Array)) return pinsOfChain(await fetchServedChain(input.host, input.port, options));
  if (typeof input === 'string' && !input.includes('-----BEGIN')) {
    const target = parseHostPort(input);
    if (!target) throw new PinInputError('expected PEM text, DER bytes or "host:port"');
    return pinsOfChain(await fetchServedChain(target.host, target.port, options));
  }
  return pinsOfChain(orderChain(parseCertificates(input)));
}

/**
 * Puts a chain given in any order leaf first, following issuer links (`checkIssued`, which compares names and key
 * identifiers); a set that is not one chain is left in the order given.
 */
export function orderChain(certificates: readonly X509Certificate[]): X509Certificate[] {
  if (certificates.length < 2) return [...certificates];
  const issuerOf = (c: X509Certificate) => certificates.find((o) => o !== c && c.checkIssued(o));
  const issuesAnother = (c: X509Certificate) => certificates.some((o) => o !== c && o.checkIssued(c));
  const leaves = certificates.filter((c) => !issuesAnother(c));
  if (leaves.length !== 1) return [...certificates];
  const ordered: X509Certificate[] = [leaves[0] as X509Certificate];
  for (let next = issuerOf(ordered[0] as X509Certificate); next && !ordered.includes(next); next = issuerOf(next)) ordered.push(next);
  return ordered.length === certificates.length ? ordered : [...certificates];
}

/**
 * The chain a TLS server serves, leaf first, as X509Certificate objects (the handshake's own copies). Rejects with
 * `PinInputError` for a bad host, port or option (checked before any connection is opened) and for a failed handshake.
 */
export function fetchServedChain(host: string, port: number, options: ComputePinsOptions = {}): Promise<X509Certificate[]> {
  if (typeof host !== 'string' || host.length === 0 || !Number.isInteger(port) || port < 1 || port > 65_535) {
    return Promise.reject(new PinInputError('host must be a name and port an integer 1-65535'));
  }
  let checked: CheckedOptions;
  try {
    checked = checkOptions(options);
  } catch (error) {
    return Promise.reject(error);
  }
  const { timeoutMs } = checked;
  const isIp = /^[0-9.]+$/.test(host) || host.includes(':');
  return new Promise((resolve, reject) => {
    let socket: tls.TLSSocket | undefined;
    const fail = (error: Error) => {
      socket?.destroy();
      reject(new PinInputError(`TLS connection to ${host}:${port} failed: ${error.message}`, { cause: error }));
    };
    try {
      socket = tls.connect({
        host,
        port,
        servername: checked.servername ?? (isIp ? undefined : host),
        rejectUnauthorized: checked.requireTrusted === true,
        ca: checked.ca as string | Buffer | (string | Buffer)[] | undefined,
      });
      // First, before anything else can throw: a socket without an 'error' listener turns a refused connection
      // into an uncaught exception. `on`, not `once`: a second error after the first must not escape either.
      socket.on('error', fail);
      const connected = socket;
      socket.setTimeout(timeoutMs, () => fail(new Error(`no handshake within ${timeoutMs} ms`)));
      socket.once('secureConnect', () => {
        try {
          resolve(servedChain(connected.getPeerCertificate(true)));
        } catch (error) {
          reject(error instanceof PinInputError ? error : new PinInputError('could not read the served chain', { cause: error }));
        } finally {
          connected.end();
          connected.destroy();
        }
      });
    } catch (error) {
      // Whatever threw between opening and listening, the socket must not outlive the rejected promise.
      fail(error instanceof Error ? error : new Error(String(error)));
    }
  });
}

const caPart = z.union([z.string(), z.instanceof(Uint8Array)]);

/**
 * The options `fetchServedChain` reads, checked before connecting: they often come from the environment or a CLI
 * flag, and a bad one (a string timeout, a negative one) would otherwise throw from inside the socket's set-up,
 * after the socket is open, as an error that is not a `PinInputError`.
 */
const optionsSchema = z.object({
  timeoutMs: z._default(z.number().check(z.positive(), z.maximum(MAX_TIMEOUT_MS)), 10_000),
  servername: z.optional(z.string().check(z.maxLength(255))),
  requireTrusted: z.optional(z.boolean()),
  ca: z.optional(z.union([caPart, z.array(caPart)])),
});

type CheckedOptions = z.infer<typeof optionsSchema>;

function checkOptions(options: ComputePinsOptions): CheckedOptions {
  const parsed = optionsSchema.safeParse(options, ENGLISH);
  if (parsed.success) return parsed.data;
  throw new PinInputError(`options invalid: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`).join('; ')}`);
}

/** Walks the detailed peer certificate's issuer links; Node makes the root point to itself. */
function servedChain(peer: tls.DetailedPeerCertificate): X509Certificate[] {
  if (!peer || !peer.raw) throw new PinInputError('the server presented no certificate');
  const chain: X509Certificate[] = [];
  const seen = new Set<string>();
  let current: tls.DetailedPeerCertificate | undefined = peer;
  while (current && current.raw && !seen.has(current.fingerprint256) && chain.length < 16) {
    seen.add(current.fingerprint256);
    chain.push(new X509Certificate(current.raw));
    current = current.issuerCertificate;
  }
  return chain;
}
