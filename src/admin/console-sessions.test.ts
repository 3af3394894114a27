import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConsoleSessions, csrfMatches, SESSION_IDLE_MS, SESSION_MAX_MS } from './console-sessions.ts';
import type { Caller } from './roles.ts';
import type { ConsoleSessionRecord, ConsoleSessionStore, PendingLogin, StoredToken } from './store.ts';

function memoryStore(): ConsoleSessionStore & { rows: Map<string, ConsoleSessionRecord> } {
  const rows = new Map<string, ConsoleSessionRecord>();
  const logins = new Map<string, PendingLogin>();
  return {
    rows,
    insert: async (s) => void rows.set(s.idHash, { ...s }),
    session: async (h) => rows.get(h),
    touch: async (h, at) => {
      const r = rows.get(h);
      if (r && r.lastSeenAt < at) r.lastSeenAt = at;
    },
    remove: async (h) => void rows.delete(h),
    prune: async (now, idleBefore) => {
      let n = 0;
      for (const [h, r] of rows) if (r.expiresAt <= now || r.lastSeenAt < idleBefore) n += Number(rows.delete(h));
      return n;
    },
    insertLogin: async (l) => void logins.set(l.stateHash, l),
    takeLogin: async (h) => {
      const l = logins.get(h);
      logins.delete(h);
      return l;
    },
  };
}

const TOKENS: Record<string, Caller> = { 'cty-viewer': { tokenId: 'v1', role: 'viewer' }, 'cty-scoped': { tokenId: 's1', role: 'machine', pathPrefix: '/admin/secrets' } };

function setup() {
  let now = 1_000_000;
  const stored: Record<string, StoredToken> = {
    v1: { hash: '', name: 'v', role: 'viewer', revokedAt: null, expiresAt: null, lastUsedAt: null, pathPrefix: null, breakGlass: false },
  };
  const store = memoryStore();
  const sessions = new ConsoleSessions({ store, verifyToken: async (t) => TOKENS[t], tokenHash: async (id) => stored[id], now: () => now, audit: async () => undefined });
  return { sessions, store, stored, advance: (ms: number) => { now += ms; } };
}

test('a console session holds the token\'s role, its CSRF token, and ends at sign-out', async () => {
  const { sessions, store } = setup();
  const signed = await sessions.signInWithToken('cty-viewer');
  assert.ok('id' in signed);
  assert.equal(store.rows.size, 1);
  assert.ok(!store.rows.has(signed.id), 'only a hash of the cookie value is stored');
  const s = await sessions.resolve(signed.id);
  assert.deepEqual(s?.caller, { tokenId: 'v1', role: 'viewer' });
  assert.ok(s && csrfMatches(s, s.csrf));
  assert.ok(s && !csrfMatches(s, `${s.csrf.slice(0, -1)}x`));
  assert.ok(s && !csrfMatches(s, undefined));
  await sessions.signOut(signed.id);
  assert.equal(await sessions.resolve(signed.id), undefined);
});

test('a console session ends when idle, at its absolute end, or when its token is revoked', async () => {
  const { sessions, stored, advance } = setup();
  const idle = await sessions.signInWithToken('cty-viewer');
  assert.ok('id' in idle);
  advance(SESSION_IDLE_MS);
  assert.equal(await sessions.resolve(idle.id), undefined, 'idle');

  const busy = await sessions.signInWithToken('cty-viewer');
  assert.ok('id' in busy);
  for (let t = 0; t < SESSION_MAX_MS - SESSION_IDLE_MS; t += SESSION_IDLE_MS / 2) {
    advance(SESSION_IDLE_MS / 2);
    assert.ok(await sessions.resolve(busy.id), 'kept alive by activity');
  }
  advance(SESSION_IDLE_MS);
  assert.equal(await sessions.resolve(busy.id), undefined, 'absolute end');

  const revoked = await sessions.signInWithToken('cty-viewer');
  assert.ok('id' in revoked);
  (stored.v1 as StoredToken).revokedAt = 1;
  assert.equal(await sessions.resolve(revoked.id), undefined, 'token revoked');
});

test('the console refuses unknown tokens and path-scoped ones', async () => {
  const { sessions } = setup();
  assert.match(JSON.stringify(await sessions.signInWithToken('nope')), /not valid/);
  assert.match(JSON.stringify(await sessions.signInWithToken('cty-scoped')), /no path scope/);
  assert.equal(await sessions.resolve('x'.repeat(43)), undefined);
  assert.equal(await sessions.resolve('not a cookie'), undefined);
});
