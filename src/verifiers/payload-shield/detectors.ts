/**
 * The built-in detector set, in the order they run (cheapest and most specific first), and the rule catalogue
 * used by docs/payload-shield.md and by configuration validation.
 */
import { createCmdiDetector } from './cmdi.js';
import { createCrlfDetector } from './crlf.js';
import { createJndiDetector } from './jndi.js';
import { createLdapiDetector } from './ldapi.js';
import { createNosqliDetector } from './nosqli.js';
import { createSqliDetector } from './sqli.js';
import { createSsiDetector } from './ssi.js';
import { createSsrfDetector } from './ssrf.js';
import { createSstiDetector } from './ssti.js';
import { createTraversalDetector } from './traversal.js';
import type { Detector } from './types.js';
import { createXssDetector } from './xss.js';
import { createXxeDetector } from './xxe.js';
import { createJavaDetector } from './java.js';
import { createPhpDetector } from './php.js';
import { createSsjiDetector } from './ssji.js';
import { createRfiDetector } from './rfi.js';
import { createSessionFixationDetector } from './session-fixation.js';
import { createScannerDetector } from './scanner.js';
import { createOrmDetector } from './orm.js';
import { createWeakSignalDetector } from './weak-signals.js';

/** Builds one instance of every built-in detector. Detectors are stateless; one set serves every request. */
export function createBuiltinDetectors(): Detector[] {
  return [
    createNosqliDetector(),
    createJndiDetector(),
    createCrlfDetector(),
    createSsiDetector(),
    createXxeDetector(),
    createTraversalDetector(),
    createSsrfDetector(),
    createXssDetector(),
    createSqliDetector(),
    createSstiDetector(),
    createCmdiDetector(),
    createLdapiDetector(),
    createJavaDetector(),
    createPhpDetector(),
    createSsjiDetector(),
    createRfiDetector(),
    createSessionFixationDetector(),
    createScannerDetector(),
    createOrmDetector(),
  ];
}

/** The one set of built-in detectors every compiled configuration filters (see `createBuiltinDetectors`). */
export const BUILTIN_DETECTORS: readonly Detector[] = createBuiltinDetectors();

/** The weak SQL signals detector that paranoia 2 and above add (one instance, like `BUILTIN_DETECTORS`). */
export const WEAK_SIGNALS: Detector = createWeakSignalDetector();
