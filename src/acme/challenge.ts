import { AppError } from '../errors.ts';
import { authenticateKid } from './authenticate.ts';
import { effectiveAuthorization, ownedBy } from './authorization.ts';
import type { AcmeDeps, AcmeRequest, AcmeResponse } from './context.ts';
import { parsePayload } from './jws.ts';
import { checkPendingValidations } from './rate-limits.ts';
import type { Challenge } from './types.ts';
import { challengeJson } from './wire.ts';

/**
 * RFC 8555 §7.5.1: POST "{}" asks the server to validate; POST-as-GET reads the challenge.
 * Validation runs as a job in the database, so it survives a restart and any node can run it.
 */
export async function challenge(deps: AcmeDeps, req: AcmeRequest, id: string): Promise<AcmeResponse> {
  const auth = await authenticateKid(deps, req);
  // The challenge comes with its authorization: one read for both.
  const owner = await deps.store.authorizationByChallengeId(id);
  const found = owner?.challenges.find((c) => c.id === id);
  if (!owner || !found) throw new AppError('notFound', 'No challenge at this URL');
  const authz = effectiveAuthorization(ownedBy(auth, owner), deps.now());
  let current: Challenge = found;
  if (!auth.postAsGet) {
    parsePayload(auth.payload);
    if (found.status === 'pending') {
      if (authz.status !== 'pending') throw new AppError('malformed', `The authorization is ${authz.status}; this challenge can no longer be answered`);
      current = { ...found, status: 'processing', updatedAt: deps.now() };
      const start = await deps.store.transaction(async (store) => {
        await checkPendingValidations(deps, store, auth.account.id);
        if (!(await store.updateChallenge(current))) throw new AppError('conflict', 'The challenge changed concurrently; retry');
        return deps.validations.enqueue(store, found.id, auth.account.id);
      });
      start();
      await deps.validations.settled(found.id, deps.settings.challengeWaitMs);
      current = (await deps.store.challengeById(found.id)) ?? { ...current, version: current.version + 1 };
    }
  }
  const headers: Record<string, string> = { Link: `<${req.linker.authz(authz.id)}>;rel="up"` };
  if (current.status === 'processing') headers['Retry-After'] = String(deps.settings.retryAfterSeconds);
  return { status: 200, headers, json: challengeJson(current, req.linker) };
}
