import { decode, decodeFirst, type DecodeOptions } from 'cborg';

/**
 * The CBOR decoding App Attest needs, on cborg (pure JavaScript, no install script). Apple's attestation objects and
 * assertions are small definite-length maps with text keys; everything outside that shape is refused here rather
 * than interpreted: duplicate keys (which copy of `authData` would count?), unknown tags, NaN/Infinity. Throws on
 * any malformed input; callers turn that into an {@link AppAttestError}.
 */
const OBJECT_OPTIONS: DecodeOptions = {
  rejectDuplicateMapKeys: true,
  allowInfinity: false,
  allowNaN: false,
};

/** COSE keys have integer labels, so the authenticator-data trailer decodes maps as `Map`. */
const SEQUENCE_OPTIONS: DecodeOptions = { ...OBJECT_OPTIONS, useMaps: true };

/** Decodes exactly one CBOR item whose maps have text keys (plain objects); trailing bytes are an error. */
export function decodeCbor(bytes: Uint8Array): unknown {
  return decode(bytes, OBJECT_OPTIONS);
}

/** Decodes a concatenation of CBOR items (RFC 8742 sequence), maps as `Map`. At most `maxItems` are read. */
export function decodeCborSequence(bytes: Uint8Array, maxItems: number): unknown[] {
  const items: unknown[] = [];
  let rest = bytes;
  while (rest.length > 0) {
    if (items.length === maxItems) throw new Error('too many CBOR items');
    const [value, remainder] = decodeFirst(rest, SEQUENCE_OPTIONS);
    items.push(value);
    rest = remainder;
  }
  return items;
}
