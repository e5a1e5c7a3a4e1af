/**
 * PHP code injection: calls of functions that run code or commands or read files (`system('id')`, `eval($_POST[x])`,
 * `assert ("...")` with the name split from `(` by whitespace, comments or newlines), variable functions
 * (`$_GET['f']($_GET['a'])`, `$x($y)` after `;`), serialised PHP objects (`O:8:"stdClass":1:{...}`, the input of
 * `unserialize` gadget chains), `php://` / `phar://` / `data://` / `expect://` wrappers, `php://filter` chain filter
 * names (`convert.iconv.UTF8.CSISO2022KR`, `convert.base64-decode`), and PHP script names where a
 * file name is expected (`shell.php`, `x.phtml`, `a.php.jpg`, `a.php%00.png`). `The system (iOS) crashed` passes: a
 * call needs PHP argument syntax (a variable, a quoted string, or `()` for functions that take no argument).
 */
import { CH, skipRegexSpace } from './char-classes.js';
import { GATE } from './gate-words.js';
import { mayFollowWrapperScheme } from './wrapper-schemes.js';
import { SEVERITY, type Detector, type InspectedValue, type RuleHit } from './types.js';

/** Rule ids of the PHP detector. */
export const PHP_RULES = {
  dangerousCall: 'php-dangerous-call',
  variableFunction: 'php-variable-function',
  objectInjection: 'php-object-injection',
  wrapper: 'php-stream-wrapper',
  scriptUpload: 'php-script-file-name',
  filterChain: 'php-filter-chain',
} as const;

