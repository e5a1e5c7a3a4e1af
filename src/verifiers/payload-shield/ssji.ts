/**
 * Server-side JavaScript injection (Node.js): input that, evaluated by `eval`, `vm`, `new Function` or a template
 * engine, reaches the process: `require('child_process')`, `process.mainModule.require`, `process.binding(...)`,
 * `global.process`, the constructor chain to `Function` (`this.constructor.constructor('return process')()`,
 * `[].constructor.constructor`, `''['constructor']['constructor']`), and module loads of `fs`/`net`/`vm` used
 * in the same expression. `process is not defined` in a crash report passes.
 */
import { GATE } from './gate-words.js';
import { SEVERITY, type Detector, type InspectedValue, type RuleHit } from './types.js';

/** Rule ids of the Node.js injection detector. */
export const SSJI_RULES = {
  childProcess: 'ssji-child-process',
  processAccess: 'ssji-process-access',
  constructorChain: 'ssji-constructor-chain',
  moduleLoad: 'ssji-module-load',
} as const;

const CHILD_PROCESS = /\bchild_process\b|\brequire\s*\(\s*['"`]\s*(?:node:)?child_process/;
// `process.exit(...)` only as a call (`process['exit']()` too): "process exit code 1" in a crash report is prose.
const PROCESS_ACCESS =
  /\bprocess\s*(?:\.\s*|\[\s*['"`])(?:(?:mainmodule|binding|_linkedbinding|dlopen|kill|reallyexit|_getactivehandles|openstdin|setuid|setgid|chdir)\b|exit\s*(?:['"`]\s*\]\s*)?\()|\b(?:global|globalthis)\s*(?:\.\s*|\[\s*['"`])process\b|\bmodule\s*\.\s*(?:constructor\s*\.\s*_load|require\s*\(|children\b)|\b__proto__\s*\.\s*constructor\b/;
// The path from any object to `Function`: two `constructor` steps, or one then a call with a code string.
const CONSTRUCTOR_CHAIN =
  /constructor\s*(?:\.|\[\s*['"`]|['"`]\s*\]\s*\[\s*['"`]|\]\s*\.)\s*constructor\b|\bconstructor\s*(?:['"`]\s*\])?\s*\(\s*['"`]\s*return\b|\bnew\s+function\s*\(\s*['"`][^'"`]{0,80}\b(?:process|require|global)\b|\bfunction\s*\(\s*['"`]\s*return\s+(?:process|this|global|require)\b/;
// `require('fs').readFileSync(...)`, `require("net").connect(...)`: a core module loaded and used in one expression.
const MODULE_LOAD = /\brequire\s*\(\s*['"`]\s*(?:node:)?(?:fs|net|vm|os|http|https|dgram|cluster|worker_threads|fs\/promises|process|module|v8|inspector)\s*['"`]\s*\)\s*(?:\.|\[)/;

function hit(ruleId: string): RuleHit {
  return { ruleId, category: 'ssji', severity: SEVERITY.critical };
}

/** Creates the Node.js server-side JavaScript injection detector. */
export function createSsjiDetector(): Detector {
  return {
    category: 'ssji',
    // `__proto__.constructor`, `constructor.constructor`: property chains need no syntax character.
    readsPlainValues: { words: ['process', 'module', '__proto__', 'constructor', 'function', 'require'] },
    detect(value: InspectedValue): RuleHit | undefined {
      const s = value.lower;
      if (s.length < 8) return undefined;
      const gates = value.gates;
      if ((gates & GATE.child_process) !== 0 && CHILD_PROCESS.test(s)) return hit(SSJI_RULES.childProcess);
      if ((gates & (GATE.process | GATE.module | GATE.__proto__)) !== 0 && PROCESS_ACCESS.test(s)) return hit(SSJI_RULES.processAccess);
      if ((gates & (GATE.constructor | GATE.function)) !== 0 && CONSTRUCTOR_CHAIN.test(s)) return hit(SSJI_RULES.constructorChain);
      if ((gates & GATE.require) !== 0 && MODULE_LOAD.test(s)) return hit(SSJI_RULES.moduleLoad);
      return undefined;
    },
  };
}
