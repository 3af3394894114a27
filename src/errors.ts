/**
 * The one application error type. Every failure that reaches a client is an AppError with a code
 * from the closed union below; the HTTP edge turns it into an RFC 7807 problem document
 * (src/http/problem.ts). Internal errors become `serverInternal` with a generic detail.
 */

/** ACME error types (RFC 8555 §6.7, RFC 9773) plus the admin API's own codes. */
export type ErrorCode =
  | 'accountDoesNotExist'
  | 'alreadyReplaced'
  | 'alreadyRevoked'
  | 'badCSR'
  | 'badNonce'
  | 'badPublicKey'
  | 'badRevocationReason'
  | 'badSignatureAlgorithm'
  | 'caa'
  | 'compound'
  | 'connection'
  | 'dns'
  | 'externalAccountRequired'
  | 'incorrectResponse'
  | 'invalidContact'
  | 'malformed'
  | 'orderNotReady'
  | 'rateLimited'
  | 'rejectedIdentifier'
  | 'serverInternal'
  | 'tls'
  | 'unauthorized'
  | 'unsupportedContact'
  | 'unsupportedIdentifier'
  | 'userActionRequired'
  // Not ACME types: used by the admin API and HTTP plumbing.
  | 'notFound'
  | 'methodNotAllowed'
  | 'unsupportedMediaType'
  | 'payloadTooLarge'
  | 'misdirectedRequest'
  | 'conflict'
  | 'unavailable'
  | 'deployFailed';

export interface ErrorSpec {
  /** HTTP status the error is sent with. */
  status: number;
  /** Problem `type` URI. */
  type: string;
  /** Detail used when none is given. */
  detail: string;
}

const acme = (name: string): string => `urn:ietf:params:acme:error:${name}`;
const local = (name: string): string => `urn:certainty:error:${name}`;

/** The error table: code → problem type, HTTP status and default detail. docs/errors.md documents every row. */
export const ERRORS: Readonly<Record<ErrorCode, ErrorSpec>> = {
  accountDoesNotExist: { status: 400, type: acme('accountDoesNotExist'), detail: 'No account exists with this key' },
  alreadyReplaced: { status: 409, type: acme('alreadyReplaced'), detail: 'The certificate named in "replaces" was already replaced' },
  alreadyRevoked: { status: 400, type: acme('alreadyRevoked'), detail: 'The certificate is already revoked' },
  badCSR: { status: 400, type: acme('badCSR'), detail: 'The CSR is unacceptable' },
  badNonce: { status: 400, type: acme('badNonce'), detail: 'The nonce is invalid or was already used; retry with the Replay-Nonce of this response' },
  badPublicKey: { status: 400, type: acme('badPublicKey'), detail: 'The public key is not acceptable' },
  badRevocationReason: { status: 400, type: acme('badRevocationReason'), detail: 'The revocation reason is not allowed' },
  badSignatureAlgorithm: { status: 400, type: acme('badSignatureAlgorithm'), detail: 'The JWS algorithm is not supported' },
  caa: { status: 403, type: acme('caa'), detail: 'CAA records forbid issuance' },
  compound: { status: 400, type: acme('compound'), detail: 'Several problems; see subproblems' },
  connection: { status: 400, type: acme('connection'), detail: 'The server could not connect to the validation target' },
  dns: { status: 400, type: acme('dns'), detail: 'There was a problem with a DNS query during validation' },
  externalAccountRequired: { status: 400, type: acme('externalAccountRequired'), detail: 'This server requires external account binding' },
  incorrectResponse: { status: 403, type: acme('incorrectResponse'), detail: 'The response received did not match the challenge' },
  invalidContact: { status: 400, type: acme('invalidContact'), detail: 'A contact URL is invalid' },
  malformed: { status: 400, type: acme('malformed'), detail: 'The request message was malformed' },
  orderNotReady: { status: 403, type: acme('orderNotReady'), detail: 'The order is not ready to be finalized' },
  rateLimited: { status: 429, type: acme('rateLimited'), detail: 'A rate limit was exceeded' },
  rejectedIdentifier: { status: 400, type: acme('rejectedIdentifier'), detail: 'The server will not issue for this identifier' },
  serverInternal: { status: 500, type: acme('serverInternal'), detail: 'The server hit an internal error; it has been logged' },
  tls: { status: 400, type: acme('tls'), detail: 'A TLS error occurred during validation' },
  unauthorized: { status: 403, type: acme('unauthorized'), detail: 'The client lacks authorization for this action' },
  unsupportedContact: { status: 400, type: acme('unsupportedContact'), detail: 'Only mailto: contacts are supported' },
  unsupportedIdentifier: { status: 400, type: acme('unsupportedIdentifier'), detail: 'The identifier type is not supported' },
  userActionRequired: { status: 403, type: acme('userActionRequired'), detail: 'Visit the instance URL and take the action it names' },
  notFound: { status: 404, type: local('notFound'), detail: 'No resource at this URL' },
  methodNotAllowed: { status: 405, type: acme('malformed'), detail: 'This method is not allowed on this URL' },
  unsupportedMediaType: { status: 415, type: acme('malformed'), detail: 'Unsupported Content-Type' },
  payloadTooLarge: { status: 413, type: acme('malformed'), detail: 'The request body is too large' },
  misdirectedRequest: { status: 421, type: acme('malformed'), detail: 'This server does not serve the host named in the Host header' },
  conflict: { status: 409, type: local('conflict'), detail: 'The resource changed concurrently; retry' },
  unavailable: { status: 503, type: local('unavailable'), detail: 'The server is not ready; retry shortly' },
  deployFailed: { status: 502, type: local('deployFailed'), detail: 'A deploy target refused the certificate or could not be reached' },
};

/** An identifier as in RFC 8555 §9.7.7. */
interface ProblemIdentifier {
  type: string;
  value: string;
}

export interface SubProblem {
  code: ErrorCode;
  detail: string;
  identifier?: ProblemIdentifier;
}

export interface AppErrorOptions {
  subproblems?: SubProblem[];
  /** Seconds, sent as Retry-After. */
  retryAfter?: number;
  /** Extra headers for the response (e.g. Link for alternate URLs). */
  headers?: Record<string, string>;
  /** Kept for logs only; never sent to the client. */
  cause?: unknown;
  /** Overrides the table's status (e.g. accountDoesNotExist on a kid lookup). */
  status?: number;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly detail: string;
  readonly subproblems: SubProblem[];
  readonly retryAfter: number | undefined;
  readonly headers: Record<string, string>;
  readonly status: number;

  constructor(code: ErrorCode, detail?: string, options: AppErrorOptions = {}) {
    const spec = ERRORS[code];
    super(detail ?? spec.detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.detail = detail ?? spec.detail;
    this.subproblems = options.subproblems ?? [];
    this.retryAfter = options.retryAfter;
    this.headers = options.headers ?? {};
    this.status = options.status ?? spec.status;
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

/** Thrown when a compare-and-swap update changed no row: someone else changed it first. Not sent to clients as such. */
export class ConflictError extends Error {
  constructor(what: string) {
    super(`${what} changed concurrently`);
    this.name = 'ConflictError';
  }
}
