/** The App Attest environment an app build runs in (entitlement `com.apple.developer.devicecheck.appattest-environment`). */
export type AppAttestEnvironment = 'development' | 'production';

/** The aaguid Apple puts in attestation authenticator data for each environment. */
export const AAGUID: Readonly<Record<AppAttestEnvironment, Uint8Array>> = {
  development: new TextEncoder().encode('appattestdevelop'),
  production: new Uint8Array([...new TextEncoder().encode('appattest'), 0, 0, 0, 0, 0, 0, 0]),
};

/** The environment an aaguid denotes, or undefined for an unknown aaguid. */
export function environmentOfAaguid(aaguid: Uint8Array): AppAttestEnvironment | undefined {
  for (const env of ['development', 'production'] as const) {
    const expected = AAGUID[env];
    if (aaguid.length === expected.length && aaguid.every((b, i) => b === expected[i])) return env;
  }
  return undefined;
}
