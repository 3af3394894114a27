/** ACME settings the protocol layer reads (a slice of the config). */
export interface AcmeSettings {
  termsOfService: string | undefined;
  website: string | undefined;
  caaIdentities: string[];
  externalAccountRequired: boolean;
  orderLifetimeMs: number;
  retryAfterSeconds: number;
  /** How long a challenge POST waits for a quick validation before answering "processing". */
  challengeWaitMs: number;
  ariWindowPercent: number;
  defaultValidityMs: number;
  maxValidityMs: number;
  /** How far before now a certificate's notBefore may be (client clock skew); also caps the server's own backdating. */
  maxBackdateMs: number;
  key: { allowEc: Array<'P-256' | 'P-384' | 'P-521'>; minRsaBits: number; maxRsaBits: number };
  rateLimits: {
    ordersPerAccount: { limit: number; windowSeconds: number };
    certificatesPerName: { limit: number; windowSeconds: number };
    failedValidationsPerAccount: { limit: number; windowSeconds: number };
    /** Validations (queued or running) one account may have at once. */
    pendingValidationsPerAccount: number;
    /** New accounts per client address (IPv6: per /64) per window. */
    accountsPerAddress: { limit: number; windowSeconds: number };
  };
  /** Deadline of one validation: the Retry-After of a refusal for too many pending validations. */
  validationTimeoutMs: number;
}
