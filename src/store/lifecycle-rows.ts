// Row ↔ domain mapping for the lifecycle tables (src/store/lifecycle-store.ts).
import type { RenewalState } from '../lifecycle/types.ts';
import type { AcmeIssuerConfig, AriState, Issuer, IssuerKind, ManagedCertificate, ManagedSpec, Outcome, RenewalRule, Revision } from '../lifecycle/types.ts';

export interface IssuerRow {
  name: string;
  kind: string;
  config: string;
  has_eab: number | boolean;
  created_at: number | string;
}

export interface ManagedRow {
  name: string;
  issuer: string;
  spec: string;
  current_revision: number;
  renewal_seq: number;
  next_renewal_at: number | string;
  renewal_rule: string;
  ari: string | null;
  ari_poll_at: number | string | null;
  failures: number;
  last_outcome: string;
  last_detail: string;
  last_attempt_at: number | string | null;
  pending_order_url: string | null;
  created_at: number | string;
  version: number;
}

export interface RevisionRow {
  managed_name: string;
  revision: number;
  serial: string;
  cert_pem: string;
  chain_pem: string;
  not_before: number | string;
  not_after: number | string;
  ari_id: string | null;
  replaces: string | null;
  rule: string;
  created_at: number | string;
}

export const ISSUER_COLS = 'name, kind, config, (eab_hmac_wrapped IS NOT NULL) AS has_eab, created_at';
export const MANAGED_COLS = 'name, issuer, spec, current_revision, renewal_seq, next_renewal_at, renewal_rule, ari, ari_poll_at, failures, last_outcome, last_detail, last_attempt_at, pending_order_url, created_at, version';
export const REVISION_COLS = 'managed_name, revision, serial, cert_pem, chain_pem, not_before, not_after, ari_id, replaces, rule, created_at';

const optNum = (v: number | string | null): number | undefined => (v === null ? undefined : Number(v));

export function toIssuer(r: IssuerRow): Issuer {
  const kind = r.kind as IssuerKind;
  return {
    name: r.name, kind, acme: kind === 'acme' ? (JSON.parse(r.config) as AcmeIssuerConfig) : undefined,
    hasEab: r.has_eab === true || Number(r.has_eab) === 1, createdAt: Number(r.created_at),
  };
}

export function toManaged(r: ManagedRow): ManagedCertificate {
  return {
    name: r.name, issuer: r.issuer, spec: JSON.parse(r.spec) as ManagedSpec, currentRevision: Number(r.current_revision),
    renewalSeq: Number(r.renewal_seq), nextRenewalAt: Number(r.next_renewal_at), renewalRule: r.renewal_rule as RenewalRule,
    ari: r.ari === null ? undefined : (JSON.parse(r.ari) as AriState), ariPollAt: optNum(r.ari_poll_at), failures: Number(r.failures),
    lastOutcome: r.last_outcome as Outcome, lastDetail: r.last_detail, lastAttemptAt: optNum(r.last_attempt_at),
    pendingOrderUrl: r.pending_order_url ?? undefined, createdAt: Number(r.created_at), version: Number(r.version),
  };
}

export function fromManaged(c: ManagedCertificate): unknown[] {
  return [
    c.name, c.issuer, JSON.stringify(c.spec), c.currentRevision, c.renewalSeq, c.nextRenewalAt, c.renewalRule,
    c.ari === undefined ? null : JSON.stringify(c.ari), c.ariPollAt ?? null, c.failures, c.lastOutcome, c.lastDetail,
    c.lastAttemptAt ?? null, c.pendingOrderUrl ?? null, c.createdAt, c.version,
  ];
}

/** The SET list and parameters that write a RenewalState. */
export function renewalStateSet(s: RenewalState): { set: string; params: unknown[] } {
  return {
    set: 'next_renewal_at = ?, renewal_rule = ?, ari = ?, ari_poll_at = ?, failures = ?, last_outcome = ?, last_detail = ?, last_attempt_at = ?',
    params: [s.nextRenewalAt, s.renewalRule, s.ari === undefined ? null : JSON.stringify(s.ari), s.ariPollAt ?? null, s.failures, s.lastOutcome, s.lastDetail, s.lastAttemptAt ?? null],
  };
}

export function toRevision(r: RevisionRow): Revision {
  return {
    managedName: r.managed_name, revision: Number(r.revision), serial: r.serial, certPem: r.cert_pem, chainPem: r.chain_pem,
    notBefore: Number(r.not_before), notAfter: Number(r.not_after), ariId: r.ari_id ?? undefined, replaces: r.replaces ?? undefined,
    rule: r.rule as RenewalRule, createdAt: Number(r.created_at),
  };
}
