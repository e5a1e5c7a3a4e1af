/**
 * Machine-readable reasons an App Attest attestation or assertion fails. Stable: callers and logs key on them.
 */
export type AppAttestFailureReason =
  | 'malformed'
  | 'unsupported_format'
  | 'chain_invalid'
  | 'certificate_expired'
  | 'certificate_not_yet_valid'
  | 'challenge_mismatch'
  | 'key_id_mismatch'
  | 'team_mismatch'
  | 'bundle_mismatch'
  | 'app_id_mismatch'
  | 'counter_not_zero'
  | 'counter_not_increasing'
  | 'environment_mismatch'
  | 'bad_signature'
  | 'unknown_key'
  | 'key_revoked'
  | 'receipt_invalid'
  | 'receipt_mismatch'
  | 'receipt_expired'
  | 'key_already_registered';

/**
 * A failed App Attest check. `reason` is precise and safe to log; the message never contains key material,
 * client data or any part of the attestation object.
 */
export class AppAttestError extends Error {
  override readonly name = 'AppAttestError';
  constructor(
    readonly reason: AppAttestFailureReason,
    message: string = reason,
  ) {
    super(message);
  }
}
