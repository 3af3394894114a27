/**
 * Response bodies of the lifecycle admin routes (lifecycle-routes.ts), for the OpenAPI document.
 * Specs and renewal state are open objects: docs/lifecycle.md describes their fields.
 */
import { z } from 'zod';
import { epochMs } from './admin-schemas.ts';

export const issuerRequest = z.object({
  name: z.string(), kind: z.enum(['acme', 'local']).optional(), directoryUrl: z.string().optional(), contact: z.array(z.string()).optional(),
  eabKid: z.string().optional(), eabHmacKey: z.string().optional().meta({ description: 'base64url; stored wrapped, never returned' }),
  trustPem: z.string().optional(), preferredChain: z.string().optional(), profile: z.string().optional(),
  rateLimit: z.object({ orders: z.int(), per: z.string() }).optional().meta({ description: 'new orders every node together may place per period, e.g. 300 per "3h" (the default)' }),
});

export const issuerSchema = z.looseObject({
  name: z.string(), kind: z.enum(['acme', 'local']), acme: z.looseObject({ directoryUrl: z.string(), contact: z.array(z.string()) }).optional(),
  hasEab: z.boolean(), createdAt: epochMs,
});

export const revisionSchema = z.object({
  managedName: z.string(), revision: z.int(), serial: z.string(), certPem: z.string(), chainPem: z.string(), notBefore: epochMs, notAfter: epochMs,
  ariId: z.string().optional(), replaces: z.string().optional(), rule: z.string(), createdAt: epochMs,
});

export const managedSchema = z.looseObject({
  name: z.string(), issuer: z.string(), spec: z.looseObject({ names: z.array(z.string()), keyType: z.string() }), currentRevision: z.int(),
  nextRenewalAt: epochMs, renewalRule: z.string(), failures: z.int(), lastOutcome: z.enum(['none', 'renewed', 'failed']), lastDetail: z.string(),
  status: z.string().meta({ description: 'one sentence: where the certificate stands' }), current: revisionSchema.optional(),
  deploys: z.array(z.object({
    target: z.int(), type: z.string(), revision: z.int().optional(), state: z.enum(['deployed', 'verified', 'failed', 'waiting', 'pending', 'none']),
    detail: z.string(), at: epochMs.optional(),
  })).optional().meta({ description: 'one certificate only: each deploy target\'s last outcome, from its deploy jobs (kept a day after they finish)' }),
});

export const removedSchema = z.object({ name: z.string(), removed: z.literal(true) });
