/** `mobile-api-shield pins <cert | host:port>`: the SPKI pins of a certificate, a chain or a live server. */
import { computePins, parseHostPort, PinInputError, type CertificatePin, type ChainRole } from '../../channel/compute-pins.js';
import { formatPins, PIN_FORMATS, type PinFormat } from '../../channel/formats.js';
import { PIN_PATTERN } from '../../channel/pinset-payload.js';
import { PinValidationError, toPinDate } from '../../channel/validate-pins.js';
import { CliError, EXIT, intOption, parse, readBytes, type CliCommand } from '../cli-support.js';

const USAGE = `Usage: mobile-api-shield pins <cert.pem | cert.der | host:port> [options]

Prints the SHA-256 SPKI pins of a certificate, a PEM chain (leaf first) or the chain a live TLS server serves,
labelled leaf / intermediate / root.

Options:
  --format <f>            table (default), raw, okhttp, nsc, trustkit, rn
  --host <name>           host name the configuration pins (default: the host of host:port)
  --select <roles>        which chain certificates to pin, comma-separated: leaf,intermediate,root (default: all)
  --backup <pin>          a backup pin (base64 SHA-256) of a key not in the chain; repeatable
  --include-subdomains    pin the host's subdomains too
  --expires <yyyy-MM-dd>  when clients stop enforcing these pins
  --report-uri <url>      TrustKit kTSKReportUris entry; repeatable
  --report-only           enforce=false (TrustKit reports without blocking, but still needs two pins)
  --servername <name>     SNI name for host:port (default: the host)
  --timeout <ms>          TLS handshake timeout, 1 to 300000 (default 10000)
  -h, --help              show this help

Every format but table and raw is a configuration a client enforces: it is refused (exit 1) unless it has at least
two pins, one of them a backup not in the current chain.`;

const ROLES: readonly ChainRole[] = ['leaf', 'intermediate', 'root'];

export const pinsCommand: CliCommand = {
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parse(
      args,
      {
        format: { type: 'string' },
        host: { type: 'string' },
        select: { type: 'string' },
        backup: { type: 'string', multiple: true },
        'include-subdomains': { type: 'boolean' },
        expires: { type: 'string' },
        'report-uri': { type: 'string', multiple: true },
        'report-only': { type: 'boolean' },
        servername: { type: 'string' },
        timeout: { type: 'string' },
      },
      USAGE,
    );
    if (values.help) return io.out(`${USAGE}\n`), EXIT.ok;
    if (positionals.length !== 1) throw new CliError(`expected one certificate file or host:port\n\n${USAGE}`, EXIT.usage);
    const format = values.format ?? 'table';
    if (format !== 'table' && !PIN_FORMATS.includes(format as PinFormat)) {
      throw new CliError(`--format must be one of table, ${PIN_FORMATS.join(', ')}`, EXIT.usage);
    }
    const select = (values.select ?? ROLES.join(',')).split(',').map((r) => r.trim());
    for (const role of select) if (!ROLES.includes(role as ChainRole)) throw new CliError(`--select: unknown role ${JSON.stringify(role)}`, EXIT.usage);
    for (const pin of values.backup ?? []) if (!PIN_PATTERN.test(pin)) throw new CliError(`--backup ${JSON.stringify(pin)} is not a base64 SHA-256 pin`, EXIT.usage);
    // 0 once meant the default silently; the range is the one computePins accepts.
    const timeoutMs = intOption(values.timeout, 'timeout', { min: 1, max: 300_000 });
    if (values.expires !== undefined && toPinDate(values.expires) === undefined) {
      throw new CliError(`--expires must be a yyyy-MM-dd calendar date, got ${JSON.stringify(values.expires)}`, EXIT.usage);
    }

    const target = positionals[0] as string;
    const live = parseHostPort(target);
    let chain: CertificatePin[];
    try {
      chain = live
        ? await computePins(live, { servername: values.servername, ...(timeoutMs !== undefined ? { timeoutMs } : {}) })
        : await computePins(readBytes(target));
    } catch (error) {
      if (error instanceof PinInputError) throw new CliError(`${target}: ${error.message}`);
      throw error;
    }
    if (format === 'table') {
      const width = Math.max(...chain.map((c) => c.role.length));
      for (const c of chain) io.out(`${c.role.padEnd(width)}  ${c.sha256}  ${c.subject}  (expires ${c.validTo.slice(0, 10)})\n`);
      for (const pin of values.backup ?? []) io.out(`${'backup'.padEnd(width)}  ${pin}\n`);
      return EXIT.ok;
    }
    const host = (values.host ?? live?.host ?? '').toLowerCase();
    if (format !== 'raw' && host === '') throw new CliError('--host is required for a configuration format when the input is a file', EXIT.usage);
    const hosts = {
      [host || 'pins']: {
        pins: chain.filter((c) => select.includes(c.role)).map((c) => c.sha256),
        backupPins: values.backup ?? [],
        includeSubdomains: values['include-subdomains'] === true,
        enforce: values['report-only'] !== true,
        ...(values.expires !== undefined ? { expiresAt: values.expires } : {}),
      },
    };
    try {
      const result = formatPins(format as PinFormat, hosts, { chain, reportUris: values['report-uri'] });
      for (const warning of result.warnings) io.err(`warning: ${warning.host}: ${warning.message}\n`);
      io.out(result.text);
      return EXIT.ok;
    } catch (error) {
      if (error instanceof PinValidationError) {
        throw new CliError(`${error.message}\n(add a backup pin with --backup <pin>, e.g. of the next certificate's key)`);
      }
      throw error;
    }
  },
};
