import { X509Certificate } from 'node:crypto';
import { AppAttestError } from './errors.js';

/**
 * Verifies that `chain` (leaf first) chains up to `anchor` and that every certificate, the anchor included, is
 * valid at `now`. Signatures and issuer/subject linkage are checked by Node's OpenSSL binding; the intermediate
 * certificates must be CAs. Expiry is reported distinctly from a broken chain because it is an operational problem
 * (clock, stale vector) rather than a forgery.
 */
export function verifyCertificateChain(chain: readonly X509Certificate[], anchor: X509Certificate, now: number): void {
  if (chain.length === 0) throw new AppAttestError('chain_invalid', 'empty certificate chain');
  for (let i = 0; i < chain.length; i++) {
    const cert = chain[i]!;
    const issuer = i + 1 < chain.length ? chain[i + 1]! : anchor;
    if (i > 0 && !cert.ca) throw new AppAttestError('chain_invalid', 'intermediate is not a CA');
    if (!cert.checkIssued(issuer) || !cert.verify(issuer.publicKey)) {
      throw new AppAttestError('chain_invalid', `certificate ${i} is not signed by its issuer`);
    }
  }
  for (const cert of [...chain, anchor]) checkValidity(cert, now);
}

function checkValidity(cert: X509Certificate, now: number): void {
  const notBefore = Date.parse(cert.validFrom);
  const notAfter = Date.parse(cert.validTo);
  if (!Number.isFinite(notBefore) || !Number.isFinite(notAfter)) {
    throw new AppAttestError('chain_invalid', 'unreadable certificate validity');
  }
  if (now < notBefore) throw new AppAttestError('certificate_not_yet_valid');
  if (now > notAfter) throw new AppAttestError('certificate_expired');
}

/** Parses a DER or PEM certificate, mapping parse errors to `chain_invalid`. */
export function parseCertificate(data: Uint8Array | string): X509Certificate {
  try {
    return new X509Certificate(typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.length));
  } catch {
    throw new AppAttestError('chain_invalid', 'unparseable certificate');
  }
}
