/**
 * dns-01 answered by RFC 2136 dynamic update signed with TSIG (BIND, PowerDNS, Knot, Windows DNS):
 * add `_acme-challenge.<name>` TXT, wait until the server answers it, and delete that one record
 * after validation, success or failure.
 */
import type { Logger } from 'pino';
import { dns01TxtValue, type ChallengeSolver } from '../acme-client/client.ts';
import type { Kek } from '../kek/kek.ts';
import { findZone, waitForTxt } from './dns-update/query.ts';
import { sendUpdate, type TxtChange, type UpdateTarget } from './dns-update/update.ts';
import { tsigAad, type Rfc2136Spec } from './types.ts';

/** The TTL of challenge records: short, since resolvers should not keep an old value. */
const RECORD_TTL = 60;
const TIMEOUT_MS = 10_000;
/** How long the record may take to be answered by the server after the update. */
const VISIBLE_WAIT_MS = 20_000;

export interface Rfc2136Deps {
  kek: Kek;
  managedName: string;
  log: Pick<Logger, 'warn'> | undefined;
}

export const challengeRecordName = (domain: string): string => `_acme-challenge.${domain.replace(/^\*\./, '')}`;

export function rfc2136Solver(spec: Rfc2136Spec, deps: Rfc2136Deps): ChallengeSolver {
  const server = { host: spec.server, port: spec.port };
  const zones = new Map<string, Promise<string>>();
  let secret: Buffer | undefined;
  const target = async (record: string): Promise<UpdateTarget> => {
    secret ??= deps.kek.unwrap(Buffer.from(spec.keySecretWrapped, 'base64'), tsigAad(deps.managedName));
    let zone = spec.zone === undefined ? zones.get(record) : Promise.resolve(spec.zone);
    if (zone === undefined) {
      zone = findZone(server, record, TIMEOUT_MS);
      zones.set(record, zone);
    }
    return { server, zone: await zone, key: { name: spec.keyName, algorithm: spec.keyAlgorithm, secret }, timeoutMs: TIMEOUT_MS, nowSeconds: () => Math.floor(Date.now() / 1000) };
  };
  const change = (action: TxtChange['action'], domain: string, ka: string): TxtChange => ({ action, name: challengeRecordName(domain), value: dns01TxtValue(ka), ttl: RECORD_TTL });
  const remove = async (domain: string, ka: string): Promise<void> => {
    const c = change('delete', domain, ka);
    try {
      await sendUpdate(await target(c.name), [c]);
    } catch (err) {
      // The certificate does not depend on it: say so, and leave the record for the operator.
      deps.log?.warn({ managed: deps.managedName, record: c.name, err: (err as Error).message }, 'could not remove the dns-01 TXT record');
    }
  };
  return {
    present: async (_type, identifier, _token, ka) => {
      const c = change('add', identifier.value, ka);
      await sendUpdate(await target(c.name), [c]);
      try {
        await waitForTxt(server, c.name, c.value, { timeoutMs: TIMEOUT_MS, waitMs: VISIBLE_WAIT_MS });
      } catch (err) {
        await remove(identifier.value, ka);
        throw err;
      }
    },
    cleanup: (_type, identifier, _token, ka) => remove(identifier.value, ka),
  };
}
