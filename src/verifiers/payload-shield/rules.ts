/** The catalogue of built-in rule ids by category: for documentation, exclusions and configuration checks. */
import { CMDI_RULES } from './cmdi.js';
import { CRLF_RULES } from './crlf.js';
import { JNDI_RULES } from './jndi.js';
import { LDAPI_RULES } from './ldapi.js';
import { NOSQLI_RULES } from './nosqli.js';
import { PROTO_RULE } from './prototype-pollution.js';
import { SQLI_RULES } from './sqli.js';
import { SSI_RULES } from './ssi.js';
import { SSRF_RULES } from './ssrf.js';
import { SSTI_RULES } from './ssti.js';
import { TRAVERSAL_RULES } from './traversal.js';
import type { Category } from './types.js';
import { WEAK_SIGNAL_RULES } from './weak-signals.js';
import { XSS_RULES } from './xss.js';
import { XXE_RULES } from './xxe.js';
import { JAVA_RULES } from './java.js';
import { PHP_RULES } from './php.js';
import { SSJI_RULES } from './ssji.js';
import { RFI_RULES } from './rfi.js';
import { SESSION_RULES } from './session-fixation.js';
import { SCANNER_RULES } from './scanner.js';
import { ORM_RULES } from './orm.js';

/** Every built-in rule id, with its category and the paranoia level it starts at. */
export const RULE_CATALOGUE: readonly { readonly id: string; readonly category: Category; readonly paranoia: number }[] = [
  ...Object.values(SQLI_RULES).map((id) => ({ id, category: 'sqli' as const, paranoia: 1 })),
  ...Object.values(XSS_RULES).map((id) => ({ id, category: 'xss' as const, paranoia: 1 })),
  ...Object.values(NOSQLI_RULES).map((id) => ({ id, category: 'nosqli' as const, paranoia: 1 })),
  ...Object.values(TRAVERSAL_RULES).map((id) => ({ id, category: 'traversal' as const, paranoia: 1 })),
  ...Object.values(CMDI_RULES).map((id) => ({ id, category: 'cmdi' as const, paranoia: 1 })),
  ...Object.values(SSTI_RULES).map((id) => ({ id, category: 'ssti' as const, paranoia: 1 })),
  ...Object.values(SSRF_RULES).map((id) => ({ id, category: 'ssrf' as const, paranoia: 1 })),
  ...Object.values(JNDI_RULES).map((id) => ({ id, category: 'jndi' as const, paranoia: 1 })),
  ...Object.values(CRLF_RULES).map((id) => ({ id, category: 'crlf' as const, paranoia: 1 })),
  ...Object.values(LDAPI_RULES).map((id) => ({ id, category: 'ldapi' as const, paranoia: 1 })),
  ...Object.values(XXE_RULES).map((id) => ({ id, category: 'xxe' as const, paranoia: 1 })),
  ...Object.values(SSI_RULES).map((id) => ({ id, category: 'ssi' as const, paranoia: 1 })),
  { id: PROTO_RULE, category: 'proto', paranoia: 1 },
  ...Object.values(JAVA_RULES).map((id) => ({ id, category: 'java' as const, paranoia: 1 })),
  ...Object.values(PHP_RULES).map((id) => ({ id, category: 'php' as const, paranoia: 1 })),
  ...Object.values(SSJI_RULES).map((id) => ({ id, category: 'ssji' as const, paranoia: 1 })),
  ...Object.values(RFI_RULES).map((id) => ({ id, category: 'rfi' as const, paranoia: 1 })),
  ...Object.values(SESSION_RULES).map((id) => ({ id, category: 'session' as const, paranoia: 1 })),
  ...Object.values(SCANNER_RULES).map((id) => ({ id, category: 'scanner' as const, paranoia: 1 })),
  ...Object.values(ORM_RULES).map((id) => ({ id, category: 'sqli' as const, paranoia: 1 })),
  ...Object.values(WEAK_SIGNAL_RULES).map((r) => ({ id: r.id, category: r.category, paranoia: r.paranoia })),
];
