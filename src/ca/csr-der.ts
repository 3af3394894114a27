/**
 * The parts of a PKCS#10 CertificationRequest (RFC 2986 §4) that issuance reads, found by walking
 * the DER directly: an ASN.1 object model costs several times the signature check for the same
 * few fields. Every function throws a plain Error on a structure it does not expect; csr.ts
 * turns that into the badCSR detail for the part that failed.
 */
import { readDer, readDerChildren, readDerExact, TAG_BIT_STRING, TAG_OCTET_STRING, TAG_SEQUENCE, type DerElement } from './der.ts';

const TAG_INTEGER = 0x02;
const TAG_OID = 0x06;
const TAG_SET = 0x31;
const TAG_ATTRIBUTES = 0xa0; // [0] IMPLICIT SET OF Attribute

export interface CsrStructure {
  /** certificationRequestInfo, the signed bytes. */
  tbs: Uint8Array;
  /** SubjectPublicKeyInfo DER. */
  spki: Uint8Array;
  /** The subject Name's contents (its RDNs). */
  subject: Uint8Array;
  /** The Attribute SEQUENCEs of the attributes field. */
  attributes: DerElement[];
  /** The signatureAlgorithm's OID contents and its parameters, if any. */
  signatureOid: Buffer;
  signatureParams: DerElement | undefined;
  /** The signature BIT STRING's bits (after the unused-bits octet, which must be 0). */
  signature: Uint8Array;
}

function expect(element: DerElement | undefined, tag: number, what: string): DerElement {
  if (element?.tag !== tag) throw new Error(`${what} is missing or not the expected type`);
  return element;
}

/** CertificationRequest ::= SEQUENCE { certificationRequestInfo, signatureAlgorithm, signature BIT STRING }. */
export function readCsrStructure(der: Uint8Array): CsrStructure {
  const outer = expect(readDerExact(der), TAG_SEQUENCE, 'CertificationRequest').value;
  const parts = readDerChildren(outer);
  if (parts.length !== 3) throw new Error('CertificationRequest must have exactly three fields');
  const info = expect(parts[0], TAG_SEQUENCE, 'certificationRequestInfo');
  const algorithm = readDerChildren(expect(parts[1], TAG_SEQUENCE, 'signatureAlgorithm').value);
  const bits = expect(parts[2], TAG_BIT_STRING, 'signature');
  if (bits.value[0] !== 0) throw new Error('the signature BIT STRING must have no unused bits');
  // CertificationRequestInfo ::= SEQUENCE { version INTEGER, subject Name, subjectPKInfo, attributes [0] }
  const fields = readDerChildren(info.value);
  if (fields.length < 3 || fields.length > 4) throw new Error('certificationRequestInfo must have three or four fields');
  expect(fields[0], TAG_INTEGER, 'version');
  const subject = expect(fields[1], TAG_SEQUENCE, 'subject');
  const spki = expect(fields[2], TAG_SEQUENCE, 'subjectPKInfo');
  // The SPKI goes into the certificate byte for byte, so it must be exactly what RFC 5280 §4.1
  // allows: { AlgorithmIdentifier { OID, optional parameters }, BIT STRING }, nothing after.
  const spkiParts = readDerChildren(spki.value);
  if (spkiParts.length !== 2) throw new Error('subjectPKInfo must have exactly two fields');
  const [spkiAlgorithm, spkiBits] = spkiParts;
  const keyAlgorithm = readDerChildren(expect(spkiAlgorithm, TAG_SEQUENCE, 'the key algorithm').value);
  if (keyAlgorithm.length < 1 || keyAlgorithm.length > 2) throw new Error('the key algorithm must have an OID and at most one parameter');
  expect(keyAlgorithm[0], TAG_OID, 'the key algorithm OID');
  expect(spkiBits, TAG_BIT_STRING, 'the public key');
  const attributes = fields[3] === undefined ? [] : readDerChildren(expect(fields[3], TAG_ATTRIBUTES, 'attributes').value);
  return {
    tbs: outer.subarray(info.start, info.end),
    spki: info.value.subarray(spki.start, spki.end),
    subject: subject.value,
    attributes,
    signatureOid: Buffer.from(expect(algorithm[0], TAG_OID, 'the signature algorithm OID').value),
    signatureParams: algorithm[1],
    signature: bits.value.subarray(1),
  };
}

