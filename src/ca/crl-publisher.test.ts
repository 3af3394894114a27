import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { upToDateCrl, type CrlPublisherDeps, type CrlSnapshot, type CrlStore, type StoredCrl } from './crl-publisher.ts';

const LIFETIME = 1000;

/** An in-memory CrlStore: "DER" is the CRL number as text, so tests can see which CRL is served. */
function memoryStore(): CrlStore & { latest: number; next: number; stored: (StoredCrl & { number: number }) | undefined } {
  return {
    latest: 0, next: 0, stored: undefined,
    async snapshot(): Promise<CrlSnapshot> {
      this.next += 1;
      return { number: this.next, generation: this.latest, entries: [] };
    },
    async publish(_issuer, _partition, crl) {
      if (this.stored && this.stored.number >= crl.number) return false;
      this.stored = { number: crl.number, der: crl.der, nextUpdate: crl.nextUpdate, generation: crl.generation, latestGeneration: 0 };
      return true;
    },
    async current() {
      return this.stored && { ...this.stored, latestGeneration: this.latest };
    },
    async storedShards() {
      return [];
    },
  };
}

function deps(store: CrlStore, now = 0): CrlPublisherDeps {
  return { store, issuerId: 'i', partition: 'all', lifetimeMs: LIFETIME, now: () => now, sign: async (c) => Buffer.from(String(c.number)) };
}

describe('upToDateCrl', () => {
  test('serves the stored CRL while it covers every revocation and is under half its lifetime', async () => {
    const store = memoryStore();
    assert.equal(String(await upToDateCrl(deps(store))), '1');
    assert.equal(String(await upToDateCrl(deps(store, LIFETIME / 2 - 1))), '1');
    assert.equal(String(await upToDateCrl(deps(store, LIFETIME / 2))), '2', 'rebuilt at half its lifetime');
  });

  test('rebuilds a CRL that is behind the revocation generation', async () => {
    const store = memoryStore();
    await upToDateCrl(deps(store));
    store.latest = 3;
    assert.equal(String(await upToDateCrl(deps(store))), '2');
    assert.equal(store.stored?.generation, 3);
  });

  test('a builder outrun by a higher number serves the newer CRL, never replaces it', async () => {
    const store = memoryStore();
    const slow = deps(store);
    const sign = slow.sign;
    // While the first builder signs number 1, a second one builds, signs and stores number 2.
    slow.sign = async (c) => {
      store.latest = 1;
      await upToDateCrl(deps(store));
      return sign(c);
    };
    assert.equal(String(await upToDateCrl(slow)), '2');
    assert.equal(store.stored?.number, 2);
  });

  test('reports how long each signing took, and nothing when the stored CRL is served', async () => {
    const store = memoryStore();
    const signed: string[] = [];
    const report = { crlSigned: (issuerId: string, seconds: number) => signed.push(`${issuerId} ${seconds >= 0}`) };
    await upToDateCrl({ ...deps(store), report });
    await upToDateCrl({ ...deps(store), report });
    assert.deepEqual(signed, ['i true']);
  });
});
