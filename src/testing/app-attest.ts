/**
 * Simulated App Attest for tests: a test CA chain standing in for Apple's App Attestation CA, and devices that
 * produce attestation objects and assertions exactly as `DCAppAttestService` and Apple's service do (real ECDSA
 * P-256 signatures, real X.509 chains, real CBOR). A verifier configured with the CA's `trustAnchor` accepts them.
 */
import { createHash, generateKeyPairSync, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { encode } from 'cborg';
import { bool, explicit, integer, octets, oid, seq, set, time, tlv, utf8 } from './der-writer.js';

const sha256 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));
const name = (cn: string): Buffer => seq(set(seq(oid('2.5.4.3'), utf8(cn))));

/** A certificate to issue with `issue`. */
export interface CertSpec {
  subject: string;
  issuer: string;
  publicKey: KeyObject;
  signingKey: KeyObject;
  ca: boolean;
  notBefore: Date;
  notAfter: Date;
  extraExtensions?: Buffer[];
  serial: number;
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));
}

/** Issues an X.509 certificate (DER written here, signed with ECDSA P-256 SHA-256): for test chains. */
export function issue(spec: CertSpec): X509Certificate {
  const extensions = [extension('2.5.29.19', true, spec.ca ? seq(bool(true)) : seq()), ...(spec.extraExtensions ?? [])];
  const tbs = seq(
    explicit(0, integer(2)),
    integer(spec.serial),
    ECDSA_SHA256,
    name(spec.issuer),
    seq(time(spec.notBefore), time(spec.notAfter)),
    name(spec.subject),
    spec.publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, seq(...extensions)),
  );
  const signature = sign('sha256', tbs, spec.signingKey);
  const bitString = tlv(0x03, Buffer.concat([Buffer.from([0]), signature]));
  return new X509Certificate(seq(tbs, ECDSA_SHA256, bitString));
}

/** A fresh EC P-256 key pair. */
export const ec = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });

/** A device's App Attest key: its key pair and key id (SHA-256 of the uncompressed public point). */
export interface AppAttestDeviceKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  keyId: Buffer;
}

/** A fresh device key, as `DCAppAttestService.generateKey` makes one. */
export function appAttestDeviceKey(): AppAttestDeviceKey {
  const { privateKey, publicKey } = ec();
  const jwk = publicKey.export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
  return { privateKey, publicKey, keyId: sha256(point) };
}

/** What an attestation should attest. Give `clientDataHash` (as the app does) or `challenge` (hashed here). */
export interface AppAttestAttestOptions {
  teamId: string;
  bundleId: string;
  environment?: 'development' | 'production';
  /** The client data the app hashed; the attestation commits to SHA-256 of it. */
  challenge?: Uint8Array;
  /** The hash the app passed to `attestKey` (used as is, whatever its length). */
  clientDataHash?: Uint8Array;
  /** Authenticator-data extensions (sets the ED flag and appends this CBOR map), as iOS 27 devices send them. */
  authExtensions?: Record<string, unknown>;
  /** The macOS access-control extension (1.2.840.113635.100.8.6) content octets. */
  aclBlob?: Uint8Array;
  /** The receipt to put in attStmt (default a placeholder). */
  receipt?: Uint8Array;
  counter?: number;
  notBefore?: Date;
  notAfter?: Date;
  /** Overrides the aaguid bytes. */
  aaguid?: Uint8Array;
  /** Overrides the credential id in authData. */
  credentialId?: Uint8Array;
  /** Leaves out the nonce extension. */
  omitNonce?: boolean;
}

/** A test App Attestation CA: a root (the trust anchor to configure) and an intermediate that issues device leaves. */
export class AppAttestTestCa {
  readonly rootKeys = ec();
  readonly intermediateKeys = ec();
  readonly root: X509Certificate;
  readonly intermediate: X509Certificate;
  private serial = 10;

  constructor(
    readonly notBefore = new Date('2024-01-01T00:00:00Z'),
    readonly notAfter = new Date('2034-01-01T00:00:00Z'),
  ) {
    this.root = issue({
      subject: 'Test App Attestation Root CA',
      issuer: 'Test App Attestation Root CA',
      publicKey: this.rootKeys.publicKey,
      signingKey: this.rootKeys.privateKey,
      ca: true,
      notBefore,
      notAfter,
      serial: 1,
    });
    this.intermediate = issue({
      subject: 'Test App Attestation CA 1',
      issuer: 'Test App Attestation Root CA',
      publicKey: this.intermediateKeys.publicKey,
      signingKey: this.rootKeys.privateKey,
      ca: true,
      notBefore,
      notAfter,
      serial: 2,
    });
  }

  /** The root as PEM: the `trustAnchor` to configure verifiers with. */
  get trustAnchor(): string {
    return this.root.toString();
  }

