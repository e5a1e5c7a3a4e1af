/** Machine-readable reasons a Play Integrity token fails. Stable: callers and logs key on them. */
export type PlayIntegrityFailureReason =
  | 'malformed_token'
  | 'decode_failed'
  | 'decrypt_failed'
  | 'bad_signature'
  | 'malformed_payload'
  | 'package_mismatch'
  | 'binding_missing'
  | 'nonce_mismatch'
  | 'request_hash_mismatch'
  | 'stale_timestamp'
  | 'future_timestamp'
  | 'replayed'
  | 'app_unrecognized'
  | 'certificate_digest_mismatch'
  | 'version_too_old'
  | 'device_integrity_insufficient'
  | 'device_activity_excessive'
  | 'app_unlicensed'
  | 'play_protect_risk'
  | 'app_access_risk'
  | 'test_response';

/** A failed Play Integrity check. The message never contains the token or any payload value. */
export class PlayIntegrityError extends Error {
  override readonly name = 'PlayIntegrityError';
  constructor(
    readonly reason: PlayIntegrityFailureReason,
    message: string = reason,
  ) {
    super(message);
  }
}
