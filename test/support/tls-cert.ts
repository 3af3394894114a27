import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './run.ts';

export interface TestTlsCert {
  /** Self-signed CA that clients must trust to talk to the server. */
  readonly caPemPath: string;
  readonly certPath: string;
  readonly keyPath: string;
}

/**
 * Creates, with openssl, a throwaway CA and a P-256 server certificate for `localhost` and
 * 127.0.0.1 signed by it, in `dir`. Valid for two days; nothing outside the test trusts it.
 */
export async function createTestTlsCert(dir: string, commonName = 'localhost'): Promise<TestTlsCert> {
  const caKey = join(dir, 'tls-ca.key');
  const caPemPath = join(dir, 'tls-ca.pem');
  const keyPath = join(dir, 'tls.key');
  const csrPath = join(dir, 'tls.csr');
  const certPath = join(dir, 'tls.pem');
  const extPath = join(dir, 'tls.ext');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await run('openssl', [
    'req', '-x509', ...ec, '-keyout', caKey, '-out', caPemPath, '-days', '2',
    '-subj', `/CN=${commonName} test TLS CA`,
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await run('openssl', ['req', ...ec, '-keyout', keyPath, '-out', csrPath, '-subj', `/CN=${commonName}`]);
  await writeFile(
    extPath,
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid',
      '',
    ].join('\n'),
  );
  await run('openssl', [
    'x509', '-req', '-in', csrPath, '-CA', caPemPath, '-CAkey', caKey, '-CAcreateserial',
    '-days', '2', '-extfile', extPath, '-out', certPath,
  ]);
  return { caPemPath, certPath, keyPath };
}
