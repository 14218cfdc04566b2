/**
 * Certificates for TLS tests, made at test time with the `openssl` command (no key or
 * certificate is committed): a CA, certificates it signed for a server (localhost and
 * 127.0.0.1), a second server name (other.test, for SNI) and a client, and a self-signed
 * certificate nobody trusts. EC keys: quick to make.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { tempDir } from './net.js';

export interface Pair {
  key: Buffer;
  cert: Buffer;
}

export interface Certificates {
  /** The test CA's certificate: what both ends trust. */
  ca: Buffer;
  /** Signed by the CA for `localhost` and `127.0.0.1`. */
  server: Pair;
  /** Signed by the CA for `other.test` only. */
  other: Pair;
  /** Signed by the CA, CN `client`: a client certificate the server trusts. */
  client: Pair;
  /** Self-signed for `localhost` and `127.0.0.1`: trusted by nobody. */
  rogue: Pair;
}

const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** Makes the certificates in a temporary directory (removed before it returns). */
export function makeCertificates(): Certificates {
  const tmp = tempDir();
  const openssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: tmp.dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const pair = (name: string): Pair => ({ key: readFileSync(tmp.path(`${name}.key`)), cert: readFileSync(tmp.path(`${name}.crt`)) });
  try {
    openssl('req', '-x509', ...KEY, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=poe-ts test CA');
    const signed = (name: string, cn: string, san: string): void => {
      openssl('req', ...KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
      writeFileSync(tmp.path(`${name}.ext`), `subjectAltName=${san}\n`);
      openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
    };
    signed('server', 'localhost', 'DNS:localhost,IP:127.0.0.1');
    signed('other', 'other.test', 'DNS:other.test');
    signed('client', 'client', 'DNS:client');
    openssl('req', '-x509', ...KEY, '-keyout', 'rogue.key', '-out', 'rogue.crt', '-days', '2', '-subj', '/CN=rogue', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1');
    return { ca: readFileSync(tmp.path('ca.crt')), server: pair('server'), other: pair('other'), client: pair('client'), rogue: pair('rogue') };
  } finally {
    tmp.cleanup();
  }
}
