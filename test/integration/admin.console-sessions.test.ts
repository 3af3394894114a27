// The operator's console session commands on each dialect: the listing leaves out expired, idle
// and revoked-token sessions; ending by handle, subject or all deletes exactly those rows, with
// one audit record in the same transaction.
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConsoleSessionAdmin } from '../../src/admin/console-session-admin.ts';
import { SESSION_IDLE_MS } from '../../src/admin/console-sessions.ts';
import { AppError } from '../../src/errors.ts';
import { migrate } from '../../src/store/migrations.ts';
import { SqlConsoleSessionStore } from '../../src/store/console-session-store.ts';
import type { AuditEvent, AuditRecorder } from '../../src/audit/log.ts';
import { openTwo } from '../support/databases.ts';
import { dialects } from '../support/node.ts';

const NOW = 1_800_000_000_000;
const hash = (c: string): string => c.repeat(64);

for (const dialect of dialects()) {
  test(`console sessions: list the live ones, end by handle, subject or all, audited (${dialect})`, { timeout: 60_000 }, async () => {
    const { a, cleanup } = await openTwo(dialect);
    try {
      await migrate(a);
      const events: AuditEvent[] = [];
      const recorder: AuditRecorder = { record: async (_chain, e) => void events.push(e) };
      await a.exec("INSERT INTO admin_tokens (id, name, hash, role, created_at, revoked_at) VALUES ('aaaaaaaaaaaa', 'live', 'h1', 'admin', 1, NULL), ('bbbbbbbbbbbb', 'gone', 'h2', 'admin', 1, 2)");
      const store = new SqlConsoleSessionStore(a, a, recorder);
      const session = (c: string, kind: 'token' | 'oidc', subject: string, lastSeenAt = NOW, expiresAt = NOW + 3_600_000) =>
        store.insert({ idHash: hash(c), kind, subject, role: 'viewer', csrfSecret: 'x', createdAt: NOW - 1000, lastSeenAt, expiresAt });
      await session('1', 'token', 'aaaaaaaaaaaa');
      await session('2', 'token', 'bbbbbbbbbbbb'); // its token is revoked
      await session('3', 'oidc', 'oidc:alice');
      await session('4', 'oidc', 'oidc:alice');
      await session('5', 'oidc', 'oidc:bob', NOW - SESSION_IDLE_MS - 1); // idle
      await session('6', 'oidc', 'oidc:carol', NOW, NOW); // expired
      const sessions = new ConsoleSessionAdmin({ store, now: () => NOW, actor: 'cli:test' });
      assert.deepEqual((await sessions.list()).map((s) => [s.handle, s.subject]), [['111111111111', 'aaaaaaaaaaaa'], ['333333333333', 'oidc:alice'], ['444444444444', 'oidc:alice']]);
      assert.equal(await sessions.end({ handle: '111111111111' }), 1);
      assert.equal(await sessions.end({ subject: 'oidc:alice' }), 2);
      await assert.rejects(sessions.end({ subject: 'oidc:nobody' }), (e) => e instanceof AppError && /No console session matches the sessions of oidc:nobody/.test(e.message));
      await assert.rejects(sessions.end({ handle: '11111' }), (e) => e instanceof AppError && /12-character handle/.test(e.message));
      // Idle and expired sessions are pruned, not counted as ended; the revoked token's row is ended.
      assert.equal(await sessions.end({ all: true }), 1);
      assert.equal(await sessions.end({ all: true }), 0);
      assert.deepEqual(events.map((e) => [e.action, e.details?.['ended']]), [['console.sessions-ended', 1], ['console.sessions-ended', 2], ['console.sessions-ended', 1]]);
    } finally {
      await cleanup();
    }
  });
}
