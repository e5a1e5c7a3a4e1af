import { defineVerifierModule } from '../../core/module.js';
import { createDeviceBodyBindingVerifier } from './body-binding.js';
import { deviceRiskOptionsSchema, deviceRouteOptionsSchema, type DeviceRiskOptions, type ResolvedDeviceRiskOptions } from './options.js';
import type { DeviceRouteOptions } from './policy.js';
import { createDeviceRiskVerifier, DEVICE_RISK_MEMO_KEY, deviceHeaderNames, type DeviceRiskMemo } from './verifier.js';

/** Device integrity: signed verdicts judged by the device policy, plus the body-stage check of what proofs cover. */
export const deviceModule = defineVerifierModule<ResolvedDeviceRiskOptions>({
  key: 'device',
  order: 200,
  configSchema: deviceRiskOptionsSchema,
  routeSchema: deviceRouteOptionsSchema,
  decisionField: { field: 'device', memoKey: DEVICE_RISK_MEMO_KEY },
  sensitiveHeaders: (config) => Object.values(deviceHeaderNames(config.headers)),
  create: (config, { store }) => [
    createDeviceRiskVerifier(config, { store }),
    // Its body-stage half: the body hash a device proof covers must be the hash of the body that arrived. Only
    // per-request proofs (Play Integrity, App Attest assertions) cover a body: without them it could never apply,
    // and leaving it out spares every request the body stage and the raw-body capture it would ask adapters for.
    ...(config.playIntegrity !== undefined || config.appAttest !== undefined ? [createDeviceBodyBindingVerifier(config)] : []),
  ],
});
