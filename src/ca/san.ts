/**
 * subjectAltName (RFC 5280 §4.2.1.6) encoding and decoding for the two name forms Certainty
 * issues: dNSName and iPAddress. Done by hand so IP text is canonical in both directions and
 * every other GeneralName form is reported rather than silently dropped.
 */
import { encodeDer, encodeDerSequence, readDerChildren, readDerExact, TAG_SEQUENCE } from './der.ts';
import { ipFromBytes, ipToBytes } from './ip.ts';

export const OID_SUBJECT_ALT_NAME = '2.5.29.17';

const TAG_DNS_NAME = 0x82; // [2] IMPLICIT IA5String
const TAG_IP_ADDRESS = 0x87; // [7] IMPLICIT OCTET STRING

/** GeneralName forms by context tag number, for error messages. */
const GENERAL_NAME_FORMS = ['otherName', 'rfc822Name (email)', 'dNSName', 'x400Address', 'directoryName', 'ediPartyName', 'uniformResourceIdentifier', 'iPAddress', 'registeredID'];

export type SanEntry =
  | { type: 'dns'; value: string }
  | { type: 'ip'; value: string }
  /** Any other GeneralName form; `form` names it (e.g. "rfc822Name (email)"). */
  | { type: 'other'; form: string };

/** The extnValue contents (GeneralNames SEQUENCE) for the given names. DNS names must be ASCII. */
export function encodeSubjectAltName(dnsNames: readonly string[], ipAddresses: readonly string[]): Uint8Array {
  const names = [
    ...dnsNames.map((name) => {
      if (!/^[\x21-\x7e]+$/.test(name)) throw new Error(`dNSName "${name}" must be non-empty printable ASCII (use the A-label form)`);
      return encodeDer(TAG_DNS_NAME, Buffer.from(name, 'ascii'));
    }),
    ...ipAddresses.map((ip) => encodeDer(TAG_IP_ADDRESS, ipToBytes(ip))),
  ];
  return encodeDerSequence(names);
}

/**
 * Decodes a subjectAltName extnValue. Throws a plain Error on malformed DER, a dNSName that is not
 * printable ASCII, or an iPAddress that is not 4 or 16 bytes; callers map that to their error code.
 */
export function decodeSubjectAltName(extnValue: Uint8Array): SanEntry[] {
  const outer = readDerExact(extnValue);
  if (outer.tag !== TAG_SEQUENCE) throw new Error('subjectAltName is not a SEQUENCE');
  return readDerChildren(outer.value).map((name): SanEntry => {
    if (name.tag === TAG_DNS_NAME) {
      const text = Buffer.from(name.value).toString('latin1');
      if (!/^[\x21-\x7e]+$/.test(text)) throw new Error('a dNSName is empty or not printable ASCII');
      return { type: 'dns', value: text };
    }
    if (name.tag === TAG_IP_ADDRESS) return { type: 'ip', value: ipFromBytes(name.value) };
    if ((name.tag & 0xc0) !== 0x80) throw new Error('subjectAltName holds an element that is not a GeneralName');
    return { type: 'other', form: GENERAL_NAME_FORMS[name.tag & 0x1f] ?? `[${name.tag & 0x1f}]` };
  });
}
