/** PEM and certificate field helpers shared by the CA and its callers (store, admin API, CLI). */
import { createHash } from 'node:crypto';
import { x509 } from './x509.ts';

/**
 * The DER of the first PEM block, or of the first block labelled `label` when given.
 * Throws a plain Error naming what was expected when there is none.
 */
export function pemToDer(pem: string, label?: string): Uint8Array {
  const blocks = x509.PemConverter.decodeWithHeaders(pem);
  const block = label === undefined ? blocks[0] : blocks.find((b) => b.type === label);
  if (block === undefined) {
    const found = blocks.map((b) => b.type).join(', ') || 'no PEM blocks';
    throw new Error(`expected a PEM "${label ?? 'any'}" block, found ${found}`);
  }
  return new Uint8Array(block.rawData);
}

/** PEM text with 64-column base64 and a trailing newline. */
export function derToPem(der: Uint8Array, label: string): string {
  return `${x509.PemConverter.encode(der, label)}\n`;
}

/** Each CERTIFICATE block of a PEM bundle, re-encoded canonically, in order. Other blocks are ignored. */
export function splitPemChain(text: string): string[] {
  return x509.PemConverter.decodeWithHeaders(text)
    .filter((b) => b.type === 'CERTIFICATE')
    .map((b) => derToPem(new Uint8Array(b.rawData), 'CERTIFICATE'));
}

function certOf(cert: string | Uint8Array): InstanceType<typeof x509.X509Certificate> {
  return new x509.X509Certificate(typeof cert === 'string' ? pemToDer(cert, 'CERTIFICATE') : cert);
}

/** Lowercase hex SHA-256 of the certificate DER. */
export function certSha256Hex(cert: string | Uint8Array): string {
  const der = typeof cert === 'string' ? pemToDer(cert, 'CERTIFICATE') : cert;
  return createHash('sha256').update(der).digest('hex');
}

/** Lowercase hex SHA-256 of the certificate's SubjectPublicKeyInfo DER (the key pin). */
export function spkiSha256Hex(cert: string | Uint8Array): string {
  return createHash('sha256').update(new Uint8Array(certOf(cert).publicKey.rawData)).digest('hex');
}

/** Serial as lowercase hex without the DER sign byte: the same form randomSerialHex returns. */
/** Serials are stored lowercase hex without leading zero bytes; accepts colons and any case. */
/**
 * A serial as stored: lower-case hex, whole bytes, no leading zero byte. Operators paste serials
 * as tools print them (`02:4C:F1…`, `24CF1…` without the leading zero nibble, `0x…`): all of
 * them name the same certificate.
 */
export function normaliseSerial(serial: string): string {
  const hex = serial.trim().replace(/^0x/i, '').replace(/:/g, '').toLowerCase().replace(/^0+(?=.)/, '');
  return hex.length % 2 === 1 ? `0${hex}` : hex;
}

export function certSerialHex(cert: string | Uint8Array): string {
  return certOf(cert).serialNumber.toLowerCase();
}

export function certNotAfter(cert: string | Uint8Array): Date {
  return certOf(cert).notAfter;
}
