import { X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { httpRequest } from '../../src/http-client.ts';
import { run } from './run.ts';
import { makeTempDir, removeDir } from './tmp.ts';
import { crlDistributionPoints, crlSerials, normalizeSerial } from './x509.ts';

/** What `openssl crl -inform DER -text` reads from a CRL. */
export interface CrlContents {
  number: bigint;
  /** Serials listed, normalised as test/support/x509.ts `normalizeSerial` does. */
  serials: Set<string>;
}

/** Reads a DER CRL with openssl (`-crlnumber`, and `-text` for the serials): an independent reader. */
export async function readCrl(der: Buffer): Promise<CrlContents> {
  const dir = await makeTempDir('crl');
  try {
    const path = join(dir, 'crl.der');
    await writeFile(path, der);
    const { stdout } = await run('openssl', ['crl', '-inform', 'DER', '-in', path, '-noout', '-crlnumber']);
    const number = /crlNumber=(?:0x)?([0-9A-Fa-f]+)/.exec(stdout)?.[1];
    if (number === undefined) throw new Error(`openssl printed no CRL number: ${stdout}`);
    return { number: BigInt(`0x${number}`), serials: new Set(await crlSerials(path)) };
  } finally {
    await removeDir(dir);
  }
}

/** GETs a CRL (DER) and reads it with openssl. */
export async function fetchCrl(url: string, ca: string): Promise<CrlContents> {
  const res = await httpRequest(url, { ca });
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`);
  return readCrl(res.body);
}

/** The serial (normalised) and CRL distribution point of the first certificate of a PEM bundle. */
export async function certificateFacts(pem: string): Promise<{ serial: string; crlUrl: string }> {
  const leaf = new X509Certificate(pem);
  const dir = await makeTempDir('leaf');
  try {
    const path = join(dir, 'leaf.pem');
    await writeFile(path, leaf.toString());
    const [crlUrl] = await crlDistributionPoints(path);
    if (crlUrl === undefined) throw new Error('the certificate names no CRL distribution point');
    return { serial: normalizeSerial(leaf.serialNumber), crlUrl };
  } finally {
    await removeDir(dir);
  }
}
