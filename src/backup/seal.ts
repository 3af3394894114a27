import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { kekIdOf, type Keyring } from '../kek/envelope.ts';

/**
 * An archive's MAC, the member `manifest.mac`: HMAC-SHA256 over the exact bytes of
 * `manifest.json`, which lists the payload's size and SHA-256, so it covers every member. The
 * HMAC key is random per archive and sealed by the KEK (envelope encryption, aad `backup-mac`):
 * only a holder of the KEK can make a MAC, and checking one needs the KEK alone, since a restore
 * target is an empty database. Sealing a key rather than deriving one from the KEK's bytes keeps
 * to the two calls a `KekProvider` offers (an HSM never hands its key out), and the sealed key
 * names the KEK that sealed it, so a wrong KEK is told apart from an altered archive.
 */

/** A seal is a few hundred bytes; anything much larger is not one. */
export const SEAL_MAX_BYTES = 4096;

const ALGORITHM = 'HMAC-SHA256';
const KEY_AAD = 'backup-mac';

const sealSchema = z.strictObject({
  algorithm: z.literal(ALGORITHM),
  key: z.base64(),
  mac: z.string().regex(/^[0-9a-f]{64}$/),
});

const hmac = (key: Buffer, data: Buffer): Buffer => createHmac('sha256', key).update(data).digest();

/** The `manifest.mac` member for `manifestJson`, under the keyring's current KEK. */
export function sealManifest(keyring: Keyring, manifestJson: Buffer): Buffer {
  const key = randomBytes(32);
  try {
    const seal = { algorithm: ALGORITHM, key: keyring.wrap(key, KEY_AAD).toString('base64'), mac: hmac(key, manifestJson).toString('hex') };
    return Buffer.from(`${JSON.stringify(seal, null, 2)}\n`, 'utf8');
  } finally {
    key.fill(0);
  }
}

/** An archive that is not shown authentic: the message is the whole reason, and how to proceed. */
export class SealError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SealError';
  }
}

/** What messages name: the archive, and where the configured KEK comes from. */
export interface SealContext {
  archive: string;
  kekSource: string;
}

/** The refusal of an archive whose MAC is missing or wrong: `why` names what does not verify. */
export function notAuthentic(archive: string, why: string): SealError {
  return new SealError(
    `the archive ${archive} is not authentic: ${why}: it was altered after it was written, or forged. Nothing was written; do not restore it: use another backup, and find out who can write where backups are kept`,
  );
}

function parseSeal(bytes: Buffer, ctx: SealContext): z.infer<typeof sealSchema> {
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw notAuthentic(ctx.archive, 'its MAC is not JSON');
  }
  const parsed = sealSchema.safeParse(raw);
  if (!parsed.success) throw notAuthentic(ctx.archive, `its MAC is not an ${ALGORITHM} seal this Certainty reads`);
  return parsed.data;
}

/**
 * Checks the MAC of `manifestJson` with the keyring (the current KEK and, during a rotation, the
 * previous one). Returns the id of the KEK that sealed the MAC key; throws a SealError that says
 * whether the KEK is wrong or the archive was altered.
 */
export function verifySeal(keyring: Keyring, manifestJson: Buffer, sealBytes: Buffer, ctx: SealContext): string {
  const seal = parseSeal(sealBytes, ctx);
  const blob = Buffer.from(seal.key, 'base64');
  let kekId: string;
  try {
    kekId = kekIdOf(blob);
  } catch {
    throw notAuthentic(ctx.archive, 'its MAC key is not readable');
  }
  const { current, previous } = keyring;
  if (kekId !== current.id && kekId !== previous?.id) {
    throw new SealError(
      `${ctx.kekSource} does not open this backup: it was made under KEK ${kekId}, and ${ctx.kekSource} is KEK ${current.id}${previous ? ` (kek.previous* KEK ${previous.id})` : ''}. Nothing was written; configure the KEK of the installation the backup came from (kek.file / CERTAINTY_KEK_FILE, or kek.passphrase; for an archive from before a KEK rotation, the old KEK, e.g. as kek.previousFile)`,
    );
  }
  let key: Buffer;
  try {
    key = keyring.unwrap(blob, KEY_AAD);
  } catch {
    throw notAuthentic(ctx.archive, `its MAC key does not open under KEK ${kekId}, which is configured (so the KEK is right)`);
  }
  try {
    if (!timingSafeEqual(hmac(key, manifestJson), Buffer.from(seal.mac, 'hex'))) {
      throw notAuthentic(ctx.archive, `its manifest does not match its MAC under KEK ${kekId}, which is configured (so the KEK is right)`);
    }
  } finally {
    key.fill(0);
  }
  return kekId;
}
