/**
 * Path traversal and local file inclusion: `../` and `..\` segments (after decoding, including overlong UTF-8 and
 * `....//` filter bypasses), absolute paths into system locations (`/etc/passwd`, `/proc/self/environ`,
 * `C:\Windows\win.ini`), and stream wrappers (`php://filter`, `file://`, `zip://`). `C:\Users\me\file.txt` passes.
 */
import { CH } from './char-classes.js';
import { SEVERITY, type Detector, type InspectedValue, type RuleHit } from './types.js';

/** Rule ids of the traversal / LFI detector. */
export const TRAVERSAL_RULES = {
  dotDot: 'traversal-dot-dot-segment',
  systemPath: 'traversal-system-path',
  windowsPath: 'traversal-windows-system-path',
  wrapper: 'traversal-stream-wrapper',
} as const;

// `..` as a whole segment (or `..;/` for Tomcat), and `....//` (filters that strip `../` once leave `../`).
// `/compare/a...b` and `wait.../` are not dot-dot segments.
const DOT_DOT = /(?:^|[\/\\=])\.\.(?:[\/\\;]|$)|\.{3,}[\/\\]{2}|\.{4,}[\/\\]/;
// Unix locations whose files an API never receives as input.
const UNIX_SYSTEM_PATH =
  /(?:^|[\s"'=:;,(\[|`])\/+(?:etc\/+(?:passwd|shadow|group|hosts|issue|motd|crontab|sudoers|fstab|mysql|apache2?|httpd|nginx|php|ssh|ssl|security|profile|bashrc|environment|hostname|resolv\.conf|network|init\.d|master\.passwd|inetd|pam\.d|my\.cnf|redhat-release|lsb-release|os-release|knockd|ftpusers|vsftpd|proftpd|samba|ldap|logrotate|syslog|rc\.d|xinetd|x11)|proc\/+(?:self|\d+|version|cmdline|mounts|net|sched_debug|cpuinfo|meminfo)|sys\/+(?:class|kernel|devices)|var\/+(?:log|www|lib\/+(?:mysql|php)|mail|spool|run|db|adm|cache)|root\/|home\/+[^\/\s]+\/+\.|usr\/+(?:local\/+)?(?:apache|etc|lib\/+php|pkg|php|share\/+nginx)|opt\/+(?:lampp|xampp|bitnami|apache)|bin\/+(?:sh|bash|ls|cat)|dev\/+(?:null|tcp|udp|fd|zero|random|stdin|stdout)|boot\/|private\/+(?:etc|var|tmp)|applications\/+(?:xampp|mamp)|srv\/+www|windows\/|winnt\/)/;
const WINDOWS_SYSTEM_PATH =
  /(?:^|[\s"'=:;,(\[|`\\\/])(?:[a-z]:)?[\\\/](?:windows|winnt|boot\.ini|inetpub|xampp|wamp|program files[^\\\/]*[\\\/]+(?:apache|mysql|php|filezilla|xampp)|apache[\w.-]*[\\\/]|php\d?[\\\/]|mysql[\\\/]|system32|autoexec\.bat|config\.sys|documents and settings|appserv|filezilla|users[\\\/]+[^\\\/]+[\\\/]+ntuser\.dat|sysprep|unattend)/;
const WINDOWS_FILES = /(?:^|[\\\/])(?:win\.ini|system\.ini|boot\.ini|php\.ini|my\.ini|my\.cnf|httpd\.conf|web\.config|\.htaccess|\.htpasswd|wp-config\.php|sam|ntuser\.dat|access[._]log|error[._]log)(?:$|[\0?#;])/;
const STREAM_WRAPPER = /(?:^|[\s"'=(])(?:php|zip|phar|expect|glob|data|compress\.zlib|compress\.bzip2|zlib|rar|ogg|ssh2\.\w+|jar|netdoc):\/\//;
const PHP_WRAPPER = /\bphp:\/\/(?:filter|input|fd|memory|temp|stdin)|^data:[^,]{0,60}base64,|\bexpect:\/\//;

/** A critical traversal hit (module-level: no closure allocated per value). */
function hit(ruleId: string): RuleHit {
  return { ruleId, category: 'traversal', severity: SEVERITY.critical };
}

/** Creates the traversal / LFI detector. */
export function createTraversalDetector(): Detector {
  return {
    category: 'traversal',
    detect(value: InspectedValue): RuleHit | undefined {
      const s = value.lower;
      if (s.length < 3 || (value.mask & (CH.slash | CH.backslash | CH.dotDot)) === 0) return undefined;
      const slash = (value.mask & CH.slash) !== 0;
      if ((value.mask & CH.dotDot) !== 0 && DOT_DOT.test(s)) {
        // In the URL path, `..` is normalised by the router; a dot-dot that survived decoding is still an attack.
        return hit(TRAVERSAL_RULES.dotDot);
      }
      if (value.kind === 'path') return undefined; // the URL path itself is made of slashes
      if (s.indexOf('://') !== -1 && (STREAM_WRAPPER.test(s) || PHP_WRAPPER.test(s))) return hit(TRAVERSAL_RULES.wrapper);
      if (PHP_WRAPPER.test(s)) return hit(TRAVERSAL_RULES.wrapper);
      if (slash && UNIX_SYSTEM_PATH.test(s)) return hit(TRAVERSAL_RULES.systemPath);
      if (WINDOWS_SYSTEM_PATH.test(s)) return hit(TRAVERSAL_RULES.windowsPath);
      if (WINDOWS_FILES.test(s)) return hit(TRAVERSAL_RULES.windowsPath);
      return undefined;
    },
  };
}
