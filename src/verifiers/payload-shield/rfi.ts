/**
 * Remote file inclusion: a parameter that names a page, template, module or file (`page`, `include`, `template`,
 * `file`, `module`...) given a remote URL, and any URL cut short with the tricks that turn it into an include of
 * attacker code: a trailing `?` (the application's own suffix becomes the query), a NUL / `%00`, or a path that
 * names a script to be included (`http://x/shell.txt?`, `ftp://x/c99.php`). `https://shop.example/cart` in a
 * `redirect` parameter passes.
 */
import { CH } from './char-classes.js';
import { SEVERITY, type Detector, type InspectedValue, type RuleHit } from './types.js';

/** Rule ids of the RFI detector. */
export const RFI_RULES = { remoteInclude: 'rfi-remote-include', truncatedUrl: 'rfi-truncated-url' } as const;

const INCLUDE_PARAM =
  /^(?:page|pg|include|inc|incl|require|template|tpl|tmpl|module|mod|file|filename|path|pagename|doc|document|folder|dir|root|lang|language|show|view|layout|conf|config|theme|skin|style|content|body|main|site|nav|load|read|cat|action|mosconfig_absolute_path|base_path|basepath|class_path|phpbb_root_path|_?server\[document_root\])$/;
const REMOTE_URL = /^\s*(?:https?|ftps?|smb|ssh2\.\w+|webdav):\/\/[^\s]{1,2000}$/;
// A script file at the end of the URL path, or a `?` / NUL cut (the application's suffix becomes harmless).
const SCRIPT_OR_CUT = /\.(?:txt|php\d?|phtml|inc|jsp|asp|aspx|pl|cgi|sh|py|rb)(?:\?+|\0|%00)?$|\?+\s*$|\0|%00/;
// Outside include-like parameters: a NUL cut, or a script name cut by `?` (`/shell.txt?`). A bare trailing `?` is
// not enough (GitHub's own webhook examples carry `avatar_url: http://.../u/5346?`).
const STRONG_CUT = /\.(?:txt|php\d?|phtml|inc|jsp|asp|aspx|pl|cgi|sh|py|rb)\?+$|\0|%00/;

function hit(ruleId: string): RuleHit {
  return { ruleId, category: 'rfi', severity: SEVERITY.critical };
}

/** Creates the remote file inclusion detector. */
export function createRfiDetector(): Detector {
  return {
    category: 'rfi',
    detect(value: InspectedValue): RuleHit | undefined {
      if (value.role === 'key' || (value.mask & CH.colon) === 0) return undefined;
      const s = value.lower;
      if (s.indexOf('://') === -1) return undefined;
      const include = INCLUDE_PARAM.test(value.name);
      // Outside include-like parameters only a cut URL counts, and every cut (STRONG_CUT) needs a `?`, a NUL or a `%`.
      if (!include && (value.mask & (CH.nul | CH.percent)) === 0 && s.indexOf('?') === -1) return undefined;
      if (!REMOTE_URL.test(s)) return undefined;
      if (include) return value.kind !== 'body' || SCRIPT_OR_CUT.test(s) ? hit(RFI_RULES.remoteInclude) : undefined;
      // Every STRONG_CUT match is a SCRIPT_OR_CUT match too.
      return STRONG_CUT.test(s) ? hit(RFI_RULES.truncatedUrl) : undefined;
    },
  };
}
