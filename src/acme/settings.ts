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
  key: { allowEc: Array<'P-256' | 'P-384' | 'P-521'>; minRsaBits: number; maxRsaBits: number };
  rateLimits: {
    ordersPerAccount: { limit: number; windowSeconds: number };
    certificatesPerName: { limit: number; windowSeconds: number };
    failedValidationsPerAccount: { limit: number; windowSeconds: number };
  };
}
