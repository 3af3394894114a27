import { readFile, writeFile } from 'node:fs/promises';
import { run } from './run.ts';

/** The PEM blocks of a bundle, in order, each ending with a newline. */
export function splitPem(bundle: string): string[] {
  return bundle.match(/-----BEGIN [A-Z0-9 ]+-----[\s\S]+?-----END [A-Z0-9 ]+-----/g)?.map((b) => `${b}\n`) ?? [];
}

/** Writes block `index` of the PEM bundle at `bundlePath` to `outPath`. */
export async function extractPemBlock(bundlePath: string, index: number, outPath: string): Promise<string> {
  const block = splitPem(await readFile(bundlePath, 'utf8'))[index];
  if (block === undefined) throw new Error(`${bundlePath} has no PEM block #${index}`);
  await writeFile(outPath, block);
  return outPath;
}

/**
 * `openssl verify -CAfile <root> -untrusted <intermediates> <leaf>`; throws with openssl's
 * output unless the leaf chains to the root.
 */
export async function verifyChain(paths: { rootPemPath: string; untrustedPemPath: string; leafPemPath: string }): Promise<void> {
  const result = await run('openssl', [
    'verify', '-CAfile', paths.rootPemPath, '-untrusted', paths.untrustedPemPath, paths.leafPemPath,
  ]);
  if (!result.stdout.includes(': OK')) throw new Error(`openssl verify did not say OK:\n${result.stdout}${result.stderr}`);
}

async function extensionText(certPath: string, extension: string): Promise<string> {
  const result = await run('openssl', ['x509', '-in', certPath, '-noout', '-ext', extension]);
  // The first line is the extension's name; the values follow, indented.
  return result.stdout.split('\n').slice(1).join('\n').trim();
}

/** Subject alternative names as openssl spells them, normalised: `DNS:a.example`, `IP:127.0.0.1`. */
export async function subjectAltNames(certPath: string): Promise<string[]> {
  const text = await extensionText(certPath, 'subjectAltName');
  return text
    .split(',')
    .map((entry) => entry.trim().replace(/^IP Address:/, 'IP:'))
    .filter((entry) => entry !== '');
}

/** SANs expected for requested identifiers: IP literals become `IP:`, everything else `DNS:`. */
export function expectedSans(identifiers: readonly string[]): string[] {
  const isIp = (value: string): boolean => /^[\d.]+$/.test(value) || value.includes(':');
  return identifiers.map((id) => (isIp(id) ? `IP:${id}` : `DNS:${id}`)).sort();
}

/** Serial number as upper-case hex without leading zeros. */
export async function certSerial(certPath: string): Promise<string> {
  const result = await run('openssl', ['x509', '-in', certPath, '-noout', '-serial']);
  return normalizeSerial(result.stdout.trim().replace(/^serial=/, ''));
}

export function normalizeSerial(hex: string): string {
  const digits = hex.replaceAll(':', '').toUpperCase().replace(/^0+(?=.)/, '');
  return digits;
}

/** URIs from the CRL Distribution Points extension ([] when absent). */
export async function crlDistributionPoints(certPath: string): Promise<string[]> {
  const text = await extensionText(certPath, 'crlDistributionPoints');
  return [...text.matchAll(/URI:(\S+)/g)].map((m) => m[1] ?? '').filter((uri) => uri !== '');
}

/** Serials listed in a DER CRL (`openssl crl -inform DER -text`), normalised. */
export async function crlSerials(derCrlPath: string): Promise<string[]> {
  const result = await run('openssl', ['crl', '-inform', 'DER', '-in', derCrlPath, '-noout', '-text']);
  return [...result.stdout.matchAll(/Serial Number:\s*([0-9A-Fa-f:]+)/g)].map((m) => normalizeSerial(m[1] ?? ''));
}

/** Checks the CRL's signature against `issuerPemPath` (the certificate that signed it). */
export async function verifyCrlSignature(derCrlPath: string, issuerPemPath: string): Promise<void> {
  const result = await run('openssl', ['crl', '-inform', 'DER', '-in', derCrlPath, '-CAfile', issuerPemPath, '-noout']);
  const output = `${result.stdout}${result.stderr}`;
  if (!output.includes('verify OK')) throw new Error(`CRL signature not verified:\n${output}`);
}
