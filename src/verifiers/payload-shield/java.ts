/**
 * Java attacks: process execution through the runtime (`Runtime.getRuntime().exec`, `new ProcessBuilder`),
 * expression-language injection (OGNL `%{#context...}` / `#_memberAccess`, SpEL `T(java.lang.Runtime)`, EL
 * `${''.getClass().forName(...)}`, Spring's `class.module.classLoader` binding), and deserialisation (a serialised
 * stream's magic bytes `ac ed 00 05` in hex or base64, gadget-chain class names, polymorphic-type keys such as
 * fastjson's `@type` naming a JDK or library class). A crash report with `java.lang.reflect.Method.invoke` passes:
 * class names alone are not an attack, the gadgets and execution sinks are.
 */
import { CH } from './char-classes.js';
import { GATE } from './gate-words.js';
import { SEVERITY, type Detector, type InspectedValue, type RuleHit } from './types.js';

/** Rule ids of the Java detector. */
export const JAVA_RULES = {
  processExec: 'java-process-exec',
  expression: 'java-expression-injection',
  deserialization: 'java-deserialization',
  classLoader: 'java-class-loader-binding',
} as const;

// `Runtime.getRuntime().exec(`, `getRuntime()` via reflection, `new ProcessBuilder(`, `java.lang.ProcessBuilder`,
// `ProcessImpl.start`, `ScriptEngineManager` (eval of JavaScript inside the JVM), `jshell`. Bounded gaps only.
const PROCESS_EXEC =
  /\bruntime\s*\.\s*getruntime\s*\(\s*\)\s*\.\s*exec\b|\bgetruntime\b[^;]{0,60}\bexec\b|\bnew\s+(?:java\.lang\.)?processbuilder\s*[(\[{]|\bjava\.lang\.(?:processbuilder|processimpl|runtime)\b|\bprocessbuilder\s*\(\s*(?:new\s|["'])|\bscriptenginemanager\b|\bjavax\.script\b/;
// OGNL (Struts), SpEL (Spring), Java EL / JSF: the introspection and static-access syntax they share.
const EXPRESSION =
  /#_memberaccess|@ognl\.|#context\s*\[|\(#[a-z_]\w{0,30}\s*=|#(?:application|session|request|parameters|attr)\s*\[|%\{\s*[#(@]|\$\{\s*#|\bt\s*\(\s*java\.|#\{\s*(?:t\s*\(|[a-z_]\w{0,30}\s*\.\s*getclass)|\.getclass\s*\(\s*\)\s*\.\s*(?:forname|getclassloader|getmethod|getdeclared)|\bclass\s*\.\s*forname\s*\(|\.getclassloader\s*\(|\$\{\s*(?:pagecontext|applicationscope|sessionscope|requestscope|facescontext|initparam|header\s*\[)|\bjava\.lang\.(?:class|system|thread)\s*\.\s*(?:forname|getproperty|getenv|exit|setproperty|load|loadlibrary)\s*\(/;
// Spring4Shell-style data binding into the class loader (`class.module.classLoader.resources...`).
const CLASS_LOADER_BINDING = /(?:^|[.\[])class\s*(?:\.|\[['"]?)\s*(?:module\s*\.\s*)?classloader\b/;
// Serialised Java streams (`aced0005`, base64 `rO0AB`), gadget classes from the public deserialisation chains,
// XMLDecoder / XStream documents that build a process.
const GADGETS =
  /aced0005|\bro0ab[a-z0-9+\/]|\bh4siaaaaaaaa[a-z0-9+\/]{0,8}|\bcommons\.collections\d?\.functors\b|\b(?:invokertransformer|chainedtransformer|constanttransformer|instantiatetransformer|templatesimpl|annotationinvocationhandler|jdbcrowsetimpl|badattributevalueexpexception|propertypathfactorybean|convertedclosure|methodclosure|lazymap|transformingcomparator|jndirefconnectionpoolmodel|jndidatasourcefactory|simplejndibeanfactory|jdbcrowset|xaconnectionfactory|c3p0\.wrapperconnectionpooldatasource|serializablefunction)\b|\bysoserial\b|<\s*(?:java\s+version|object\s+class\s*=\s*["'](?:java\.lang\.|javax\.)|void\s+method\s*=\s*["'](?:start|exec|invoke)|dynamic-proxy\b|sorted-set\b[^>]{0,40}>\s*<\s*(?:string|dynamic))/;
// A polymorphic type key (`@type`, `@class`, `$type` in Jackson/fastjson/Json.NET-style binders) naming a class in
// a package that has gadgets; `@type: "Person"` (JSON-LD) passes.
const TYPE_KEYS = new Set(['@type', '@class', '$type', 'class', '@c', 'javaclass', 'java.class', '__type']);
const GADGET_PACKAGE = /^\s*l?\s*\[?\s*(?:java|javax|sun|com\.sun|jdk|org\.apache|org\.springframework|org\.codehaus|org\.hibernate|com\.mchange|ch\.qos\.logback|org\.mozilla|bsh|groovy|com\.alibaba|oracle\.jdbc|org\.jboss|weblogic|com\.zaxxer|br\.com\.anteros|org\.aoju|com\.ibatis|org\.slf4j|clojure)\.[a-z_$][\w$.]{0,200};?\s*$/;

// A dotted package path (`org.apache.x`, `com.sun.rowset`): two dots between letters.
const DOTTED_NAME = /[a-z]\.[a-z_$][\w$]{1,40}\.[a-z_$]/;

// The gates of the patterns above: PROCESS_EXEC needs `runtime`, `process` or `script`; EXPRESSION `#`, `@`, `{`,
// `class` or `java.` (its SpEL `T(` forms need `java.` or `#` as well); GADGETS `<`, a dotted name, or one of its
// stream prefixes and class-name fragments.
const RUNTIME = GATE.runtime | GATE.process | GATE.script;
const EXPRESSION_CHARS = CH.hash | CH.at | CH.brace;
const EXPRESSION_WORDS = GATE.class | GATE['java.'];
const GADGET_WORDS = GATE.aced | GATE.ro0ab | GATE.h4sia | GATE.transformer | GATE.ysoserial;

function hit(ruleId: string): RuleHit {
  return { ruleId, category: 'java', severity: SEVERITY.critical };
}

/** Creates the Java detector. */
export function createJavaDetector(): Detector {
  return {
    category: 'java',
    // `java.lang.Runtime`, a gadget class under `@type`, a hex `aced0005` stream, `class.module.classLoader` keys.
    // What the rules a plain value can reach need (the others need a parenthesis, brace, `#` or `<`): a dotted name
    // (a class under a type key, a gadget class, `@ognl.`), `java`, `class.` paths, serialised-stream prefixes.
    readsPlainValues: {
      hint: /[a-z]\.[a-z_$]/,
      hintNeeds: '.',
      words: ['java', 'ognl', 'class', 'aced', 'ro0ab', 'h4sia', 'transformer', 'ysoserial', 'getruntime', 'scriptenginemanager'],
    },
    detect(value: InspectedValue): RuleHit | undefined {
      const s = value.lower;
      if (s.length < 6) return undefined;
      const gates = value.gates;
      if (value.role === 'key') return (gates & GATE.class) !== 0 && CLASS_LOADER_BINDING.test(s) ? hit(JAVA_RULES.classLoader) : undefined;
      if (TYPE_KEYS.has(value.name) && GADGET_PACKAGE.test(s)) return hit(JAVA_RULES.deserialization);
      // Cheap gates: every pattern below needs one of these characters (the mask) or substrings (the gate words).
      if ((gates & RUNTIME) !== 0 && PROCESS_EXEC.test(s)) return hit(JAVA_RULES.processExec);
      if (((value.mask & EXPRESSION_CHARS) !== 0 || (gates & EXPRESSION_WORDS) !== 0) && EXPRESSION.test(s)) return hit(JAVA_RULES.expression);
      if ((gates & GATE.classloader) !== 0 && CLASS_LOADER_BINDING.test(s)) return hit(JAVA_RULES.classLoader);
      // Gadget names are dotted class names, XML documents, or serialised-stream prefixes.
      const gadgetish = ((gates & GATE['.']) !== 0 && DOTTED_NAME.test(s)) || (value.mask & CH.lt) !== 0 || (gates & GADGET_WORDS) !== 0;
      if (gadgetish && GADGETS.test(s)) return hit(JAVA_RULES.deserialization);
      return undefined;
    },
  };
}
