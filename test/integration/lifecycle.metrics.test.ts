// The managed-certificate facts a scrape reads from the database (src/store/metrics-store.ts), on
// every dialect: each certificate's expiry (absent before its first revision), whether it is
// ready, and its failed attempts in a row.
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ManagedCertificate } from '../../src/lifecycle/types.ts';
import { SqlLifecycleStore } from '../../src/store/lifecycle-store.ts';
import { SqlClusterFactsStore } from '../../src/store/metrics-store.ts';
import { migrate } from '../../src/store/migrations.ts';
import { openTwo } from '../support/databases.ts';
import { dialects } from '../support/node.ts';

const managed = (name: string, over: Partial<ManagedCertificate>): ManagedCertificate => ({
  name, issuer: 'own', currentRevision: 0, renewalSeq: 1, nextRenewalAt: 0, renewalRule: 'new', ari: undefined, ariPollAt: undefined,
  failures: 0, lastOutcome: 'none', lastDetail: 'not issued yet', lastAttemptAt: undefined, pendingOrderUrl: undefined, createdAt: 0, version: 1,
  spec: { names: [`${name}.test`], keyType: 'ecdsa-p256', reuseKey: false, revisionLimit: 5, solver: { type: 'http-01' }, targets: [], policy: { renewWhenLeft: 1 / 3, validityDays: 90 } },
  ...over,
});

for (const dialect of dialects()) {
  test(`managed certificates' expiry, readiness and failures are cluster facts (${dialect})`, { timeout: 90_000 }, async () => {
    const { a, cleanup } = await openTwo(dialect);
    try {
      await migrate(a);
      const store = new SqlLifecycleStore(a);
      const now = Date.now();
      await store.insertManaged(managed('web', { currentRevision: 1, lastOutcome: 'renewed' }));
      await store.insertManaged(managed('api', { currentRevision: 1, lastOutcome: 'failed', failures: 3 }));
      await store.insertManaged(managed('new', {}));
      await store.insertManaged(managed('old', { currentRevision: 1, lastOutcome: 'renewed' }));
      const revision = { revision: 1, serial: '01', certPem: '', chainPem: '', ariId: undefined, replaces: undefined, rule: 'new' as const, createdAt: now, keyWrapped: Buffer.from([1]) };
      await store.insertRevision({ ...revision, managedName: 'web', notBefore: now - 60_000, notAfter: now + 86_400_000 });
      await store.insertRevision({ ...revision, managedName: 'api', notBefore: now - 60_000, notAfter: now + 3_600_000 });
      await store.insertRevision({ ...revision, managedName: 'old', notBefore: now - 7_200_000, notAfter: now - 3_600_000 });
      const facts = await new SqlClusterFactsStore(a).read();
      assert.deepEqual(facts.managed.sort((x, y) => x.name.localeCompare(y.name)), [
        { name: 'api', notAfter: now + 3_600_000, ready: false, failures: 3 },
        { name: 'new', notAfter: undefined, ready: false, failures: 0 },
        { name: 'old', notAfter: now - 3_600_000, ready: false, failures: 0 },
        { name: 'web', notAfter: now + 86_400_000, ready: true, failures: 0 },
      ]);
    } finally {
      await cleanup();
    }
  });
}
