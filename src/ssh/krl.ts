import { SshWriter, stringList } from './wire.ts';

// PROTOCOL.krl: "SSHKRL\n\0", format version 1.
const KRL_MAGIC = 0x5353484b524c0a00n;
const KRL_FORMAT_VERSION = 1;
const SECTION_CERTIFICATES = 1;
const SECTION_EXPLICIT_KEY = 2;
const CERT_SERIAL_LIST = 0x20;
const CERT_KEY_ID = 0x23;

/** What one CA's certificates are revoked by. */
export interface KrlCaEntry {
  /** The CA's public key blob; undefined revokes the key ids under any CA. */
  caKey: Buffer | undefined;
  serials: readonly bigint[];
  keyIds: readonly string[];
}

export interface KrlContent {
  /** Increases whenever the revocations change (`krl_version`). */
  version: bigint;
  /** Seconds since the epoch. */
  generatedAt: bigint;
  comment: string;
  cas: readonly KrlCaEntry[];
  /** Plain public key blobs revoked outright (any certificate for them too). */
  keys: readonly Buffer[];
}

/**
 * An unsigned KRL (OpenSSH ≥ 9.4 refuses signed ones; distribution is trusted instead). Serials
 * are listed sorted, one serial-list subsection per CA, which `ssh-keygen -Q` and sshd's
 * `RevokedKeys` read; the output depends only on `content`, so every node builds the same bytes.
 */
export function encodeKrl(content: KrlContent): Buffer {
  const w = new SshWriter()
    .uint64(KRL_MAGIC).uint32(KRL_FORMAT_VERSION).uint64(content.version).uint64(content.generatedAt)
    .uint64(0n).string(Buffer.alloc(0)).string(content.comment);
  for (const ca of content.cas) {
    if (ca.serials.length === 0 && ca.keyIds.length === 0) continue;
    const section = new SshWriter().string(ca.caKey ?? Buffer.alloc(0)).string(Buffer.alloc(0));
    if (ca.serials.length > 0) {
      const serials = new SshWriter();
      for (const s of [...new Set(ca.serials)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) serials.uint64(s);
      section.byte(CERT_SERIAL_LIST).string(serials.toBuffer());
    }
    if (ca.keyIds.length > 0) section.byte(CERT_KEY_ID).string(stringList([...new Set(ca.keyIds)].sort()));
    w.byte(SECTION_CERTIFICATES).string(section.toBuffer());
  }
  if (content.keys.length > 0) {
    const keys = new SshWriter();
    for (const k of [...content.keys].sort(Buffer.compare)) keys.string(k);
    w.byte(SECTION_EXPLICIT_KEY).string(keys.toBuffer());
  }
  return w.toBuffer();
}
