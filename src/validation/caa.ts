import type { CaaRecord } from 'node:dns';
import { AppError } from '../errors.ts';
import type { ValidationResolver } from './resolver.ts';
import type { Identifier } from '../ca/identifier.ts';
import type { ChallengeType } from './types.ts';

/**
 * Property tags this CA understands. An unknown tag with the critical flag forbids issuance
 * (RFC 8659 §4.1); iodef, issuemail (RFC 9495) and the CA/B Forum's contact tags are known but do
 * not restrict issuance of server certificates.
 */
const KNOWN_TAGS = new Set(['issue', 'issuewild', 'iodef', 'issuemail', 'contactemail', 'contactphone']);
/**
 * The critical flag is the bit of value 128; many publishers set the bit of value 1 instead, and
 * Boulder treats both as critical, so this does too.
 */
const CRITICAL = 128 | 1;
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?';
const ISSUER = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);
/** RFC 8659 §4.2: tag *WSP "=" *WSP value, the value printable ASCII without ";" and space. */
const PARAMETER = /^([A-Za-z0-9](?:-*[A-Za-z0-9])*)[ \t]*=[ \t]*([\x21-\x3a\x3c-\x7e]*)$/;

/** Who asks for what: the identifier, the challenge that proved it and the requesting account. */
export interface CaaSubject {
  identifier: Identifier;
  method: ChallengeType;
  accountId: string;
}

/** This CA's side of the check. */
export interface CaaPolicy {
  /** The issuer domain names that stand for this CA in `issue`/`issuewild` (acme.caaIdentities). */
  identities: readonly string[];
  /** Whether a CAA `accounturi` is the URL of the account (RFC 8657 §3). */
  accountUriMatches(uri: string, accountId: string): boolean;
}

export interface CaaChecker {
  /** Resolves when CAA permits issuance; throws AppError `caa` when it forbids it, `dns` when the lookup fails. */
  check(subject: CaaSubject): Promise<void>;
}

export function createCaaChecker(resolver: ValidationResolver, policy: CaaPolicy): CaaChecker {
  const identities = policy.identities.map((i) => i.toLowerCase());
  return { check: (subject) => checkCaa(resolver, { ...policy, identities }, subject) };
}

async function checkCaa(resolver: ValidationResolver, policy: CaaPolicy, subject: CaaSubject): Promise<void> {
  const { identifier } = subject;
  // CAA is defined for domain names only (RFC 8659 §3); RFC 8738 defines none for IP identifiers.
  if (identifier.type !== 'dns') return;
  const wildcard = identifier.value.startsWith('*.');
  const found = await relevantRecordSet(resolver, wildcard ? identifier.value.slice(2) : identifier.value);
  if (found === undefined) return;
  const reason = refusal(found.records.map(property), wildcard, policy, subject);
  if (reason !== undefined) throw new AppError('caa', `CAA record for ${found.name} prevents issuance: ${reason}`);
}

/**
 * RFC 8659 §3: the CAA RRset of the name itself, else of its closest ancestor that has one (the
 * TLD included, the root not). Every level is asked at once and the answers read in order, as
 * Boulder does; a failed lookup before the first non-empty answer forbids issuance (§3: a CA
 * issues only on a definite answer), as a `dns` problem.
 */
async function relevantRecordSet(resolver: ValidationResolver, fqdn: string): Promise<{ name: string; records: CaaRecord[] } | undefined> {
  const labels = fqdn.split('.');
  const names = labels.map((_, i) => labels.slice(i).join('.'));
  const answers = await Promise.allSettled(names.map((name) => resolver.resolveCaa(name)));
  for (const [i, answer] of answers.entries()) {
    if (answer.status === 'rejected') throw answer.reason;
    if (answer.value.length > 0) return { name: names[i] ?? fqdn, records: answer.value };
  }
  return undefined;
}

interface Property {
  flags: number;
  tag: string;
  value: string;
}

/** Node gives a CAA record as `{ critical: <flags>, <tag>: <value> }`. */
function property(record: CaaRecord): Property {
  const [tag = '', value = ''] = Object.entries(record).find(([key]) => key !== 'critical') ?? [];
  return { flags: record.critical, tag: tag.toLowerCase(), value: String(value) };
}

/** Why the property set forbids this issuance, or undefined when it permits it (RFC 8659 §4, RFC 8657). */
function refusal(properties: Property[], wildcard: boolean, policy: CaaPolicy, subject: CaaSubject): string | undefined {
  const critical = properties.find((p) => !KNOWN_TAGS.has(p.tag) && (p.flags & CRITICAL) !== 0);
  if (critical !== undefined) return `it has a critical "${critical.tag}" property this CA does not understand`;
  const issuewild = properties.filter((p) => p.tag === 'issuewild');
  // §4.3: for a wildcard, issuewild properties take precedence over issue properties when present.
  const relevant = wildcard && issuewild.length > 0 ? issuewild : properties.filter((p) => p.tag === 'issue');
  // §4.2: without issue (or, for a wildcard, issuewild) properties the set restricts no CA.
  if (relevant.length === 0) return undefined;
  let reason = `no "${relevant[0]?.tag ?? 'issue'}" property names this CA (${policy.identities.join(', ')})`;
  for (const p of relevant) {
    const parsed = parseIssueValue(p.value);
    if (parsed === undefined || !policy.identities.includes(parsed.issuer)) continue;
    const mismatch = parameterMismatch(parsed.parameters, policy, subject);
    if (mismatch === undefined) return undefined;
    reason = mismatch;
  }
  return reason;
}

/**
 * An issue/issuewild value: issuer domain name (possibly empty, which names no CA) and ";"-separated
 * parameters. A malformed value authorizes nobody (RFC 8659 §4.2).
 */
function parseIssueValue(value: string): { issuer: string; parameters: Map<string, string> } | undefined {
  const [head = '', ...rest] = value.split(';');
  const issuer = head.trim();
  if (issuer !== '' && !ISSUER.test(issuer)) return undefined;
  const parameters = new Map<string, string>();
  for (const part of rest) {
    const text = part.trim();
    if (text === '') continue;
    const match = PARAMETER.exec(text);
    if (match === null) return undefined;
    parameters.set((match[1] ?? '').toLowerCase(), match[2] ?? '');
  }
  return { issuer: issuer.toLowerCase(), parameters };
}

/** RFC 8657: `accounturi` must be the requesting account, `validationmethods` must list the method used. */
function parameterMismatch(parameters: Map<string, string>, policy: CaaPolicy, subject: CaaSubject): string | undefined {
  const accountUri = parameters.get('accounturi');
  if (accountUri !== undefined && !policy.accountUriMatches(accountUri, subject.accountId)) {
    return 'its accounturi names another ACME account (RFC 8657 §3)';
  }
  const methods = parameters.get('validationmethods');
  if (methods !== undefined && !methods.split(',').includes(subject.method)) {
    return `its validationmethods "${methods}" do not include ${subject.method} (RFC 8657 §4)`;
  }
  return undefined;
}
