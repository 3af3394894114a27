import { AppError, ERRORS, isAppError } from '../errors.ts';

/** An RFC 7807 problem document. */
export interface ProblemDocument {
  type: string;
  detail: string;
  status: number;
  subproblems?: Array<{ type: string; detail: string; identifier?: { type: string; value: string } }>;
  algorithms?: string[];
}

/**
 * The one place an error becomes a problem document. Anything that is not an AppError is an
 * internal error: the client gets a generic detail, the cause goes to the log only.
 */
export function toProblem(err: unknown): { problem: ProblemDocument; error: AppError; internal: boolean } {
  const internal = !isAppError(err);
  const error = isAppError(err) ? err : new AppError('serverInternal', undefined, { cause: err });
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
