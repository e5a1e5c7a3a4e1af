/**
 * A certificate chain made for the test with the `openssl` command: root CA → intermediate CA → leaf for
 * `localhost`/127.0.0.1, plus a stand-alone "MITM" chain (another root signing a leaf for the same names). The
 * expected pins are computed by openssl too (pkey → DER → dgst), independently of the code under test.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TestChain {
  dir: string;
  leafPem: string;
  leafKeyPem: string;
  intermediatePem: string;
  rootPem: string;
  /** leaf + intermediate, what a server sends. */
  servedChainPem: string;
  /** Expected SPKI pins computed by openssl. */
  pins: { leaf: string; intermediate: string; root: string };
  /** A backup key's pin (a key not in the chain). */
  backupPin: string;
  mitm: { leafPem: string; leafKeyPem: string; rootPem: string; leafPin: string; rootPin: string };
  cleanup(): void;
}

function openssl(dir: string, args: string[]): string {
  return execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function pinOf(dir: string, file: string, isCert: boolean): string {
  const spki = execFileSync(
    'sh',
    ['-c', isCert ? `openssl x509 -in ${file} -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64` : `openssl pkey -in ${file} -pubout -outform der | openssl dgst -sha256 -binary | base64`],
    { cwd: dir, encoding: 'utf8' },
  );
  return spki.trim();
}

/** Builds the chains in a fresh temp directory (EC P-256 keys: fast to generate). */
export function makeTestChain(): TestChain {
  const dir = mkdtempSync(path.join(tmpdir(), 'mas-chain-'));
  const key = (name: string) => openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`]);
  for (const name of ['root', 'int', 'leaf', 'backup', 'mroot', 'mleaf']) key(name);
  writeFileSync(path.join(dir, 'ca.ext'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n');
  writeFileSync(path.join(dir, 'leaf.ext'), 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nauthorityKeyIdentifier=keyid\n');
  const selfSigned = (k: string, cn: string) =>
    openssl(dir, ['req', '-x509', '-new', '-key', `${k}.key`, '-subj', `/CN=${cn}`, '-days', '3650', '-sha256', '-out', `${k}.pem`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  const issue = (k: string, cn: string, ca: string, ext: string) => {
    openssl(dir, ['req', '-new', '-key', `${k}.key`, '-subj', `/CN=${cn}`, '-out', `${k}.csr`]);
    openssl(dir, ['x509', '-req', '-in', `${k}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '825', '-sha256', '-extfile', ext, '-out', `${k}.pem`]);
  };
  selfSigned('root', 'Test Root CA');
  issue('int', 'Test Intermediate CA', 'root', 'ca.ext');
  issue('leaf', 'localhost', 'int', 'leaf.ext');
  selfSigned('mroot', 'Interception Root');
  issue('mleaf', 'localhost', 'mroot', 'leaf.ext');
  const read = (f: string) => readFileSync(path.join(dir, f), 'utf8');
  return {
    dir,
    leafPem: read('leaf.pem'),
    leafKeyPem: read('leaf.key'),
    intermediatePem: read('int.pem'),
    rootPem: read('root.pem'),
    servedChainPem: read('leaf.pem') + read('int.pem'),
    pins: { leaf: pinOf(dir, 'leaf.pem', true), intermediate: pinOf(dir, 'int.pem', true), root: pinOf(dir, 'root.pem', true) },
    backupPin: pinOf(dir, 'backup.key', false),
    mitm: { leafPem: read('mleaf.pem'), leafKeyPem: read('mleaf.key'), rootPem: read('mroot.pem'), leafPin: pinOf(dir, 'mleaf.pem', true), rootPin: pinOf(dir, 'mroot.pem', true) },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
