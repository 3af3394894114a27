// The schema, as the forward-only steps that build it; `migrations.ts` applies them.

/** A forward-only schema step. `sql` may use `BLOB`, written as `BYTEA` on PostgreSQL. */
export interface Migration {
  id: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: 'core',
    sql: `
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE issuers (
  id TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  algorithm TEXT NOT NULL,
  cert_pem TEXT NOT NULL,
  chain_pem TEXT NOT NULL,
  key_wrapped BLOB,
  not_after BIGINT NOT NULL,
  active INTEGER NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE accounts (
  id TEXT PRIMARY KEY,
  thumbprint TEXT NOT NULL UNIQUE,
  jwk TEXT NOT NULL,
  status TEXT NOT NULL,
  contact TEXT NOT NULL,
  eab_kid TEXT,
  created_at BIGINT NOT NULL,
  version INTEGER NOT NULL
);
CREATE TABLE used_nonces (
  nonce TEXT PRIMARY KEY,
  expires_at BIGINT NOT NULL
);
CREATE INDEX used_nonces_expires ON used_nonces (expires_at);
CREATE TABLE orders (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts (id),
  status TEXT NOT NULL,
  identifiers TEXT NOT NULL,
  not_before BIGINT,
  not_after BIGINT,
  expires_at BIGINT NOT NULL,
  error TEXT,
  certificate_id TEXT,
  replaces TEXT,
  created_at BIGINT NOT NULL,
  version INTEGER NOT NULL
);
CREATE INDEX orders_account ON orders (account_id, created_at);
CREATE INDEX orders_expires ON orders (status, expires_at);
CREATE TABLE authorizations (
  id TEXT PRIMARY KEY,
  order_id TEXT NOT NULL REFERENCES orders (id),
  account_id TEXT NOT NULL,
  identifier_type TEXT NOT NULL,
  identifier_value TEXT NOT NULL,
  wildcard INTEGER NOT NULL,
  status TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  version INTEGER NOT NULL
);
CREATE INDEX authorizations_order ON authorizations (order_id);
CREATE INDEX authorizations_account ON authorizations (account_id, status, created_at);
CREATE TABLE challenges (
  id TEXT PRIMARY KEY,
  authz_id TEXT NOT NULL REFERENCES authorizations (id),
  type TEXT NOT NULL,
  token TEXT NOT NULL,
  status TEXT NOT NULL,
  validated_at BIGINT,
  error TEXT,
  validation_record TEXT,
  updated_at BIGINT NOT NULL,
  version INTEGER NOT NULL
);
CREATE INDEX challenges_authz ON challenges (authz_id);
CREATE INDEX challenges_failed ON challenges (status, updated_at);
CREATE TABLE certificates (
  id TEXT PRIMARY KEY,
  serial TEXT NOT NULL UNIQUE,
  account_id TEXT NOT NULL,
  order_id TEXT NOT NULL,
  issuer_id TEXT NOT NULL,
  der BLOB NOT NULL,
  chain_pem TEXT NOT NULL,
  identifiers TEXT NOT NULL,
  not_before BIGINT NOT NULL,
  not_after BIGINT NOT NULL,
  ari_id TEXT NOT NULL UNIQUE,
  replaced_by TEXT,
  revoked_at BIGINT,
  revocation_reason INTEGER,
  created_at BIGINT NOT NULL
);
CREATE INDEX certificates_account ON certificates (account_id, created_at);
CREATE INDEX certificates_revoked ON certificates (issuer_id, revoked_at);
CREATE TABLE certificate_names (
  name TEXT NOT NULL,
  certificate_id TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (name, certificate_id)
);
CREATE INDEX certificate_names_time ON certificate_names (name, created_at);
CREATE TABLE crls (
  issuer_id TEXT PRIMARY KEY,
  number BIGINT NOT NULL,
  der BLOB NOT NULL,
  this_update BIGINT NOT NULL,
  next_update BIGINT NOT NULL
);
CREATE TABLE eab_keys (
  kid TEXT PRIMARY KEY,
  label TEXT NOT NULL,
  hmac_wrapped BLOB NOT NULL,
  created_at BIGINT NOT NULL,
  account_id TEXT,
  revoked_at BIGINT
);
CREATE TABLE admin_tokens (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  created_at BIGINT NOT NULL,
  revoked_at BIGINT
);
CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  idempotency_key TEXT UNIQUE,
  status TEXT NOT NULL,
  run_at BIGINT NOT NULL,
  attempts INTEGER NOT NULL,
  max_attempts INTEGER NOT NULL,
  last_error TEXT,
  claimed_by TEXT,
  claim_expires_at BIGINT,
  completed_by TEXT,
  completed_at BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX jobs_runnable ON jobs (status, run_at);
`,
  },
  {
    id: 2,
    name: 'cluster',
    sql: `
CREATE TABLE nodes (
  id TEXT PRIMARY KEY,
  instance TEXT NOT NULL,
  version TEXT NOT NULL,
  address TEXT NOT NULL,
  status TEXT NOT NULL,
  started_at BIGINT NOT NULL,
  last_seen BIGINT NOT NULL
);
CREATE TABLE leases (
  name TEXT PRIMARY KEY,
  holder TEXT,
  token BIGINT NOT NULL,
  acquired_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE TABLE schedules (
  name TEXT PRIMARY KEY,
  next_run_at BIGINT NOT NULL,
  last_token BIGINT NOT NULL,
  last_node TEXT
);
`,
  },
  {
    id: 3,
    name: 'audit',
    sql: `
CREATE TABLE audit_records (
  node_id TEXT NOT NULL,
  seq BIGINT NOT NULL,
  time BIGINT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  object TEXT NOT NULL,
  outcome TEXT NOT NULL,
  details TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  PRIMARY KEY (node_id, seq)
);
CREATE INDEX audit_records_time ON audit_records (time);
CREATE INDEX audit_records_hash ON audit_records (node_id, hash);
CREATE TABLE audit_heads (
  node_id TEXT PRIMARY KEY,
  seq BIGINT NOT NULL,
  hash TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE audit_cursors (
  sink TEXT NOT NULL,
  node_id TEXT NOT NULL,
  seq BIGINT NOT NULL,
  attempts INTEGER NOT NULL,
  next_attempt_at BIGINT NOT NULL,
  last_error TEXT,
  claimed_by TEXT,
  claim_expires_at BIGINT,
  delivered_at BIGINT,
  PRIMARY KEY (sink, node_id)
);
`,
  },
  {
    // Complete CRLs (src/ca/crl-publisher.ts): every revocation bumps its issuer's generation,
    // CRL numbers are allocated on the issuer row, and a CRL records the generation it covers.
    // Existing CRLs cover an unknown generation (-1), so each is rebuilt once.
    id: 4,
    name: 'crl-generations',
    sql: `
CREATE TABLE revocation_generations (
  issuer_id TEXT PRIMARY KEY,
  generation BIGINT NOT NULL
);
ALTER TABLE crls ADD COLUMN generation BIGINT NOT NULL DEFAULT -1;
ALTER TABLE issuers ADD COLUMN last_crl_number BIGINT NOT NULL DEFAULT 0;
UPDATE issuers SET last_crl_number = COALESCE((SELECT number FROM crls WHERE crls.issuer_id = issuers.id), 0);
`,
  },
  {
    // Fairness and abuse limits (src/jobs/queue.ts, src/acme/rate-limits.ts): a job's fairness
    // key (the account, for validations) so claims go round-robin across accounts; the address
    // each account was created from, for new-account limits per address; and counters that fold
    // repeated unauthenticated failures into one audit record per window.
    id: 5,
    name: 'fairness',
    sql: `
ALTER TABLE jobs ADD COLUMN fair_key TEXT;
CREATE INDEX jobs_fair_key ON jobs (fair_key, status);
CREATE TABLE account_origins (
  account_id TEXT PRIMARY KEY,
  address TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX account_origins_address ON account_origins (address, created_at);
CREATE TABLE audit_folds (
  fold_key TEXT PRIMARY KEY,
  window_start BIGINT NOT NULL,
  count BIGINT NOT NULL,
  previous_count BIGINT NOT NULL
);
`,
  },
  {
    // Cost does not grow with the data (test/integration/store.explain.test.ts EXPLAINs every hot
    // statement on a seeded database): housekeeping's expiry of pending authorizations and its
    // pruning of done jobs read only the rows they change, not every authorization or job.
    id: 6,
    name: 'housekeeping-indexes',
    sql: `
CREATE INDEX authorizations_expires ON authorizations (status, expires_at);
CREATE INDEX jobs_done ON jobs (status, completed_at);
`,
  },
  {
    // Partitioned CRLs (src/ca/crl-shards.ts, RFC 5280 §5.2.5): a revoked certificate records the
    // shard its own CRL distribution point names (NULL: the issuer-wide URL), so changing
    // ca.crlShards never moves a certificate. Each shard has its revocation generation and its
    // CRL, as revocation_generations and crls have for the issuer-wide CRL; numbers still come
    // from issuers.last_crl_number, so they increase across all of an issuer's CRLs.
    id: 7,
    name: 'crl-shards',
    sql: `
ALTER TABLE certificates ADD COLUMN crl_shard INTEGER;
CREATE INDEX certificates_crl_shard ON certificates (issuer_id, crl_shard, revoked_at);
CREATE TABLE crl_shard_generations (
  issuer_id TEXT NOT NULL,
  shard INTEGER NOT NULL,
  generation BIGINT NOT NULL,
  PRIMARY KEY (issuer_id, shard)
);
CREATE TABLE crl_shards (
  issuer_id TEXT NOT NULL,
  shard INTEGER NOT NULL,
  number BIGINT NOT NULL,
  der BLOB NOT NULL,
  this_update BIGINT NOT NULL,
  next_update BIGINT NOT NULL,
  generation BIGINT NOT NULL,
  PRIMARY KEY (issuer_id, shard)
);
`,
  },
  {
    // A token's role says what it may do: 'admin' everything (what every token before this could),
    // 'machine' nothing by itself, only what a domain grants that token (an SSH role, a secrets
    // policy). Expiry is checked on every use.
    id: 8,
    name: 'token-roles',
    sql: `
ALTER TABLE admin_tokens ADD COLUMN role TEXT NOT NULL DEFAULT 'admin';
ALTER TABLE admin_tokens ADD COLUMN expires_at BIGINT;
`,
  },
  {
    // The SSH CA (src/ssh): CAs with keys wrapped by the KEK (one active per kind, enforced by a
    // partial unique index), roles as JSON specs, every signed certificate, revocations, and the
    // KRL with two generations: `generation` is bumped by every revocation in its transaction,
    // `krl_generation` is the one the stored KRL covers.
    id: 9,
    name: 'ssh',
    sql: `
CREATE TABLE ssh_cas (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  algorithm TEXT NOT NULL,
  public_key TEXT NOT NULL,
  key_wrapped BLOB NOT NULL,
  status TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  version INTEGER NOT NULL
);
CREATE UNIQUE INDEX ssh_cas_one_active ON ssh_cas (kind) WHERE status = 'active';
CREATE TABLE ssh_roles (
  name TEXT PRIMARY KEY,
  spec TEXT NOT NULL,
  version INTEGER NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE ssh_certificates (
  serial TEXT PRIMARY KEY,
  ca_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  role TEXT NOT NULL,
  key_id TEXT NOT NULL,
  principals TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  valid_after BIGINT NOT NULL,
  valid_before BIGINT NOT NULL,
  token_id TEXT,
  created_at BIGINT NOT NULL,
  revoked_at BIGINT
);
CREATE INDEX ssh_certificates_key_id ON ssh_certificates (key_id);
CREATE INDEX ssh_certificates_fingerprint ON ssh_certificates (fingerprint);
CREATE INDEX ssh_certificates_created ON ssh_certificates (created_at);
CREATE TABLE ssh_revocations (
  target TEXT NOT NULL,
  value TEXT NOT NULL,
  ca_id TEXT,
  reason TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (target, value)
);
CREATE TABLE ssh_krl (
  id INTEGER PRIMARY KEY,
  generation BIGINT NOT NULL,
  krl BLOB,
  krl_generation BIGINT NOT NULL,
  generated_at BIGINT NOT NULL
);
INSERT INTO ssh_krl (id, generation, krl, krl_generation, generated_at) VALUES (1, 0, NULL, 0, 0);
`,
  },
  {
    // The secrets store (src/secrets): one row per path with its settings and newest version
    // number (compare-and-swap on `version`), one row per version with its value sealed under its
    // own data key wrapped by the KEK (NULL once destroyed), unique on (path, version) so of two
    // writers of the same next version one loses; policies and the tokens they are attached to;
    // and an index for "who revealed X" (`audit list --action secret.revealed --object secret:X`).
    id: 10,
    name: 'secrets',
    sql: `
CREATE TABLE secrets (
  path TEXT PRIMARY KEY,
  current_version INTEGER NOT NULL,
  max_versions INTEGER NOT NULL,
  cas_required INTEGER NOT NULL,
  delete_version_after_ms BIGINT NOT NULL,
  reveal_reason_required INTEGER NOT NULL,
  honeytoken INTEGER NOT NULL,
  custom_metadata TEXT NOT NULL,
  generator TEXT,
  rotate_every_ms BIGINT NOT NULL,
  next_rotation_at BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  version INTEGER NOT NULL
);
CREATE INDEX secrets_rotation ON secrets (next_rotation_at);
CREATE TABLE secret_versions (
  id TEXT PRIMARY KEY,
  path TEXT NOT NULL,
  version INTEGER NOT NULL,
  value_wrapped BLOB,
  created_at BIGINT NOT NULL,
  created_by TEXT NOT NULL,
  deleted_at BIGINT,
  destroyed_at BIGINT,
  UNIQUE (path, version)
);
CREATE TABLE secret_policies (
  name TEXT PRIMARY KEY,
  rules TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE secret_policy_tokens (
  policy TEXT NOT NULL,
  token_id TEXT NOT NULL,
  PRIMARY KEY (policy, token_id)
);
CREATE INDEX secret_policy_tokens_token ON secret_policy_tokens (token_id);
CREATE INDEX audit_records_object ON audit_records (object, action);
`,
  },
  {
    // Certificate lifecycle (src/lifecycle): issuers Certainty orders from (an upstream ACME CA,
    // or its own CA), their upstream accounts, managed certificates with their renewal state
    // (ARI window and chosen time, the rule that chose it, failures, the order in flight) and
    // their revisions, and the http-01 key authorizations every node serves.
    id: 11,
    name: 'lifecycle',
    sql: `
CREATE TABLE lifecycle_issuers (
  name TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  config TEXT NOT NULL,
  eab_hmac_wrapped BLOB,
  created_at BIGINT NOT NULL,
  version INTEGER NOT NULL
);
CREATE TABLE lifecycle_accounts (
  issuer TEXT PRIMARY KEY,
  account_url TEXT NOT NULL,
  key_wrapped BLOB NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE lifecycle_account_rollovers (
  issuer TEXT PRIMARY KEY,
  key_wrapped BLOB NOT NULL
);
CREATE TABLE managed_certificates (
  name TEXT PRIMARY KEY,
  issuer TEXT NOT NULL,
  spec TEXT NOT NULL,
  current_revision INTEGER NOT NULL,
  renewal_seq INTEGER NOT NULL,
  next_renewal_at BIGINT NOT NULL,
  renewal_rule TEXT NOT NULL,
  ari TEXT,
  ari_poll_at BIGINT,
  failures INTEGER NOT NULL,
  last_outcome TEXT NOT NULL,
  last_detail TEXT NOT NULL,
  last_attempt_at BIGINT,
  pending_order_url TEXT,
  created_at BIGINT NOT NULL,
  version INTEGER NOT NULL
);
CREATE INDEX managed_certificates_due ON managed_certificates (next_renewal_at);
CREATE INDEX managed_certificates_ari ON managed_certificates (ari_poll_at);
CREATE TABLE managed_pending_keys (
  name TEXT PRIMARY KEY,
  key_wrapped BLOB NOT NULL
);
CREATE TABLE managed_revisions (
  id TEXT PRIMARY KEY,
  managed_name TEXT NOT NULL,
  revision INTEGER NOT NULL,
  serial TEXT NOT NULL,
  cert_pem TEXT NOT NULL,
  chain_pem TEXT NOT NULL,
  key_wrapped BLOB NOT NULL,
  not_before BIGINT NOT NULL,
  not_after BIGINT NOT NULL,
  ari_id TEXT,
  replaces TEXT,
  rule TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (managed_name, revision)
);
CREATE TABLE http01_tokens (
  token TEXT PRIMARY KEY,
  key_authorization TEXT NOT NULL,
  managed_name TEXT NOT NULL,
  expires_at BIGINT NOT NULL
);
`,
  },
  {
    // Notifications (src/notify): channels (their SMTP password, HMAC key or Slack URL wrapped by
    // the KEK), the conditions raised and not cleared yet (the dedup), and the outbox of messages,
    // each kept until delivered, with its attempts and last error.
    id: 12,
    name: 'notifications',
    sql: `
CREATE TABLE notification_channels (
  name TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  config TEXT NOT NULL,
  events TEXT NOT NULL,
  secret_wrapped BLOB,
  created_at BIGINT NOT NULL
);
CREATE TABLE notification_conditions (
  key TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  raised_at BIGINT NOT NULL
);
CREATE INDEX notification_conditions_subject ON notification_conditions (subject, kind);
CREATE TABLE notification_outbox (
  id TEXT PRIMARY KEY,
  channel TEXT NOT NULL,
  kind TEXT NOT NULL,
  message TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  last_error TEXT,
  created_at BIGINT NOT NULL,
  last_attempt_at BIGINT,
  delivered_at BIGINT
);
CREATE INDEX notification_outbox_pending ON notification_outbox (delivered_at, created_at);
`,
  },
  {
    // The inline secret values of a managed certificate's deploy targets (a webhook's headers,
    // an exec target's environment), one blob per certificate wrapped by the KEK
    // (src/lifecycle/target-secrets.ts); the stored targets read `(secret)` in their place.
    id: 13,
    name: 'managed-target-secrets',
    sql: `
CREATE TABLE managed_target_secrets (
  name TEXT PRIMARY KEY,
  secrets_wrapped BLOB NOT NULL
);
`,
  },
  {
    // The per-issuer rate budget every node draws from before it places an upstream order: a
    // token bucket kept as its theoretical arrival time (GCRA), updated by one conditional
    // statement on the database clock (src/store/lifecycle-store.ts, takeOrderSlot).
    id: 14,
    name: 'lifecycle-rate-budget',
    sql: `
CREATE TABLE lifecycle_rate_budgets (
  issuer TEXT PRIMARY KEY,
  tat BIGINT NOT NULL
);
`,
  },
  {
    // Operator access (src/admin): custom token roles (a name and its permissions, JSON), and per
    // token the last use (written at most once a minute), an optional path scope and the
    // break-glass mark (1: every use is audited and logged as a warning).
    id: 15,
    name: 'admin-roles',
    sql: `
CREATE TABLE admin_roles (
  name TEXT PRIMARY KEY,
  permissions TEXT NOT NULL,
  description TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
ALTER TABLE admin_tokens ADD COLUMN last_used_at BIGINT;
ALTER TABLE admin_tokens ADD COLUMN path_prefix TEXT;
ALTER TABLE admin_tokens ADD COLUMN break_glass INTEGER NOT NULL DEFAULT 0;
`,
  },
  {
    // Web console sessions (src/admin/console-sessions.ts), shared by every node: only a hash of
    // the session id is stored; who it is (an admin token's id, or an OpenID Connect subject with
    // the role its groups map to), the per-session CSRF secret, and the idle and absolute expiry.
    // An OpenID Connect sign-in in progress is a console_logins row (state, nonce, PKCE verifier),
    // so the provider may send the browser back to any node; it is deleted when used.
    id: 16,
    name: 'console-sessions',
    sql: `
CREATE TABLE console_sessions (
  id_hash TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  role TEXT NOT NULL,
  csrf_secret TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);
CREATE TABLE console_logins (
  state_hash TEXT PRIMARY KEY,
  browser_hash TEXT NOT NULL,
  nonce TEXT NOT NULL,
  code_verifier TEXT NOT NULL,
  expires_at BIGINT NOT NULL
);
`,
  },
  {
    // TLS probes (src/lifecycle/probe): endpoints watched on a schedule with their last result
    // (the served fingerprint, days left, chain, name and drift verdicts, or the error in plain
    // words), and the inventory of certificates discovery found, whoever issued them.
    id: 17,
    name: 'probes',
    sql: `
CREATE TABLE probe_endpoints (
  name TEXT PRIMARY KEY,
  host TEXT NOT NULL,
  port INTEGER NOT NULL,
  servername TEXT,
  trust_pem TEXT,
  expected_managed TEXT,
  interval_ms BIGINT NOT NULL,
  next_probe_at BIGINT NOT NULL,
  result TEXT,
  created_at BIGINT NOT NULL
);
CREATE INDEX probe_endpoints_due ON probe_endpoints (next_probe_at);
CREATE TABLE discovered_certificates (
  endpoint TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  serial TEXT NOT NULL,
  subject TEXT NOT NULL,
  names TEXT NOT NULL,
  issuer TEXT NOT NULL,
  not_after BIGINT NOT NULL,
  issued_here INTEGER NOT NULL,
  first_seen BIGINT NOT NULL,
  last_seen BIGINT NOT NULL,
  PRIMARY KEY (endpoint, fingerprint)
);
`,
  },
  {
    // Lifecycle gaps: a probe's settings become mutable (`certainty apply` updates them, compare-
    // and-swap on `version`) and say after how many failed probes in a row its endpoint is told
    // unreachable; each deploy target's last finished deploy is kept past the pruning of its job
    // (written with the job's completion, src/lifecycle/deploy-job.ts), so its status lasts.
    id: 18,
    name: 'lifecycle-gaps',
    sql: `
ALTER TABLE probe_endpoints ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE probe_endpoints ADD COLUMN unreachable_after INTEGER NOT NULL DEFAULT 2;
CREATE TABLE deploy_outcomes (
  managed_name TEXT NOT NULL,
  target INTEGER NOT NULL,
  revision INTEGER NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  last_error TEXT,
  run_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (managed_name, target)
);
`,
  },
];
