import { parsePublicKeyLine } from './keys.ts';
import { encodeKrl, type KrlCaEntry } from './krl.ts';
import type { SshStore, StoredKrl } from './store.ts';

/**
 * The KRL covering every revocation committed so far. The stored one is served while its
 * generation is current; otherwise it is rebuilt from one snapshot (generation, revocations,
 * CAs) and stored unless a later one was meanwhile. Each revocation bumps the generation in its
 * own transaction, so a KRL built at generation g holds every revocation up to g. Its bytes
 * depend only on the revocations: two nodes rebuilding at once produce the same KRL.
 */
export async function currentKrl(store: SshStore): Promise<StoredKrl> {
  const stored = await store.storedKrl();
  const generation = await store.generation();
  if (stored && stored.generation >= generation) return stored;
  const built = await store.transaction(async (s) => buildKrl(s));
  await store.storeKrl(built);
  return built;
}

async function buildKrl(s: SshStore): Promise<StoredKrl> {
  const generation = await s.generation();
  const revocations = await s.revocations();
  const cas = await s.cas();
  const generatedAt = revocations.reduce((max, r) => Math.max(max, r.createdAt), 0);
  const byCa: KrlCaEntry[] = cas.map((ca) => ({
    caKey: parsePublicKeyLine(ca.publicKey).blob,
    serials: revocations.filter((r) => r.target === 'serial' && r.caId === ca.id).map((r) => BigInt(r.value)),
    keyIds: [],
  }));
  const keyIds = revocations.filter((r) => r.target === 'key-id').map((r) => r.value);
  const krl = encodeKrl({
    version: BigInt(generation), generatedAt: BigInt(Math.floor(generatedAt / 1000)), comment: 'certainty',
    cas: [...byCa, { caKey: undefined, serials: [], keyIds }],
    keys: revocations.filter((r) => r.target === 'public-key').map((r) => Buffer.from(r.value, 'base64')),
  });
  return { generation, krl, generatedAt };
}