/** OID contents of extensionRequest (1.2.840.113549.1.9.14, RFC 2985 §5.4.2). */
const OID_EXTENSION_REQUEST = Buffer.from('2a864886f70d01090e', 'hex');

/** The extnValue of every requested extension with this OID (contents), from the first extensionRequest attribute. */
export function requestedExtensions(attributes: DerElement[], oid: Buffer): Uint8Array[] {
  for (const attribute of attributes) {
    const [type, values] = readDerChildren(expect(attribute, TAG_SEQUENCE, 'an attribute').value);
    if (!Buffer.from(expect(type, TAG_OID, 'the attribute type').value).equals(OID_EXTENSION_REQUEST)) continue;
    const [extensions] = readDerChildren(expect(values, TAG_SET, 'the attribute values').value);
    const found: Uint8Array[] = [];
    for (const extension of readDerChildren(expect(extensions, TAG_SEQUENCE, 'Extensions').value)) {
      const items = readDerChildren(expect(extension, TAG_SEQUENCE, 'an extension').value);
      const extnValue = expect(items[items.length - 1], TAG_OCTET_STRING, 'extnValue');
      if (Buffer.from(expect(items[0], TAG_OID, 'extnID').value).equals(oid)) found.push(extnValue.value);
    }
    return found;
  }
  return [];
}

const OID_COMMON_NAME = Buffer.from('550403', 'hex');

/** DirectoryString and IA5String forms a commonName may take (RFC 5280 §4.1.2.4), decoded to text. */
function directoryString(element: DerElement): string {
  switch (element.tag) {
    case 0x0c: // UTF8String
    case 0x13: // PrintableString
    case 0x16: // IA5String
      return Buffer.from(element.value).toString('utf8');
    case 0x14: // TeletexString, read as Latin-1
      return Buffer.from(element.value).toString('latin1');
    case 0x1e: // BMPString: UTF-16BE
      return Buffer.from(element.value).swap16().toString('utf16le');
    default:
      throw new Error(`a commonName of ASN.1 type ${element.tag} is not a string type`);
  }
}

/** Every commonName value in the subject, in order. */
export function commonNames(subject: Uint8Array): string[] {
  const names: string[] = [];
  for (const rdn of readDerChildren(subject)) {
    for (const attribute of readDerChildren(expect(rdn, TAG_SET, 'an RDN').value)) {
      const [type, value] = readDerChildren(expect(attribute, TAG_SEQUENCE, 'an AttributeTypeAndValue').value);
      if (value === undefined) throw new Error('an AttributeTypeAndValue has no value');
      if (Buffer.from(expect(type, TAG_OID, 'the attribute type').value).equals(OID_COMMON_NAME)) names.push(directoryString(value));
    }
  }
  return names;
}

/** A signature algorithm as the CSR names it: the hash ('SHA-256' …) and the scheme. */
interface CsrSignatureAlgorithm {
  scheme: 'ECDSA' | 'RSASSA-PKCS1-v1_5' | 'RSA-PSS' | undefined;
  hash: string | undefined;
  /** RSA-PSS only. */
  saltLength?: number;
}

