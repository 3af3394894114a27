import { randomBytes } from 'node:crypto';
import type { EabKeys } from '../acme/context.ts';
import type { Kek } from '../kek/kek.ts';
import { createCredential, listCredentials, revokeCredential, type Listed } from './credentials.ts';
import type { EabKeyRecord, EabKeyStore } from './store.ts';

const aad = (kid: string): string => `eab:${kid}`;

export type EabKeyInfo = Listed<EabKeyRecord>;

export interface EabKeyDeps {
  store: EabKeyStore;
  kek: Kek;
  now: () => number;
  /** Who the audit records name: `cli:<user>` or `admin-api`. */
  actor: string;
}

/** External Account Binding keys: HMAC keys wrapped by the KEK, single use, revocable. */
export class EabKeyService implements EabKeys {
  constructor(private readonly deps: EabKeyDeps) {}

  async create(label: string): Promise<{ kid: string; hmacKey: string }> {
    const kid = `kid-${randomBytes(9).toString('base64url')}`;
    const key = randomBytes(32);
    await createCredential(this.deps.store, { kid, label, hmacWrapped: this.deps.kek.wrap(key, aad(kid)), createdAt: this.deps.now() }, {
      actor: this.deps.actor, action: 'eab.created', object: `eab:${kid}`, outcome: 'success', details: { label },
    });
    return { kid, hmacKey: key.toString('base64url') };
  }

  list(): Promise<EabKeyInfo[]> {
    return listCredentials(this.deps.store);
  }

  revoke(kid: string): Promise<boolean> {
    return revokeCredential(this.deps.store, kid, this.deps.now(), { actor: this.deps.actor, action: 'eab.revoked', object: `eab:${kid}`, outcome: 'success' });
  }

  async hmacKey(kid: string): Promise<Buffer | undefined> {
    const wrapped = await this.deps.store.unusedHmacKey(kid);
    return wrapped && this.deps.kek.unwrap(wrapped, aad(kid));
  }
}
