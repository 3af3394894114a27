import { AppError, ConflictError, ERRORS, isAppError } from '../errors.ts';
import type { AcmeStore } from './store.ts';
import type { Authorization, ChallengeType, Identifier, Order, StoredProblem } from './types.ts';
import { storedProblem } from './wire.ts';

/** Performs one challenge check (src/validation). */
interface ChallengeValidator {
  validate(type: ChallengeType, input: { identifier: Identifier; token: string; keyAuthorization: string }): Promise<unknown>;
}

/** The validation job being run: which challenge, and the claim it runs under. */
export interface JobRef {
  id: string;
  owner: string;
  challengeId: string;
}

/** CAA (RFC 8659, RFC 8657): whether the domain's CAA records let this CA issue to this account. */
interface CaaCheck {
  check(subject: { identifier: Identifier; method: ChallengeType; accountId: string }): Promise<void>;
}

export interface ValidationDeps {
  store: AcmeStore;
  validator: ChallengeValidator;
  /** Set when acme.caaIdentities names this CA; unset, CAA is not checked. */
  caa?: CaaCheck | undefined;
  now: () => number;
}

/**
 * The validation job: checks the challenge, then records the outcome on the challenge, its
 * authorization and its order, and completes the job, in one transaction. Idempotent: a challenge
 * no longer "processing" is left alone, so a job run twice after a crash changes nothing; a node
 * that lost its claim cannot record an outcome.
 * `final` is set on the last attempt: an internal failure then becomes an invalid challenge.
 */
export async function runChallengeValidation(deps: ValidationDeps, job: JobRef, final: boolean): Promise<void> {
  const found = await deps.store.authorizationByChallengeId(job.challengeId);
  const chall = found?.challenges.find((c) => c.id === job.challengeId);
  const authz = chall?.status === 'processing' ? found : undefined;
  const account = authz && (await deps.store.accountById(authz.accountId));
  if (!chall || !authz || !account) {
    await deps.store.completeJob(job.id, job.owner);
    return;
  }
  const identifier: Identifier = authz.wildcard ? { type: 'dns', value: `*.${authz.identifier.value}` } : authz.identifier;
  let record: unknown;
  let problem: StoredProblem | null = null;
  try {
    record = await deps.validator.validate(chall.type, { identifier, token: chall.token, keyAuthorization: `${chall.token}.${account.thumbprint}` });
    // Checked per authorization once its challenge passed, so the answer is as fresh as the proof;
    // an authorization lives no longer than its order (RFC 8659 §3: check before issuing).
    await deps.caa?.check({ identifier, method: chall.type, accountId: account.id });
  } catch (err) {
    if (!isAppError(err) && !final) throw err;
    const e = isAppError(err) ? err : new AppError('serverInternal', 'Validation failed with an internal error', { cause: err });
    problem = storedProblem(ERRORS[e.code].type, e.detail, e.status);
  }
  await recordOutcome(deps, job, authz, problem, record);
}

async function recordOutcome(deps: ValidationDeps, job: JobRef, authz: Authorization, problem: StoredProblem | null, record: unknown): Promise<void> {
  const now = deps.now();
  await deps.store.transaction(async (store) => {
    // Lock the order first: the last of several authorizations to pass must see the others. The
    // lock is held to the end, so the order read here is still current when it is settled.
    const order = await store.lockOrder(authz.orderId);
    // The job completes in the same transaction as its outcome: both commit, or neither.
    if (!(await store.completeJob(job.id, job.owner))) throw new ConflictError('job claim (another node took the job over)');
    // The authorization is read with its challenges: the job's challenge comes with it.
    const current = await store.authorizationById(authz.id);
    const chall = current?.challenges.find((c) => c.id === job.challengeId);
    if (!current || !chall || chall.status !== 'processing') return;
    const ok = problem === null;
    const updated = {
      ...chall, status: ok ? ('valid' as const) : ('invalid' as const), validatedAt: ok ? now : null, error: problem,
      validationRecord: record === undefined ? null : [record], updatedAt: now,
    };
    if (!(await store.updateChallenge(updated))) throw new ConflictError('challenge');
    if (current.status !== 'pending') return;
    if (!(await store.updateAuthorization({ ...current, status: ok ? 'valid' : 'invalid' }))) throw new ConflictError('authorization');
    await settleOrder(store, order, ok ? null : { ...(problem as StoredProblem), identifier: authz.identifier });
  });
}

/** RFC 8555 §7.1.6: an order is ready once all authorizations are valid, invalid once one is. */
async function settleOrder(store: AcmeStore, order: Order | undefined, failure: (StoredProblem & { identifier: Identifier }) | null): Promise<void> {
  if (!order || order.status !== 'pending') return;
  if (failure !== null) {
    const { identifier, ...sub } = failure;
    const error = storedProblem(sub.type, `Validation failed for ${identifier.value}: ${sub.detail}`, sub.status, [
      { type: sub.type, detail: sub.detail, identifier },
    ]);
    if (!(await store.updateOrder({ ...order, status: 'invalid', error }))) throw new ConflictError('order');
    return;
  }
  // An order has one authorization per identifier: with one identifier, the one just validated is all of them.
  const allValid = order.identifiers.length === 1 || (await store.authorizationsForOrder(order.id)).every((a) => a.status === 'valid');
  if (allValid) {
    if (!(await store.updateOrder({ ...order, status: 'ready' }))) throw new ConflictError('order');
  }
}
