import type { JWK } from 'jose';
import { AppError } from '../errors.ts';
import type { AcmeDeps, AcmeRequest, Authenticated } from './context.ts';
import { checkAccountJwk, decodeProtectedHeader, parseFlattenedJws, type FlattenedJws, type ProtectedHeader } from './jws.ts';

/** A verified request signed with an embedded `jwk` (newAccount, revocation by certificate key). */
export interface JwkSigned {
  jwk: JWK;
  header: ProtectedHeader;
  payload: Buffer;
  jws: FlattenedJws;
}

function checkUrl(header: ProtectedHeader, req: AcmeRequest): void {
  if (typeof header.url !== 'string') throw new AppError('malformed', 'The JWS protected header has no "url"');
  if (header.url !== req.url.href) {
    throw new AppError('unauthorized', `The JWS "url" (${header.url.slice(0, 200)}) does not match the request URL (${req.url.href})`);
  }
}

function readHeader(req: AcmeRequest): { jws: FlattenedJws; header: ProtectedHeader } {
  const jws = parseFlattenedJws(req.body);
  const header = decodeProtectedHeader(jws);
  checkUrl(header, req);
  if (header.jwk !== undefined && header.kid !== undefined) throw new AppError('malformed', 'The JWS must carry either "jwk" or "kid", not both');
  if (header.nonce === undefined) throw new AppError('badNonce', 'The JWS protected header has no "nonce"');
  return { jws, header };
}

/** Verifies a request signed by a registered account (`kid`), then redeems its nonce. */
export async function authenticateKid(deps: AcmeDeps, req: AcmeRequest): Promise<Authenticated> {
  const { jws, header } = readHeader(req);
  if (header.kid === undefined) {
    throw new AppError('malformed', 'This request must be signed by an account: use "kid" with the account URL, not "jwk"');
  }
  const prefix = req.linker.account('');
  if (typeof header.kid !== 'string' || !header.kid.startsWith(prefix)) {
    throw new AppError('accountDoesNotExist', `"kid" must be an account URL of this server (starting ${prefix})`);
  }
  const account = await deps.store.accountById(header.kid.slice(prefix.length));
  if (!account) throw new AppError('accountDoesNotExist', 'No account exists at this "kid" URL');
  const payload = await deps.jws.verify(jws, account.jwk as JWK, header.alg);
  await deps.nonces.redeem(header.nonce);
  if (account.status !== 'valid') throw new AppError('unauthorized', `The account is ${account.status}; create a new account`);
  return { account, payload, postAsGet: payload.length === 0 };
}

/** Verifies a request signed with an embedded `jwk`, then redeems its nonce. */
export async function authenticateJwk(deps: AcmeDeps, req: AcmeRequest): Promise<JwkSigned> {
  const { jws, header } = readHeader(req);
  if (header.jwk === undefined) throw new AppError('malformed', 'This request must carry the account public key as "jwk", not "kid"');
  const jwk = checkAccountJwk(header.jwk);
  const payload = await deps.jws.verify(jws, jwk, header.alg);
  await deps.nonces.redeem(header.nonce);
  return { jwk, header, payload, jws };
}

/** For endpoints that take either form (revokeCert): dispatches on the header. */
export async function authenticateEither(deps: AcmeDeps, req: AcmeRequest): Promise<{ kid: Authenticated } | { jwk: JwkSigned }> {
  const { header } = readHeader(req);
  if (header.jwk !== undefined) return { jwk: await authenticateJwk(deps, req) };
  return { kid: await authenticateKid(deps, req) };
}
