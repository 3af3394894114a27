import { AppError, ERRORS, isAppError } from '../errors.ts';
import { CommitOutcomeUnknownError, isConnectionError } from '../store/db.ts';

/** An RFC 7807 problem document. */
export interface ProblemDocument {
  type: string;
  detail: string;
  status: number;
  subproblems?: Array<{ type: string; detail: string; identifier?: { type: string; value: string } }>;
  algorithms?: string[];
}

/**
 * Seconds a client is asked to wait when the database takes no writes: a Patroni failover gives
 * writes back within seconds (docs/ha.md), and a client retrying early only gets the same answer.
 */
export const DATABASE_RETRY_AFTER_SECONDS = 2;

/**
 * A statement failed because no primary answers (a failover, the database unreachable, or only a
 * standby reachable): a retryable 503 (RFC 9110 §15.6.4, with Retry-After §10.2.3), not a bug.
 * When the connection broke while a change was committing and its fate could not be learnt, the
 * change may have been made: the client is told to look before it sends the request again.
 */
function databaseUnavailable(cause: unknown): AppError {
  const detail = cause instanceof CommitOutcomeUnknownError
    ? 'The database connection broke while this request was being committed and whether it took effect is not known; '
      + 'fetch the resource (order, account, authorization or certificate) before sending the request again'
    : `The database is unavailable right now (a failover may be in progress); retry in ${DATABASE_RETRY_AFTER_SECONDS} s`;
  return new AppError('unavailable', detail, { retryAfter: DATABASE_RETRY_AFTER_SECONDS, cause });
}

/**
 * The one place an error becomes a problem document. Anything else that is not an AppError is an
 * internal error: the client gets a generic detail, the cause goes to the log only.
 */
export function toProblem(err: unknown): { problem: ProblemDocument; error: AppError; internal: boolean } {
  const unavailable = !isAppError(err) && isConnectionError(err);
  const internal = !isAppError(err) && !unavailable;
  const error = isAppError(err) ? err : unavailable ? databaseUnavailable(err) : new AppError('serverInternal', undefined, { cause: err });
  const problem: ProblemDocument = { type: ERRORS[error.code].type, detail: error.detail, status: error.status };
  if (error.subproblems.length > 0) {
    problem.subproblems = error.subproblems.map((s) => ({
      type: ERRORS[s.code].type,
      detail: s.detail,
      ...(s.identifier === undefined ? {} : { identifier: s.identifier }),
    }));
  }
  return { problem, error, internal };
}
