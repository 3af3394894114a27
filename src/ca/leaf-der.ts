/**
 * The DER of a leaf's tbsCertificate (RFC 5280 §4.1), written byte by byte from the few fields
 * that vary per leaf: building it through an ASN.1 object model costs several times the
 * signature itself. The layout is fixed: v3, CN-only or empty subject, the extensions in the
 * order basicConstraints, keyUsage, extKeyUsage, subjectKeyIdentifier, authorityKeyIdentifier,
 * subjectAltName, cRLDistributionPoints. test/integration/ca.issue-openssl.test.ts reads the
 * result with OpenSSL.
 */
import { concatBytes, encodeDer, encodeDerSequence, encodeDerTime, TAG_OCTET_STRING } from './der.ts';

const TAG_BOOLEAN_TRUE = Uint8Array.from([0x01, 0x01, 0xff]);
const TAG_PRINTABLE_STRING = 0x13;
const TAG_UTF8_STRING = 0x0c;
const TAG_CONTEXT_0 = 0xa0;
const TAG_CONTEXT_3 = 0xa3;
const TAG_URI = 0x86; // GeneralName [6] IMPLICIT IA5String

const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));

/** [0] EXPLICIT INTEGER 2: version v3. */
const VERSION_V3 = hex('a003020102');
/** The full OBJECT IDENTIFIER elements. */
const OID = {
  commonName: hex('0603550403'),
  basicConstraints: hex('0603551d13'),
  keyUsage: hex('0603551d0f'),
  extKeyUsage: hex('0603551d25'),
  subjectKeyId: hex('0603551d0e'),
  subjectAltName: hex('0603551d11'),
  crlDistributionPoints: hex('0603551d1f'),
};
const KEY_PURPOSE = { serverAuth: hex('06082b06010505070301'), clientAuth: hex('06082b06010505070302') };
/** basicConstraints value: SEQUENCE {} (cA FALSE, the default, is left out). */
const NOT_A_CA = hex('3000');
/** keyUsage BIT STRINGs: digitalSignature; digitalSignature and keyEncipherment (RSA). */
export const KEY_USAGE_EC = hex('03020780');
export const KEY_USAGE_RSA = hex('030205a0');

/** AlgorithmIdentifiers of the issuer's signature (RFC 5758 §3.2, RFC 4055 §5: RSA with NULL parameters). */
export const SIGNATURE_ALGORITHMS = {
  'ecdsa-sha256': hex('300a06082a8648ce3d040302'),
  'ecdsa-sha384': hex('300a06082a8648ce3d040303'),
  'rsa-sha256': hex('300d06092a864886f70d01010b0500'),
};

/** PrintableString where it can hold the text (as OpenSSL and the earlier library chose), else UTF8String. */
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/** Name ::= SEQUENCE OF RDN: one RDN holding the commonName, or no RDN at all. */
function subjectName(commonName: string | undefined): Uint8Array {
  if (commonName === undefined) return encodeDerSequence([]);
  const value = encodeDer(PRINTABLE.test(commonName) ? TAG_PRINTABLE_STRING : TAG_UTF8_STRING, Buffer.from(commonName, 'utf8'));
  return encodeDerSequence([encodeDer(0x31, encodeDerSequence([OID.commonName, value]))]);
}

/** Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }. */
function extension(oid: Uint8Array, critical: boolean, value: Uint8Array): Uint8Array {
  const octets = encodeDer(TAG_OCTET_STRING, value);
  return encodeDerSequence(critical ? [oid, TAG_BOOLEAN_TRUE, octets] : [oid, octets]);
}

/** cRLDistributionPoints with one DistributionPoint whose fullName is the URI (RFC 5280 §4.2.1.13). */
function crlDistributionPoints(url: string): Uint8Array {
  if (!/^[\x21-\x7e]+$/.test(url)) throw new Error(`CRL URL "${url}" must be printable ASCII`);
  const fullName = encodeDer(TAG_CONTEXT_0, encodeDer(TAG_URI, Buffer.from(url, 'ascii')));
  return encodeDerSequence([encodeDerSequence([encodeDer(TAG_CONTEXT_0, fullName)])]);
}

interface LeafTbs {
  serial: Uint8Array;
  signatureAlgorithm: Uint8Array;
  /** The issuer's subject Name, exactly as in its certificate. */
  issuerName: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  commonName: string | undefined;
  spki: Uint8Array;
  keyUsage: Uint8Array;
  extKeyUsage: ReadonlyArray<'serverAuth' | 'clientAuth'>;
  subjectKeyId: Uint8Array;
  /** The issuer's whole authorityKeyIdentifier Extension, as encoded once for every leaf. */
  authorityKeyIdExtension: Uint8Array;
  /** subjectAltName extnValue (encodeSubjectAltName); critical when the subject is empty (RFC 5280 §4.2.1.6). */
  subjectAltName: Uint8Array;
  crlUrl: string | undefined;
}

/** TBSCertificate ::= SEQUENCE { version, serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, extensions }. */
export function encodeLeafTbs(t: LeafTbs): Uint8Array {
  const extensions = [
    extension(OID.basicConstraints, true, NOT_A_CA),
    extension(OID.keyUsage, true, t.keyUsage),
    extension(OID.extKeyUsage, false, encodeDerSequence(t.extKeyUsage.map((u) => KEY_PURPOSE[u]))),
    extension(OID.subjectKeyId, false, encodeDer(TAG_OCTET_STRING, t.subjectKeyId)),
    t.authorityKeyIdExtension,
    extension(OID.subjectAltName, t.commonName === undefined, t.subjectAltName),
  ];
  if (t.crlUrl !== undefined) extensions.push(extension(OID.crlDistributionPoints, false, crlDistributionPoints(t.crlUrl)));
  return encodeDerSequence([
    VERSION_V3,
    encodeDer(0x02, t.serial),
    t.signatureAlgorithm,
    t.issuerName,
    encodeDerSequence([encodeDerTime(t.notBefore), encodeDerTime(t.notAfter)]),
    subjectName(t.commonName),
    t.spki,
    encodeDer(TAG_CONTEXT_3, encodeDerSequence(extensions)),
  ]);
}

/** Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }. */
export function encodeSignedCertificate(tbs: Uint8Array, signatureAlgorithm: Uint8Array, signature: Uint8Array): Uint8Array {
  return encodeDerSequence([tbs, signatureAlgorithm, encodeDer(0x03, concatBytes([new Uint8Array([0]), signature]))]);
}