// Functions that execute code or commands, or read/write arbitrary files, then the gap PHP allows between a name and
// `(` (whitespace, newlines, `/* */` and `#`/`//` comments up to the line end), then PHP argument syntax.
export const CALL =
  /\b(?:system|exec|shell_exec|passthru|popen|proc_open|pcntl_exec|eval|assert|create_function|call_user_func(?:_array)?|preg_replace|file_get_contents|file_put_contents|fopen|fwrite|readfile|highlight_file|show_source|unserialize|base64_decode|gzinflate|gzuncompress|str_rot13|putenv|ini_set|move_uploaded_file|symlink|unlink|dl|posix_\w{1,20}|phpinfo|php_uname|phpversion)(?:\s|\/\*[^*]{0,80}\*\/|#[^\n]{0,80}\n|\/\/[^\n]{0,80}\n){0,8}\(\s*(?:\$|["'`]|\)|[a-z_]\w{0,30}\s*\(|chr\s*\(|\/\*)/;
// `include $_GET['p']`, `require_once("http://evil/x.txt")`: inclusion of input or of a remote/wrapper URL. (A plain
// `require('fs')` is JavaScript.)
const INCLUDE = /\b(?:include|require)(?:_once)?\s*\(?\s*(?:\$_|["']?(?:https?|ftps?|php|data|expect|phar|zip):\/\/)/;
// A name that only ever means PHP (`phpinfo()`, `phpversion();`) is an attack even without arguments.
export const ARGLESS_PROBE = /\b(?:phpinfo|phpversion|php_uname|get_current_user|getmypid|sys_get_temp_dir)\s*\(\s*\)/;

/**
 * A necessary condition for CALL or ARGLESS_PROBE: a `(` followed, after white space, by PHP argument syntax (`$`, a
 * quote or backtick, `)`, `/*`, or a name and another `(`: `chr(` is one). `(dog is friendly)` and `(5120)` have
 * none. Read with `indexOf` and a few character tests: a regex call costs more than this on most values. White
 * space is skipped as `mayBeRegexSpace` says (a superset of the patterns' `\s`).
 */
export function mayBeCall(s: string): boolean {
  for (let open = s.indexOf('('); open !== -1; open = s.indexOf('(', open + 1)) {
    let i = skipRegexSpace(s, open + 1);
    const c = s.charCodeAt(i);
    if (c === 36 /* $ */ || c === 39 || c === 34 || c === 96 || c === 41 /* ) */ || (c === 47 && s.charCodeAt(i + 1) === 42)) return true;
    if ((c >= 97 && c <= 122) || c === 95) {
      while (isWordChar(s.charCodeAt(i))) i++;
      if (s.charCodeAt(skipRegexSpace(s, i)) === 40) return true;
    }
  }
  return false;
}

/** `\w`: ASCII letters, digits and `_`. */
function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}

// `$_GET['f'](...)`, `$_POST[0]($_POST[1])`, `${'_GET'}`, `$x($y)` after a statement break.
const VARIABLE_FUNCTION =
  /\$_(?:get|post|request|cookie|server|files|env|session)\s*\[[^\]]{0,40}\]\s*\(|\$\{\s*['"]?_(?:get|post|request|cookie|server)|(?:^|[;{}?>]\s{0,4})\$[a-z_]\w{0,30}\s*\(\s*\$|\(\s*\$_(?:get|post|request|cookie)\b|`\s*\$_(?:get|post|request|cookie)/;
// `O:8:"stdClass":1:{s:1:"a";...}` / `C:11:"ArrayObject":...`, alone or inside an array (`a:1:{i:0;O:...`).
const SERIALIZED_OBJECT = /(?:^|[;{])\s*[oc]\s*:\s*\+?\d{1,4}\s*:\s*"[a-z_\\][\w\\]{0,100}"\s*:\s*\d{1,4}\s*:\s*\{/;
/** PHP stream wrappers as include targets; exported for the gate's test (wrapper-schemes.ts). */
export const WRAPPER = /(?:^|[\s"'=(])(?:php:\/\/(?:filter|input|fd|memory|temp|stdin|output)|phar:\/\/|expect:\/\/|data:\/\/[a-z]+\/[a-z+.-]+[;,]|zip:\/\/|glob:\/\/)/;
// The conversion filters `php://filter` chains (`convert.iconv.UTF8.CSISO2022KR|convert.base64-decode|...`): the
// building blocks of filter-chain generators, which turn an include of `php://temp` into code execution, and of
// `php://filter` file reads. Each is a filter name only PHP reads (`convert.iconv.<from>.<to>` or `<from>/<to>`), at
// the start of the value or after a chain's `|`, `/` or `=`. Runs of classes that cannot match the `.` or `/` after
// them: linear.
/** A `php://filter` chain's filter name (exported for the linear-pattern test). */
export const FILTER_CHAIN = /(?:^|[\s|\/=:"'(])convert\.(?:iconv\.[\w-]{1,40}[.\/][\w-]{1,40}|base64-(?:de|en)code|quoted-printable-(?:de|en)code)/;
// A file name ending in a PHP extension (also before a second extension or a NUL/`%00`/`;` cut).
const PHP_FILE_NAME = /^[^\/\\]{0,200}\.(?:php[0-9s]?|phtml|pht|phar|pgif|shtml|inc)(?:$|[\0 ;:]|\.[a-z0-9]{1,5}$)/;
const FILE_NAME_KEY = /(?:^|[_-])(?:file_?name|filename|file|upload|attachment|avatar|image|photo|document|name)$/;

function hit(ruleId: string): RuleHit {
  return { ruleId, category: 'php', severity: SEVERITY.critical };
}

/** Creates the PHP injection detector. */
export function createPhpDetector(): Detector {
  return {
    category: 'php',
    // `shell.php` under a file-name key or in a header.
    // `include`, wrappers and serialised objects need `$`, `://` or braces; a script file name needs none.
    // A filter name of a chain (`convert.iconv.L1.UTF7`) needs no syntax character either.
    readsPlainValues: { words: ['.p', '.s', '.inc', 'convert.'] },
    detect(value: InspectedValue): RuleHit | undefined {
      const s = value.lower;
      if (s.length < 5) return undefined;
      const mask = value.mask;
      if ((mask & CH.paren) !== 0) {
        if (mayBeCall(s) && (CALL.test(s) || ARGLESS_PROBE.test(s))) return hit(PHP_RULES.dangerousCall);
      }
      const gates = value.gates;
      if ((gates & (GATE.include | GATE.require)) !== 0 && INCLUDE.test(s)) return hit(PHP_RULES.dangerousCall);
      if ((mask & CH.dollar) !== 0 && VARIABLE_FUNCTION.test(s)) return hit(PHP_RULES.variableFunction);
      if ((mask & (CH.colon | CH.brace)) === (CH.colon | CH.brace) && SERIALIZED_OBJECT.test(s)) return hit(PHP_RULES.objectInjection);
      if ((gates & GATE['://']) !== 0 && mayFollowWrapperScheme(s) && WRAPPER.test(s)) return hit(PHP_RULES.wrapper);
      if ((gates & GATE['convert.']) !== 0 && FILTER_CHAIN.test(s)) return hit(PHP_RULES.filterChain);
      if ((gates & (GATE['.p'] | GATE['.s'] | GATE['.inc'])) !== 0) {
        if ((FILE_NAME_KEY.test(value.name) || value.kind === 'header') && PHP_FILE_NAME.test(s)) return hit(PHP_RULES.scriptUpload);
      }
      return undefined;
    },
  };
}
