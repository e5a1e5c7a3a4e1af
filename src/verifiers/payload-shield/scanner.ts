/**
 * Security scanners and attack tools announcing themselves: the User-Agent (or a tool-specific header) of sqlmap,
 * Nikto, Nmap's scripting engine, masscan, ZGrab, Nuclei, Acunetix, Netsparker, WPScan, DirBuster, Burp's
 * collaborator client, and similar. Ordinary clients (`curl/8`, `python-requests`, `okhttp`, browsers) pass: they
 * are tools too, but sending them proves nothing.
 */
import { SEVERITY, type Detector, type InspectedValue, type RuleHit } from './types.js';

/** Rule ids of the scanner detector. */
export const SCANNER_RULES = { userAgent: 'scanner-user-agent', toolHeader: 'scanner-tool-header' } as const;

const SCANNER_AGENT =
  /\b(?:sqlmap|nikto|nmap\s+scripting\s+engine|nmap\b|masscan|zgrab|nuclei|acunetix|netsparker|invicti|wpscan|dirbuster|gobuster|feroxbuster|ffuf|wfuzz|havij|w3af|arachni|skipfish|openvas|nessus|jaeles|commix|xsstrike|sqlninja|bsqlbf|fimap|paros|webinspect|appscan|zmeu|morfeus|jorgee|owasp\s+zap|zaproxy|whatweb|metasploit|hydra|medusa|brutus|grabber|vega\/|webshag|uniscan|joomscan|droopescan|cmsmap|blackwidow|wapiti|struts-pwn|interactsh|burpcollaborator|dotdotpwn|netlab360|censysinspect|l9explore|l9tcpid|zmap|projectdiscovery|hello,\s*world|mozilla\/5\.0\s+sf\/|\(\s*hydra\s*\)|\bbot\s+for\s+jce|python-httpx\/\S+\s+\(nuclei)\b/;
const TOOL_HEADERS = new Set(['acunetix-product', 'acunetix-scanning-agreement', 'acunetix-user-agreement', 'x-scanner', 'x-wipp', 'x-request-memo', 'x-scan-memo', 'x-wvs-id', 'x-burp-collaborator']);

function hit(ruleId: string): RuleHit {
  return { ruleId, category: 'scanner', severity: SEVERITY.critical };
}

/** Creates the scanner detector (reads only headers). */
export function createScannerDetector(): Detector {
  return {
    category: 'scanner',
    // Scanners announce themselves in headers, by name (`X-Scanner`) or in the User-Agent.
    readsPlainValues: { names: (name) => name === 'user-agent' || TOOL_HEADERS.has(name) },
    detect(value: InspectedValue): RuleHit | undefined {
      if (value.kind !== 'header') return undefined;
      if (TOOL_HEADERS.has(value.name)) return hit(SCANNER_RULES.toolHeader);
      if (value.name === 'user-agent' && SCANNER_AGENT.test(value.lower)) return hit(SCANNER_RULES.userAgent);
      return undefined;
    },
  };
}
