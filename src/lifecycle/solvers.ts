/**
 * Challenge solvers for upstream orders. http-01 is answered by every Certainty node from the
 * database (a load balancer may send `/.well-known/acme-challenge/` to any node); dns-01 by RFC 2136
 * dynamic update (rfc2136-solver.ts); the exec hook answers http-01 or dns-01 with an operator's
 * command, for anything else.
 */
import type { Logger } from 'pino';
import { dns01TxtValue, type ChallengeSolver } from '../acme-client/client.ts';
import type { Kek } from '../kek/kek.ts';
import { baseEnv, runCommand } from './deploy/run-command.ts';
import { challengeRecordName, rfc2136Solver } from './rfc2136-solver.ts';
import type { LifecycleStore } from './store.ts';
import type { Rfc2136Spec, SolverSpec } from './types.ts';

/** How long a key authorization is served; an order's validation ends well before. */
const HTTP01_TTL_MS = 3_600_000;

/** A solver as readers (`managed show`, the API) see it: a dns-01 solver's sealed TSIG secret left out. */
export type SolverView = Exclude<SolverSpec, { type: 'dns-01' }> | { type: 'dns-01'; rfc2136: Omit<Rfc2136Spec, 'keySecretWrapped'> };

export function solverView(spec: SolverSpec): SolverView {
  if (spec.type !== 'dns-01') return spec;
  const { keySecretWrapped: _sealed, ...rfc2136 } = spec.rfc2136;
  return { type: 'dns-01', rfc2136 };
}

/** The challenge type a solver answers. */
export function challengeTypeOf(spec: SolverSpec): 'http-01' | 'dns-01' {
  return spec.type === 'exec' ? spec.challenge : spec.type;
}

/** The path every node answers, `token` in its first group (RFC 8555 §8.3: base64url). */
export const HTTP01_PATH = /^\/\.well-known\/acme-challenge\/([A-Za-z0-9_-]{16,128})$/;

/** The key authorization for `token` while it is served, from the database. */
export function http01Answer(store: Pick<LifecycleStore, 'http01'>, token: string, now: number): Promise<string | undefined> {
  return store.http01(token, now);
}

function databaseSolver(store: LifecycleStore, managedName: string, now: () => number): ChallengeSolver {
  return {
    present: async (_type, _identifier, token, keyAuthorization) => store.putHttp01(token, keyAuthorization, managedName, now() + HTTP01_TTL_MS),
    cleanup: async (_type, _identifier, token) => store.deleteHttp01(token),
  };
}

/**
 * The hook's environment: the action (`present` or `cleanup`), the challenge, the name, the token
 * and key authorization, and for dns-01 the record name and TXT value. The key authorization is
 * no secret (the CA publishes the token and anyone may fetch the answer), but it is not logged.
 */
function hookEnv(action: 'present' | 'cleanup', challenge: string, domain: string, token: string, keyAuthorization: string): Record<string, string> {
  return {
    ...baseEnv(),
    CERTAINTY_ACTION: action, CERTAINTY_CHALLENGE: challenge, CERTAINTY_DOMAIN: domain, CERTAINTY_TOKEN: token, CERTAINTY_KEY_AUTHORIZATION: keyAuthorization,
    ...(challenge === 'dns-01' ? { CERTAINTY_RECORD_NAME: challengeRecordName(domain), CERTAINTY_TXT_VALUE: dns01TxtValue(keyAuthorization) } : {}),
  };
}

function execSolver(spec: Extract<SolverSpec, { type: 'exec' }>): ChallengeSolver {
  const run = (action: 'present' | 'cleanup', type: string, domain: string, token: string, ka: string): Promise<void> =>
    runCommand(spec.command, [...spec.args, action], hookEnv(action, type, domain, token, ka), spec.timeoutMs, `the ${type} ${action} hook for ${domain}`);
  return {
    present: (type, identifier, token, ka) => run('present', type, identifier.value, token, ka),
    cleanup: (type, identifier, token, ka) => run('cleanup', type, identifier.value, token, ka),
  };
}

export function solverFor(spec: SolverSpec, deps: { store: LifecycleStore; managedName: string; now: () => number; kek: Kek; log: Pick<Logger, 'warn'> | undefined }): ChallengeSolver {
  if (spec.type === 'dns-01') return rfc2136Solver(spec.rfc2136, deps);
  return spec.type === 'http-01' ? databaseSolver(deps.store, deps.managedName, deps.now) : execSolver(spec);
}