const SIGNATURE_OIDS: Readonly<Record<string, CsrSignatureAlgorithm>> = {
  '2a8648ce3d0401': { scheme: 'ECDSA', hash: 'SHA-1' },
  '2a8648ce3d040301': { scheme: 'ECDSA', hash: 'SHA-224' },
  '2a8648ce3d040302': { scheme: 'ECDSA', hash: 'SHA-256' },
  '2a8648ce3d040303': { scheme: 'ECDSA', hash: 'SHA-384' },
  '2a8648ce3d040304': { scheme: 'ECDSA', hash: 'SHA-512' },
  '2a864886f70d010105': { scheme: 'RSASSA-PKCS1-v1_5', hash: 'SHA-1' },
  '2a864886f70d01010e': { scheme: 'RSASSA-PKCS1-v1_5', hash: 'SHA-224' },
  '2a864886f70d01010b': { scheme: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  '2a864886f70d01010c': { scheme: 'RSASSA-PKCS1-v1_5', hash: 'SHA-384' },
  '2a864886f70d01010d': { scheme: 'RSASSA-PKCS1-v1_5', hash: 'SHA-512' },
};
const OID_RSA_PSS = '2a864886f70d01010a';
const HASH_OIDS: Readonly<Record<string, string>> = {
  '2b0e03021a': 'SHA-1', '608648016503040204': 'SHA-224', '608648016503040201': 'SHA-256', '608648016503040202': 'SHA-384', '608648016503040203': 'SHA-512',
};

/** RSASSA-PSS-params (RFC 4055 §3.1): hashAlgorithm [0] DEFAULT sha1, saltLength [2] DEFAULT 20. */
function pssAlgorithm(params: DerElement | undefined): CsrSignatureAlgorithm {
  let hash = 'SHA-1';
  let saltLength = 20;
  for (const field of params === undefined ? [] : readDerChildren(expect(params, TAG_SEQUENCE, 'RSASSA-PSS-params').value)) {
    if (field.tag === 0xa0) {
      const oid = readDerChildren(expect(readDerExact(field.value), TAG_SEQUENCE, 'hashAlgorithm').value)[0];
      const name = HASH_OIDS[Buffer.from(expect(oid, TAG_OID, 'the hash OID').value).toString('hex')];
      if (name === undefined) return { scheme: 'RSA-PSS', hash: undefined };
      hash = name;
    } else if (field.tag === 0xa2) {
      const value = expect(readDer(field.value), TAG_INTEGER, 'saltLength').value;
      if (value.length > 2) throw new Error('saltLength is out of range');
      saltLength = value.reduce((n, b) => n * 256 + b, 0);
    }
  }
  return { scheme: 'RSA-PSS', hash, saltLength };
}

/** The signature algorithm named by the CSR; scheme and hash are undefined when not one this reader knows. */
export function signatureAlgorithm(csr: CsrStructure): CsrSignatureAlgorithm {
  const oid = csr.signatureOid.toString('hex');
  if (oid === OID_RSA_PSS) return pssAlgorithm(csr.signatureParams);
  return SIGNATURE_OIDS[oid] ?? { scheme: undefined, hash: undefined };
}

/** Named curves by OID contents, with their JWK name and coordinate length. */
const EC_CURVES: Readonly<Record<string, { crv: string; size: number }>> = {
  '2a8648ce3d030107': { crv: 'P-256', size: 32 }, '2b81040022': { crv: 'P-384', size: 48 }, '2b81040023': { crv: 'P-521', size: 66 },
};
const OID_EC_PUBLIC_KEY = '2a8648ce3d0201';

/**
 * The JWK of an EC key on a named curve in uncompressed form, else undefined. node:crypto decodes
 * a JWK (and still checks the point is on the curve) at well under half the cost of the same key
 * as SPKI DER, which goes through OpenSSL's generic decoder.
 */
export function uncompressedEcJwk(spki: Uint8Array): { kty: 'EC'; crv: string; x: string; y: string } | undefined {
  const [algorithm, bits] = readDerChildren(readDerExact(spki).value);
  const [oid, curveOid] = readDerChildren(algorithm?.value ?? new Uint8Array(0));
  if (oid === undefined || Buffer.from(oid.value).toString('hex') !== OID_EC_PUBLIC_KEY || curveOid?.tag !== TAG_OID) return undefined;
  const curve = EC_CURVES[Buffer.from(curveOid.value).toString('hex')];
  const point = bits?.value;
  if (curve === undefined || point?.length !== 2 + 2 * curve.size || point[0] !== 0 || point[1] !== 0x04) return undefined;
  const x = Buffer.from(point.subarray(2, 2 + curve.size)).toString('base64url');
  const y = Buffer.from(point.subarray(2 + curve.size)).toString('base64url');
  return { kty: 'EC', crv: curve.crv, x, y };
}
