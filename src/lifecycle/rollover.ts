/**
 * `certainty issuer rollover NAME`: the upstream account moves to a new key (RFC 8555 §7.3.5
 * keyChange). The new key is stored (wrapped) before the CA is asked, so a rollover interrupted
 * after the CA switched resumes with that same key when run again.
 */
import type { JWK } from 'jose';
import { AcmeClient, generateAcmeKey } from '../acme-client/client.ts';
import { AppError } from '../errors.ts';
import type { LifecycleServiceDeps } from './issuers.ts';
import { accountKeyAad, nextAccountKeyAad } from './types.ts';
import { keyFromJwk, upstreamAccount, upstreamTransport, wrapAccountKey } from './upstream.ts';


export async function rolloverAccountKey(deps: LifecycleServiceDeps & { timeoutMs: number }, name: string): Promise<{ accountUrl: string }> {
  const issuer = await deps.store.issuer(name);
  if (!issuer) throw new AppError('notFound', `no issuer ${name}; see "certainty issuer list"`);
  if (issuer.kind !== 'acme') throw new AppError('malformed', `issuer ${name} is this CA: it has no upstream account`);
  const stored = await deps.store.account(name);
  if (!stored || stored.url === '') throw new AppError('conflict', `issuer ${name} has no upstream account yet; it is created with the first order`);
  const pending = await deps.store.rolloverKey(name) ?? await deps.store.insertRolloverKey(name, await wrapAccountKey(deps.kek, await generateAcmeKey('ES256'), nextAccountKeyAad(name)));
  const next = await keyFromJwk(JSON.parse(deps.kek.unwrap(pending, nextAccountKeyAad(name)).toString('utf8')) as JWK);
  const transport = upstreamTransport(issuer, deps.timeoutMs);
  try {
    const client = await upstreamAccount({ ...deps, pollTimeoutMs: deps.timeoutMs }, issuer, transport);
    try {
      await client.keyChange(next);
    } catch (err) {
      // Run again after the CA switched: the new key already names the account.
      const same = await new AcmeClient(transport, next).createAccount({ onlyReturnExisting: true }).then((a: { url?: string }) => a.url === stored.url, () => false);
      if (!same) throw err;
    }
  } finally {
    transport.close();
  }
  const newWrapped = await wrapAccountKey(deps.kek, next, accountKeyAad(name));
  await deps.store.transaction(async (s) => {
    if (!(await s.finishRollover(name, stored.keyWrapped, newWrapped))) throw new AppError('conflict', `the account of issuer ${name} changed meanwhile; run the command again`);
    await s.audit({ actor: deps.actor, action: 'lifecycle.account-key-changed', object: `issuer:${name}`, outcome: 'success', details: { account: stored.url } });
  });
  return { accountUrl: stored.url };
}
