import { AppError } from '../errors.ts';
import { authenticateKid } from './authenticate.ts';
import type { AcmeDeps, AcmeRequest, AcmeResponse } from './context.ts';
import { checkAccountJwk, decodeProtectedHeader, parsePayload, publicJwk, thumbprint, type FlattenedJws } from './jws.ts';
import { accountJson } from './wire.ts';

/** RFC 8555 §7.3.5: the outer JWS is signed by the old key (kid), the inner by the new key (jwk). */
export async function keyChange(deps: AcmeDeps, req: AcmeRequest): Promise<AcmeResponse> {
  const auth = await authenticateKid(deps, req);
  const inner = parsePayload(auth.payload) as Partial<FlattenedJws>;
  if (typeof inner.protected !== 'string' || typeof inner.payload !== 'string' || typeof inner.signature !== 'string') {
    throw new AppError('malformed', 'The keyChange payload must be a flattened JWS signed by the new key');
  }
  const jws = inner as FlattenedJws;
  const header = decodeProtectedHeader(jws);
  if (header.jwk === undefined || header.kid !== undefined) throw new AppError('malformed', 'The inner keyChange JWS must carry the new key as "jwk"');
  // RFC 8555 §7.3.5: the inner JWS MUST NOT have a "nonce"; only the outer one is replay-protected.
  if (header.nonce !== undefined) throw new AppError('malformed', 'The inner keyChange JWS must not have a "nonce" (RFC 8555 §7.3.5); put the nonce in the outer JWS only');
  if (header.url !== req.url.href) throw new AppError('malformed', 'The inner keyChange JWS must have the same "url" as the outer one');
  const newJwk = checkAccountJwk(header.jwk);
  const payload = parsePayload(await deps.jws.verify(jws, newJwk, header.alg));
  const account = auth.account;
  if (payload.account !== req.linker.account(account.id)) throw new AppError('malformed', 'The inner payload "account" must be the URL of the signing account');
  if (typeof payload.oldKey !== 'object' || payload.oldKey === null) throw new AppError('malformed', 'The inner payload must have "oldKey"');
  if ((await thumbprint(payload.oldKey as Parameters<typeof thumbprint>[0]).catch(() => '')) !== account.thumbprint) {
    throw new AppError('unauthorized', 'The inner payload "oldKey" is not the key of this account');
  }
  const newPrint = await thumbprint(newJwk);
  const holder = await deps.store.accountByThumbprint(newPrint);
  if (holder) {
    throw new AppError('conflict', 'The new key already belongs to an account', { headers: { Location: req.linker.account(holder.id) } });
  }
  const next = { ...account, jwk: publicJwk(newJwk), thumbprint: newPrint };
  const updated = await deps.store.updateAccount(next);
  // Another account took the same new key between the check above and this update.
  if (updated === 'keyInUse') throw new AppError('conflict', 'The new key already belongs to an account');
  if (updated === 'changed') throw new AppError('conflict', 'The account changed concurrently; retry');
  const actor = `account:${account.id}`;
  await deps.audit.record(undefined, { actor, action: 'account.key-changed', object: actor, outcome: 'success', details: { oldKeyThumbprint: account.thumbprint, newKeyThumbprint: newPrint } });
  return { status: 200, json: accountJson({ ...next, version: next.version + 1 }, req.linker) };
}
