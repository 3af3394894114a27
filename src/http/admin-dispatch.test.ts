// The admin dispatcher's checks that do not need a server: a token's path scope, a custom role's
// permissions, and a break-glass token's warning and audit actor.
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Caller } from '../admin/roles.ts';
import type { RequestActor } from '../audit/runtime.ts';
import type { AppError } from '../errors.ts';
import { checkScope, dispatchAdmin, needs, ok, type AdminDeps } from './admin-routes.ts';

const scoped: Caller = { tokenId: 'aaaaaaaaaaaa', role: 'admin', pathPrefix: '/admin/secrets/data/team-a' };

test('a path-scoped token reaches its prefix and below, nothing beside it, and no escaped way out', () => {
  for (const inside of ['/admin/secrets/data/team-a', '/admin/secrets/data/team-a/db', '/admin/secrets/data/team-a/x/y']) checkScope(scoped, inside);
  for (const outside of ['/admin/status', '/admin/secrets/data/team-ab', '/admin/secrets/data/team-a%2F..%2Fteam-b', '/admin/secrets/data/team-a/%2e%2e/team-b', '/metrics']) {
    assert.throws(() => checkScope(scoped, outside), (e: AppError) => e.code === 'unauthorized' && /limited to \/admin\/secrets\/data\/team-a and the paths below it/.test(e.message), outside);
  }
  checkScope({ tokenId: 'b', role: 'viewer' }, '/admin/anything');
});

function deps(seen: { warned: unknown[]; actors: RequestActor[] }, caller: Caller): AdminDeps {
  const route = needs('acme.read')('GET', /^\/admin\/things$/, async (req) => ok({ caller: req.caller.tokenId }));
  return {
    tokens: { verify: async () => caller }, routes: [route],
    runAs: async (who: RequestActor, fn: () => Promise<unknown>) => {
      seen.actors.push(who);
      return fn();
    },
    log: { warn: (o: unknown) => seen.warned.push(o) },
  } as unknown as AdminDeps;
}

const body = async (): Promise<Buffer> => Buffer.alloc(0);
const url = new URL('https://ca.test/admin/things');

test('a custom role allows what its permissions list, whatever its name', async () => {
  const seen = { warned: [], actors: [] };
  const reader: Caller = { tokenId: 'cccccccccccc', role: 'cert-reader', permissions: ['acme.read'], tokenName: 'ci' };
  assert.equal((await dispatchAdmin(deps(seen, reader), reader, 'GET', url, body)).status, 200);
  const none: Caller = { tokenId: 'dddddddddddd', role: 'nothing-much', permissions: ['status.read'] };
  await assert.rejects(dispatchAdmin(deps(seen, none), none, 'GET', url, body), (e: AppError) => e.code === 'unauthorized' && /needs the "acme\.read" permission.*role "nothing-much"/.test(e.message));
  assert.deepEqual(seen.actors, [{ actor: 'token:cccccccccccc', details: { tokenName: 'ci' } }]);
  assert.deepEqual(seen.warned, []);
});

test('a break-glass token is logged as a warning on every use and its records say so', async () => {
  const seen: { warned: unknown[]; actors: RequestActor[] } = { warned: [], actors: [] };
  const glass: Caller = { tokenId: 'eeeeeeeeeeee', role: 'admin', breakGlass: true, tokenName: 'incident-42' };
  await dispatchAdmin(deps(seen, glass), glass, 'GET', url, body);
  await dispatchAdmin(deps(seen, glass), glass, 'GET', url, body);
  assert.equal(seen.warned.length, 2);
  assert.deepEqual(seen.warned[0], { token: 'eeeeeeeeeeee', name: 'incident-42', method: 'GET', path: '/admin/things' });
  assert.deepEqual(seen.actors[0], { actor: 'token:eeeeeeeeeeee', details: { tokenName: 'incident-42', breakGlass: true } });
});
