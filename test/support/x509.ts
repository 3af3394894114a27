import { readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
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

/** An IP address in one spelling: IPv6 compressed (openssl prints `0:0:0:0:0:0:0:1` for `::1`). */
function canonicalIp(ip: string): string {
  return isIP(ip) === 6 ? new URL(`http://[${ip}]/`).hostname.slice(1, -1) : ip;
}

/** Subject alternative names, normalised: `DNS:a.example`, `IP:127.0.0.1`, `IP:::1`. */
export async function subjectAltNames(certPath: string): Promise<string[]> {
  const text = await extensionText(certPath, 'subjectAltName');
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => (entry.startsWith('IP Address:') ? `IP:${canonicalIp(entry.slice('IP Address:'.length))}` : entry));
}

/** SANs expected for requested identifiers, sorted: IP literals become `IP:`, the rest `DNS:`. */
export function expectedSans(identifiers: readonly string[]): string[] {
  return identifiers.map((id) => (isIP(id) === 0 ? `DNS:${id}` : `IP:${canonicalIp(id)}`)).sort();
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