  /** The attestation object (CBOR) a device would produce for `key`. */
  attest(key: AppAttestDeviceKey, options: AppAttestAttestOptions): Buffer {
    const appId = `${options.teamId}.${options.bundleId}`;
    const env = options.environment ?? 'production';
    const aaguid =
      options.aaguid ??
      (env === 'development' ? Buffer.from('appattestdevelop') : Buffer.concat([Buffer.from('appattest'), Buffer.alloc(7)]));
    const jwk = key.publicKey.export({ format: 'jwk' });
    const cose = encode(
      new Map<number, unknown>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(jwk.x!, 'base64url')],
        [-3, Buffer.from(jwk.y!, 'base64url')],
      ]),
    );
    const credentialId = options.credentialId ?? key.keyId;
    const authData = Buffer.concat([
      sha256(Buffer.from(appId)),
      Buffer.from([options.authExtensions ? 0xc0 : 0x40]),
      u32(options.counter ?? 0),
      aaguid,
      Buffer.from([credentialId.length >> 8, credentialId.length & 0xff]),
      credentialId,
      cose,
      ...(options.authExtensions ? [Buffer.from(encode(options.authExtensions))] : []),
    ]);
    const clientDataHash = options.clientDataHash ?? sha256(options.challenge ?? new Uint8Array());
    const nonce = sha256(authData, clientDataHash);
    const extensions = [extension('1.2.840.113635.100.8.5', false, seq(tlv([0xbf, 0x89, 0x34], octets(Buffer.from(appId)))))];
    if (!options.omitNonce) extensions.push(extension('1.2.840.113635.100.8.2', false, seq(explicit(1, octets(nonce)))));
    if (options.aclBlob) {
      extensions.push(extension('1.2.840.113635.100.8.6', false, seq(explicit(1, octets(Buffer.from(options.aclBlob))))));
    }
    const leaf = issue({
      subject: key.keyId.toString('hex'),
      issuer: 'Test App Attestation CA 1',
      publicKey: key.publicKey,
      signingKey: this.intermediateKeys.privateKey,
      ca: false,
      notBefore: options.notBefore ?? this.notBefore,
      notAfter: options.notAfter ?? this.notAfter,
      extraExtensions: extensions,
      serial: this.serial++,
    });
    return Buffer.from(
      encode({ fmt: 'apple-appattest', attStmt: { x5c: [leaf.raw, this.intermediate.raw], receipt: options.receipt ?? Buffer.from('receipt') }, authData }),
    );
  }
}

/** What an assertion signs. Give `clientDataHash` (as the app does) or `clientData` (hashed here). */
export interface AppAttestAssertOptions {
  teamId: string;
  bundleId: string;
  counter: number;
  clientData?: Uint8Array | string;
  clientDataHash?: Uint8Array;
  /** Authenticator-data extensions (sets the ED flag and appends this CBOR map). */
  authExtensions?: Record<string, unknown>;
}

/** The assertion (CBOR) a device would produce with `key` at `counter`. */
export function appAttestAssertion(key: AppAttestDeviceKey, options: AppAttestAssertOptions): Buffer {
  const authenticatorData = Buffer.concat([
    sha256(Buffer.from(`${options.teamId}.${options.bundleId}`)),
    Buffer.from([options.authExtensions ? 0x80 : 0x00]),
    u32(options.counter),
    ...(options.authExtensions ? [Buffer.from(encode(options.authExtensions))] : []),
  ]);
  const clientData = typeof options.clientData === 'string' ? Buffer.from(options.clientData) : options.clientData;
  const nonce = sha256(authenticatorData, options.clientDataHash ?? sha256(clientData ?? new Uint8Array()));
  const signature = sign('sha256', nonce, key.privateKey);
  return Buffer.from(encode({ signature, authenticatorData }));
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** A simulated iPhone running the app: the `DCAppAttestService` calls, with base64 results as apps send them. */
export interface SimulatedAppAttestDevice {
  /** Base64 key id (what `generateKey` returns). */
  readonly keyId: string;
  /** The assertion counter of the last assertion (0 before any). */
  readonly counter: number;
  /** `attestKey(keyId, clientDataHash)`: the base64 attestation object. */
  attestKey(clientDataHash: Uint8Array): Promise<string>;
  /** `generateAssertion(keyId, clientDataHash)`: the base64 assertion; the counter goes up by one each time. */
  generateAssertion(clientDataHash: Uint8Array): Promise<string>;
}

/** Options of {@link createAppAttestSimulator}. */
export interface AppAttestSimulatorOptions {
  teamId: string;
  bundleId: string;
  environment?: 'development' | 'production';
}

/** A test CA and the devices it vouches for. */
export interface AppAttestSimulator {
  /** PEM root of the test CA: configure `ios.trustAnchor` (service) or `appAttest.trustAnchor` (shield) with it. */
  readonly trustAnchor: string;
  readonly ca: AppAttestTestCa;
  /** A new simulated device with a fresh key. */
  device(): SimulatedAppAttestDevice;
}

/**
 * Creates an App Attest simulator for tests of apps and servers: `const sim = createAppAttestSimulator({ teamId,
 * bundleId }); const phone = sim.device();` then feed `phone.attestKey(...)` / `phone.generateAssertion(...)` to the
 * attestation service or the shield configured with `trustAnchor: sim.trustAnchor`.
 */
export function createAppAttestSimulator(options: AppAttestSimulatorOptions): AppAttestSimulator {
  const ca = new AppAttestTestCa();
  return {
    trustAnchor: ca.trustAnchor,
    ca,
    device() {
      const key = appAttestDeviceKey();
      let counter = 0;
      return {
        keyId: key.keyId.toString('base64'),
        get counter() {
          return counter;
        },
        async attestKey(clientDataHash) {
          return ca.attest(key, { ...options, clientDataHash }).toString('base64');
        },
        async generateAssertion(clientDataHash) {
          counter += 1;
          return appAttestAssertion(key, { ...options, counter, clientDataHash }).toString('base64');
        },
      };
    },
  };
}
